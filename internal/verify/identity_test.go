package verify_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/verify"
)

// acmeIDs is the acme-gpu signer with the numeric repository and owner IDs
// GitHub puts in its tokens, certified by the test Fulcio.
func acmeIDs(edit func(e *sigstoretest.Identity)) sigstoretest.Identity {
	id := sigstoretest.GitHubActionsIdentity("acme-gpu/recipe-evidence", ".github/workflows/evidence.yml", "refs/heads/main", tamperSHA, 12345678901)
	id.Extensions.SourceRepositoryIdentifier = "812345678"
	id.Extensions.SourceRepositoryOwnerIdentifier = "98765432"
	if edit != nil {
		edit(&id)
	}
	return id
}

// identityCheck signs the base inputs as id with the test Sigstore instance,
// verifies the bundle under pol and returns the signer check and the result.
func identityCheck(t *testing.T, id sigstoretest.Identity, pol *policy.Policy) (verify.Check, *verify.Result) {
	t.Helper()
	fx := tamperSetup(t)
	files := fx.mustBuildSigned(t, fx.inputs(t, nil, nil), fx.a, sigstoretest.SignOptions{Identity: id})
	cfg := fx.config()
	cfg.Policy = pol
	v, err := verify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := v.Verify(context.Background(), bytes.NewReader(tamperPack(t, files)), verify.Options{Name: "identity"})
	c, ok := res.Check(verify.CheckIdentity)
	if !ok {
		t.Fatalf("the identity check did not run:\n%s", tamperDescribe(res))
	}
	if sc, _ := res.Check(verify.CheckSignature); sc.Status != verify.StatusPassed {
		t.Fatalf("signature check %s: %s", sc.Status, sc.Detail)
	}
	return c, res
}

// TestIdentityRequiresCertificateExtensions: a policy entry's certificate
// requirements are checked against the extensions of the verified Fulcio
// certificate. The SAN alone names a workflow file at a ref; a renamed or
// re-created repository, a pull_request_target run or a self-hosted runner
// has the same SAN and is refused by the numeric IDs, the trigger or the
// runner environment.
func TestIdentityRequiresCertificateExtensions(t *testing.T) {
	const entry = `schemaVersion: "1.0"
maintainers:
  - label: acme-ci
    issuer: https://token.actions.githubusercontent.com
    identityPattern: ^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main$
    sourceRepositoryURI: https://github.com/acme-gpu/recipe-evidence
    sourceRepositoryIdentifier: 812345678
    sourceRepositoryOwnerIdentifier: "98765432"
    sourceRepositoryRef: refs/heads/main
    buildSignerURI: https://github.com/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/heads/main
    buildTriggers: [push, workflow_dispatch]
    runnerEnvironment: github-hosted
`
	pol, err := policy.Parse([]byte(entry))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the certificate meets every requirement", func(t *testing.T) {
		c, res := identityCheck(t, acmeIDs(nil), pol)
		if c.Status != verify.StatusPassed || res.Signature.Class != string(policy.ClassMaintainer) || res.Signature.Label != "acme-ci" {
			t.Fatalf("identity %s: %s (class %q)", c.Status, c.Detail, res.Signature.Class)
		}
		if r := rowValue(c, "required"); !strings.Contains(c.Detail, "shows what the policy requires") || !strings.Contains(r, "sourceRepositoryIdentifier 812345678") {
			t.Errorf("detail %q does not say what the certificate was required to show", c.Detail)
		}
	})
	refused := []struct {
		name, unmet string
		edit        func(e *sigstoretest.Identity)
	}{
		{"repository re-created under the same name", `SourceRepositoryIdentifier to be "812345678", got "999"`, func(e *sigstoretest.Identity) { e.Extensions.SourceRepositoryIdentifier = "999" }},
		{"owner re-created under the same name", `SourceRepositoryOwnerIdentifier`, func(e *sigstoretest.Identity) { e.Extensions.SourceRepositoryOwnerIdentifier = "1" }},
		{"certificate without repository IDs", `SourceRepositoryIdentifier`, func(e *sigstoretest.Identity) {
			e.Extensions.SourceRepositoryIdentifier, e.Extensions.SourceRepositoryOwnerIdentifier = "", ""
		}},
		{"pull_request_target run", `BuildTrigger to be "workflow_dispatch", got "pull_request_target"`, func(e *sigstoretest.Identity) {
			e.Extensions.BuildTrigger, e.Extensions.GithubWorkflowTrigger = "pull_request_target", "pull_request_target"
		}},
		{"self-hosted runner", `RunnerEnvironment to be "github-hosted", got "self-hosted"`, func(e *sigstoretest.Identity) { e.Extensions.RunnerEnvironment = "self-hosted" }},
		{"run for another ref", `SourceRepositoryRef`, func(e *sigstoretest.Identity) { e.Extensions.SourceRepositoryRef = "refs/pull/7/merge" }},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			c, res := identityCheck(t, acmeIDs(tc.edit), pol)
			if c.Status != verify.StatusFailed || c.Verdict != verify.VerdictInvalid || res.Signature.Allowed {
				t.Fatalf("identity %s/%s (%s), want failed/invalid", c.Status, c.Verdict, c.Detail)
			}
			for _, w := range []string{"not on the list", `entry "acme-ci"`, tc.unmet} {
				if !strings.Contains(c.Detail, w) {
					t.Errorf("detail %q does not mention %q", c.Detail, w)
				}
			}
			if res.Verdict != verify.VerdictInvalid {
				t.Errorf("verdict %s, want invalid", res.Verdict)
			}
		})
	}
}

// TestIdentityReusableWorkflowNeedsTheCaller: for a reusable workflow the SAN
// (and the Build Signer URI) name the called workflow, so a pattern over the
// SAN trusts every repository that calls it. Requiring the source repository
// (or the Build Config URI, the caller) refuses a stranger's call.
func TestIdentityReusableWorkflowNeedsTheCaller(t *testing.T) {
	const reusable = "https://github.com/acme-gpu/workflows/.github/workflows/sign-evidence.yml@refs/heads/main"
	calledBy := func(repo string) sigstoretest.Identity {
		return acmeIDs(func(e *sigstoretest.Identity) {
			e.SAN, e.Extensions.BuildSignerURI = reusable, reusable
			e.Extensions.SourceRepositoryURI = "https://github.com/" + repo
			e.Extensions.BuildConfigURI = "https://github.com/" + repo + "/.github/workflows/evidence.yml@refs/heads/main"
		})
	}
	pins := policy.Pins{Class: policy.ClassActionInputs, Issuers: []string{tamperIssuer}, IdentityRegexps: []string{`^https://github\.com/acme-gpu/workflows/\.github/workflows/sign-evidence\.yml@refs/heads/main$`}}
	sanOnly, err := policy.FromPins(pins)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := identityCheck(t, calledBy("mallory/x"), sanOnly); c.Status != verify.StatusPassed {
		t.Fatalf("identity %s (%s): the SAN-only pin should trust any caller; the test no longer shows why the requirement is needed", c.Status, c.Detail)
	}
	pins.Require.BuildConfigURI = "https://github.com/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/heads/main"
	withCaller, err := policy.FromPins(pins)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := identityCheck(t, calledBy("mallory/x"), withCaller); c.Status != verify.StatusFailed || !strings.Contains(c.Detail, "BuildConfigURI") {
		t.Errorf("a stranger's call of the reusable workflow: identity %s (%s), want failed on BuildConfigURI", c.Status, c.Detail)
	}
	c, res := identityCheck(t, calledBy("acme-gpu/recipe-evidence"), withCaller)
	if c.Status != verify.StatusPassed {
		t.Fatalf("acme's own call: identity %s (%s)", c.Status, c.Detail)
	}
	// A signer pinned through the action's inputs is labelled as such.
	if res.Signature.Class != "action inputs" || !strings.Contains(c.Detail, "trusted as action inputs") {
		t.Errorf("class %q, detail %q: want the action-inputs label", res.Signature.Class, c.Detail)
	}
}

func rowValue(c verify.Check, key string) string {
	for _, r := range c.Rows {
		if r.Key == key {
			return r.Value
		}
	}
	return ""
}
