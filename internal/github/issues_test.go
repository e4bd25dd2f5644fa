package github_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

const (
	issueMarker = "<!-- verify-evidence:evidence-status -->"
	issueLabel  = "evidence-status"
)

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
		n, action, err := c.KeepIssue(ctx, testRepo, issueMarker, "Evidence status", issueLabel, body, open, "")
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
	_, _, err := c.KeepIssue(context.Background(), testRepo, issueMarker, "Evidence status", issueLabel, "x", true, "")
	if err == nil || !github.IsForbidden(err) || !strings.Contains(err.Error(), "create issue") {
		t.Fatalf("read-only token: %v", err)
	}
}

// The issue is created with its label and found by it; where GitHub dropped
// the label (a token without push access), it is still found among the
// newest issues, and never created twice.
func TestKeepIssueLabel(t *testing.T) {
	for _, drop := range []bool{false, true} {
		s := newServer(t)
		s.AddRepo(testRepo.String(), false)
		if drop {
			s.DropIssueLabels()
		}
		c, _ := newClient(t, s)
		ctx := context.Background()
		n, a, err := c.KeepIssue(ctx, testRepo, issueMarker, "Evidence status", issueLabel, issueMarker+"\n1 failing\n", true, "")
		if err != nil || a != github.IssueCreated {
			t.Fatalf("drop %v: %v %s", drop, err, a)
		}
		issues := s.Issues(testRepo.String())
		if len(issues) != 1 || (strings.Join(issues[0].Labels, ",") == issueLabel) == drop {
			t.Fatalf("drop %v: issues %+v", drop, issues)
		}
		s.ResetCounts()
		n2, a, err := c.KeepIssue(ctx, testRepo, issueMarker, "Evidence status", issueLabel, issueMarker+"\n2 failing\n", true, "")
		if err != nil || n2 != n || a != github.IssueUpdated || len(s.Issues(testRepo.String())) != 1 {
			t.Fatalf("drop %v: second run #%d %s %v (first #%d)", drop, n2, a, err, n)
		}
		if !drop && calls(s, githubtest.EndpointListIssues) != 1 {
			t.Errorf("found by label: %d list calls, want 1", calls(s, githubtest.EndpointListIssues))
		}
	}
}
