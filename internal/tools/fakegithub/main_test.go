package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

// TestMain lets the test binary act as the command, so the signal handling
// is tested on a real process without building one.
func TestMain(m *testing.M) {
	if os.Getenv("FAKEGITHUB_AS_MAIN") == "1" {
		os.Args = append([]string{"fakegithub"}, strings.Fields(os.Getenv("FAKEGITHUB_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const scenarioJSON = `{
  "token": "tool-token",
  "pull_requests": [{
    "repo": "acme/recipes", "number": 7, "title": "Add H100",
    "head_sha": "1111111111111111111111111111111111111111", "head_ref": "h100", "head_repo": "bob/recipes",
    "base_sha": "2222222222222222222222222222222222222222",
    "files": [{"path": "recipes/h100.yaml", "status": "added", "content_file": "h100.yaml"}],
    "comments": [{"user": {"login": "alice", "type": "User"}, "body": "quoting <!-- m -->"}]
  }]
}`

// writeScenario writes the scenario and its content file into a temp dir.
func writeScenario(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "h100.yaml"), []byte("gpu: h100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "scenario.json")
	if err := os.WriteFile(p, []byte(scenarioJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFile polls for path and returns its content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not appear", path)
	return ""
}

// exercise runs the action's client against the served fake.
func exercise(t *testing.T, url string) {
	t.Helper()
	c, err := github.New(github.Options{BaseURL: url, Token: "tool-token"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	repo := github.Repo{Owner: "acme", Name: "recipes"}
	list, err := c.PullRequestFiles(ctx, repo, 7)
	if err != nil || len(list.Files) != 1 {
		t.Fatalf("files %+v, %v", list, err)
	}
	if b, err := c.Blob(ctx, repo, list.Files[0].BlobSHA, 0); err != nil || string(b) != "gpu: h100\n" {
		t.Fatalf("blob %q, %v", b, err)
	}
	if _, action, err := c.UpsertStickyComment(ctx, repo, 7, "<!-- m -->", "<!-- m -->\nreport", "github-actions[bot]"); err != nil || action != github.CommentCreated {
		t.Fatalf("upsert %s, %v", action, err)
	}
}

// checkState checks the dumped state after exercise.
func checkState(t *testing.T, raw []byte) {
	t.Helper()
	var st githubtest.State
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("state %q: %v", raw, err)
	}
	if len(st.Comments) != 2 || st.Comments[1].Body != "<!-- m -->\nreport" || st.Comments[1].User.Login != "github-actions[bot]" || st.Comments[0].User.Login != "alice" {
		t.Errorf("comments %+v", st.Comments)
	}
	if st.Calls[githubtest.EndpointCreateComment] != 1 || st.Calls[githubtest.EndpointListFiles] != 1 || st.Total != 4 {
		t.Errorf("calls %v total %d", st.Calls, st.Total)
	}
	if len(st.ValidationErrors) != 0 {
		t.Errorf("violations: %v", st.ValidationErrors)
	}
}

func TestRunInProcess(t *testing.T) {
	dir := t.TempDir()
	ready, state, event := filepath.Join(dir, "url"), filepath.Join(dir, "state.json"), filepath.Join(dir, "event.json")
	args := []string{"-scenario", writeScenario(t), "-ready", ready, "-state", state}
	withEvent := true
	if _, err := githubtest.PullRequestEventJSON("synchronize", githubtest.EventPR{Repo: "a/b", Number: 1}); err != nil {
		withEvent = false // fixtures absent: the -event flag would fail
		t.Logf("without -event: %v", err)
	} else {
		args = append(args, "-event", event)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() { done <- run(ctx, args, os.Stdout, &stderr) }()

	url := waitFile(t, ready)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/api/v3") {
		t.Fatalf("ready URL %q", url)
	}
	exercise(t, url)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	checkState(t, raw)

	if withEvent {
		var e gh.PullRequestEvent
		b, err := os.ReadFile(event)
		if err != nil || json.Unmarshal(b, &e) != nil {
			t.Fatalf("event: %v", err)
		}
		if e.GetNumber() != 7 || e.GetPullRequest().GetHead().GetSHA() != strings.Repeat("1", 40) || !e.GetPullRequest().GetHead().GetRepo().GetFork() {
			t.Errorf("event number %d head %s", e.GetNumber(), e.GetPullRequest().GetHead().GetSHA())
		}
	}
}

// TestSIGTERMDumpsState runs the command as a process and stops it with
// SIGTERM, as the container test does.
func TestSIGTERMDumpsState(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "url")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "FAKEGITHUB_AS_MAIN=1",
		"FAKEGITHUB_ARGS=-addr 127.0.0.1:0 -scenario "+writeScenario(t)+" -ready "+ready)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()

	exercise(t, waitFile(t, ready))
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	checkState(t, stdout.Bytes())
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-validate", "maybe"},
		{"-scenario", filepath.Join(t.TempDir(), "absent.json")},
		{"extra"},
		{"-event", filepath.Join(t.TempDir(), "e.json")},
	} {
		if err := run(context.Background(), args, os.Stdout, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

// TestExampleScenario keeps testdata/scenario.json, the documented example
// of the format, loadable and consistent.
func TestExampleScenario(t *testing.T) {
	sc, err := githubtest.LoadScenario(filepath.Join("testdata", "scenario.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := githubtest.NewServer(t, sc.Options()...)
	if err := sc.Apply(s.Fake); err != nil {
		t.Fatal(err)
	}
	c, err := github.New(github.Options{BaseURL: s.URL(), Token: "ghs_example_token", Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	repo := github.Repo{Owner: "NVIDIA", Name: "aicr"}
	pr, err := c.PullRequest(ctx, repo, 7)
	if err != nil || !pr.Fork {
		t.Fatalf("PR %+v, %v", pr, err)
	}
	list, err := c.PullRequestFiles(ctx, repo, 7)
	if err != nil || len(list.Files) != 3 {
		t.Fatalf("files %+v, %v", list, err)
	}
	head, _, err := c.Tree(ctx, repo, pr.HeadSHA)
	if err != nil || head["recipes/example.yaml"].BlobSHA != list.Files[0].BlobSHA || head["recipes/link.yaml"].Type != github.EntrySymlink {
		t.Errorf("head tree %+v, %v", head, err)
	}
	if _, _, err := c.Tree(ctx, repo, pr.BaseSHA); err != nil {
		t.Errorf("base tree: %v", err)
	}
}
