// Package pointer reads AICR's evidence pointer files (docs/bundle-format.md
// §11): the small YAML file AICR commits under
// recipes/evidence/<recipe>/<source>/sha256-<digest>.yaml that locates a
// pushed evidence bundle (an OCI artifact pinned by its manifest digest) and
// names who signed it. The pointer is a claim like any other: Parse checks
// its schema and path, and the verifier checks every field against what it
// pulls and verifies (verify.PointerClaim).
package pointer

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/internal/casefold"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/schema"
)

// MaxBytes is the largest pointer file read (AICR reads 1 MiB).
const MaxBytes = 1 << 20

// File is a pointer file as AICR writes it (schemaVersion 1.0.x).
type File struct {
	SchemaVersion string        `yaml:"schemaVersion"`
	Recipe        string        `yaml:"recipe"`
	Profile       string        `yaml:"profile,omitempty"`
	Attestations  []Attestation `yaml:"attestations"`
}

// Attestation is the one entry of a pointer.
type Attestation struct {
	AttestedAt string  `yaml:"attestedAt"`
	Bundle     Bundle  `yaml:"bundle"`
	Signer     *Signer `yaml:"signer,omitempty"`
}

// Bundle locates the pushed artifact.
type Bundle struct {
	// Digest is the OCI manifest digest, "sha256:<hex>" ("" for an unsigned,
	// not yet pushed bundle).
	Digest string `yaml:"digest"`
	// OCI is "<registry>/<repository>:<tag>" ("" when not pushed).
	OCI           string `yaml:"oci"`
	PredicateType string `yaml:"predicateType"`
}

// Signer is who signed the bundle, as the pointer claims it.
type Signer struct {
	Identity string `yaml:"identity"`
	Issuer   string `yaml:"issuer"`
	// RekorLogIndex is nil when absent (0 is an index).
	RekorLogIndex *int64 `yaml:"rekorLogIndex,omitempty"`
}

var (
	digestRE     = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	recipeNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$`)
	sourceRE     = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// Parse reads a pointer file strictly: one YAML document, known keys only,
// no duplicate key; schemaVersion 1.0 or 1.0.x; a recipe name; exactly one
// attestation with a known predicate type, an RFC 3339 attestedAt, a
// bundle digest "sha256:<hex>" and an OCI name "<registry>/<repository>:<tag>"
// (both or neither: neither is an unsigned, pending pointer), and a signer
// with identity and issuer when present. AICR's profile rules apply: v2
// requires profile and the recipe name ends in -<name>-<value>.
func Parse(b []byte) (*File, error) {
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("pointer: %d bytes, at most %d", len(b), MaxBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("pointer: %s", oneLine(err.Error()))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errors.New("pointer: more than one YAML document")
	}
	if v := f.SchemaVersion; v != "1.0" && !strings.HasPrefix(v, "1.0.") {
		return nil, fmt.Errorf("pointer: schemaVersion %q, want 1.0 or 1.0.x", v)
	}
	if !recipeNameRE.MatchString(f.Recipe) {
		return nil, fmt.Errorf("pointer: recipe %q is not a recipe name", f.Recipe)
	}
	if len(f.Attestations) != 1 {
		return nil, fmt.Errorf("pointer: %d attestations, want exactly 1", len(f.Attestations))
	}
	a := f.Attestations[0]
	if !schema.IsAcceptedPredicateType(a.Bundle.PredicateType) {
		return nil, fmt.Errorf("pointer: predicateType %q is not one this verifier reads", a.Bundle.PredicateType)
	}
	if _, err := time.Parse(time.RFC3339, a.AttestedAt); err != nil {
		return nil, fmt.Errorf("pointer: attestedAt %q is not an RFC 3339 time", a.AttestedAt)
	}
	switch {
	case a.Bundle.OCI == "" && a.Bundle.Digest == "":
		if a.Signer != nil {
			return nil, errors.New("pointer: a signer but no bundle")
		}
	case a.Bundle.OCI == "" || a.Bundle.Digest == "":
		return nil, errors.New("pointer: bundle.oci and bundle.digest go together")
	case !digestRE.MatchString(a.Bundle.Digest):
		return nil, fmt.Errorf("pointer: bundle.digest %q is not sha256:<64 lowercase hex>", a.Bundle.Digest)
	default:
		if _, err := schema.ParseOCIName(a.Bundle.OCI); err != nil {
			return nil, fmt.Errorf("pointer: bundle.oci: %w", err)
		}
	}
	if s := a.Signer; s != nil && (s.Identity == "" || s.Issuer == "") {
		return nil, errors.New("pointer: signer needs identity and issuer")
	}
	switch t := a.Bundle.PredicateType; {
	case t == schema.PredicateTypeAICRV2 && f.Profile == "":
		return nil, errors.New("pointer: predicate type v2 requires profile")
	case f.Profile != "" && t != schema.PredicateTypeAICRV2 && t != schema.PredicateTypeAICRV3:
		return nil, fmt.Errorf("pointer: profile with predicate type %s", t)
	}
	if f.Profile != "" {
		name, value, ok := strings.Cut(f.Profile, "=")
		if !ok || name == "" || value == "" || !strings.HasSuffix(f.Recipe, "-"+strings.ToLower(name)+"-"+strings.ToLower(value)) {
			return nil, fmt.Errorf("pointer: recipe %q does not end in the profile %q as -<name>-<value>", f.Recipe, f.Profile)
		}
	}
	return &f, nil
}

// Attestation returns the pointer's one attestation.
func (f *File) Attestation() Attestation { return f.Attestations[0] }

// Pending reports an unsigned, not yet pushed pointer (no bundle to pull).
func (f *File) Pending() bool { return f.Attestations[0].Bundle.OCI == "" }

// CheckPath checks the pointer's repository path (slash-separated) when it
// is in AICR's layout: recipes/evidence/<recipe>/<source>/sha256-<hex>.yaml
// must name the pointer's recipe, the signer's source slug and the bundle
// digest; the flat recipes/evidence/<recipe>.yaml is for an unsigned pointer
// only. A path outside recipes/evidence/ is not checked (a file given on the
// command line) and CheckPath returns false.
func (f *File) CheckPath(p string) (checked bool, err error) {
	// A case variant of the layout's folders is the same folder on a
	// case-insensitive file system (and to a reader that folds): refused,
	// never "not in the layout".
	segs := strings.Split(p, "/")
	for i := 0; i+1 < len(segs); i++ {
		if casefold.Equal(segs[i], "recipes") && casefold.Equal(segs[i+1], "evidence") && (segs[i] != "recipes" || segs[i+1] != "evidence") {
			return true, fmt.Errorf("pointer path %q: write recipes/evidence/ in lower case", p)
		}
	}
	if i := strings.Index("/"+p, "/recipes/evidence/"); i >= 0 {
		// Under recipes/evidence/ a path must be exactly one of the two
		// layouts: no empty, "." or ".." segment, no extra folder.
		rest := strings.Split(p[i+len("recipes/evidence/"):], "/")
		for _, seg := range rest {
			if seg == "" || seg == "." || seg == ".." {
				return true, fmt.Errorf("pointer path %q: an empty, \".\" or \"..\" segment", p)
			}
		}
		if len(rest) != 1 && len(rest) != 3 {
			return true, fmt.Errorf("pointer path %q: want recipes/evidence/<recipe>/<source>/sha256-<hex>.yaml or recipes/evidence/<recipe>.yaml", p)
		}
	}
	dir, file := path.Split(p)
	parts := strings.Split(strings.TrimSuffix(dir, "/"), "/")
	n := len(parts)
	a := f.Attestation()
	switch {
	case n >= 4 && parts[n-4] == "recipes" && parts[n-3] == "evidence":
		recipe, source := parts[n-2], parts[n-1]
		if recipe != f.Recipe {
			return true, fmt.Errorf("pointer path: recipe segment %q, the pointer names recipe %q", recipe, f.Recipe)
		}
		if a.Signer == nil {
			return true, fmt.Errorf("pointer path %s: an unsigned pointer belongs at recipes/evidence/%s.yaml", p, f.Recipe)
		}
		if !sourceRE.MatchString(source) {
			return true, fmt.Errorf("pointer path: source segment %q is not 32 lowercase hex digits", source)
		}
		if want := policy.SourceSlug(a.Signer.Issuer, a.Signer.Identity); source != want {
			return true, fmt.Errorf("pointer path: source segment %s is not the signer's (%s = sha256(issuer + \"\\n\" + identity)[:32])", source, want)
		}
		if want := strings.Replace(a.Bundle.Digest, ":", "-", 1) + ".yaml"; file != want {
			return true, fmt.Errorf("pointer path: file name %q, want %q (the bundle digest)", file, want)
		}
		return true, nil
	case n >= 2 && parts[n-2] == "recipes" && parts[n-1] == "evidence":
		if file != f.Recipe+".yaml" {
			return true, fmt.Errorf("pointer path: file name %q, want %q", file, f.Recipe+".yaml")
		}
		if a.Signer != nil {
			return true, fmt.Errorf("pointer path %s: a signed pointer belongs at recipes/evidence/%s/%s/%s.yaml", p, f.Recipe, policy.SourceSlug(a.Signer.Issuer, a.Signer.Identity), strings.Replace(a.Bundle.Digest, ":", "-", 1))
		}
		return true, nil
	}
	return false, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Marshal writes the pointer as AICR does (serializer.MarshalYAMLDeterministic):
// every mapping's keys sorted, 2-space indentation, empty optional fields
// omitted. A pointer AICR wrote reads and re-marshals to the same bytes.
func (f *File) Marshal() ([]byte, error) {
	raw, err := yaml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("pointer: %w", err)
	}
	var generic any
	if err := yaml.Unmarshal(raw, &generic); err != nil {
		return nil, fmt.Errorf("pointer: %w", err)
	}
	var n yaml.Node
	if err := n.Encode(generic); err != nil {
		return nil, fmt.Errorf("pointer: %w", err)
	}
	plainTimestamps(&n) // AICR's attestedAt is a time.Time: a plain timestamp
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("pointer: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("pointer: %w", err)
	}
	return out.Bytes(), nil
}

// plainTimestamps writes every attestedAt value as a plain !!timestamp.
func plainTimestamps(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k, v := n.Content[i], n.Content[i+1]; k.Value == "attestedAt" && v.Kind == yaml.ScalarNode {
				if _, err := time.Parse(time.RFC3339, v.Value); err == nil {
					v.Tag, v.Style = "!!timestamp", 0
				}
			}
		}
	}
	for _, c := range n.Content {
		plainTimestamps(c)
	}
}

// Path returns where AICR's repository keeps the pointer: for a signed one
// recipes/evidence/<recipe>/<source slug>/sha256-<hex>.yaml, for an unsigned
// one the flat recipes/evidence/<recipe>.yaml. CheckPath accepts it.
func (f *File) Path() string {
	a := f.Attestation()
	if a.Signer == nil {
		return "recipes/evidence/" + f.Recipe + ".yaml"
	}
	return "recipes/evidence/" + f.Recipe + "/" + policy.SourceSlug(a.Signer.Issuer, a.Signer.Identity) + "/" + strings.Replace(a.Bundle.Digest, ":", "-", 1) + ".yaml"
}
