package github_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

// A fork PR's head commit exists only in the fork: GitHub's commit → pulls
// endpoint answers [] for it (the fake does too), so stage 2 finds the PR by
// its head repository and branch instead.
func TestOpenPullRequestsByHeadFindsForkPRs(t *testing.T) {
	s := newServer(t)
	s.AddPR(testRepo.String(), githubtest.PR{Number: 7, HeadRepo: "contributor/recipes", HeadRef: "h100"}, nil)
	s.AddPR(testRepo.String(), githubtest.PR{Number: 8, HeadRef: "h100"}, nil)
	s.AddPR(testRepo.String(), githubtest.PR{Number: 9, HeadRepo: "contributor/recipes", HeadRef: "h100", State: "closed"}, nil)
	c, _ := newClient(t, s)
	ctx := context.Background()
	prs, err := c.OpenPullRequestsByHead(ctx, testRepo, "contributor", "h100")
	if err != nil {
		t.Fatal(err)
	}
	if len(prs) != 1 || prs[0].Number != 7 || !prs[0].Fork || prs[0].HeadRepo.String() != "contributor/recipes" {
		t.Fatalf("PRs of contributor:h100 = %+v", prs)
	}
	same, err := c.OpenPullRequestsByHead(ctx, testRepo, "acme", "h100")
	if err != nil || len(same) != 1 || same[0].Number != 8 || same[0].Fork {
		t.Fatalf("PRs of acme:h100 = %+v, %v", same, err)
	}
	none, err := c.OpenPullRequestsByHead(ctx, testRepo, "mallory", "h100")
	if err != nil || len(none) != 0 {
		t.Fatalf("PRs of mallory:h100 = %+v, %v", none, err)
	}
	// The endpoint the action used to call does not know fork commits.
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/repos/acme/recipes/commits/"+prs[0].HeadSHA+"/pulls", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("commit → pulls for a fork-only commit = %s, want [] as on GitHub", body)
	}
	before := c.Calls()
	for _, bad := range [][2]string{{"", "h100"}, {"contributor", ""}, {"a:b", "h100"}} {
		if _, err := c.OpenPullRequestsByHead(ctx, testRepo, bad[0], bad[1]); err == nil {
			t.Errorf("head %q:%q accepted", bad[0], bad[1])
		}
	}
	if c.Calls() != before {
		t.Error("an invalid head was sent")
	}
}

func TestDefaultBranch(t *testing.T) {
	s := newServer(t)
	s.AddPR(testRepo.String(), githubtest.PR{Number: 1}, nil)
	s.Fake.SetDefaultBranch(testRepo.String(), "trunk")
	c, _ := newClient(t, s)
	b, err := c.DefaultBranch(context.Background(), testRepo)
	if err != nil || b != "trunk" {
		t.Fatalf("default branch = %q, %v", b, err)
	}
}

func TestCreateStatus(t *testing.T) {
	s := newServer(t)
	s.AddPR(testRepo.String(), githubtest.PR{Number: 1}, nil)
	c, _ := newClient(t, s)
	ctx := context.Background()
	sha := strings.Repeat("a", 40)
	long := strings.Repeat("é", 200)
	if err := c.CreateStatus(ctx, testRepo, sha, github.CommitStatus{State: github.StatusFailure, Context: "recipe-evidence", Description: long, TargetURL: "https://github.com/acme/recipes/actions/runs/1"}); err != nil {
		t.Fatal(err)
	}
	got := s.Fake.Statuses(testRepo.String(), sha)
	if len(got) != 1 || got[0].State != "failure" || got[0].Context != "recipe-evidence" || len([]rune(got[0].Description)) != github.MaxStatusDescription {
		t.Fatalf("statuses = %+v", got)
	}
	before := c.Calls()
	for _, bad := range []github.CommitStatus{{State: "passed", Context: "x"}, {State: github.StatusSuccess}} {
		if err := c.CreateStatus(ctx, testRepo, sha, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := c.CreateStatus(ctx, testRepo, "main", github.CommitStatus{State: github.StatusSuccess, Context: "x"}); err == nil {
		t.Error("a branch name accepted as a SHA")
	}
	if c.Calls() != before {
		t.Error("an invalid status was sent")
	}
	s.Fake.SetReadOnly(true)
	err := c.CreateStatus(ctx, testRepo, sha, github.CommitStatus{State: github.StatusSuccess, Context: "recipe-evidence"})
	if !github.IsForbidden(err) {
		t.Fatalf("read-only token: %v, want 403", err)
	}
}

func TestBranchHead(t *testing.T) {
	s := newServer(t)
	s.AddPR(testRepo.String(), githubtest.PR{Number: 1}, nil)
	s.Fake.SetTree(testRepo.String(), "main", []githubtest.TreeFile{{Path: "policy.yaml", Content: []byte("x")}})
	c, _ := newClient(t, s)
	ctx := context.Background()
	sha, err := c.BranchHead(ctx, testRepo, "main")
	if err != nil || len(sha) != 40 {
		t.Fatalf("head of main = %q, %v", sha, err)
	}
	tree, _, err := c.Tree(ctx, testRepo, sha)
	if err != nil || tree["policy.yaml"].BlobSHA == "" {
		t.Fatalf("tree at the branch's commit: %v, %v", tree, err)
	}
	if _, err := c.BranchHead(ctx, testRepo, "nope"); !github.IsNotFound(err) {
		t.Fatalf("unknown branch: %v", err)
	}
	before := c.Calls()
	for _, bad := range []string{"", "trunk#x", "a?b", "/main"} {
		if _, err := c.BranchHead(ctx, testRepo, bad); err == nil {
			t.Errorf("branch %q accepted", bad)
		}
	}
	if c.Calls() != before {
		t.Error("an invalid branch name was sent")
	}
}
