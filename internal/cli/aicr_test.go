package cli_test

import (
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/cli"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// issue 9's "Done when" command for the bundle AICR signed, given as its
// summary-bundle directory: passed with --insecure-ignore-sct (and the report
// says the SCT was not checked), invalid without it.
func TestVerifyAICRSignedDirectory(t *testing.T) {
	root := testutil.SharedTestdata(t, "aicr-upstream-bundles")
	args := []string{"verify",
		"--trusted-root", root + "/trusted_root.json",
		"--certificate-oidc-issuer", "https://oidc.fake-sigstore.invalid",
		"--certificate-identity-regexp", `^https://github\.com/fake-org/fake-aicr/\.github/workflows/evidence-publish\.yaml@refs/heads/main$`,
		"--max-age", "0",
		root + "/bundles/v1-eks-signed-pushed/summary-bundle"}
	r := run(t, nil, append(args[:len(args)-1:len(args)-1], "--insecure-ignore-sct", args[len(args)-1])...)
	r.want(t, cli.ExitPassed)
	if !strings.Contains(r.stdout, "--insecure-ignore-sct") {
		t.Errorf("the report does not say the SCT was not checked:\n%s", r.stdout)
	}
	r = run(t, nil, args...)
	r.want(t, cli.ExitInvalid)
	if !strings.Contains(r.stdout, "no SCT") {
		t.Errorf("report:\n%s", r.stdout)
	}
	for _, b := range []string{"v1-eks-minimal", "v2-aks-profile-minimal", "cli-publish-nosign", "v1-eks-full"} {
		run(t, nil, "inspect", root+"/bundles/"+b+"/summary-bundle").want(t, cli.ExitPassed)
	}
	run(t, nil, "inspect", root+"/bundles/v1-eks-failed-phase/summary-bundle").want(t, cli.ExitFailing)
}
