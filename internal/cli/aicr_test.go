package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/cli"
	"github.com/aicr/verify-evidence/internal/oci/ocitest"
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

// The pointer form on the command line: passed through a registry started on
// loopback (--plain-http); exit 3 (error, not invalid) when the registry is
// unreachable.
func TestVerifyAICRPointer(t *testing.T) {
	root := testutil.SharedTestdata(t, "aicr-upstream-bundles")
	args := []string{"verify", "--plain-http", "--insecure-ignore-sct", "--max-age", "0",
		"--trusted-root", root + "/trusted_root.json",
		"--certificate-oidc-issuer", "https://oidc.fake-sigstore.invalid",
		"--certificate-identity-regexp", `^https://github\.com/fake-org/fake-aicr/\.github/workflows/evidence-publish\.yaml@refs/heads/main$`,
		root + "/bundles/v1-eks-signed-pushed/pointer.yaml"}
	t.Run("unreachable", func(t *testing.T) {
		// The same pointer naming a closed port (the real address may be
		// served by another package's test meanwhile).
		b, err := os.ReadFile(args[len(args)-1])
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "pointer.yaml")
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "127.0.0.1:5000", "127.0.0.1:9")), 0o644); err != nil {
			t.Fatal(err)
		}
		r := run(t, nil, append(append([]string(nil), args[:len(args)-1]...), p)...)
		r.want(t, cli.ExitError)
		if !strings.Contains(r.stdout, "connection refused") {
			t.Errorf("report:\n%s", r.stdout)
		}
	})
	ocitest.Start(t, "127.0.0.1:5000")
	ocitest.PushLayout(t, root+"/registry/oci-layout-aicr-evidence", "127.0.0.1:5000", "aicr-evidence")
	r := run(t, nil, args...)
	r.want(t, cli.ExitPassed)
	if !strings.Contains(r.stdout, "Pointer file") || !strings.Contains(r.stdout, "OCI artifact pulled") {
		t.Errorf("report:\n%s", r.stdout)
	}
	run(t, nil, "inspect", "--plain-http", root+"/bundles/cli-publish-nosign/pointer.yaml").want(t, cli.ExitPassed)
}
