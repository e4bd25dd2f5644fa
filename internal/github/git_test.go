package github_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

func TestBlobRawAndLimit(t *testing.T) {
	s := newServer(t)
	content := bytes.Repeat([]byte("gpu: h100\n"), 1000) // 10,000 bytes
	addPR(s, []githubtest.File{{Path: "recipes/big.yaml", Status: "added", Content: content}})
	c, _ := newClient(t, s)
	ctx := context.Background()
	sha := githubtest.BlobSHA(content)

	got, err := c.Blob(ctx, testRepo, sha, int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Fatalf("blob differs: %d bytes", len(got))
	}
	// The client asked for the raw media type.
	if r := s.Requests(); r[len(r)-1].Endpoint != githubtest.EndpointGetBlob {
		t.Fatalf("last request %+v", r[len(r)-1])
	}

	_, err = c.Blob(ctx, testRepo, sha, int64(len(content))-1)
	var tooLarge *github.BlobTooLargeError
	if !errors.As(err, &tooLarge) || !github.IsTooLarge(err) || tooLarge.Size != int64(len(content)) || tooLarge.Limit != int64(len(content))-1 {
		t.Fatalf("want BlobTooLargeError with size %d, got %v", len(content), err)
	}
	wantOneLine(t, err, "github: get blob "+sha+": 10000 bytes exceeds the limit of 9999 bytes")

	_, err = c.Blob(ctx, testRepo, githubtest.BlobSHA([]byte("absent")), 0)
	if !github.IsNotFound(err) {
		t.Errorf("absent blob: want not found, got %v", err)
	}
	n := c.Calls()
	if _, err := c.Blob(ctx, testRepo, "../../user", 0); err == nil || c.Calls() != n {
		t.Errorf("path-like SHA: err=%v, calls %d -> %d", err, n, c.Calls())
	}
}

// TestBlobBoundedWithoutContentLength checks the limit on a chunked body
// and the integrity check against the requested SHA.
func TestBlobBoundedWithoutContentLength(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 4096)
	other := []byte("not what was asked for\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.github.raw")
		if strings.HasSuffix(r.URL.Path, githubtest.BlobSHA(big)) {
			w.(http.Flusher).Flush() // chunked: no Content-Length
			_, _ = w.Write(big)
			return
		}
		_, _ = w.Write(other)
	}))
	defer srv.Close()
	c, err := github.New(github.Options{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Blob(context.Background(), testRepo, githubtest.BlobSHA(big), 100)
	var tooLarge *github.BlobTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Size != -1 {
		t.Errorf("chunked oversize blob: got %v", err)
	}
	want := githubtest.BlobSHA([]byte("expected"))
	_, err = c.Blob(context.Background(), testRepo, want, 0)
	var mismatch *github.BlobMismatchError
	if !errors.As(err, &mismatch) || mismatch.Got != githubtest.BlobSHA(other) {
		t.Errorf("wrong content: got %v", err)
	}
}

func TestTreeFlagsSymlinksAndSubmodules(t *testing.T) {
	s := newServer(t)
	pr := addPR(s, nil)
	submodule := githubtest.BlobSHA([]byte("a commit of another repository"))
	s.SetTree(testRepo.String(), "head-of-feature", []githubtest.TreeFile{
		{Path: "recipes/a.yaml", Content: []byte("name: a\n")},
		{Path: "recipes/link.yaml", Mode: "120000", Content: []byte("a.yaml")},
		{Path: "scripts/run.sh", Mode: "100755", Content: []byte("#!/bin/sh\n")},
		{Path: "vendor/lib", Mode: "160000", SHA: submodule},
	})
	_ = pr
	c, _ := newClient(t, s)
	tree, truncated, err := c.Tree(context.Background(), testRepo, "head-of-feature")
	if err != nil {
		t.Fatal(err)
	}
	if truncated {
		t.Error("tree reported truncated")
	}
	want := map[string]github.TreeEntry{
		"recipes":           {Type: github.EntryTree, Mode: "040000", Size: -1},
		"recipes/a.yaml":    {Type: github.EntryBlob, Mode: "100644", Size: 8, BlobSHA: githubtest.BlobSHA([]byte("name: a\n"))},
		"recipes/link.yaml": {Type: github.EntrySymlink, Mode: "120000", Size: 6, BlobSHA: githubtest.BlobSHA([]byte("a.yaml"))},
		"scripts":           {Type: github.EntryTree, Mode: "040000", Size: -1},
		"scripts/run.sh":    {Type: github.EntryBlob, Mode: "100755", Size: 10, BlobSHA: githubtest.BlobSHA([]byte("#!/bin/sh\n"))},
		"vendor":            {Type: github.EntryTree, Mode: "040000", Size: -1},
		"vendor/lib":        {Type: github.EntrySubmodule, Mode: "160000", Size: -1, BlobSHA: submodule},
	}
	if len(tree) != len(want) {
		t.Errorf("got %d entries, want %d: %+v", len(tree), len(want), tree)
	}
	for p, w := range want {
		g, ok := tree[p]
		if w.BlobSHA == "" {
			w.BlobSHA = g.BlobSHA // directories: any tree SHA
		}
		if !ok || g != w || len(g.BlobSHA) != 40 {
			t.Errorf("%s = %+v, want %+v", p, g, w)
		}
	}

	s.MarkTreeTruncated(testRepo.String(), "head-of-feature")
	if _, truncated, err := c.Tree(context.Background(), testRepo, "head-of-feature"); err != nil || !truncated {
		t.Errorf("truncated tree: truncated=%v err=%v", truncated, err)
	}
	if _, _, err := c.Tree(context.Background(), testRepo, "../user?x"); err == nil {
		t.Error("a tree-ish with .. and ? was accepted")
	}
}
