package action_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/testutil"
)

const (
	e2eRepo     = "acme/recipes"
	e2eIssuer   = "https://token.actions.githubusercontent.com"
	e2eIdentity = "^https://github\\.com/acme-gpu/recipe-evidence/\\.github/workflows/evidence\\.yml@refs/heads/main$"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// actionBinary builds the real verify-evidence binary once per test run.
func actionBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "verify-evidence-e2e")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "verify-evidence")
		// A release version, as the image has: the sweep caches only
		// under a known verifier version.
		cmd := exec.Command("go", "build", "-ldflags", "-X main.version=v0.0.0-e2e", "-o", binPath, ".")
		cmd.Dir = testutil.RepoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func example(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run is one action run: what the runner would see.
type run struct {
	code    int
	stdout  string
	outputs map[string]string
	summary string
	// workspace is the run's GITHUB_WORKSPACE.
	workspace string
}

// runAction runs the binary with exactly the environment a GitHub runner gives a
// container action on a pull_request event.
func runAction(t *testing.T, srv *githubtest.Server, event []byte, eventName string, inputs map[string]string, workspace ...map[string][]byte) run {
	t.Helper()
	return runActionWrapped(t, nil, srv, event, eventName, inputs, workspace...)
}

// runActionWrapped is runAction with the binary run under wrap (a command
// and its arguments, e.g. /usr/bin/time -v -o FILE; nil: none).
func runActionWrapped(t *testing.T, wrap []string, srv *githubtest.Server, event []byte, eventName string, inputs map[string]string, workspace ...map[string][]byte) run {
	t.Helper()
	ws := t.TempDir()
	for _, files := range workspace {
		for name, b := range files {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(ws, name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(ws, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The settings (trusted root, policy) are read at the tip of the default
	// branch: the examples', and the extra files given, live there.
	settings := map[string][]byte{
		"trusted_root.json": example(t, "testdata/examples/trusted_root.json"),
		"policy.yaml":       example(t, "testdata/examples/policy.yaml"),
	}
	for _, files := range workspace {
		for name, b := range files {
			settings[name] = b
		}
	}
	var tree []githubtest.TreeFile
	for name, b := range settings {
		tree = append(tree, githubtest.TreeFile{Path: name, Content: b})
	}
	srv.Fake.SetTree(e2eRepo, "main", tree)
	fc := t.TempDir()
	eventPath := filepath.Join(fc, "event.json")
	outPath := filepath.Join(fc, "set_output_1")
	sumPath := filepath.Join(fc, "step_summary_1")
	for _, p := range []string{outPath, sumPath} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(eventPath, event, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"GITHUB_ACTIONS=true", "CI=true", "GITHUB_EVENT_NAME=" + eventName, "GITHUB_EVENT_PATH=" + eventPath,
		"GITHUB_REPOSITORY=" + e2eRepo, "GITHUB_REPOSITORY_OWNER=acme", "GITHUB_API_URL=" + srv.URL(),
		"GITHUB_SERVER_URL=https://github.com", "GITHUB_RUN_ID=4242", "GITHUB_RUN_ATTEMPT=1", "GITHUB_WORKSPACE=" + ws,
		"GITHUB_OUTPUT=" + outPath, "GITHUB_STEP_SUMMARY=" + sumPath, "RUNNER_TEMP=" + t.TempDir(),
		"INPUT_GITHUB-TOKEN=ghs_test", "INPUT_TRUSTED-ROOT=trusted_root.json", "INPUT_POLICY=policy.yaml",
		"INPUT_MAX-AGE=0", "INPUT_RECIPE-PATHS=recipes/**/*.yaml", "INPUT_EVIDENCE-DIR=recipes/evidence",
		"INPUT_FAIL-ON=invalid", "INPUT_COMMENT=auto", "INPUT_MODE=verify",
	}
	for k, v := range inputs {
		env = append(env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	bin := actionBinary(t) // built before the clock starts: a busy machine builds slowly
	limit := 2 * time.Minute
	if wrap != nil {
		limit = 10 * time.Minute // benchmarks
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	argv := append(append([]string{}, wrap...), bin, "action")
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = ws
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
	return run{code: code, stdout: stdout.String() + stderr.String(), outputs: parseOutputs(t, outRaw), summary: string(sum), workspace: ws}
}

// parseOutputs reads the runner's GITHUB_OUTPUT file format (name<<DELIM … DELIM).
func parseOutputs(t *testing.T, b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		name, delim, ok := strings.Cut(line, "<<")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT line %q is not name<<delimiter", line)
		}
		var val []string
		for sc.Scan() && sc.Text() != delim {
			val = append(val, sc.Text())
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func newServer(t *testing.T, opts ...githubtest.Option) *githubtest.Server {
	return githubtest.NewServer(t, append([]githubtest.Option{githubtest.WithToken("ghs_test")}, opts...)...)
}

func prEvent(t *testing.T, srv *githubtest.Server, number int, headSHA, headRepo string) []byte {
	return githubtest.PullRequestEvent(t, "synchronize", githubtest.EventPR{Repo: e2eRepo, Number: number, HeadSHA: headSHA, BaseSHA: sha('b'), HeadRepo: headRepo})
}

func sha(c byte) string { return strings.Repeat(string(c), 40) }

func recipeFile(name string) string { return "recipes/" + name + ".yaml" }
func bundleFile(name string) string { return "recipes/evidence/" + name + "/evidence-bundle.tar.gz" }
func h100Files(t *testing.T) []githubtest.File {
	return []githubtest.File{
		{Path: recipeFile("h100-eks-ubuntu-training"), Status: "added", Content: example(t, "testdata/examples/inputs/h100-eks-ubuntu-training/recipe.yaml")},
		{Path: bundleFile("h100-eks-ubuntu-training"), Status: "added", Content: example(t, "testdata/examples/h100-eks-ubuntu-training/evidence-bundle.tar.gz")},
	}
}
func h200Files(t *testing.T) []githubtest.File {
	return []githubtest.File{
		{Path: recipeFile("h200-oke-ubuntu-inference"), Status: "added", Content: example(t, "testdata/examples/inputs/h200-oke-ubuntu-inference/recipe.yaml")},
		{Path: bundleFile("h200-oke-ubuntu-inference"), Status: "added", Content: example(t, "testdata/examples/h200-oke-ubuntu-inference/evidence-bundle.tar.gz")},
	}
}

func stickyComments(srv *githubtest.Server, pr int) []githubtest.Comment {
	var out []githubtest.Comment
	for _, c := range srv.Fake.Comments(e2eRepo, pr) {
		if strings.Contains(c.Body, "aicr/verify-evidence: sticky report") {
			out = append(out, c)
		}
	}
	return out
}

// Same-repo PR: the comment is created, edited when the PR changes, and left
// alone when nothing changed.
func TestActionSameRepoStickyComment(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 7, HeadSHA: sha('1'), BaseSHA: sha('b')}, h100Files(t))
	r := runAction(t, srv, prEvent(t, srv, 7, sha('1'), ""), "pull_request", nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if r.outputs["verdict"] != "passed" || r.outputs["passed"] != "1" || r.outputs["comment-id"] == "" {
		t.Fatalf("outputs %v\n%s", r.outputs, r.stdout)
	}
	cs := stickyComments(srv, 7)
	if len(cs) != 1 || cs[0].User.Login != "github-actions[bot]" || !strings.Contains(cs[0].Body, "✅ **Evidence verified** for 1 recipe(s).") {
		t.Fatalf("comments after run 1: %+v", cs)
	}
	if !strings.Contains(r.summary, "h100-eks-ubuntu-training") {
		t.Errorf("job summary lacks the recipe:\n%s", r.summary)
	}
	// Second run: the PR now also carries the h200 evidence (a failing run).
	srv2 := newServer(t)
	srv2.Fake.AddComment(e2eRepo, 7, githubtest.ActionsBot, cs[0].Body)
	srv2.Fake.AddComment(e2eRepo, 7, githubtest.User{Login: "mallory", Type: "User"}, "<!-- aicr/verify-evidence: sticky report --> fake")
	srv2.Fake.AddPR(e2eRepo, githubtest.PR{Number: 7, HeadSHA: sha('2'), BaseSHA: sha('b')}, append(h100Files(t), h200Files(t)...))
	r = runAction(t, srv2, prEvent(t, srv2, 7, sha('2'), ""), "pull_request", nil)
	if r.code != 0 || r.outputs["verdict"] != "failing" || r.outputs["failing"] != "1" {
		t.Fatalf("run 2: exit %d, outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	all := srv2.Fake.Comments(e2eRepo, 7)
	if len(all) != 2 || all[0].Edits != 1 || !strings.Contains(all[0].Body, "h200-oke-ubuntu-inference") || all[1].Body != "<!-- aicr/verify-evidence: sticky report --> fake" {
		t.Fatalf("run 2 must edit the bot's comment only: %+v", all)
	}
	// Third run, same head: nothing to change, no PATCH.
	r = runAction(t, srv2, prEvent(t, srv2, 7, sha('2'), ""), "pull_request", nil)
	if r.code != 0 {
		t.Fatalf("run 3: exit %d\n%s", r.code, r.stdout)
	}
	if n := srv2.Fake.Calls()["PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"]; n != 1 {
		t.Fatalf("PATCH calls after run 3 = %d, want 1 (only run 2 edits)", n)
	}
	if srv2.Fake.Comments(e2eRepo, 7)[0].Edits != 1 {
		t.Fatal("run 3 edited the unchanged comment")
	}
	// fail-on failing turns the genuine failure into a failed job.
	r = runAction(t, srv2, prEvent(t, srv2, 7, sha('2'), ""), "pull_request", map[string]string{"fail-on": "failing"})
	if r.code != 1 {
		t.Fatalf("fail-on failing: exit %d, want 1", r.code)
	}
}

// Fork PR with a read-only token: no comment, summary and annotations instead,
// and the exit code still follows fail-on.
func TestActionForkReadOnly(t *testing.T) {
	srv := newServer(t, githubtest.WithReadOnly())
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 9, HeadSHA: sha('3'), BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h200Files(t))
	r := runAction(t, srv, prEvent(t, srv, 9, sha('3'), "forker/recipes"), "pull_request", map[string]string{"fail-on": "failing"})
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (failing evidence, fail-on failing)\n%s", r.code, r.stdout)
	}
	if len(srv.Fake.Comments(e2eRepo, 9)) != 0 {
		t.Fatal("a comment was written with a read-only token")
	}
	if !strings.Contains(r.stdout, "::warning::") || !strings.Contains(r.stdout, "read-only") {
		t.Errorf("no read-only warning:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "::warning file=recipes/h200-oke-ubuntu-inference.yaml") {
		t.Errorf("no annotation on the recipe file:\n%s", r.stdout)
	}
	if !strings.Contains(r.summary, "h200-oke-ubuntu-inference") || r.outputs["verdict"] != "failing" {
		t.Errorf("summary/outputs: %v\n%s", r.outputs, r.summary)
	}
}

// A tampered bundle is invalid and fails the job under the default fail-on.
func TestActionTamperedBundle(t *testing.T) {
	files := h100Files(t)
	c, err := archive.Read(context.Background(), bytes.NewReader(files[1].Content), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []archive.Entry
	for _, f := range c.Files() {
		data, _ := c.Document(f.Path)
		if f.Path == "ctrf/performance.json" {
			data = bytes.Replace(data, []byte(`"failed": 0`), []byte(`"failed": 0 `), 1)
		}
		entries = append(entries, archive.Entry{Path: f.Path, Data: data})
	}
	var buf bytes.Buffer
	if err := archive.Write(&buf, entries, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	files[1].Content = buf.Bytes()
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 11, HeadSHA: sha('4'), BaseSHA: sha('b')}, files)
	r := runAction(t, srv, prEvent(t, srv, 11, sha('4'), ""), "pull_request", nil)
	if r.code != 1 || r.outputs["verdict"] != "invalid" || r.outputs["invalid"] != "1" {
		t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	if !strings.Contains(r.stdout, "::error file=recipes/h100-eks-ubuntu-training.yaml") {
		t.Errorf("no error annotation:\n%s", r.stdout)
	}
	cs := stickyComments(srv, 11)
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "❌ invalid") {
		t.Fatalf("comment: %+v", cs)
	}
}

// An evidence-only PR still verifies the bundle against the recipe at the head.
func TestActionEvidenceOnlyPR(t *testing.T) {
	srv := newServer(t)
	files := h100Files(t)
	srv.Fake.SetTree(e2eRepo, sha('5'), []githubtest.TreeFile{{Path: files[0].Path, Content: files[0].Content}, {Path: files[1].Path, Content: files[1].Content}})
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 12, HeadSHA: sha('5'), BaseSHA: sha('b')}, []githubtest.File{{Path: files[1].Path, Status: "modified", Content: files[1].Content}})
	r := runAction(t, srv, prEvent(t, srv, 12, sha('5'), ""), "pull_request", nil)
	if r.code != 0 || r.outputs["verdict"] != "passed" || r.outputs["passed"] != "1" {
		t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	cs := stickyComments(srv, 12)
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "✅ resolved") {
		t.Fatalf("the bundle was not checked against the head recipe: %+v", cs)
	}
}

// A recipe in the PR that differs from the bundle's recipe is reported path by path.
func TestActionRecipeDiffers(t *testing.T) {
	files := h100Files(t)
	files[0].Content = bytes.Replace(files[0].Content, []byte("accelerator: h100"), []byte("accelerator: h200"), 1)
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 13, HeadSHA: sha('6'), BaseSHA: sha('b')}, files)
	r := runAction(t, srv, prEvent(t, srv, 13, sha('6'), ""), "pull_request", nil)
	if r.code != 1 || r.outputs["verdict"] != "invalid" {
		t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	body := stickyComments(srv, 13)[0].Body
	if !strings.Contains(body, "criteria") || !strings.Contains(body, "h200") || !strings.Contains(body, "PR says") {
		t.Fatalf("comment does not show the differing path:\n%s", body)
	}
}

// The overlay form: a RecipeMetadata overlay in the PR whose chain sets a value
// the bundle's recipe does not hold.
func TestActionOverlayDiffers(t *testing.T) {
	files := h100Files(t)
	overlay := []byte("kind: RecipeMetadata\napiVersion: aicr.run/v1alpha2\nmetadata:\n  name: h100-eks-ubuntu-training\nspec:\n  base: eks\n  criteria:\n    service: eks\n    accelerator: h100\n    os: ubuntu\n    intent: training\n")
	base := []byte("kind: RecipeMetadata\napiVersion: aicr.run/v1alpha2\nmetadata:\n  name: eks\nspec:\n  criteria:\n    service: eks\n  constraints:\n    - name: K8s.server.version\n      value: '>= 1.34'\n")
	files[0] = githubtest.File{Path: "recipes/overlays/h100-eks-ubuntu-training.yaml", Status: "added", Content: overlay}
	srv := newServer(t)
	srv.Fake.SetTree(e2eRepo, sha('7'), []githubtest.TreeFile{
		{Path: "recipes/overlays/eks.yaml", Content: base},
		{Path: files[0].Path, Content: overlay},
		{Path: files[1].Path, Content: files[1].Content},
	})
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 14, HeadSHA: sha('7'), BaseSHA: sha('b')}, files)
	r := runAction(t, srv, prEvent(t, srv, 14, sha('7'), ""), "pull_request", nil)
	body := ""
	if cs := stickyComments(srv, 14); len(cs) == 1 {
		body = cs[0].Body
	}
	if r.code != 1 || r.outputs["verdict"] != "invalid" || !strings.Contains(body, "K8s.server.version") {
		t.Fatalf("exit %d outputs %v\ncomment:\n%s\nlog:\n%s", r.code, r.outputs, body, r.stdout)
	}
}

// 250 changed files with 40 recipes: every recipe verified, and the API calls
// stay within 1 PR call + ⌈files/100⌉ list calls + 1 blob per bundle and recipe
// + 2 comment calls.
func TestActionManyRecipesCallBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("signs 40 bundles")
	}
	inst, err := sigstoretest.New(sigstoretest.Options{Name: "e2e", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := inst.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	id := sigstoretest.GitHubActionsIdentity("acme-gpu/recipe-evidence", ".github/workflows/evidence.yml", "refs/heads/main", sha('c'), 1)
	var files []githubtest.File
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("h100-eks-ubuntu-training-%02d", i)
		in, err := assemble.LoadInputs(filepath.Join(testutil.RepoRoot(t), "testdata/examples/inputs/h100-eks-ubuntu-training"), name)
		if err != nil {
			t.Fatal(err)
		}
		in.Recipe = append(in.Recipe, []byte(fmt.Sprintf("x-variant: %d\n", i))...)
		in.AttestedAt, in.AICRVersion = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), "v0.18.0"
		b, err := assemble.Build(in)
		if err != nil {
			t.Fatal(err)
		}
		if b.Attestation, err = inst.SignStatement(context.Background(), b.Statement, sigstoretest.SignOptions{Identity: id, Time: time.Date(2026, 11, 20, 9, 1, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := b.Write(&buf); err != nil {
			t.Fatal(err)
		}
		files = append(files, githubtest.File{Path: recipeFile(name), Status: "added", Content: in.Recipe},
			githubtest.File{Path: bundleFile(name), Status: "added", Content: buf.Bytes()})
	}
	for i := 0; len(files) < 250; i++ {
		files = append(files, githubtest.File{Path: fmt.Sprintf("docs/notes/note-%03d.md", i), Status: "added", Content: []byte(fmt.Sprintf("note %d\n", i))})
	}
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 15, HeadSHA: sha('8'), BaseSHA: sha('b')}, files)
	r := runAction(t, srv, prEvent(t, srv, 15, sha('8'), ""), "pull_request", nil, map[string][]byte{"trusted_root.json": trJSON})
	if r.code != 0 || r.outputs["verdict"] != "passed" || r.outputs["passed"] != "40" {
		t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	total := srv.Fake.Total()
	// PR, 3 pages of files, 80 blobs, comment list+create; the default
	// branch (repository, its ref, tree, policy and trusted-root blobs); GET
	// /user (the comment author, refused to installation tokens); the PR read
	// again before the comment is written.
	budget := 1 + 3 + 80 + 2 + 5 + 1 + 1
	t.Logf("40 recipes, 250 files: %d GitHub API calls (budget %d): %v", total, budget, srv.Fake.Calls())
	if total > budget {
		t.Fatalf("%d API calls, budget %d: %v", total, budget, srv.Fake.Calls())
	}
}

// Untrusted text in the PR never reaches the log as a workflow command.
func TestActionNeutralisesWorkflowCommands(t *testing.T) {
	files := h100Files(t)
	files[0].Path = "recipes/h100-eks-ubuntu-training.yaml"
	files = append(files, githubtest.File{Path: "recipes/evidence/x::error::forged/evidence-bundle.tar.gz", Status: "added", Content: []byte("not a bundle")})
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 22, HeadSHA: sha('a'), BaseSHA: sha('b')}, files)
	r := runAction(t, srv, prEvent(t, srv, 22, sha('a'), ""), "pull_request", nil)
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "::error::forged") || strings.Contains(line, "::error::forged") {
			t.Fatalf("a PR-controlled string became a workflow command: %q", line)
		}
	}
	if r.outputs["verdict"] != "invalid" {
		t.Fatalf("orphan bundle must be invalid: %v\n%s", r.outputs, r.stdout)
	}
}

// comment: auto posts nothing on a PR without evidence, but rewrites an
// earlier report that no longer applies.
func TestActionAutoCommentNothingToVerify(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 23, HeadSHA: sha('c'), BaseSHA: sha('b')}, []githubtest.File{{Path: "README.md", Status: "modified", Content: []byte("docs\n")}})
	r := runAction(t, srv, prEvent(t, srv, 23, sha('c'), ""), "pull_request", nil)
	if r.code != 0 || len(srv.Fake.Comments(e2eRepo, 23)) != 0 || r.outputs["verdict"] != "passed" {
		t.Fatalf("nothing to verify: exit %d, comments %+v, outputs %v", r.code, srv.Fake.Comments(e2eRepo, 23), r.outputs)
	}
	srv.Fake.AddComment(e2eRepo, 23, githubtest.ActionsBot, "<!-- aicr/verify-evidence: sticky report -->\nold report: ❌ invalid")
	r = runAction(t, srv, prEvent(t, srv, 23, sha('c'), ""), "pull_request", nil)
	cs := srv.Fake.Comments(e2eRepo, 23)
	if r.code != 0 || len(cs) != 1 || !strings.Contains(cs[0].Body, "No recipe evidence to verify") {
		t.Fatalf("the stale report was not rewritten: exit %d, %+v\n%s", r.code, cs, r.stdout)
	}
}

// Finding 1 of issue 8 (bundle substitution): a PR that puts the h100 bundle
// in h200's evidence folder is invalid, whatever else it changes. A decoy
// resolved recipe whose metadata.name claims h200 must not make the action plan
// the PR differently (the fast path once named it by metadata.name, the
// planner by its file name, and the h100 bundle passed as h200's evidence).
func TestActionBundleSubstitutionWithDecoy(t *testing.T) {
	h100, h200 := h100Files(t), h200Files(t)
	commented := append(append([]byte("# a comment: the canonical digest does not change\n"), h100[0].Content...), []byte("# end\n")...)
	decoy := []byte("kind: RecipeResult\napiVersion: aicr.run/v1alpha2\nmetadata:\n  name: h200-oke-ubuntu-inference\ncriteria:\n  service: oke\n")
	for _, tc := range []struct {
		name  string
		decoy bool
	}{{"without decoy", false}, {"with decoy", true}} {
		t.Run(tc.name, func(t *testing.T) {
			tree := []githubtest.TreeFile{
				{Path: h100[0].Path, Content: commented},
				{Path: h100[1].Path, Content: h100[1].Content},
				{Path: h200[0].Path, Content: h200[0].Content},
				{Path: h200[1].Path, Content: h100[1].Content}, // (a) the h100 bundle in h200's folder
			}
			changed := []githubtest.File{
				{Path: h200[1].Path, Status: "modified", Content: h100[1].Content},
				{Path: h100[0].Path, Status: "modified", Content: commented}, // (b)
			}
			if tc.decoy {
				tree = append(tree, githubtest.TreeFile{Path: "recipes/decoy.yaml", Content: decoy})
				changed = append(changed, githubtest.File{Path: "recipes/decoy.yaml", Status: "added", Content: decoy}) // (c)
			}
			srv := newServer(t)
			srv.Fake.SetTree(e2eRepo, sha('d'), tree)
			// The base: both recipes with their own bundles (the planner reads a
			// modified recipe file at the base to see whether it was an overlay).
			srv.Fake.SetTree(e2eRepo, sha('b'), []githubtest.TreeFile{
				{Path: h100[0].Path, Content: h100[0].Content}, {Path: h100[1].Path, Content: h100[1].Content},
				{Path: h200[0].Path, Content: h200[0].Content}, {Path: h200[1].Path, Content: h200[1].Content},
			})
			srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 24, HeadSHA: sha('d'), BaseSHA: sha('b')}, changed)
			r := runAction(t, srv, prEvent(t, srv, 24, sha('d'), ""), "pull_request", nil)
			body := ""
			if cs := stickyComments(srv, 24); len(cs) == 1 {
				body = cs[0].Body
			}
			if r.code != 1 || r.outputs["verdict"] != "invalid" {
				t.Fatalf("exit %d outputs %v\ncomment:\n%s\nlog:\n%s", r.code, r.outputs, body, r.stdout)
			}
			if !strings.Contains(body, `the bundle is evidence for recipe \"h100-eks-ubuntu-training\", not \"h200-oke-ubuntu-inference\"`) &&
				!strings.Contains(body, `the bundle is evidence for recipe "h100-eks-ubuntu-training", not "h200-oke-ubuntu-inference"`) {
				t.Fatalf("the comment does not name the substitution:\n%s", body)
			}
		})
	}
}

// A signer pinned through the action's inputs, with a certificate-extension
// requirement: the comment labels it "action inputs", and a requirement the
// certificate does not meet makes the bundle invalid.
func TestActionPinnedSignerInputs(t *testing.T) {
	pin := map[string]string{
		"policy":                            "no-signers.yaml",
		"certificate-oidc-issuer":           "https://token.actions.githubusercontent.com",
		"certificate-identity-regexp":       `^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main$`,
		"certificate-source-repository-ref": "refs/heads/main",
	}
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 31, HeadSHA: sha('3'), BaseSHA: sha('b')}, h100Files(t))
	// A policy file that trusts someone else: only the inputs can trust the example's signer.
	noSigners := map[string][]byte{"no-signers.yaml": []byte("schemaVersion: \"1.0\"\npartners:\n  - issuer: https://token.actions.githubusercontent.com\n    identityPattern: ^https://github\\.com/someone-else/x/\\.github/workflows/e\\.yml@refs/heads/main$\n")}
	r := runAction(t, srv, prEvent(t, srv, 31, sha('3'), ""), "pull_request", pin, noSigners)
	cs := stickyComments(srv, 31)
	if r.code != 0 || r.outputs["verdict"] != "passed" || len(cs) != 1 {
		t.Fatalf("exit %d, outputs %v, %d comments\n%s", r.code, r.outputs, len(cs), r.stdout)
	}
	if !strings.Contains(cs[0].Body, "action inputs") || strings.Contains(cs[0].Body, "command-line") {
		t.Errorf("the comment does not label the signer as pinned through the action's inputs:\n%s", cs[0].Body)
	}

	pin["certificate-source-repository-ref"] = "refs/heads/release"
	srv2 := newServer(t)
	srv2.Fake.AddPR(e2eRepo, githubtest.PR{Number: 32, HeadSHA: sha('4'), BaseSHA: sha('b')}, h100Files(t))
	r2 := runAction(t, srv2, prEvent(t, srv2, 32, sha('4'), ""), "pull_request", pin, noSigners)
	if r2.code != 1 || r2.outputs["verdict"] != "invalid" {
		t.Fatalf("a certificate that does not meet the pinned ref: exit %d, outputs %v\n%s", r2.code, r2.outputs, r2.stdout)
	}
}
