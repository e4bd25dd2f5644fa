package cli_test

import (
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/cli"
)

// The half-anchored pattern of issue 8, finding 7 (top-level alternation),
// and an identity it would have trusted.
const vtAlternation = `^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main|release$`

// TestVerifyCmdRefusesHalfAnchoredPatterns (finding 7): a pattern that begins
// with ^ and ends with $ but is not anchored as a whole is a usage error, on
// the command line and in a policy file, and the message shows the fix.
func TestVerifyCmdRefusesHalfAnchoredPatterns(t *testing.T) {
	fixed := `^(?:https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main|release)$`
	for _, pattern := range []string{vtAlternation, `^(?m)https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main$`} {
		r := vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--max-age", "0",
			"--certificate-oidc-issuer", vtIssuer, "--certificate-identity-regexp", pattern).want(t, cli.ExitUsage)
		r.mentions(t, "stderr", "--certificate-identity-regexp", "not anchored")
	}
	r := vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--max-age", "0",
		"--certificate-oidc-issuer", vtIssuer, "--certificate-identity-regexp", vtAlternation).want(t, cli.ExitUsage)
	r.mentions(t, "stderr", fixed)

	pol := vtWrite(t, "policy.yaml", []byte("schemaVersion: \"1.0\"\nmaintainers:\n  - issuer: "+vtIssuer+"\n    identityPattern: '"+vtAlternation+"'\n"))
	r = vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--max-age", "0", "--policy", pol).want(t, cli.ExitUsage)
	r.mentions(t, "stderr", "maintainers[0]", "not anchored")
}

// TestVerifyCmdCertificateRequirements: the --certificate-* requirement flags
// are checked against the example signer's certificate (a push on
// refs/heads/main of acme-gpu/recipe-evidence, github-hosted; its test
// certificate carries no numeric repository IDs).
func TestVerifyCmdCertificateRequirements(t *testing.T) {
	meets := []string{"--certificate-source-repository-uri", "https://github.com/acme-gpu/recipe-evidence",
		"--certificate-source-repository-ref", "refs/heads/main",
		"--certificate-build-signer-uri", vtIdentity,
		"--certificate-build-trigger", "workflow_dispatch", "--certificate-build-trigger", "push",
		"--certificate-runner-environment", "github-hosted", "--format", "json"}
	out := vtRun(t, vtPinned(vtH100, meets...)...).stdout
	m := vtJSON(t, out)
	if c := vtCheck(t, m, "identity"); c["status"] != "passed" || !strings.Contains(c["detail"].(string), "shows what the policy requires") || !strings.Contains(out, "runnerEnvironment github-hosted, buildTrigger workflow_dispatch or push") {
		t.Errorf("identity check %v, want passed with the requirements named", c)
	}
	if sig, _ := m["signature"].(map[string]any); sig["allowed"] != true || sig["class"] != "command-line" {
		t.Errorf("signature %v", sig)
	}

	for _, tc := range []struct {
		name   string
		args   []string
		detail string
	}{
		{"another trigger", []string{"--certificate-build-trigger", "workflow_dispatch"}, `BuildTrigger to be "workflow_dispatch", got "push"`},
		{"a self-hosted runner required", []string{"--certificate-runner-environment", "self-hosted"}, "RunnerEnvironment"},
		{"a repository ID the certificate does not show", []string{"--certificate-source-repository-identifier", "812345678"}, "SourceRepositoryIdentifier"},
		{"another repository", []string{"--certificate-source-repository-uri", "https://github.com/acme-gpu/recipe-evidence-fork"}, "SourceRepositoryURI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := vtRun(t, vtPinned(vtH100, append(tc.args, "--format", "json")...)...).want(t, cli.ExitInvalid)
			c := vtCheck(t, vtJSON(t, r.stdout), "identity")
			if d, _ := c["detail"].(string); c["status"] != "failed" || !strings.Contains(d, tc.detail) || !strings.Contains(d, "not on the list") {
				t.Errorf("identity check %v, want failed mentioning %q", c, tc.detail)
			}
		})
	}
}

func TestVerifyCmdCertificateRequirementUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"requirement without pins", []string{"verify", vtH100, "--trusted-root", vtRoot, "--allow-any-signer", "--certificate-runner-environment", "github-hosted"}, "--certificate-identity-regexp"},
		{"malformed repository ID", vtPinned(vtH100, "--certificate-source-repository-identifier", "acme"), "--certificate-source-repository-identifier"},
		{"unknown runner environment", vtPinned(vtH100, "--certificate-runner-environment", "hosted"), "github-hosted or self-hosted"},
		{"short ref", vtPinned(vtH100, "--certificate-source-repository-ref", "main"), "--certificate-source-repository-ref"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vtRun(t, tc.args...).want(t, cli.ExitUsage).mentions(t, "stderr", tc.want)
		})
	}
}
