package policy_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/policy"
)

// The two patterns of issue 8, finding 7: they begin with ^ and end with $,
// but the first is a top-level alternation (^…main or release$) and the
// second has multi-line anchors.
const (
	issueAlternation = `^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main|release$`
	issueMultiLine   = `^(?m)https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main$`
	malloryRelease   = "https://github.com/mallory/anything/.github/workflows/x.yml@refs/heads/release"
)

func communityPolicy(pattern string) string {
	return "schemaVersion: \"1.0\"\ncommunity:\n  - label: acme\n    issuer: " + ghIssuer + "\n    identityPattern: '" + pattern + "'\n"
}

// TestAnchoringRefusesWhatIsNotWhollyAnchored (finding 7): a pattern is
// accepted only when every string it matches is matched in full; the refusal
// shows the fixed form — ^…$ when that is enough, else ^(?:…)$ — and that
// form is accepted.
func TestAnchoringRefusesWhatIsNotWhollyAnchored(t *testing.T) {
	tests := []struct {
		name, pattern, fixed string
	}{
		{"top-level alternation (issue)", issueAlternation, `^(?:https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main|release)$`},
		{"multi-line anchors after ^ (issue)", issueMultiLine, `^(?:(?m)https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main)$`},
		{"multi-line flag first", `(?m)^https://x$`, `^(?:(?m)^https://x)$`},
		{"one alternative unanchored at the end", `^https://a$|^https://b`, `^https://a$|^https://b$`},
		{"empty match or anything", `^$|.*`, `^(?:$|.*)$`},
		{"anchor in an optional group", `(^)?https://x$`, `^(^)?https://x$`},
		{"anchor in a repetition", `(?:^https://x)*$`, `^(?:^https://x)*$`},
		{"end anchor in an optional group", `^https://x($)?`, `^https://x($)?$`},
		{"alternation inside a group, end anchor in one branch", `^(https://a$|https://b)`, `^(https://a$|https://b)$`},
		{"escaped dollar", `^https://x\$`, `^https://x\$$`},
		{"line-start only", `(?m)^https://x\z`, `^(?:(?m)^https://x\z)$`},
		{"unanchored", `https://x`, `^https://x$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.Parse([]byte(communityPolicy(tc.pattern)))
			if err == nil {
				t.Fatalf("accepted %q", tc.pattern)
			}
			for _, w := range []string{"not anchored", "Use `" + tc.fixed + "`"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			if _, err := policy.Parse([]byte(communityPolicy(tc.fixed))); err != nil {
				t.Errorf("the suggested form %q is refused: %v", tc.fixed, err)
			}
			_, err = policy.FromFlags([]string{ghIssuer}, []string{tc.pattern})
			if err == nil || !strings.Contains(err.Error(), "--certificate-identity-regexp") || !strings.Contains(err.Error(), "not anchored") {
				t.Errorf("FromFlags: err %v, want a --certificate-identity-regexp anchoring error", err)
			}
		})
	}
}

// TestAnchoringAcceptsWhollyAnchored: anchors may be written once around a
// group, in every branch, with \A and \z, or under flags other than m.
func TestAnchoringAcceptsWhollyAnchored(t *testing.T) {
	for _, pattern := range []string{
		acmePattern,
		`^(?:https://a|https://b)$`,
		`^https://a$|^https://b$`,
		`^(https://a$|https://b$)`,
		`\Ahttps://x\z`,
		`(?i)^https://x$`,
		`^(?:(?m)^https://x)$`,
	} {
		if _, err := policy.Parse([]byte(communityPolicy(pattern))); err != nil {
			t.Errorf("Parse refused %q: %v", pattern, err)
		}
		if _, err := policy.FromFlags([]string{ghIssuer}, []string{pattern}); err != nil {
			t.Errorf("FromFlags refused %q: %v", pattern, err)
		}
	}
}

// TestIssueAlternationDoesNotTrustMallory: the issue's exploit, end to end
// through the anchored form. The fixed pattern allows acme's main and release
// branches and nothing of mallory's; the refused pattern allowed mallory as a
// maintainer.
func TestIssueAlternationDoesNotTrustMallory(t *testing.T) {
	src := "schemaVersion: \"1.0\"\nmaintainers:\n  - issuer: " + ghIssuer + "\n    identityPattern: '" + issueAlternation + "'\n"
	if p, err := policy.Parse([]byte(src)); err == nil {
		if d := p.Decide(ghIssuer, malloryRelease); d.Allowed {
			t.Fatalf("policy file trusts %s as %s", malloryRelease, d.Class)
		}
		t.Fatal("policy file accepted the half-anchored pattern")
	}
	if p, err := policy.FromFlags([]string{ghIssuer}, []string{issueAlternation}); err == nil {
		if d := p.Decide(ghIssuer, malloryRelease); d.Allowed {
			t.Fatalf("--certificate-identity-regexp trusts %s", malloryRelease)
		}
		t.Fatal("--certificate-identity-regexp accepted the half-anchored pattern")
	}
	fixed := `^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/(?:main|release)$`
	p, err := policy.FromFlags([]string{ghIssuer}, []string{fixed})
	if err != nil {
		t.Fatal(err)
	}
	if p.Decide(ghIssuer, malloryRelease).Allowed {
		t.Fatal("the fixed pattern trusts mallory")
	}
	for _, ref := range []string{"main", "release"} {
		if !p.Decide(ghIssuer, strings.TrimSuffix(acmeIdentity, "main")+ref).Allowed {
			t.Errorf("the fixed pattern refuses acme's %s", ref)
		}
	}
}

// FuzzAnchoring: a pattern the rule accepts matches a string only in full, so
// it decides every string as its ^(?:…)$ form does.
func FuzzAnchoring(f *testing.F) {
	for _, s := range []string{acmePattern, issueAlternation, issueMultiLine, `^$|.*`, `^(|.*)$`, `^a$|^b$`, `^(a$|b)`, `\Aa\z`, `(?i)^A$`, `^(?:(?m)^a)$`, `^a*$`} {
		f.Add(s, acmeIdentity)
		f.Add(s, "a\nb")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 256 {
			return
		}
		if _, err := policy.FromFlags([]string{ghIssuer}, []string{pattern}); err != nil {
			return
		}
		whole, err := regexp.Compile("^(?:" + pattern + ")$")
		if err != nil {
			t.Fatalf("accepted %q, but its ^(?:…)$ form does not compile: %v", pattern, err)
		}
		if got, want := regexp.MustCompile(pattern).MatchString(s), whole.MatchString(s); got != want {
			t.Fatalf("accepted %q: matches %q = %v, but in full = %v", pattern, s, got, want)
		}
	})
}
