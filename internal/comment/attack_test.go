package comment_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/verify"
)

// issueRef is what GitHub's post-render reference filter links in the text of
// a comment (outside <code>, <pre> and <a>): "#123", "GH-123",
// "owner/repo#123". The filter runs on the rendered HTML's text nodes, where
// numeric character references are already decoded, like the mention filter
// that Text defeats with a zero-width space after "@".
var issueRef = regexp.MustCompile(`(?:^|[^\w/])(?:#|GH-)\d+\b|[\w.-]+/[\w.-]+#\d+\b`)

// Attack: a CTRF test name, check detail, recipe reason or difference value that
// holds "#1", "GH-2" or "acme/recipes#3" goes through Text; "#" becomes
// "&#35;", which the renderer decodes back to "#" before GitHub's reference
// filter runs, so the comment links (and cross-references, with a back-link on
// the target) issues and PRs the attacker picks.
// Correct: after entity decoding, Text leaves no issue reference for GitHub to
// link (e.g. a zero-width space after "#", as after "@").
// BROKEN at the time of writing (internal/comment/escape.go: Text).
func TestAttackTextIssueReference(t *testing.T) {
	for _, s := range []string{"fixes #1", "#2", "see GH-3", "acme/recipes#4", "(#5)"} {
		got := html.UnescapeString(comment.Text(s))
		if m := issueRef.FindString(got); m != "" {
			t.Errorf("Text(%q) renders as %q: GitHub links the reference %q", s, got, m)
		}
	}
}

// The same through a full comment: a failing CTRF test named "closes #1" is
// quoted in the CTRF check's detail, which the details table shows with Text.
func TestAttackCommentIssueReferenceInCheckDetail(t *testing.T) {
	res := &verify.Result{Verdict: verify.VerdictFailing, Mode: "verify", Summary: "x", Checks: []verify.Check{{
		Name: verify.CheckCTRF, Title: "Test results (CTRF)", Status: verify.StatusFailed, Verdict: verify.VerdictFailing,
		Detail: `the evidence shows tests that did not pass — deployment: "closes #1" (failed)`,
	}}}
	r := &comment.Report{Repository: "acme/recipes", PR: 7, HeadSHA: strings.Repeat("b", 40), RunURL: runURL, Rows: []comment.Row{{
		Recipe: "h100", RecipePath: "recipes/h100.yaml", Outcome: comment.OutcomeVerified, Verdict: verify.VerdictFailing, Result: res,
	}}}
	r.Tally()
	md := comment.Render(r, comment.MaxCommentChars)
	for _, line := range strings.Split(md, "\n") {
		// Text inside <code> is not linked by GitHub; drop it before looking.
		line = regexp.MustCompile(`<code>.*?</code>`).ReplaceAllString(line, "")
		if m := issueRef.FindString(html.UnescapeString(line)); m != "" && !strings.Contains(line, "<sub>") {
			t.Errorf("comment line %q renders the issue reference %q", line, m)
		}
	}
}

// Attack (blocked): "@user", "@org/team" and "x@y" in Text render no mention
// once entities are decoded (a zero-width space follows "@").
func TestAttackTextMentionsBlocked(t *testing.T) {
	for _, s := range []string{"@octocat", "cc @acme/maintainers", "x@y"} {
		got := html.UnescapeString(comment.Text(s))
		if regexp.MustCompile(`@[A-Za-z0-9]`).MatchString(got) {
			t.Errorf("Text(%q) renders %q: a mention", s, got)
		}
	}
}
