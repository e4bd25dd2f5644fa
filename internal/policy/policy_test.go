package policy_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/policy"
)

const (
	ghIssuer     = "https://token.actions.githubusercontent.com"
	googleIssuer = "https://accounts.google.com"
	ciIdentity   = "https://github.com/NVIDIA/aicr/.github/workflows/uat.yaml@refs/heads/main"
	ciPattern    = `^https://github\.com/NVIDIA/aicr/\.github/workflows/uat\.yaml@refs/heads/.+$`
	acmeIdentity = "https://github.com/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/heads/main"
	acmePattern  = `^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main$`
	personEmail  = "someone@example.com"
)

// wantSlug is SourceSlug computed independently, as format and README define it.
func wantSlug(issuer, identity string) string {
	s := sha256.Sum256([]byte(issuer + "\n" + identity))
	return hex.EncodeToString(s[:])[:32]
}

func fullPolicy() string {
	return `schemaVersion: "1.0"
maintainers:
  - label: aicr-uat
    issuer: ` + ghIssuer + `
    identityPattern: '` + ciPattern + `'
community:
  - label: acme
    issuer: ` + ghIssuer + `
    identityPattern: '` + acmePattern + `'
  - label: a-person
    issuer: ` + googleIssuer + `
    source: ` + wantSlug(googleIssuer, personEmail) + `
partners:
  - issuer: https://login.partner.example
    source: 0123456789abcdef0123456789abcdef
`
}

func mustParse(t *testing.T, src string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return p
}

func TestSourceSlug(t *testing.T) {
	got := policy.SourceSlug(googleIssuer, personEmail)
	if got != wantSlug(googleIssuer, personEmail) {
		t.Fatalf("SourceSlug = %s, want %s", got, wantSlug(googleIssuer, personEmail))
	}
	if len(got) != 32 || strings.Trim(got, "0123456789abcdef") != "" {
		t.Fatalf("SourceSlug %q is not 32 lowercase hex digits", got)
	}
	// Both the issuer and the identity are part of the slug.
	if policy.SourceSlug(ghIssuer, personEmail) == got {
		t.Fatal("the slug does not depend on the issuer")
	}
	if policy.SourceSlug(googleIssuer, "other@example.com") == got {
		t.Fatal("the slug does not depend on the identity")
	}
}

func TestParseFullPolicyDecides(t *testing.T) {
	p := mustParse(t, fullPolicy())
	if p.Empty() || p.AllowsAny() {
		t.Fatalf("Empty %v AllowsAny %v", p.Empty(), p.AllowsAny())
	}
	tests := []struct {
		name        string
		issuer, san string
		allowed     bool
		class       policy.Class
		label       string
	}{
		{"maintainer by pattern", ghIssuer, ciIdentity, true, policy.ClassMaintainer, "aicr-uat"},
		{"maintainer pattern on another branch", ghIssuer, "https://github.com/NVIDIA/aicr/.github/workflows/uat.yaml@refs/heads/release-1", true, policy.ClassMaintainer, "aicr-uat"},
		{"community by pattern", ghIssuer, acmeIdentity, true, policy.ClassCommunity, "acme"},
		{"community by source slug", googleIssuer, personEmail, true, policy.ClassCommunity, "a-person"},
		{"partner slug, another identity", "https://login.partner.example", "ci@partner.example", false, "", ""},
		{"pattern anchored at the end", ghIssuer, acmeIdentity + "-evil", false, "", ""},
		{"pattern anchored at the start", ghIssuer, "https://evil.example/?" + acmeIdentity, false, "", ""},
		{"dots are literal", ghIssuer, "https://githubXcom/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/heads/main", false, "", ""},
		{"matching pattern, wrong issuer", googleIssuer, acmeIdentity, false, "", ""},
		{"matching slug identity, wrong issuer", ghIssuer, personEmail, false, "", ""},
		{"unknown signer", ghIssuer, "https://github.com/mallory/x/.github/workflows/y.yml@refs/heads/main", false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := p.Decide(tc.issuer, tc.san)
			if d.Allowed != tc.allowed || d.Class != tc.class || d.Label != tc.label {
				t.Errorf("Decide = %+v, want allowed %v class %q label %q", d, tc.allowed, tc.class, tc.label)
			}
			if d.Source != wantSlug(tc.issuer, tc.san) {
				t.Errorf("Source %q, want %q (always computed)", d.Source, wantSlug(tc.issuer, tc.san))
			}
		})
	}
}

func TestParsePartnerBySource(t *testing.T) {
	iss, id := "https://login.partner.example", "ci@partner.example"
	p := mustParse(t, "schemaVersion: 1.0.3\npartners:\n  - issuer: "+iss+"\n    source: "+wantSlug(iss, id)+"\n")
	d := p.Decide(iss, id)
	if !d.Allowed || d.Class != policy.ClassPartner || d.Label != "" {
		t.Fatalf("Decide = %+v, want an allowed partner without label", d)
	}
}

func TestParseRejects(t *testing.T) {
	entry := func(body string) string {
		return "schemaVersion: \"1.0\"\ncommunity:\n  - issuer: " + ghIssuer + "\n" + body
	}
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"cleartext identity key", entry("    identity: " + acmeIdentity + "\n"), []string{"identity"}},
		{"unknown top-level key", "schemaVersion: \"1.0\"\ntrusted: []\ncommunity:\n  - issuer: " + ghIssuer + "\n    identityPattern: '" + acmePattern + "'\n", []string{"trusted"}},
		{"unanchored pattern", entry("    identityPattern: 'https://github\\.com/acme-gpu/.*'\n"), []string{"not anchored", "`^https://github\\.com/acme-gpu/.*$`"}},
		{"pattern anchored only at the start", entry("    identityPattern: '^https://github\\.com/acme-gpu/.*'\n"), []string{"not anchored", "`^https://github\\.com/acme-gpu/.*$`"}},
		{"pattern anchored only at the end", entry("    identityPattern: 'https://github\\.com/acme-gpu/.*$'\n"), []string{"not anchored", "`^https://github\\.com/acme-gpu/.*$`"}},
		{"pattern ending in an escaped dollar", entry("    identityPattern: '^https://x\\$'\n"), []string{"not anchored"}},
		{"bad regexp", entry("    identityPattern: '^https://(x$'\n"), []string{"identity pattern", "missing closing )"}},
		{"source too short", entry("    source: 0123456789abcdef\n"), []string{"not 32 lowercase hex"}},
		{"source upper case", entry("    source: 0123456789ABCDEF0123456789ABCDEF\n"), []string{"not 32 lowercase hex"}},
		{"source not hex", entry("    source: 0123456789abcdef0123456789abcdeg\n"), []string{"not 32 lowercase hex"}},
		{"pattern and source", entry("    identityPattern: '" + acmePattern + "'\n    source: 0123456789abcdef0123456789abcdef\n"), []string{"not both"}},
		{"neither pattern nor source", entry("    label: nothing\n"), []string{"needs identityPattern or source"}},
		{"http issuer", "schemaVersion: \"1.0\"\ncommunity:\n  - issuer: http://token.actions.githubusercontent.com\n    identityPattern: '" + acmePattern + "'\n", []string{"https URL"}},
		{"empty issuer", "schemaVersion: \"1.0\"\ncommunity:\n  - identityPattern: '" + acmePattern + "'\n", []string{"https URL"}},
		{"duplicate label across classes", "schemaVersion: \"1.0\"\nmaintainers:\n  - label: x\n    issuer: " + ghIssuer + "\n    identityPattern: '" + ciPattern + "'\ncommunity:\n  - label: x\n    issuer: " + ghIssuer + "\n    identityPattern: '" + acmePattern + "'\n", []string{"duplicate label", `"x"`}},
		{"empty policy", "schemaVersion: \"1.0\"\n", []string{"lists no signer"}},
		{"empty lists", "schemaVersion: \"1.0\"\nmaintainers: []\ncommunity: []\npartners: []\n", []string{"lists no signer"}},
		{"schemaVersion 2.0", "schemaVersion: \"2.0\"\ncommunity:\n  - issuer: " + ghIssuer + "\n    identityPattern: '" + acmePattern + "'\n", []string{`schemaVersion "2.0"`}},
		{"schemaVersion 1.1", "schemaVersion: \"1.1\"\ncommunity:\n  - issuer: " + ghIssuer + "\n    identityPattern: '" + acmePattern + "'\n", []string{`schemaVersion "1.1"`}},
		{"missing schemaVersion", "community:\n  - issuer: " + ghIssuer + "\n    identityPattern: '" + acmePattern + "'\n", []string{"schemaVersion"}},
		{"two YAML documents", fullPolicy() + "---\nschemaVersion: \"1.0\"\n", []string{"more than one YAML document"}},
		{"not YAML", "schemaVersion: [\n", []string{"policy:"}},
		{"oversize", "schemaVersion: \"1.0\"\n# " + strings.Repeat("x", policy.MaxPolicyBytes) + "\n", []string{"bytes, at most"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tc.src))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", p)
			}
			if p != nil {
				t.Errorf("Parse returned a policy with the error %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "policy") {
				t.Errorf("error %q does not say it is about the policy", err)
			}
		})
	}
}

func TestParseAcceptsSchemaVersionPatch(t *testing.T) {
	for _, v := range []string{`"1.0"`, `"1.0.0"`, `1.0.7`} {
		mustParse(t, "schemaVersion: "+v+"\ncommunity:\n  - issuer: "+ghIssuer+"\n    identityPattern: '"+acmePattern+"'\n")
	}
}

// TestParseErrorNamesTheEntry: an error points at the entry by the key the
// file uses (community[1]) and by its label.
func TestParseErrorNamesTheEntry(t *testing.T) {
	for _, key := range []string{"maintainers", "community", "partners"} {
		src := "schemaVersion: \"1.0\"\n" + key + ":\n  - issuer: " + ghIssuer + "\n    identityPattern: '" + acmePattern + "'\n  - label: broken\n    issuer: " + ghIssuer + "\n    identityPattern: 'acme'\n"
		_, err := policy.Parse([]byte(src))
		if err == nil {
			t.Fatalf("%s: accepted an unanchored pattern", key)
		}
		if !strings.Contains(err.Error(), key+"[1]") {
			t.Errorf("%s: error %q does not name the entry %s[1] as the file spells it", key, err, key)
		}
		if !strings.Contains(err.Error(), `"broken"`) {
			t.Errorf("%s: error %q does not name the entry's label", key, err)
		}
	}
}

func TestFromFlags(t *testing.T) {
	t.Run("nothing given is an empty policy", func(t *testing.T) {
		p, err := policy.FromFlags(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Empty() || p.AllowsAny() {
			t.Fatalf("Empty %v AllowsAny %v, want an empty policy", p.Empty(), p.AllowsAny())
		}
		if p.Decide(ghIssuer, acmeIdentity).Allowed {
			t.Fatal("empty policy allowed a signer")
		}
	})
	t.Run("issuer without regexp", func(t *testing.T) {
		if _, err := policy.FromFlags([]string{ghIssuer}, nil); err == nil || !strings.Contains(err.Error(), "together") {
			t.Fatalf("err %v, want 'must be given together'", err)
		}
	})
	t.Run("regexp without issuer", func(t *testing.T) {
		if _, err := policy.FromFlags(nil, []string{acmePattern}); err == nil || !strings.Contains(err.Error(), "together") {
			t.Fatalf("err %v, want 'must be given together'", err)
		}
	})
	t.Run("unanchored regexp", func(t *testing.T) {
		_, err := policy.FromFlags([]string{ghIssuer}, []string{`https://github\.com/acme-gpu/.*`})
		if err == nil {
			t.Fatal("accepted an unanchored pattern")
		}
		for _, w := range []string{"--certificate-identity-regexp", "not anchored", "`^https://github\\.com/acme-gpu/.*$`"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
	})
	t.Run("non-https issuer", func(t *testing.T) {
		_, err := policy.FromFlags([]string{"token.actions.githubusercontent.com"}, []string{acmePattern})
		if err == nil || !strings.Contains(err.Error(), "--certificate-oidc-issuer") {
			t.Fatalf("err %v, want a --certificate-oidc-issuer error", err)
		}
	})
	t.Run("matching", func(t *testing.T) {
		p, err := policy.FromFlags([]string{googleIssuer, ghIssuer}, []string{ciPattern, acmePattern})
		if err != nil {
			t.Fatal(err)
		}
		for _, san := range []string{ciIdentity, acmeIdentity} {
			d := p.Decide(ghIssuer, san)
			if !d.Allowed || d.Class != policy.ClassCommandLine || d.Label != "" {
				t.Errorf("Decide(%s) = %+v, want allowed as command-line", san, d)
			}
		}
		if d := p.Decide(ghIssuer, acmeIdentity+"x"); d.Allowed {
			t.Errorf("allowed an identity the anchored pattern does not match: %+v", d)
		}
		if d := p.Decide("https://token.actions.githubusercontent.com.evil", acmeIdentity); d.Allowed {
			t.Errorf("issuer is not compared exactly: %+v", d)
		}
		if d := p.Decide("https://gitlab.com", acmeIdentity); d.Allowed {
			t.Errorf("allowed an issuer that was not given: %+v", d)
		}
	})
}

func TestMerge(t *testing.T) {
	flags, err := policy.FromFlags([]string{ghIssuer}, []string{ciPattern})
	if err != nil {
		t.Fatal(err)
	}
	file := mustParse(t, "schemaVersion: \"1.0\"\ncommunity:\n  - label: acme\n    issuer: "+ghIssuer+"\n    identityPattern: '"+acmePattern+"'\n")
	m := policy.Merge(flags, file)
	if d := m.Decide(ghIssuer, ciIdentity); !d.Allowed || d.Class != policy.ClassCommandLine {
		t.Errorf("merged policy lost the flag pin: %+v", d)
	}
	if d := m.Decide(ghIssuer, acmeIdentity); !d.Allowed || d.Class != policy.ClassCommunity || d.Label != "acme" {
		t.Errorf("merged policy lost the file entry: %+v", d)
	}
	if m.AllowsAny() {
		t.Error("merged policy allows any signer")
	}
	// The inputs are not changed.
	if flags.Decide(ghIssuer, acmeIdentity).Allowed || file.Decide(ghIssuer, ciIdentity).Allowed {
		t.Error("Merge changed one of its inputs")
	}
	// nil and empty inputs.
	if !policy.Merge(nil, nil).Empty() {
		t.Error("Merge(nil, nil) is not empty")
	}
	if d := policy.Merge(nil, file).Decide(ghIssuer, acmeIdentity); !d.Allowed {
		t.Errorf("Merge(nil, file) lost the file: %+v", d)
	}
	anyPol := policy.Merge(flags, policy.AllowAny())
	if !anyPol.AllowsAny() || anyPol.Empty() {
		t.Fatalf("merge with AllowAny: AllowsAny %v Empty %v", anyPol.AllowsAny(), anyPol.Empty())
	}
	if d := anyPol.Decide("https://gitlab.com", "anyone"); !d.Allowed || d.Class != policy.ClassAny {
		t.Errorf("merge with AllowAny: %+v", d)
	}
}

func TestAllowAnyAndEmpty(t *testing.T) {
	p := policy.AllowAny()
	if p.Empty() || !p.AllowsAny() {
		t.Fatalf("AllowAny: Empty %v AllowsAny %v", p.Empty(), p.AllowsAny())
	}
	d := p.Decide("https://issuer.example", "who@example.com")
	if !d.Allowed || d.Class != policy.ClassAny || d.Source != wantSlug("https://issuer.example", "who@example.com") {
		t.Fatalf("AllowAny decided %+v", d)
	}

	var nilPolicy *policy.Policy
	if !nilPolicy.Empty() || nilPolicy.AllowsAny() {
		t.Fatal("a nil policy must be empty and must not allow any")
	}
	d = nilPolicy.Decide(ghIssuer, acmeIdentity)
	if d.Allowed || d.Source != wantSlug(ghIssuer, acmeIdentity) {
		t.Fatalf("nil policy decided %+v", d)
	}
	if (&policy.Policy{}).Decide(ghIssuer, acmeIdentity).Allowed {
		t.Fatal("the zero policy allowed a signer")
	}
	if !(&policy.Policy{}).Empty() {
		t.Fatal("the zero policy is not empty")
	}
}

// TestFirstMatchingEntryInFileOrderDecides: docs/signer-policy.md says "The
// first matching entry, in the file's order, decides the class and label".
func TestFirstMatchingEntryInFileOrderDecides(t *testing.T) {
	broad := `^https://github\.com/acme-gpu/.+$`
	t.Run("within a class", func(t *testing.T) {
		p := mustParse(t, "schemaVersion: \"1.0\"\ncommunity:\n  - label: first\n    issuer: "+ghIssuer+"\n    identityPattern: '"+broad+"'\n  - label: second\n    issuer: "+ghIssuer+"\n    identityPattern: '"+acmePattern+"'\n")
		if d := p.Decide(ghIssuer, acmeIdentity); d.Label != "first" {
			t.Fatalf("Decide = %+v, want the first entry", d)
		}
	})
	t.Run("across classes", func(t *testing.T) {
		p := mustParse(t, "schemaVersion: \"1.0\"\ncommunity:\n  - label: acme\n    issuer: "+ghIssuer+"\n    identityPattern: '"+acmePattern+"'\nmaintainers:\n  - label: all-of-acme\n    issuer: "+ghIssuer+"\n    identityPattern: '"+broad+"'\n")
		if d := p.Decide(ghIssuer, acmeIdentity); d.Class != policy.ClassMaintainer || d.Label != "all-of-acme" {
			t.Fatalf("Decide = %+v: classes are tried maintainers, community, partners, whatever the file's key order (docs/signer-policy.md)", d)
		}
	})
}

// A policy's maxAge tightens the verifier's maximum age; it cannot be 0 or
// malformed, and merging keeps the stricter one.
func TestPolicyMaxAge(t *testing.T) {
	base := "schemaVersion: \"1.0\"\ncommunity:\n  - issuer: https://token.actions.githubusercontent.com\n    identityPattern: ^https://github\\.com/a/b/\\.github/workflows/e\\.yml@refs/heads/main$\n"
	p, err := policy.Parse([]byte(base + "maxAge: 90d\n"))
	if err != nil || p.MaxAge() != 90*24*time.Hour {
		t.Fatalf("maxAge 90d: %v, %v", p.MaxAge(), err)
	}
	if q, err := policy.Parse([]byte(base)); err != nil || q.MaxAge() != 0 {
		t.Fatalf("no maxAge: %v, %v", q.MaxAge(), err)
	}
	for _, bad := range []string{"0", "0d", "-3d", "soon", "1.5d"} {
		if _, err := policy.Parse([]byte(base + "maxAge: " + bad + "\n")); err == nil || !strings.Contains(err.Error(), "maxAge") {
			t.Errorf("maxAge %q: %v", bad, err)
		}
	}
	q, _ := policy.Parse([]byte(base + "maxAge: 720h\n"))
	if m := policy.Merge(p, q).MaxAge(); m != 720*time.Hour {
		t.Errorf("merged maxAge %v, want the stricter 720h", m)
	}
	if m := policy.Merge(nil, p).MaxAge(); m != 90*24*time.Hour {
		t.Errorf("merged with nil: %v", m)
	}
	var none *policy.Policy
	if none.MaxAge() != 0 {
		t.Error("nil policy has a maxAge")
	}
}
