package policy_test

import (
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/policy"
)

// FuzzParse: no policy file may panic or hang the parser; a parsed policy
// decides any signer without panicking, and an allowed signer's issuer is one
// the file names.
func FuzzParse(f *testing.F) {
	f.Add([]byte("schemaVersion: \"1.0\"\nmaintainers:\n  - label: ci\n    issuer: https://token.actions.githubusercontent.com\n    identityPattern: ^https://github\\.com/NVIDIA/aicr/\\.github/workflows/uat\\.yaml@refs/heads/.+$\n"), "https://token.actions.githubusercontent.com", "https://github.com/NVIDIA/aicr/.github/workflows/uat.yaml@refs/heads/main")
	f.Add([]byte("schemaVersion: \"1.0\"\ncommunity:\n  - issuer: https://accounts.google.com\n    source: 0123456789abcdef0123456789abcdef\n"), "https://accounts.google.com", "someone@example.com")
	f.Add([]byte("schemaVersion: 1.0\npartners: [{issuer: x, identityPattern: a}]\n"), "", "")
	f.Add([]byte("a: &a [*a]\n"), "i", "s")
	f.Fuzz(func(t *testing.T, b []byte, issuer, san string) {
		p, err := policy.Parse(b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") && !strings.Contains(string(b), "\n") {
				t.Fatalf("multi-line error for a one-line input: %q", err)
			}
			return
		}
		d := p.Decide(issuer, san)
		if d.Allowed && !strings.Contains(string(b), issuer) {
			t.Fatalf("allowed issuer %q that the policy does not name", issuer)
		}
		if len(d.Source) != 32 {
			t.Fatalf("source slug %q is not 32 hex digits", d.Source)
		}
	})
}
