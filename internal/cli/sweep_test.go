package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/cli"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/sweep/sweeptest"
)

// verify-evidence sweep over a checkout: the JSON report on stdout, the
// Markdown report and the status page beside it, the worst verdict as the
// exit code, and a second run served by the cache.
func TestSweepCommand(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	out := t.TempDir()
	policyFile := filepath.Join("..", "..", "testdata", "examples", "policy.yaml")
	args := []string{"sweep", dir, "--trusted-root", trustedRoot, "--policy", policyFile, "--max-age", "0", "--format", "json",
		"--cache", filepath.Join(out, "cache"), "--markdown", filepath.Join(out, "status.md"), "--page", filepath.Join(out, "page")}
	r := run(t, nil, args...)
	r.want(t, cli.ExitFailing) // the h200 example shows a failed test
	var rep sweep.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, r.stdout)
	}
	if want := (sweep.Counts{Recipes: 3, Passed: 1, Failing: 1, Missing: 1}); rep.Counts != want || rep.Cache.Misses != 2 {
		t.Fatalf("counts %+v cache %+v", rep.Counts, rep.Cache)
	}
	if !strings.HasPrefix(rep.TrustRootDigest, "sha256:") || !strings.HasPrefix(rep.PolicyDigest, "sha256:") || rep.MaxAgeDays != 0 {
		t.Errorf("report header: %+v", rep)
	}
	if !strings.Contains(r.stderr, "3 recipes: 1 passed, 1 failing") {
		t.Errorf("stderr: %s", r.stderr)
	}
	for _, f := range []string{"status.md", "page/index.html", "page/report.json", "page/badges/h100-eks-ubuntu-training.json", "page/badges/b200-gke-cos-training.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	again := run(t, nil, args...)
	again.want(t, cli.ExitFailing)
	if !strings.Contains(again.stderr, "(0 verified, 2 from the cache)") {
		t.Errorf("second run: %s", again.stderr)
	}
	// Another policy (here: the same file, requiring full coverage) verifies again.
	other := run(t, nil, append(args, "--require-full-coverage")...)
	if !strings.Contains(other.stderr, "(2 verified, 0 from the cache)") {
		t.Errorf("changed policy: %s", other.stderr)
	}
	if u := run(t, nil, "sweep", dir, "--recipe", "x.yaml"); u.code != cli.ExitUsage {
		t.Errorf("--recipe: exit %d", u.code)
	}
	// The SCT opt-out is part of the policy digest: it verifies again.
	sct := run(t, nil, append(args, "--insecure-ignore-sct")...)
	if !strings.Contains(sct.stderr, "(2 verified, 0 from the cache)") {
		t.Errorf("--insecure-ignore-sct: %s", sct.stderr)
	}
	// Plain HTTP only to a loopback registry, as the action's input.
	for _, bad := range []string{"registry.example:5000", "10.0.0.1:5000", "127.0.0.1"} {
		if u := run(t, nil, "sweep", dir, "--registry-plain-http", bad); u.code != cli.ExitUsage || !strings.Contains(u.stderr, "not a registry on loopback") {
			t.Errorf("--registry-plain-http %s: exit %d: %s", bad, u.code, u.stderr)
		}
	}
	if u := run(t, nil, "sweep", dir, "--max-pointer-pulls", "0"); u.code != cli.ExitUsage {
		t.Errorf("--max-pointer-pulls 0: exit %d", u.code)
	}
}
