// Package policy decides which signers a maintainer trusts. A policy lists
// signers by class (maintainers' CI workflows, known community contributors,
// partners); each entry names an OIDC issuer and either an anchored identity
// pattern or a source slug, so that no personal e-mail needs to be committed.
package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Class is the kind of trusted signer.
type Class string

// Signer classes of a policy file, and the class of command-line pins.
const (
	ClassMaintainer  Class = "maintainer"
	ClassCommunity   Class = "community"
	ClassPartner     Class = "partner"
	ClassCommandLine Class = "command-line"
	// ClassAny is the class reported when any signer is explicitly allowed.
	ClassAny Class = "any (explicitly allowed)"
)

// MaxPolicyBytes bounds a policy file.
const MaxPolicyBytes = 1 << 20

// Entry is one trusted signer: Issuer and exactly one of IdentityPattern (an
// anchored regular expression over the certificate SAN) or Source (SourceSlug of
// issuer and identity).
type Entry struct {
	Label           string `yaml:"label,omitempty"`
	Issuer          string `yaml:"issuer"`
	IdentityPattern string `yaml:"identityPattern,omitempty"`
	Source          string `yaml:"source,omitempty"`
}

// File is the YAML policy file.
type File struct {
	SchemaVersion string  `yaml:"schemaVersion"`
	Maintainers   []Entry `yaml:"maintainers,omitempty"`
	Community     []Entry `yaml:"community,omitempty"`
	Partners      []Entry `yaml:"partners,omitempty"`
}

type rule struct {
	class   Class
	label   string
	issuer  string
	pattern *regexp.Regexp
	source  string
}

// Policy is a compiled signer policy.
type Policy struct {
	rules    []rule
	allowAny bool
}

// Decision says whether a signer is trusted and as what.
type Decision struct {
	Allowed bool
	Class   Class
	// Label names the matching entry, when it has one.
	Label string
	// Source is the signer's source slug, always computed.
	Source string
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

// Decide classifies a verified signer (certificate issuer and SAN).
func (p *Policy) Decide(issuer, san string) Decision {
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
		if (r.source != "" && r.source == d.Source) || (r.pattern != nil && r.pattern.MatchString(san)) {
			d.Allowed, d.Class, d.Label = true, r.class, r.label
			return d
		}
	}
	return d
}

// Parse reads a policy file strictly: unknown keys, a cleartext identity, an
// unanchored pattern, a malformed source or a duplicate label are errors.
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
	p := &Policy{}
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
	return r, nil
}

func checkIssuer(iss string) error {
	if !strings.HasPrefix(iss, "https://") || len(iss) > 512 || strings.ContainsAny(iss, " \t\r\n") {
		return fmt.Errorf("issuer %q must be an https URL", iss)
	}
	return nil
}

// compileAnchored compiles an identity pattern that must be anchored with ^ and
// $; an unanchored one is refused with the anchored form in the message.
func compileAnchored(pattern string) (*regexp.Regexp, error) {
	if !strings.HasPrefix(pattern, "^") || !strings.HasSuffix(pattern, "$") || strings.HasSuffix(pattern, `\$`) {
		return nil, fmt.Errorf("identity pattern %q is not anchored; an unanchored pattern matches any identity that contains it. Use %q", pattern, "^"+strings.TrimSuffix(strings.TrimPrefix(pattern, "^"), "$")+"$")
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("identity pattern %q: %w", pattern, err)
	}
	return re, nil
}

// FromFlags builds a policy from command-line pins: a signer is allowed when its
// issuer is one of issuers (exact) and its SAN matches one of patterns (anchored).
func FromFlags(issuers, patterns []string) (*Policy, error) {
	if len(issuers) == 0 && len(patterns) == 0 {
		return &Policy{}, nil
	}
	if len(issuers) == 0 || len(patterns) == 0 {
		return nil, errors.New("--certificate-oidc-issuer and --certificate-identity-regexp must be given together")
	}
	p := &Policy{}
	for _, iss := range issuers {
		if err := checkIssuer(iss); err != nil {
			return nil, fmt.Errorf("--certificate-oidc-issuer: %w", err)
		}
		for _, pat := range patterns {
			re, err := compileAnchored(pat)
			if err != nil {
				return nil, fmt.Errorf("--certificate-identity-regexp: %w", err)
			}
			p.rules = append(p.rules, rule{class: ClassCommandLine, issuer: iss, pattern: re})
		}
	}
	return p, nil
}

// Merge returns a policy that allows what either allows.
func Merge(a, b *Policy) *Policy {
	out := &Policy{}
	for _, p := range []*Policy{a, b} {
		if p == nil {
			continue
		}
		out.allowAny = out.allowAny || p.allowAny
		out.rules = append(out.rules, p.rules...)
	}
	return out
}

// oneLine folds a multi-line error (yaml.TypeError lists one problem a line).
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, ":\n", ";")), " ")
}
