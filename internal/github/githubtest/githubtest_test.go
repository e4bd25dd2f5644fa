package githubtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// requireDescription skips (fails under CI=true) when the OpenAPI
// description is not installed.
func requireDescription(t *testing.T) *githubtest.Description {
	t.Helper()
	d, err := githubtest.LoadDescription()
	if err != nil {
		if errors.Is(err, githubtest.ErrFixturesMissing) && os.Getenv("CI") != "true" {
			t.Skipf("OpenAPI description: %v", err)
		}
		t.Fatal(err)
	}
	return d
}

func TestBlobSHAMatchesGit(t *testing.T) {
	// git hash-object of "hello\n" and of the empty file.
	if got := githubtest.BlobSHA([]byte("hello\n")); got != "ce013625030ba8dba906f756967f9e9ca394464a" {
		t.Errorf("BlobSHA(hello) = %s", got)
	}
	if got := githubtest.BlobSHA(nil); got != "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391" {
		t.Errorf("BlobSHA(empty) = %s", got)
	}
	if github.BlobSHA1([]byte("hello\n")) != githubtest.BlobSHA([]byte("hello\n")) {
		t.Error("client and fake disagree on blob SHAs")
	}
}

// TestTreeSHAMatchesGit builds the same tree with git and compares the
// object names, symlink and executable included.
func TestTreeSHAMatchesGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	files := []githubtest.TreeFile{
		{Path: "recipes/a.yaml", Content: []byte("name: a\n")},
		{Path: "recipes/sub/b.yaml", Content: []byte("name: b\n")},
		{Path: "recipes-extra", Content: []byte("sorting: dirs sort as name/\n")},
		{Path: "recipes/link.yaml", Mode: "120000", Content: []byte("a.yaml")},
		{Path: "run.sh", Mode: "100755", Content: []byte("#!/bin/sh\n")},
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch f.Mode {
		case "120000":
			err = os.Symlink(string(f.Content), p)
		case "100755":
			err = os.WriteFile(p, f.Content, 0o755)
		default:
			err = os.WriteFile(p, f.Content, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	git("add", "-A")
	want := git("write-tree")

	fake := githubtest.NewHandler()
	if got := fake.SetTree("acme/recipes", "main", files); got != want {
		t.Errorf("fake tree SHA %s, git says %s", got, want)
	}
}

func TestPaginationLinkHeader(t *testing.T) {
	s := githubtest.NewServer(t)
	fs := make([]githubtest.File, 250)
	for i := range fs {
		fs[i] = githubtest.File{Path: fmt.Sprintf("f%03d", i), Content: []byte{byte(i)}}
	}
	s.AddPR("acme/recipes", githubtest.PR{Number: 12}, fs)
	base := s.URL() + "/repos/acme/recipes/pulls/12/files"
	link := func(page int) string { return fmt.Sprintf("%s?page=%d&per_page=100", base, page) }
	cases := []struct {
		query string
		n     int
		link  string
	}{
		{"per_page=100", 100, fmt.Sprintf(`<%s>; rel="next", <%s>; rel="last"`, link(2), link(3))},
		{"page=2&per_page=100", 100, fmt.Sprintf(`<%s>; rel="prev", <%s>; rel="next", <%s>; rel="last", <%s>; rel="first"`, link(1), link(3), link(3), link(1))},
		{"page=3&per_page=100", 50, fmt.Sprintf(`<%s>; rel="prev", <%s>; rel="first"`, link(2), link(1))},
		{"page=4&per_page=100", 0, fmt.Sprintf(`<%s>; rel="prev", <%s>; rel="first"`, link(3), link(1))},
	}
	for _, tc := range cases {
		resp, err := http.Get(base + "?" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		err = json.NewDecoder(resp.Body).Decode(&items)
		resp.Body.Close()
		if err != nil || len(items) != tc.n {
			t.Errorf("%s: %d items, %v; want %d", tc.query, len(items), err, tc.n)
		}
		if got := resp.Header.Get("Link"); got != tc.link {
			t.Errorf("%s: Link\n got %s\nwant %s", tc.query, got, tc.link)
		}
	}
}

// TestValidatorCatchesBadRequests sends malformed requests with raw HTTP:
// the validator must report them, naming the operation.
func TestValidatorCatchesBadRequests(t *testing.T) {
	requireDescription(t)
	var (
		mu   sync.Mutex
		seen []string
	)
	s := githubtest.NewServer(t, githubtest.WithReport(func(m string) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, m)
	}))
	// take returns the violations reported since the last call.
	take := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := seen
		seen = nil
		return out
	}
	s.AddPR("acme/recipes", githubtest.PR{Number: 7}, nil)

	post := func(body string) int {
		resp, err := http.Post(s.URL()+"/repos/acme/recipes/issues/7/comments", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(`{"body": 5}`); code != http.StatusUnprocessableEntity {
		t.Errorf("numeric body: status %d", code)
	}
	got := take()
	if len(got) != 1 || !strings.Contains(got[0], "request issues/create-comment") || !strings.Contains(got[0], "at /body") {
		t.Errorf("violations = %q", got)
	}

	resp, err := http.Get(s.URL() + "/repos/acme/recipes/pulls/7/files?per_page=lots")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := take(); len(got) != 1 || !strings.Contains(got[0], "pulls/list-files") || !strings.Contains(got[0], `"per_page"`) {
		t.Errorf("violations = %q", got)
	}

	resp, err = http.Get(s.URL() + "/repos/acme/recipes/no-such-endpoint")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := take(); len(got) != 1 || !strings.Contains(got[0], "not an operation of GitHub's REST API description") {
		t.Errorf("violations = %q", got)
	}

	if code := post(`{"body": "fine"}`); code != http.StatusCreated || len(take()) != 0 {
		t.Errorf("valid create: status %d", code)
	}
	if n := len(s.Violations()); n != 3 {
		t.Errorf("Violations() has %d entries, want 3", n)
	}
}

// TestValidatorCatchesBadResponses checks a response the fake would never
// send: a diff entry without its required blob_url, and an undocumented
// success status.
func TestValidatorCatchesBadResponses(t *testing.T) {
	d := requireDescription(t)
	req := httptest.NewRequest("GET", "http://127.0.0.1/api/v3/repos/o/r/pulls/1/files?per_page=100", nil)
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	entry := `{"sha":"` + githubtest.BlobSHA(nil) + `","filename":"a","status":"added","additions":0,"deletions":0,"changes":0,` +
		`"blob_url":"https://github.com/o/r/blob/x/a","raw_url":"https://github.com/o/r/raw/x/a","contents_url":"https://api.github.com/repos/o/r/contents/a"}`
	good := &githubtest.Exchange{Request: req, Prefix: "/api/v3", Status: 200, Header: h, Body: []byte("[" + entry + "]")}
	if errs := d.Validate(good); len(errs) != 0 {
		t.Fatalf("valid exchange rejected: %v", errs)
	}
	bad := *good
	bad.Body = []byte(`[{"sha":null,"filename":"a","status":"moved","additions":0,"deletions":0,"changes":0}]`)
	errs := d.Validate(&bad)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "response 200 to pulls/list-files") ||
		!strings.Contains(errs[0].Error(), "blob_url") || !strings.Contains(errs[0].Error(), `"moved"`) {
		t.Errorf("errors = %v", errs)
	}
	created := *good
	created.Status = 201
	if errs := d.Validate(&created); len(errs) != 1 || !strings.Contains(errs[0].Error(), "status is not supported") {
		t.Errorf("undocumented 201: %v", errs)
	}
}

func TestPinnedVersionsMatchLockFile(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "internal", "github", "githubtest", "npm", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version   string `json:"version"`
			Integrity string `json:"integrity"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"@octokit/openapi", "@octokit/webhooks-examples"} {
		want := githubtest.PinnedVersion(pkg)
		got := lock.Packages["node_modules/"+pkg]
		if want == "" || strings.ContainsAny(want, "^~<>=* ") || got.Version != want || !strings.HasPrefix(got.Integrity, "sha512-") {
			t.Errorf("%s: package.json pins %q, lock has %q (%s)", pkg, want, got.Version, got.Integrity)
		}
	}
}

func TestPullRequestEvent(t *testing.T) {
	s := githubtest.NewServer(t)
	s.AddPR("acme/recipes", githubtest.PR{Number: 42, Title: "Add H100 recipe", HeadRef: "h100", HeadRepo: "contributor/recipes-fork"}, nil)
	s.AddPR("acme/recipes", githubtest.PR{Number: 43, HeadRef: "same"}, nil)
	ev := s.PullRequestEvent(t, "synchronize", "acme/recipes", 42)
	want, err := s.EventPR("acme/recipes", 42)
	if err != nil {
		t.Fatal(err)
	}

	var e gh.PullRequestEvent
	if err := json.Unmarshal(ev, &e); err != nil {
		t.Fatal(err)
	}
	pr := e.GetPullRequest()
	if e.GetAction() != "synchronize" || e.GetNumber() != 42 || pr.GetNumber() != 42 || pr.GetTitle() != "Add H100 recipe" {
		t.Errorf("action %q number %d/%d title %q", e.GetAction(), e.GetNumber(), pr.GetNumber(), pr.GetTitle())
	}
	if pr.GetHead().GetSHA() != want.HeadSHA || pr.GetBase().GetSHA() != want.BaseSHA || pr.GetHead().GetRef() != "h100" {
		t.Errorf("head %s@%s base %s", pr.GetHead().GetRef(), pr.GetHead().GetSHA(), pr.GetBase().GetSHA())
	}
	if e.GetRepo().GetFullName() != "acme/recipes" || pr.GetBase().GetRepo().GetFullName() != "acme/recipes" {
		t.Errorf("repository %s, base repo %s", e.GetRepo().GetFullName(), pr.GetBase().GetRepo().GetFullName())
	}
	if pr.GetHead().GetRepo().GetFullName() != "contributor/recipes-fork" || !pr.GetHead().GetRepo().GetFork() {
		t.Errorf("head repo %s fork=%v", pr.GetHead().GetRepo().GetFullName(), pr.GetHead().GetRepo().GetFork())
	}
	if !strings.Contains(pr.GetHTMLURL(), "acme/recipes/pull/42") || bytes.Contains(ev, []byte("Codertocat/Hello-World")) {
		t.Errorf("URLs not rewritten: %s", pr.GetHTMLURL())
	}

	same := s.PullRequestEvent(t, "opened", "acme/recipes", 43)
	var e2 gh.PullRequestEvent
	if err := json.Unmarshal(same, &e2); err != nil {
		t.Fatal(err)
	}
	if h := e2.GetPullRequest().GetHead().GetRepo(); h.GetFullName() != "acme/recipes" || h.GetFork() {
		t.Errorf("same-repo head repo %s fork=%v", h.GetFullName(), h.GetFork())
	}
	if _, err := githubtest.PullRequestEventJSON("no-such-action", want); err == nil || !strings.Contains(err.Error(), "synchronize") {
		t.Errorf("unknown action: %v", err)
	}
}

func TestScenario(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "h100.yaml"), []byte("gpu: h100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	scenario := `{
	  "token": "scenario-token",
	  "pull_requests": [{
	    "repo": "acme/recipes", "number": 7, "title": "Add H100",
	    "head_sha": "1111111111111111111111111111111111111111", "head_ref": "h100", "head_repo": "bob/recipes",
	    "base_sha": "2222222222222222222222222222222222222222",
	    "files": [
	      {"path": "recipes/h100.yaml", "status": "added", "content_file": "h100.yaml"},
	      {"path": "recipes/new.yaml", "status": "renamed", "previous_path": "recipes/old.yaml", "content": "name: x\n"},
	      {"path": "recipes/gone.yaml", "status": "removed"}
	    ],
	    "tree": [{"path": "recipes/h100.yaml", "content_file": "h100.yaml"}, {"path": "l", "mode": "120000", "content": "recipes"}],
	    "base_tree": [{"path": "policy.yaml", "content": "trust: nobody\n"}],
	    "comments": [{"user": {"login": "alice", "type": "User"}, "body": "LGTM"}]
	  }],
	  "faults": [{"endpoint": "GET /repos/{owner}/{repo}/pulls/{pull_number}/files", "status": 502, "times": 1}]
	}`
	path := filepath.Join(dir, "scenario.json")
	if err := os.WriteFile(path, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := githubtest.LoadScenario(path)
	if err != nil {
		t.Fatal(err)
	}
	s := githubtest.NewServer(t, sc.Options()...)
	if err := sc.Apply(s.Fake); err != nil {
		t.Fatal(err)
	}
	c, err := github.New(github.Options{BaseURL: s.URL(), Token: "scenario-token", Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	repo := github.Repo{Owner: "acme", Name: "recipes"}
	pr, err := c.PullRequest(ctx, repo, 7)
	if err != nil || !pr.Fork || pr.HeadSHA != strings.Repeat("1", 40) {
		t.Fatalf("PR %+v, %v", pr, err)
	}
	list, err := c.PullRequestFiles(ctx, repo, 7)
	if err != nil || len(list.Files) != 3 || list.Files[1].PreviousPath != "recipes/old.yaml" {
		t.Fatalf("files %+v, %v", list, err)
	}
	b, err := c.Blob(ctx, repo, list.Files[0].BlobSHA, 0)
	if err != nil || string(b) != "gpu: h100\n" {
		t.Errorf("blob %q, %v", b, err)
	}
	tree, _, err := c.Tree(ctx, repo, pr.HeadSHA)
	if err != nil || tree["l"].Type != github.EntrySymlink || tree["recipes/h100.yaml"].Type != github.EntryBlob {
		t.Errorf("tree %+v, %v", tree, err)
	}
	base, _, err := c.Tree(ctx, repo, pr.BaseSHA)
	if err != nil || len(base) != 1 || base["policy.yaml"].Type != github.EntryBlob {
		t.Errorf("base tree %+v, %v", base, err)
	}
	if got := s.Calls()[githubtest.EndpointListFiles]; got != 2 {
		t.Errorf("the injected 502 was not served: %d list calls", got)
	}
	if cs := s.Comments("acme/recipes", 7); len(cs) != 1 || cs[0].User.Login != "alice" {
		t.Errorf("comments %+v", cs)
	}

	for name, bad := range map[string]string{
		"unknown field":    `{"pull_requests": [], "oops": 1}`,
		"unknown endpoint": `{"pull_requests": [], "faults": [{"endpoint": "GET /nope", "status": 500}]}`,
		"missing content":  `{"pull_requests": [{"repo": "a/b", "number": 1, "files": [{"path": "x"}]}]}`,
	} {
		p := filepath.Join(dir, "bad.json")
		if err := os.WriteFile(p, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		sc, err := githubtest.LoadScenario(p)
		if err == nil {
			err = sc.Apply(githubtest.NewHandler())
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestFakeWithoutPrefixAndAuth covers the root layout (as api.github.com)
// and the 401 for a wrong token.
func TestFakeWithoutPrefixAndAuth(t *testing.T) {
	s := githubtest.NewServer(t, githubtest.WithPrefix(""), githubtest.WithToken("right"))
	s.AddPR("acme/recipes", githubtest.PR{Number: 1}, nil)
	get := func(auth string) (int, string) {
		req, _ := http.NewRequest("GET", s.URL()+"/repos/acme/recipes/pulls/1", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("Bearer wrong"); code != 401 || !strings.Contains(body, "Bad credentials") {
		t.Errorf("wrong token: %d %s", code, body)
	}
	if code, _ := get("token right"); code != 200 {
		t.Errorf("token scheme: %d", code)
	}
	if code, _ := get("Bearer right"); code != 200 {
		t.Errorf("bearer scheme: %d", code)
	}
	if got := s.Total(); got != 3 {
		t.Errorf("Total() = %d", got)
	}
}
