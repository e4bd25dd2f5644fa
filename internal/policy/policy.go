// Package policy decides which signers a maintainer trusts. A policy lists
// signers by class (maintainers' CI workflows, known community contributors,
// partners); each entry names an OIDC issuer and either an anchored identity
// pattern or a source slug, so that no personal e-mail needs to be committed,
// and may require values of the certificate's CI extensions (repository and
// owner IDs, ref, workflow, trigger, runner).
package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aicr/verify-evidence/internal/maxage"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"go.yaml.in/yaml/v3"
)

// Class is the kind of trusted signer.
type Class string

// Signer classes of a policy file, and the classes of signers pinned on the
// command line or through the action's inputs.
const (
	ClassMaintainer   Class = "maintainer"
	ClassCommunity    Class = "community"
	ClassPartner      Class = "partner"
	ClassCommandLine  Class = "command-line"
	ClassActionInputs Class = "action inputs"
	// ClassAny is the class reported when any signer is explicitly allowed.
	ClassAny Class = "any (explicitly allowed)"
)

// MaxPolicyBytes bounds a policy file.
const MaxPolicyBytes = 1 << 20

// Entry is one trusted signer: Issuer and exactly one of IdentityPattern (an
// anchored regular expression over the certificate SAN) or Source (SourceSlug of
// issuer and identity), and what the certificate's extensions must say.
type Entry struct {
	Label           string       `yaml:"label,omitempty"`
	Issuer          string       `yaml:"issuer"`
	IdentityPattern string       `yaml:"identityPattern,omitempty"`
	Source          string       `yaml:"source,omitempty"`
	Require         Requirements `yaml:",inline"`
}

// File is the YAML policy file.
type File struct {
	SchemaVersion string  `yaml:"schemaVersion"`
	Maintainers   []Entry `yaml:"maintainers,omitempty"`
	Community     []Entry `yaml:"community,omitempty"`
	Partners      []Entry `yaml:"partners,omitempty"`
	// RequireFullCoverage asks the verifier to fail a bundle unless, in every
	// phase, each check the recipe declares has a test of that name.
	RequireFullCoverage strictBool `yaml:"requireFullCoverage,omitempty"`
	// MaxAge is the oldest attestedAt accepted ("365d", "8760h"): it tightens
	// the verifier's --max-age (or the action's max-age input), never loosens it.
	MaxAge string `yaml:"maxAge,omitempty"`
}

type rule struct {
	class   Class
	label   string
	issuer  string
	pattern *regexp.Regexp
	source  string
	// require lists the accepted extension values (one per allowed trigger);
	// nil requires nothing.
	require  []certificate.Extensions
	requires string
}

// Policy is a compiled signer policy.
type Policy struct {
	rules               []rule
	allowAny            bool
	requireFullCoverage bool
	maxAge              time.Duration
}

// MaxAge is the policy's maximum evidence age; 0 means it sets none.
func (p *Policy) MaxAge() time.Duration {
	if p == nil {
		return 0
	}
	return p.maxAge
}

// Decision says whether a signer is trusted and as what.
type Decision struct {
	Allowed bool
	Class   Class
	// Label names the matching entry, when it has one.
	Label string
	// Source is the signer's source slug, always computed.
	Source string
	// Requires describes what the matching entry required of the
	// certificate's extensions ("" when nothing).
	Requires string
	// Unmet says, for a signer that is not allowed although an entry's issuer
	// and identity match, which extension that entry requires differently.
	Unmet string
}

// SourceSlug returns the first 32 hex digits of sha256(issuer + "\n" + identity):
// a stable, non-reversible name for a signer.
func SourceSlug(issuer, identity string) string {
	s := sha256.Sum256([]byte(issuer + "\n" + identity))
	return hex.EncodeToString(s[:])[:32]
}

// AllowAny returns a policy that trusts every signer. It must be asked for
// explicitly; the report then says so.
func AllowAny() *Policy { return &Policy{allowAny: true} }

// Empty reports whether the policy trusts nobody (no entries, not AllowAny).
func (p *Policy) Empty() bool { return p == nil || (!p.allowAny && len(p.rules) == 0) }

// AllowsAny reports whether the policy trusts every signer.
func (p *Policy) AllowsAny() bool { return p != nil && p.allowAny }

// RequiresFullCoverage reports whether the policy file asks for full test
// coverage of the recipe's declared checks (requireFullCoverage: true).
func (p *Policy) RequiresFullCoverage() bool { return p != nil && p.requireFullCoverage }

// Decide classifies a signer known only by its OIDC issuer and SAN: an entry
// that requires certificate extensions never allows it. Verified certificates
// are decided with DecideCertificate.
func (p *Policy) Decide(issuer, san string) Decision {
	return p.DecideCertificate(certificate.Summary{SubjectAlternativeName: san, Extensions: certificate.Extensions{Issuer: issuer}})
}

// DecideCertificate classifies a verified Fulcio certificate: the first entry
// whose issuer (exact), identity (pattern or source slug) and required
// extensions all match decides.
func (p *Policy) DecideCertificate(cert certificate.Summary) Decision {
	issuer, san := cert.Issuer, cert.SubjectAlternativeName
	d := Decision{Source: SourceSlug(issuer, san)}
	if p == nil {
		return d
	}
	if p.allowAny {
		d.Allowed, d.Class = true, ClassAny
		return d
	}
	for _, r := range p.rules {
		if r.issuer != issuer {
			continue
		}
		if !(r.source != "" && r.source == d.Source) && !(r.pattern != nil && r.pattern.MatchString(san)) {
			continue
		}
		if err := meets(r.require, cert.Extensions); err != nil {
			if d.Unmet == "" {
				d.Unmet = fmt.Sprintf("%s requires %s: %v", r.name(), r.requires, err)
			}
			continue
		}
		d.Allowed, d.Class, d.Label, d.Requires, d.Unmet = true, r.class, r.label, r.requires, ""
		return d
	}
	return d
}

// name says which entry a rule came from, for reports.
func (r rule) name() string {
	if r.label != "" {
		return fmt.Sprintf("the %s entry %q", r.class, r.label)
	}
	return fmt.Sprintf("the %s entry", r.class)
}

// Parse reads a policy file strictly: unknown keys, a cleartext identity, an
// unanchored pattern, a malformed source or extension value, or a duplicate
// label are errors.
func Parse(b []byte) (*Policy, error) {
	if len(b) > MaxPolicyBytes {
		return nil, fmt.Errorf("policy: %d bytes, at most %d", len(b), MaxPolicyBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("policy: %s", oneLine(err.Error()))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errors.New("policy: more than one YAML document")
	}
	if v := f.SchemaVersion; v != "1.0" && !strings.HasPrefix(v, "1.0.") {
		return nil, fmt.Errorf("policy: schemaVersion %q, want 1.0 or 1.0.x", v)
	}
	p := &Policy{requireFullCoverage: bool(f.RequireFullCoverage)}
	if f.MaxAge != "" {
		d, err := maxage.Parse(f.MaxAge)
		if err != nil {
			return nil, fmt.Errorf("policy: maxAge: %w", err)
		}
		if d == 0 {
			return nil, errors.New("policy: maxAge: 0 would set nothing; leave it out instead")
		}
		p.maxAge = d
	}
	labels := map[string]bool{}
	for _, group := range []struct {
		key     string
		class   Class
		entries []Entry
	}{{"maintainers", ClassMaintainer, f.Maintainers}, {"community", ClassCommunity, f.Community}, {"partners", ClassPartner, f.Partners}} {
		for i, e := range group.entries {
			where := fmt.Sprintf("policy: %s[%d]", group.key, i)
			if e.Label != "" {
				where += fmt.Sprintf(" (%q)", e.Label)
				if labels[e.Label] {
					return nil, fmt.Errorf("%s: duplicate label", where)
				}
				labels[e.Label] = true
			}
			r, err := compileEntry(group.class, e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			p.rules = append(p.rules, r)
		}
	}
	if len(p.rules) == 0 {
		return nil, errors.New("policy: lists no signer")
	}
	return p, nil
}

func compileEntry(class Class, e Entry) (rule, error) {
	if err := checkIssuer(e.Issuer); err != nil {
		return rule{}, err
	}
	r := rule{class: class, label: e.Label, issuer: e.Issuer}
	switch {
	case e.IdentityPattern != "" && e.Source != "":
		return rule{}, errors.New("give identityPattern or source, not both")
	case e.Source != "":
		if len(e.Source) != 32 || strings.Trim(e.Source, "0123456789abcdef") != "" {
			return rule{}, fmt.Errorf("source %q is not 32 lowercase hex digits", e.Source)
		}
		r.source = e.Source
	case e.IdentityPattern != "":
		re, err := compileAnchored(e.IdentityPattern)
		if err != nil {
			return rule{}, err
		}
		r.pattern = re
	default:
		return rule{}, errors.New("needs identityPattern or source")
	}
	var err error
	if r.require, err = e.Require.compile(func(key, _ string) string { return key }); err != nil {
		return rule{}, err
	}
	r.requires = e.Require.String()
	return r, nil
}

func checkIssuer(iss string) error {
	if !strings.HasPrefix(iss, "https://") || len(iss) > 512 || strings.ContainsAny(iss, " \t\r\n") {
		return fmt.Errorf("issuer %q must be an https URL", iss)
	}
	return nil
}

// Pins are signers pinned outside a policy file: on the command line or
// through the action's inputs. Every pin requires Require.
type Pins struct {
	// Class is ClassCommandLine (the default) or ClassActionInputs: the class
	// an allowed signer is reported as, and whether errors name flags
	// (--certificate-oidc-issuer) or inputs (input certificate-oidc-issuer).
	Class           Class
	Issuers         []string
	IdentityRegexps []string
	Require         Requirements
}

// FromPins builds a policy from pins: a signer is allowed when its issuer is
// one of Issuers (exact), its SAN matches one of IdentityRegexps (anchored)
// and its certificate's extensions meet Require.
func FromPins(pins Pins) (*Policy, error) {
	class := pins.Class
	if class == "" {
		class = ClassCommandLine
	}
	name := func(flag string) string { return "--" + flag }
	switch class {
	case ClassCommandLine:
	case ClassActionInputs:
		name = func(flag string) string { return "input " + flag }
	default:
		return nil, fmt.Errorf("pins of class %q: want %q or %q", class, ClassCommandLine, ClassActionInputs)
	}
	issuerName, regexpName := name("certificate-oidc-issuer"), name("certificate-identity-regexp")
	if len(pins.Issuers) == 0 && len(pins.IdentityRegexps) == 0 {
		if !pins.Require.empty() {
			return nil, fmt.Errorf("certificate requirements (%s) pin nothing without %s and %s", pins.Require, issuerName, regexpName)
		}
		return &Policy{}, nil
	}
	if len(pins.Issuers) == 0 || len(pins.IdentityRegexps) == 0 {
		return nil, fmt.Errorf("%s and %s must be given together", issuerName, regexpName)
	}
	require, err := pins.Require.compile(func(_, flag string) string { return name(flag) })
	if err != nil {
		return nil, err
	}
	p := &Policy{}
	for _, iss := range pins.Issuers {
		if err := checkIssuer(iss); err != nil {
			return nil, fmt.Errorf("%s: %w", issuerName, err)
		}
		for _, pat := range pins.IdentityRegexps {
			re, err := compileAnchored(pat)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", regexpName, err)
			}
			p.rules = append(p.rules, rule{class: class, issuer: iss, pattern: re, require: require, requires: pins.Require.String()})
		}
	}
	return p, nil
}

// FromFlags builds a policy from command-line pins of issuers and identity
// patterns only: FromPins with ClassCommandLine and no extension requirements.
func FromFlags(issuers, patterns []string) (*Policy, error) {
	return FromPins(Pins{Class: ClassCommandLine, Issuers: issuers, IdentityRegexps: patterns})
}

// Merge returns a policy that allows what either allows.
func Merge(a, b *Policy) *Policy {
	out := &Policy{}
	for _, p := range []*Policy{a, b} {
		if p == nil {
			continue
		}
		out.allowAny = out.allowAny || p.allowAny
		out.requireFullCoverage = out.requireFullCoverage || p.requireFullCoverage
		out.maxAge = maxage.Stricter(out.maxAge, p.maxAge)
		out.rules = append(out.rules, p.rules...)
	}
	return out
}

// oneLine folds a multi-line error (yaml.TypeError lists one problem a line).
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, ":\n", ";")), " ")
}

// strictBool is a YAML boolean that is exactly true or false (yaml.v3 would
// also take yes, on or True).
type strictBool bool

// UnmarshalYAML accepts the plain scalars true and false only.
func (b *strictBool) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Style == 0 && (n.Value == "true" || n.Value == "false") {
		*b = n.Value == "true"
		return nil
	}
	return fmt.Errorf("line %d: want true or false, got %q", n.Line, n.Value)
}
