package github_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

// FINDING (low/medium): findIssue accepts any issue whose body merely
// CONTAINS the marker and whose author is "the token's account" — which for
// GITHUB_TOKEN (GET /user is refused) is ANY bot. Dependabot, Renovate, or
// any workflow/App that opens issues echoing user-controlled text (a PR
// title, a release note, an issue-ops form) can be made to carry the hidden
// marker in the middle of its body. The sweep then treats that issue as the
// "Evidence status" issue: it retitles and rewrites it, and on a clean night
// closes it. An attacker gains: closing/overwriting another bot's issue
// (e.g. Renovate's dependency dashboard or a security tracking issue), and
// hiding the real status (no issue of our own is created while theirs is
// found).
// Fix: the sweep's body always begins with the marker: require
// strings.HasPrefix(body, marker) (as the sticky comment already does) and
// the exact title; with a known login, list with creator=<login>.
func TestSweepAttackKeepIssueHijacksOtherBotsIssue(t *testing.T) {
	s := newServer(t)
	s.AddRepo(testRepo.String(), false)
	renovate := githubtest.User{Login: "renovate[bot]", Type: "Bot"}
	theirs := s.AddIssue(testRepo.String(), renovate, "Dependency Dashboard",
		"This issue lists Renovate updates.\n\n- [ ] Update foo (PR title: `x "+issueMarker+"`)\n")
	c, _ := newClient(t, s)
	n, action, err := c.KeepIssue(context.Background(), testRepo, issueMarker, "Evidence status", issueLabel, issueMarker+"\nall fine\n", false, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range s.Issues(testRepo.String()) {
		if is.Number == theirs && (is.State != "open" || is.Edits != 0) {
			t.Fatalf("another bot's issue #%d was taken over (%s by the sweep: now %s, %d edits)", theirs, action, is.State, is.Edits)
		}
	}
	if n == theirs {
		t.Fatalf("KeepIssue returned another bot's issue #%d as the evidence status issue", n)
	}
}

// FINDING (low, fixed): the kept issue was looked for in at most
// MaxIssuePages pages of ALL issues and pull requests, newest first. Once
// 2,000 newer issues or pull requests existed (a busy repository over time,
// or anyone opening them on purpose), the sweep no longer found its issue and
// created a second one; the first stayed open forever with a stale body.
// Fixed: the issue is created with its label and looked for first among the
// issues with that label (labels=, state=all), which spam cannot push out of
// reach (labelling takes triage access).
func TestSweepAttackKeepIssueDuplicateAfterManyIssues(t *testing.T) {
	s := newServer(t)
	s.AddRepo(testRepo.String(), false)
	c, _ := newClient(t, s)
	ctx := context.Background()
	first, a, err := c.KeepIssue(ctx, testRepo, issueMarker, "Evidence status", issueLabel, issueMarker+"\n1 failing\n", true, "")
	if err != nil || a != github.IssueCreated {
		t.Fatalf("%v %s", err, a)
	}
	spam := githubtest.User{Login: "mallory", Type: "User"}
	for i := range github.MaxIssuePages * 100 {
		s.AddIssue(testRepo.String(), spam, fmt.Sprintf("spam %d", i), "x")
	}
	second, a, err := c.KeepIssue(ctx, testRepo, issueMarker, "Evidence status", issueLabel, issueMarker+"\n2 failing\n", true, "")
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Fatalf("a second evidence status issue #%d was %s; #%d stays open with a stale body", second, a, first)
	}
}

// The label only narrows the search: an issue someone else opened with the
// label, the title and the marker at the top is never taken for the kept
// issue (labels can be set by anyone who triages; the author is the check).
func TestSweepAttackKeepIssueLabelledByAnother(t *testing.T) {
	s := newServer(t)
	s.AddRepo(testRepo.String(), false)
	mallory := githubtest.User{Login: "mallory", Type: "User"}
	theirs := s.AddLabeledIssue(testRepo.String(), mallory, "Evidence status", issueMarker+"\nall fine, nothing to see\n", issueLabel)
	c, _ := newClient(t, s)
	n, a, err := c.KeepIssue(context.Background(), testRepo, issueMarker, "Evidence status", issueLabel, issueMarker+"\n1 failing\n", true, "")
	if err != nil || n == theirs || a != github.IssueCreated {
		t.Fatalf("#%d %s %v: the labelled issue of another author (#%d) was taken", n, a, err, theirs)
	}
	for _, is := range s.Issues(testRepo.String()) {
		if is.Number == theirs && is.Edits != 0 {
			t.Fatalf("their issue was edited: %+v", is)
		}
	}
}
