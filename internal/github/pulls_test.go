package github_test

import (
	"context"
	"testing"

	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

func TestPullRequestSameRepoAndFork(t *testing.T) {
	s := newServer(t)
	s.AddPR(testRepo.String(), githubtest.PR{Number: 7, Title: "Same repo", HeadRef: "feature"}, nil)
	s.AddPR(testRepo.String(), githubtest.PR{Number: 8, Title: "From a fork", HeadRef: "main", HeadRepo: "contributor/recipes"}, nil)
	c, _ := newClient(t, s)
	ctx := context.Background()

	same, err := c.PullRequest(ctx, testRepo, 7)
	if err != nil {
		t.Fatal(err)
	}
	if same.Number != 7 || same.Title != "Same repo" || same.HeadRef != "feature" || same.BaseRef != "main" ||
		same.State != "open" || same.Fork || same.HeadRepo != testRepo || same.BaseRepo != testRepo {
		t.Errorf("same-repo PR = %+v", same)
	}
	if len(same.HeadSHA) != 40 || len(same.BaseSHA) != 40 || same.HeadSHA == same.BaseSHA {
		t.Errorf("SHAs: head %q base %q", same.HeadSHA, same.BaseSHA)
	}

	fork, err := c.PullRequest(ctx, testRepo, 8)
	if err != nil {
		t.Fatal(err)
	}
	if !fork.Fork || fork.HeadRepo != (github.Repo{Owner: "contributor", Name: "recipes"}) || fork.BaseRepo != testRepo {
		t.Errorf("fork PR = %+v", fork)
	}

	_, err = c.PullRequest(ctx, testRepo, 99)
	if !github.IsNotFound(err) {
		t.Errorf("missing PR: want not found, got %v", err)
	}
	wantOneLine(t, err, "github: get PR #99: 404 Not Found")
	if got := c.Calls(); got != 3 {
		t.Errorf("Calls() = %d, want 3", got)
	}
}

func TestPullRequestFilesPaginates(t *testing.T) {
	s := newServer(t)
	fs := files(250)
	addPR(s, fs)
	c, _ := newClient(t, s)

	list, err := c.PullRequestFiles(context.Background(), testRepo, 7)
	if err != nil {
		t.Fatal(err)
	}
	if list.Truncated {
		t.Error("250 files reported truncated")
	}
	if len(list.Files) != 250 {
		t.Fatalf("got %d files, want 250", len(list.Files))
	}
	for i, f := range list.Files {
		if f.Path != fs[i].Path || f.Status != github.StatusModified || f.BlobSHA != githubtest.BlobSHA(fs[i].Content) {
			t.Fatalf("file %d = %+v, want %s", i, f, fs[i].Path)
		}
	}
	if got := calls(s, githubtest.EndpointListFiles); got != 3 {
		t.Errorf("list calls = %d, want 3 (100 + 100 + 50)", got)
	}
	for _, r := range s.Requests() {
		if r.Endpoint == githubtest.EndpointListFiles && r.Query != "per_page=100" && r.Query != "page=2&per_page=100" && r.Query != "page=3&per_page=100" {
			t.Errorf("unexpected list query %q", r.Query)
		}
	}
	if c.Calls() != 3 {
		t.Errorf("Calls() = %d, want 3", c.Calls())
	}
}

func TestPullRequestFilesCap(t *testing.T) {
	s := newServer(t)
	addPR(s, files(3001))
	c, _ := newClient(t, s)

	list, err := c.PullRequestFiles(context.Background(), testRepo, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !list.Truncated || len(list.Files) != github.MaxListedFiles {
		t.Errorf("got %d files, truncated=%v; want 3000, truncated", len(list.Files), list.Truncated)
	}
	if got := calls(s, githubtest.EndpointListFiles); got != 30 {
		t.Errorf("list calls = %d, want 30", got)
	}
}

func TestPullRequestFilesStatuses(t *testing.T) {
	s := newServer(t)
	removed := []byte("name: gone\n")
	addPR(s, []githubtest.File{
		{Path: "recipes/new.yaml", Status: "added", Content: []byte("name: new\n")},
		{Path: "recipes/moved.yaml", Status: "renamed", PreviousPath: "recipes/old.yaml", Content: []byte("name: moved\n")},
		{Path: "recipes/gone.yaml", Status: "removed", Content: removed},
		{Path: "recipes/copy.yaml", Status: "copied", PreviousPath: "recipes/new.yaml", Content: []byte("name: new\n")},
		{Path: "scripts/run.sh", Status: "changed", Content: []byte("#!/bin/sh\n")},
	})
	c, _ := newClient(t, s)
	ctx := context.Background()
	list, err := c.PullRequestFiles(ctx, testRepo, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := []github.ChangedFile{
		{Path: "recipes/new.yaml", Status: github.StatusAdded},
		{Path: "recipes/moved.yaml", PreviousPath: "recipes/old.yaml", Status: github.StatusRenamed},
		{Path: "recipes/gone.yaml", Status: github.StatusRemoved},
		{Path: "recipes/copy.yaml", PreviousPath: "recipes/new.yaml", Status: github.StatusCopied},
		{Path: "scripts/run.sh", Status: github.StatusChanged},
	}
	if len(list.Files) != len(want) {
		t.Fatalf("got %d files", len(list.Files))
	}
	for i, w := range want {
		g := list.Files[i]
		if g.Path != w.Path || g.PreviousPath != w.PreviousPath || g.Status != w.Status || len(g.BlobSHA) != 40 {
			t.Errorf("file %d = %+v, want %+v", i, g, w)
		}
	}
	// The removed file's blob is the removed content.
	b, err := c.Blob(ctx, testRepo, list.Files[2].BlobSHA, 1024)
	if err != nil || string(b) != string(removed) {
		t.Errorf("removed blob = %q, %v", b, err)
	}
}
