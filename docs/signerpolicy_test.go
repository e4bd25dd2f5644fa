package docs_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/aicr/verify-evidence/internal/policy"
)

const signerIssuer = "https://token.actions.githubusercontent.com"

func signerPolicyDoc(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("signer-policy.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}

// policyYAMLBlocks returns the ```yaml examples of a document, in order.
func policyYAMLBlocks(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	for rest := text; ; {
		i := strings.Index(rest, "```yaml\n")
		if i < 0 {
			break
		}
		rest = rest[i+len("```yaml\n"):]
		j := strings.Index(rest, "```")
		if j < 0 {
			t.Fatal("unterminated yaml example")
		}
		out = append(out, rest[:j])
		rest = rest[j:]
	}
	return out
}

// signerCert is the certificate Fulcio issues to a push on main of repo's
// workflow, run on a GitHub-hosted runner.
func signerCert(repo, workflow string, edit func(e *certificate.Extensions)) certificate.Summary {
	san := "https://github.com/" + repo + "/" + workflow + "@refs/heads/main"
	e := certificate.Extensions{
		Issuer: signerIssuer, SourceRepositoryURI: "https://github.com/" + repo, SourceRepositoryRef: "refs/heads/main",
		BuildSignerURI: san, BuildConfigURI: san, BuildTrigger: "push", RunnerEnvironment: "github-hosted",
	}
	if edit != nil {
		edit(&e)
	}
	return certificate.Summary{SubjectAlternativeName: san, Extensions: e}
}

// The example policies in signer-policy.md parse and decide as the text says,
// and the documented shell command computes the same source slug as the
// verifier.
func TestSignerPolicyDoc(t *testing.T) {
	blocks := policyYAMLBlocks(t, signerPolicyDoc(t))
	if len(blocks) != 3 {
		t.Fatalf("signer-policy.md has %d yaml examples, want the policy file, the minimal policy and the recommended entry", len(blocks))
	}
	minimal, err := policy.Parse([]byte(blocks[1]))
	if err != nil {
		t.Fatalf("the minimal policy does not parse: %v", err)
	}
	if d := minimal.DecideCertificate(signerCert("NVIDIA/aicr", ".github/workflows/evidence.yaml", nil)); !d.Allowed || d.Class != policy.ClassMaintainer {
		t.Fatalf("the minimal policy does not trust the maintainers' workflow on main: %+v", d)
	}
	for name, edit := range map[string]func(e *certificate.Extensions){
		"self-hosted runner": func(e *certificate.Extensions) { e.RunnerEnvironment = "self-hosted" },
		"another ref":        func(e *certificate.Extensions) { e.SourceRepositoryRef = "refs/heads/dev" },
	} {
		if d := minimal.DecideCertificate(signerCert("NVIDIA/aicr", ".github/workflows/evidence.yaml", edit)); d.Allowed {
			t.Errorf("the minimal policy trusts a %s: %+v", name, d)
		}
	}
	p, err := policy.Parse([]byte(blocks[0]))
	if err != nil {
		t.Fatalf("the documented policy does not parse: %v", err)
	}
	if !p.RequiresFullCoverage() {
		t.Error("the documented requireFullCoverage: true is not read")
	}
	d := p.Decide(signerIssuer, "https://github.com/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/heads/main")
	if !d.Allowed || d.Class != policy.ClassCommunity || d.Label != "acme-gpu-lab" {
		t.Fatalf("documented community entry: %+v", d)
	}
	if d := p.Decide(signerIssuer, "https://github.com/evil/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/heads/main"); d.Allowed {
		t.Fatal("a lookalike identity is allowed")
	}
	uat := signerCert("NVIDIA/aicr", ".github/workflows/uat-aws.yaml", nil)
	if d := p.DecideCertificate(uat); !d.Allowed || d.Label != "aicr-uat-aws" {
		t.Fatalf("documented maintainers entry: %+v", d)
	}
	if d := p.DecideCertificate(signerCert("NVIDIA/aicr", ".github/workflows/uat-aws.yaml", func(e *certificate.Extensions) { e.RunnerEnvironment = "self-hosted" })); d.Allowed {
		t.Fatalf("documented maintainers entry allows a self-hosted runner: %+v", d)
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

// TestSignerPolicyDocRecommended: the recommended maintainers entry trusts
// the maintainers' workflow run on main and refuses what the text says it
// refuses: another branch, a re-created repository, a pull_request_target
// run, a self-hosted runner, and a stranger calling the workflow.
func TestSignerPolicyDocRecommended(t *testing.T) {
	blocks := policyYAMLBlocks(t, signerPolicyDoc(t))
	p, err := policy.Parse([]byte(blocks[len(blocks)-1]))
	if err != nil {
		t.Fatalf("the recommended policy does not parse: %v", err)
	}
	if strings.Contains(blocks[len(blocks)-1], "refs/heads/.+") {
		t.Error("the recommended policy trusts any branch")
	}
	ids := func(e *certificate.Extensions) {
		e.SourceRepositoryIdentifier, e.SourceRepositoryOwnerIdentifier = "123456789", "1728152"
	}
	cert := func(edit func(e *certificate.Extensions)) certificate.Summary {
		return signerCert("NVIDIA/aicr", ".github/workflows/uat-aws.yaml", func(e *certificate.Extensions) {
			ids(e)
			if edit != nil {
				edit(e)
			}
		})
	}
	if d := p.DecideCertificate(cert(nil)); !d.Allowed || d.Class != policy.ClassMaintainer {
		t.Fatalf("the maintainers' run is not trusted: %+v", d)
	}
	for name, c := range map[string]certificate.Summary{
		"another branch": func() certificate.Summary {
			c := cert(func(e *certificate.Extensions) { e.SourceRepositoryRef = "refs/heads/evil" })
			c.SubjectAlternativeName = "https://github.com/NVIDIA/aicr/.github/workflows/uat-aws.yaml@refs/heads/evil"
			return c
		}(),
		"re-created repository": cert(func(e *certificate.Extensions) { e.SourceRepositoryIdentifier = "987654321" }),
		"pull_request_target":   cert(func(e *certificate.Extensions) { e.BuildTrigger = "pull_request_target" }),
		"self-hosted runner":    cert(func(e *certificate.Extensions) { e.RunnerEnvironment = "self-hosted" }),
		"a stranger's caller": cert(func(e *certificate.Extensions) {
			e.BuildConfigURI = "https://github.com/mallory/x/.github/workflows/y.yml@refs/heads/main"
		}),
	} {
		if d := p.DecideCertificate(c); d.Allowed {
			t.Errorf("%s is trusted: %+v", name, d)
		}
	}
}

// TestSignerPolicyDocAnchoring: every pattern the anchoring table lists is
// refused, and the fixed forms the text gives are accepted.
func TestSignerPolicyDocAnchoring(t *testing.T) {
	text := signerPolicyDoc(t)
	i := strings.Index(text, "## Anchored patterns")
	j := strings.Index(text[i:], "\n## ")
	if i < 0 || j < 0 {
		t.Fatal("signer-policy.md has no Anchored patterns section")
	}
	section := text[i : i+j]
	row := regexp.MustCompile("(?m)^\\| (`.*`) \\| ")
	span := regexp.MustCompile("`([^`]+)`")
	n := 0
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		for _, s := range span.FindAllStringSubmatch(m[1], -1) {
			pattern := strings.ReplaceAll(s[1], `\|`, "|") // a pipe escaped for the table
			n++
			if _, err := policy.FromFlags([]string{signerIssuer}, []string{pattern}); err == nil || !strings.Contains(err.Error(), "not anchored") {
				t.Errorf("documented as refused, but %q gives %v", pattern, err)
			}
		}
	}
	if n < 8 {
		t.Fatalf("found %d refused patterns in the table", n)
	}
	for _, fixed := range []string{
		`^(?:https://github\.com/acme/x/…@refs/heads/main|release)$`,
		`^https://github\.com/acme/x/\.github/workflows/evidence\.yml@refs/heads/(?:main|release)$`,
	} {
		if !strings.Contains(section, "`"+fixed+"`") {
			t.Errorf("the section no longer shows %s", fixed)
		}
		if _, err := policy.FromFlags([]string{signerIssuer}, []string{fixed}); err != nil {
			t.Errorf("documented fix %q is refused: %v", fixed, err)
		}
	}
}
