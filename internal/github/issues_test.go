package github_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

const issueMarker = "<!-- verify-evidence:evidence-status -->"

// One issue, kept up to date over runs (against the OpenAPI-validated
// fake): nothing to report and no issue writes nothing; a report creates
// it; a changed report edits it; the same report writes nothing; a clean
// run closes it; a later report reopens it. Someone else's issue carrying
// the marker is never touched.
func TestKeepIssueLifecycle(t *testing.T) {
	s := newServer(t)
	s.AddRepo(testRepo.String(), false)
	alice := githubtest.User{Login: "alice", Type: "User"}
	quoted := s.AddIssue(testRepo.String(), alice, "Evidence status", "copied: "+issueMarker)
	c, _ := newClient(t, s)
	ctx := context.Background()
	keep := func(body string, open bool) (int, github.IssueAction) {
		t.Helper()
		n, action, err := c.KeepIssue(ctx, testRepo, issueMarker, "Evidence status", body, open, "")
		if err != nil {
			t.Fatal(err)
		}
		return n, action
	}
	writes := func() int {
		return calls(s, githubtest.EndpointCreateIssue) + calls(s, githubtest.EndpointUpdateIssue)
	}

	if n, a := keep("all fine", false); n != 0 || a != github.IssueNone || writes() != 0 {
		t.Fatalf("clean first run: #%d %s, %d writes", n, a, writes())
	}
	n, a := keep("1 recipe expiring", true)
	if a != github.IssueCreated || n == 0 || n == quoted {
		t.Fatalf("report: #%d %s", n, a)
	}
	if n2, a := keep("2 recipes expiring", true); n2 != n || a != github.IssueUpdated {
		t.Fatalf("changed report: #%d %s", n2, a)
	}
	s.ResetCounts()
	if n2, a := keep("2 recipes expiring", true); n2 != n || a != github.IssueUnchanged || writes() != 0 {
		t.Fatalf("unchanged report: #%d %s, %d writes", n2, a, writes())
	}
	if n2, a := keep("all fine", false); n2 != n || a != github.IssueClosed {
		t.Fatalf("clean run: #%d %s", n2, a)
	}
	s.ResetCounts()
	if n2, a := keep("all fine", false); n2 != n || a != github.IssueUnchanged || writes() != 0 {
		t.Fatalf("clean again: #%d %s, %d writes", n2, a, writes())
	}
	if n2, a := keep("1 recipe invalid", true); n2 != n || a != github.IssueReopened {
		t.Fatalf("new problem: #%d %s", n2, a)
	}
	var ours *githubtest.Issue
	for _, is := range s.Issues(testRepo.String()) {
		switch is.Number {
		case quoted:
			if is.Body != "copied: "+issueMarker || is.State != "open" || is.Edits != 0 {
				t.Errorf("alice's issue was modified: %+v", is)
			}
		case n:
			ours = &is
		default:
			t.Errorf("unexpected issue %+v", is)
		}
	}
	if ours == nil || ours.State != "open" || ours.Body != issueMarker+"\n1 recipe invalid" ||
		ours.User.Login != githubtest.ActionsBot.Login || ours.Edits != 3 {
		t.Errorf("our issue: %+v", ours)
	}
}

// A token that may not write issues fails with a clear error, not silently.
func TestKeepIssueReadOnly(t *testing.T) {
	s := newServer(t, githubtest.WithReadOnly())
	s.AddRepo(testRepo.String(), false)
	c, _ := newClient(t, s)
	_, _, err := c.KeepIssue(context.Background(), testRepo, issueMarker, "Evidence status", "x", true, "")
	if err == nil || !github.IsForbidden(err) || !strings.Contains(err.Error(), "create issue") {
		t.Fatalf("read-only token: %v", err)
	}
}
