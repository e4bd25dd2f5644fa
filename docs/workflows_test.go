package docs_test

// Checks of the GitHub workflows: this repository's own (.github/workflows) and the consumer
// examples that docs/action.md publishes (docs/workflows). actionlint v1.7.12 lints them all
// (syntax, expressions, permissions, known actions' inputs, `uses: ./` against action.yml);
// the other tests pin down what docs/action.md promises about them: every third-party action
// pinned by commit SHA, the action's inputs spelled as action.yml declares them, and the
// privilege split of the fork-safe pair. TestDockerfileContract checks the container image's
// recipe statically (scripts/container-test.sh builds and runs it).

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const (
	actionlintVersion = "v1.7.12"
	actionlintModule  = "github.com/rhysd/actionlint/cmd/actionlint"
	// The action as consumers reference it in docs/workflows.
	actionRef = "aicr/verify-evidence@"
)

// repoRoot (thirdparty_test.go) is the repository root seen from this package's folder.

func workflowFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{".github/workflows/*.yml", ".github/workflows/*.yaml", "docs/workflows/*.yml", "docs/workflows/*.yaml"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	for _, want := range []string{
		".github/workflows/ci.yml", ".github/workflows/self-test.yml", ".github/workflows/release.yml",
		"docs/workflows/stage1-verify.yml", "docs/workflows/stage2-gate.yml", "docs/workflows/sweep.yml",
	} {
		if !slices.Contains(files, filepath.Join(repoRoot, want)) {
			t.Errorf("workflow %s is missing", want)
		}
	}
	return files
}

// toolsDir is where scripts/test.sh installs test tools.
func toolsDir() string {
	if d := os.Getenv("VERIFY_EVIDENCE_TOOLS"); d != "" {
		return d
	}
	c, err := os.UserCacheDir() // $XDG_CACHE_HOME or ~/.cache
	if err != nil {
		return ""
	}
	return filepath.Join(c, "verify-evidence", "bin")
}

// findActionlint returns the actionlint binary: the tools folder first, then PATH. Absent, the
// test is skipped with the install command — or fails under CI=true, where it must be present.
func findActionlint(t *testing.T) string {
	t.Helper()
	dir := toolsDir()
	if dir != "" {
		p := filepath.Join(dir, "actionlint")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	if p, err := exec.LookPath("actionlint"); err == nil {
		return p
	}
	msg := fmt.Sprintf("actionlint not found in %s or PATH; install it with: GOBIN=%s go install %s@%s",
		dir, dir, actionlintModule, actionlintVersion)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true requires it)", msg)
	}
	t.Skip(msg)
	return ""
}

func TestWorkflowsActionlint(t *testing.T) {
	files := workflowFiles(t)
	bin := findActionlint(t)
	ver, err := exec.Command(bin, "-version").Output()
	if err != nil {
		t.Fatalf("%s -version: %v", bin, err)
	}
	first, _, _ := strings.Cut(string(ver), "\n")
	if first != actionlintVersion {
		t.Logf("note: %s is %s; the pinned version is %s", bin, first, actionlintVersion)
	}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		t.Logf("actionlint %s, run: scripts checked with %s", first, sc)
	} else {
		t.Logf("actionlint %s; shellcheck not on PATH, so run: scripts are not shellchecked", first)
	}
	args := []string{"-no-color", "-oneline"}
	for _, f := range files {
		rel, err := filepath.Rel(repoRoot, f)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, rel)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot // `uses: ./` resolves against the repository root's action.yml
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 {
			t.Fatalf("actionlint found problems:\n%s", out.String())
		}
		t.Fatalf("actionlint: %v\n%s", err, out.String())
	}
	t.Logf("actionlint: %d workflow files clean", len(files))
}

// workflow is the part of a workflow file these tests read.
type workflow struct {
	Name        string                  `yaml:"name"`
	On          yaml.Node               `yaml:"on"`
	Permissions yaml.Node               `yaml:"permissions"`
	Jobs        map[string]*workflowJob `yaml:"jobs"`
}

type workflowJob struct {
	Permissions yaml.Node `yaml:"permissions"`
	Steps       []step    `yaml:"steps"`
}

type step struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
}

// label names a step in messages: its id, else its name, else what it uses.
func (s step) label() string {
	for _, v := range []string{s.ID, s.Name, s.Uses} {
		if v != "" {
			return v
		}
	}
	return "(unnamed)"
}

func loadWorkflow(t *testing.T, rel string) *workflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return &w
}

// events lists the workflow's trigger names (on: a string, a list or a mapping).
func (w *workflow) events() []string {
	switch w.On.Kind {
	case yaml.ScalarNode:
		return []string{w.On.Value}
	case yaml.SequenceNode:
		var out []string
		for _, n := range w.On.Content {
			out = append(out, n.Value)
		}
		return out
	case yaml.MappingNode:
		var out []string
		for i := 0; i < len(w.On.Content); i += 2 {
			out = append(out, w.On.Content[i].Value)
		}
		return out
	}
	return nil
}

// permissions decodes a permissions node: a map, or "read-all"/"write-all" as {"*": …}.
func permissions(t *testing.T, n yaml.Node) map[string]string {
	t.Helper()
	switch n.Kind {
	case 0:
		return nil
	case yaml.ScalarNode:
		return map[string]string{"*": n.Value}
	}
	var m map[string]string
	if err := n.Decode(&m); err != nil {
		t.Fatalf("permissions: %v", err)
	}
	return m
}

func (w *workflow) steps() []step {
	var out []step
	names := make([]string, 0, len(w.Jobs))
	for k := range w.Jobs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		out = append(out, w.Jobs[k].Steps...)
	}
	return out
}

var pinnedUses = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)

func TestWorkflowsPinActionsBySHA(t *testing.T) {
	for _, f := range workflowFiles(t) {
		rel, _ := filepath.Rel(repoRoot, f)
		w := loadWorkflow(t, rel)
		for _, s := range w.steps() {
			switch {
			case s.Uses == "":
			case strings.HasPrefix(s.Uses, "./"):
			case strings.HasPrefix(s.Uses, actionRef) && strings.HasPrefix(rel, "docs/"):
				// The examples show the action's major tag; docs/action.md tells consumers to
				// pin a release's commit SHA.
			case strings.HasPrefix(s.Uses, "docker://"):
				if !strings.Contains(s.Uses, "@sha256:") {
					t.Errorf("%s: %s is not pinned by digest", rel, s.Uses)
				}
			case !pinnedUses.MatchString(s.Uses):
				t.Errorf("%s: uses %s is not pinned to a full commit SHA", rel, s.Uses)
			}
		}
	}
}

// actionInputs reads the input names of ../action.yml.
func actionInputs(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	var a struct {
		Inputs  map[string]any `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
		Runs    struct {
			Using string `yaml:"using"`
			Image string `yaml:"image"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "docker" {
		t.Errorf("action.yml runs.using = %q, want docker", a.Runs.Using)
	}
	in := map[string]bool{}
	for k := range a.Inputs {
		in[k] = true
	}
	return in
}

// Input values the docs and the examples rely on.
var inputValues = map[string][]string{
	"fail-on": {"invalid", "failing", "missing", "never"},
	"comment": {"auto", "always", "never"},
	"mode":    {"verify", "comment", "sweep"},
}

func TestWorkflowsUseDeclaredInputs(t *testing.T) {
	inputs := actionInputs(t)
	for _, f := range workflowFiles(t) {
		rel, _ := filepath.Rel(repoRoot, f)
		for _, s := range loadWorkflow(t, rel).steps() {
			if s.Uses != "./" && !strings.HasPrefix(s.Uses, actionRef) {
				continue
			}
			for k, v := range s.With {
				if !inputs[k] {
					t.Errorf("%s: step %q passes input %q, which action.yml does not declare", rel, s.label(), k)
				}
				if allowed, ok := inputValues[k]; ok && !slices.Contains(allowed, v) {
					t.Errorf("%s: step %q: %s: %q, want one of %v", rel, s.label(), k, v, allowed)
				}
			}
		}
	}
}

// The privilege split that docs/action.md describes.
func TestForkSafeWorkflows(t *testing.T) {
	files := workflowFiles(t)
	for _, f := range files {
		rel, _ := filepath.Rel(repoRoot, f)
		w := loadWorkflow(t, rel)
		if slices.Contains(w.events(), "pull_request_target") {
			t.Errorf("%s: pull_request_target is not used by this project (docs/action.md explains why)", rel)
		}
		for _, s := range w.steps() {
			// Event fields (branch names, titles) are attacker-chosen: never in a shell.
			if strings.Contains(s.Run, "${{ github.event.") || strings.Contains(s.Run, "${{github.event.") {
				t.Errorf("%s: step %q interpolates an event field into run:", rel, s.label())
			}
		}
	}

	// Least privilege: nothing at the top of the documented workflows, each job
	// asks for its own; no path filters (the gate must run on every PR).
	for _, rel := range []string{"docs/workflows/stage1-verify.yml", "docs/workflows/stage2-gate.yml"} {
		w := loadWorkflow(t, rel)
		if p := permissions(t, w.Permissions); w.Permissions.Kind == 0 || len(p) != 0 {
			t.Errorf("%s: top-level permissions %v, want {} (per-job grants)", rel, p)
		}
		var on map[string]struct {
			Paths       []string `yaml:"paths"`
			PathsIgnore []string `yaml:"paths-ignore"`
			Branches    []string `yaml:"branches"`
		}
		if err := w.On.Decode(&on); err != nil {
			t.Fatalf("%s: on: %v", rel, err)
		}
		for ev, f := range on {
			if len(f.Paths)+len(f.PathsIgnore) > 0 {
				t.Errorf("%s: %s has a paths filter: a PR that stops touching recipes would keep its old report, and a required check would wait forever", rel, ev)
			}
		}
	}

	s1 := loadWorkflow(t, "docs/workflows/stage1-verify.yml")
	if got := s1.events(); !slices.Equal(got, []string{"pull_request"}) {
		t.Errorf("stage1-verify.yml triggers on %v, want [pull_request]", got)
	}
	var on1 struct {
		PullRequest struct {
			Types []string `yaml:"types"`
		} `yaml:"pull_request"`
	}
	if err := s1.On.Decode(&on1); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(on1.PullRequest.Types, "edited") || !slices.Contains(on1.PullRequest.Types, "synchronize") {
		t.Errorf("stage1-verify.yml pull_request types %v: want synchronize and edited (a retargeted base runs again)", on1.PullRequest.Types)
	}
	noWrite := func(name string, p map[string]string) {
		for k, v := range p {
			if v != "read" && v != "none" {
				t.Errorf("%s: permission %s: %s, want read-only", name, k, v)
			}
		}
	}
	var s1Action bool
	for name, j := range s1.Jobs {
		noWrite("stage1-verify.yml job "+name, permissions(t, j.Permissions))
	}
	for _, s := range s1.steps() {
		if strings.HasPrefix(s.Uses, actionRef) {
			s1Action = s.With["mode"] == "verify" && s.With["comment"] == "never"
		}
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			t.Errorf("stage1-verify.yml uploads an artifact: stage 2 reads nothing of stage 1's")
		}
	}
	if !s1Action {
		t.Errorf("stage1-verify.yml: want the action with mode: verify, comment: never")
	}

	s2 := loadWorkflow(t, "docs/workflows/stage2-gate.yml")
	if got := s2.events(); !slices.Equal(got, []string{"workflow_run"}) {
		t.Errorf("stage2-gate.yml triggers on %v, want [workflow_run]", got)
	}
	var on struct {
		WorkflowRun struct {
			Workflows []string `yaml:"workflows"`
			Types     []string `yaml:"types"`
		} `yaml:"workflow_run"`
	}
	if err := s2.On.Decode(&on); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(on.WorkflowRun.Workflows, []string{s1.Name}) || !slices.Equal(on.WorkflowRun.Types, []string{"completed"}) {
		t.Errorf("stage2-gate.yml workflow_run %+v, want workflows [%q], types [completed]", on.WorkflowRun, s1.Name)
	}
	for name, j := range s2.Jobs {
		if p := permissions(t, j.Permissions); p["pull-requests"] != "write" || p["statuses"] != "write" || p["contents"] != "read" || len(p) != 3 {
			t.Errorf("stage2-gate.yml job %s permissions %v, want contents: read, pull-requests: write, statuses: write", name, p)
		}
	}
	var s2Action bool
	for _, s := range s2.steps() {
		switch {
		case strings.HasPrefix(s.Uses, "actions/checkout@"):
			t.Errorf("stage2-gate.yml checks out code: the privileged stage must not touch the PR's tree")
		case s.Run != "":
			t.Errorf("stage2-gate.yml has a run: step (%q): the privileged stage runs nothing but the action", s.label())
		case strings.HasPrefix(s.Uses, actionRef):
			s2Action = s.With["mode"] == "comment" && s.With["status-context"] != ""
		case s.Uses != "":
			t.Errorf("stage2-gate.yml uses %s: the privileged stage runs nothing but the action", s.Uses)
		}
	}
	if !s2Action {
		t.Errorf("stage2-gate.yml: want the action with mode: comment and a status-context")
	}
}

// The container recipe: what GitHub requires of a container action's image and what
// docs/action.md promises. scripts/container-test.sh checks the same on the built image.
func TestDockerfileContract(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var instr []string // instructions, continuation lines joined, comments dropped
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		trim := strings.TrimSpace(line)
		if cur.Len() == 0 && (trim == "" || strings.HasPrefix(trim, "#")) {
			continue
		}
		if strings.HasSuffix(trim, "\\") {
			cur.WriteString(strings.TrimSuffix(trim, "\\") + " ")
			continue
		}
		cur.WriteString(trim)
		instr = append(instr, cur.String())
		cur.Reset()
	}
	var froms []string
	var entrypoint string
	builderArg := regexp.MustCompile(`^ARG BUILDER_IMAGE=\S+:\S+@sha256:[0-9a-f]{64}$`)
	sawBuilderArg := false
	for _, in := range instr {
		word, rest, _ := strings.Cut(in, " ")
		switch strings.ToUpper(word) {
		case "USER":
			t.Errorf("Dockerfile sets USER %s: a container action must run as root", rest)
		case "FROM":
			froms = append(froms, rest)
		case "ENTRYPOINT":
			entrypoint = rest
		case "ARG":
			if strings.HasPrefix(rest, "BUILDER_IMAGE=") {
				sawBuilderArg = true
				if !builderArg.MatchString(in) {
					t.Errorf("%q: the default builder image must be pinned by digest", in)
				}
			}
		case "WORKDIR", "CMD", "VOLUME":
			if len(froms) > 1 { // in the final stage
				t.Errorf("final stage sets %s: the runner sets the working directory and arguments", word)
			}
		}
	}
	if !sawBuilderArg {
		t.Error("Dockerfile has no ARG BUILDER_IMAGE (offline builds override the builder with it)")
	}
	if len(froms) != 2 || !strings.HasPrefix(froms[0], "${BUILDER_IMAGE}") || froms[1] != "scratch" {
		t.Errorf("FROM lines %q, want ${BUILDER_IMAGE} AS build, then scratch", froms)
	}
	if entrypoint != `["/verify-evidence", "action"]` {
		t.Errorf("ENTRYPOINT %s, want [\"/verify-evidence\", \"action\"]", entrypoint)
	}
}

// Dependabot keeps the pinned parts current: action SHAs, Go modules, base-image digests.
func TestDependabotCoversPinnedParts(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, ".github/dependabot.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version int `yaml:"version"`
		Updates []struct {
			Ecosystem string `yaml:"package-ecosystem"`
			Directory string `yaml:"directory"`
		} `yaml:"updates"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, u := range cfg.Updates {
		got[u.Ecosystem+" "+u.Directory] = true
	}
	for _, want := range []string{"github-actions /", "gomod /", "docker /"} {
		if !got[want] {
			t.Errorf(".github/dependabot.yml: no %s update (have %v)", want, got)
		}
	}
	if cfg.Version != 2 {
		t.Errorf(".github/dependabot.yml version %d, want 2", cfg.Version)
	}
}
