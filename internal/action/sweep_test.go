package action_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/github/githubtest"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/sweep/sweeptest"
)

// runSweepMode runs the binary in sweep mode on a schedule event, with ws as
// the workspace, as a runner would.
func runSweepMode(t *testing.T, srv *githubtest.Server, ws string, inputs map[string]string) run {
	t.Helper()
	return runSweepModeCommitted(t, srv, ws, inputs, nil)
}

// commitTree serves, as the tree of sweepSHA, the workspace's regular files
// but the sweep folder's (the workflow restores that from its cache), plus
// committed.
func commitTree(t *testing.T, srv *githubtest.Server, ws string, committed []string) {
	t.Helper()
	var tree []githubtest.TreeFile
	err := filepath.WalkDir(ws, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(ws, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, ".verify-evidence-sweep/") && !slices.Contains(committed, rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		tree = append(tree, githubtest.TreeFile{Path: rel, Content: b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Fake.SetTree(e2eRepo, sweepSHA, tree)
}

// sweepSHA is the commit the scheduled run checked out.
var sweepSHA = strings.Repeat("5", 40)

// runSweepModeCommitted is runSweepMode where the repository at the
// checked-out commit holds the workspace's files (the sweep folder excepted:
// the workflow restores it from its cache) plus committed, paths relative to
// the workspace that the repository holds too.
func runSweepModeCommitted(t *testing.T, srv *githubtest.Server, ws string, inputs map[string]string, committed []string) run {
	t.Helper()
	commitTree(t, srv, ws, committed)
	for name, rel := range map[string]string{"trusted_root.json": "testdata/examples/trusted_root.json", "policy.yaml": "testdata/examples/policy.yaml"} {
		if err := os.WriteFile(filepath.Join(ws, name), example(t, rel), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fc := t.TempDir()
	eventPath, outPath, sumPath := filepath.Join(fc, "event.json"), filepath.Join(fc, "output"), filepath.Join(fc, "summary")
	for p, b := range map[string]string{eventPath: `{"schedule":"17 3 * * *"}`, outPath: "", sumPath: ""} {
		if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"GITHUB_ACTIONS=true", "CI=true", "GITHUB_EVENT_NAME=schedule", "GITHUB_EVENT_PATH=" + eventPath,
		"GITHUB_REPOSITORY=" + e2eRepo, "GITHUB_REPOSITORY_OWNER=acme", "GITHUB_API_URL=" + srv.URL(),
		"GITHUB_SERVER_URL=https://github.com", "GITHUB_RUN_ID=4343", "GITHUB_RUN_ATTEMPT=1", "GITHUB_WORKSPACE=" + ws,
		"GITHUB_REF=refs/heads/main", "GITHUB_SHA=" + sweepSHA,
		"GITHUB_OUTPUT=" + outPath, "GITHUB_STEP_SUMMARY=" + sumPath, "RUNNER_TEMP=" + t.TempDir(),
		"INPUT_GITHUB-TOKEN=ghs_test", "INPUT_TRUSTED-ROOT=trusted_root.json", "INPUT_POLICY=policy.yaml",
		"INPUT_RECIPE-PATHS=recipes/**/*.yaml", "INPUT_EVIDENCE-DIR=recipes/evidence",
		"INPUT_FAIL-ON=never", "INPUT_COMMENT=auto", "INPUT_MODE=sweep", "INPUT_SWEEP-DIR=.verify-evidence-sweep",
		"INPUT_STATUS-PAGE-URL=https://acme.github.io/recipes/",
	}
	for k, v := range inputs {
		env = append(env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	bin := actionBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "action")
	cmd.Env, cmd.Dir = env, ws
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run action: %v\n%s", err, stderr.String())
	}
	outRaw, _ := os.ReadFile(outPath)
	sum, _ := os.ReadFile(sumPath)
	return run{code: code, stdout: stdout.String() + stderr.String(), outputs: parseOutputs(t, outRaw), summary: string(sum)}
}

// The scheduled sweep keeps one "Evidence status" issue, end to end against
// the fake GitHub API: the first run creates it (a failing recipe, evidence
// about to expire, a recipe without evidence); the same state edits nothing;
// a recipe changed without new evidence edits it and says so; a clean
// checkout closes it. The page, the report and the cache are kept in the
// sweep folder between runs, as actions/cache keeps them.
func TestSweepModeKeepsIssue(t *testing.T) {
	srv := newServer(t)
	srv.AddRepo(e2eRepo, false)
	ws := sweeptest.Checkout(t, false)
	// A maximum age that makes the h100 example expire in 20 days from today.
	attested := time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC)
	maxAge := fmt.Sprintf("%dd", int(time.Since(attested).Hours()/24)+20)
	in := map[string]string{"max-age": maxAge}

	first := runSweepMode(t, srv, ws, in)
	if first.code != 0 || first.outputs["issue-number"] == "" {
		t.Fatalf("first sweep: exit %d, outputs %v\n%s", first.code, first.outputs, first.stdout)
	}
	if first.outputs["passed"] != "1" || first.outputs["failing"] != "1" || first.outputs["missing"] != "1" || first.outputs["expiring"] != "1" || first.outputs["verdict"] != "failing" {
		t.Errorf("first sweep outputs: %v", first.outputs)
	}
	issues := srv.Issues(e2eRepo)
	if len(issues) != 1 || issues[0].State != "open" || issues[0].Title != sweep.IssueTitle || issues[0].User.Login != githubtest.ActionsBot.Login ||
		strings.Join(issues[0].Labels, ",") != sweep.IssueLabel {
		t.Fatalf("issues after the first sweep: %+v", issues)
	}
	body := issues[0].Body
	for _, want := range []string{"Invalid, failing or undecided (1)", "<code>h200-oke-ubuntu-inference</code>", "Expiring within 30 days (1)",
		"<code>h100-eks-ubuntu-training</code>", "Without evidence (1)", "<code>b200-gke-cos-training</code>", `<a href="https://acme.github.io/recipes/">`} {
		if !strings.Contains(body, want) {
			t.Errorf("issue body lacks %q:\n%s", want, body)
		}
	}
	for _, f := range []string{"report.json", "page/index.html", "page/report.json", "page/badges/h100-eks-ubuntu-training.json"} {
		if _, err := os.Stat(filepath.Join(ws, ".verify-evidence-sweep", f)); err != nil {
			t.Errorf("sweep folder: %v", err)
		}
	}
	if !strings.Contains(first.summary, "# Evidence status") {
		t.Errorf("job summary: %s", first.summary)
	}

	srv.ResetCounts()
	second := runSweepMode(t, srv, ws, in)
	if second.code != 0 || !strings.Contains(second.stdout, "(0 verified, 2 from the cache)") || !strings.Contains(second.stdout, "evidence status issue: unchanged") {
		t.Fatalf("second sweep: exit %d\n%s", second.code, second.stdout)
	}
	if n := srv.Calls()[githubtest.EndpointUpdateIssue] + srv.Calls()[githubtest.EndpointCreateIssue]; n != 0 {
		t.Errorf("unchanged state wrote the issue %d times", n)
	}

	// The recipe changes; its evidence does not.
	p := filepath.Join(ws, "recipes", "h100-eks-ubuntu-training.yaml")
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, bytes.Replace(b, []byte("nodes: 0"), []byte("nodes: 8"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	third := runSweepMode(t, srv, ws, in)
	if third.code != 0 || !strings.Contains(third.stdout, "evidence status issue: updated") {
		t.Fatalf("third sweep: exit %d\n%s", third.code, third.stdout)
	}
	body = srv.Issues(e2eRepo)[0].Body
	if !strings.Contains(body, "Invalid, failing or undecided (2)") || !strings.Contains(body, "| recipe changed |") {
		t.Errorf("issue after the recipe changed:\n%s", body)
	}

	// Everything fine: only the passing example, with a year to go.
	for _, rm := range []string{"recipes/h200-oke-ubuntu-inference.yaml", "recipes/evidence/h200-oke-ubuntu-inference", "recipes/b200-gke-cos-training.yaml"} {
		if err := os.RemoveAll(filepath.Join(ws, rm)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	fourth := runSweepMode(t, srv, ws, map[string]string{"max-age": "3650d"})
	if fourth.code != 0 || !strings.Contains(fourth.stdout, "evidence status issue: closed") {
		t.Fatalf("fourth sweep: exit %d\n%s", fourth.code, fourth.stdout)
	}
	if is := srv.Issues(e2eRepo); len(is) != 1 || is[0].State != "closed" || !strings.Contains(is[0].Body, "All 1 recipes have evidence that passes") {
		t.Errorf("issue after a clean sweep: %+v", is)
	}
}

// The sweep folder is written to: a checkout that makes it a link elsewhere
// is refused before anything is written.
func TestSweepModeRefusesLinkedSweepDir(t *testing.T) {
	srv := newServer(t)
	srv.AddRepo(e2eRepo, false)
	ws := sweeptest.Checkout(t, false)
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(ws, ".verify-evidence-sweep")); err != nil {
		t.Fatal(err)
	}
	r := runSweepMode(t, srv, ws, nil)
	if r.code != 3 || !strings.Contains(r.stdout, "input sweep-dir") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 || len(srv.Issues(e2eRepo)) != 0 {
		t.Errorf("wrote through the link: %v", entries)
	}
}
