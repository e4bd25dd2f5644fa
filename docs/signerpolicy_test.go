package docs_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/policy"
)

// The example policy in signer-policy.md parses, and the documented shell
// command computes the same source slug as the verifier.
func TestSignerPolicyDoc(t *testing.T) {
	doc, err := os.ReadFile("signer-policy.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i := strings.Index(text, "```yaml\n")
	j := strings.Index(text[i+8:], "```")
	if i < 0 || j < 0 {
		t.Fatal("signer-policy.md: no yaml example")
	}
	p, err := policy.Parse([]byte(text[i+8 : i+8+j]))
	if err != nil {
		t.Fatalf("the documented policy does not parse: %v", err)
	}
	const iss = "https://token.actions.githubusercontent.com"
	d := p.Decide(iss, "https://github.com/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/heads/main")
	if !d.Allowed || d.Class != policy.ClassCommunity || d.Label != "acme-gpu-lab" {
		t.Fatalf("documented community entry: %+v", d)
	}
	if d := p.Decide(iss, "https://github.com/evil/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/heads/main"); d.Allowed {
		t.Fatal("a lookalike identity is allowed")
	}
	const identity = "jane@example.com"
	out, err := exec.Command("bash", "-c", `ISSUER=https://github.com/login/oauth IDENTITY=`+identity+`; printf '%s\n%s' "$ISSUER" "$IDENTITY" | sha256sum | cut -c1-32`).Output()
	if err != nil {
		t.Skipf("bash/sha256sum unavailable: %v", err)
	}
	if got, want := strings.TrimSpace(string(out)), policy.SourceSlug("https://github.com/login/oauth", identity); got != want {
		t.Fatalf("documented command gives %s, verifier computes %s", got, want)
	}
}
