package sweep

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Issue is the one issue the scheduled sweep keeps up to date.
const (
	IssueTitle  = "Evidence status"
	IssueMarker = "<!-- verify-evidence:evidence-status -->"
	// IssueLabel is the label the issue is created with and found by.
	IssueLabel = "evidence-status"
	// maxIssueRows bounds each list of the issue (GitHub's body limit is
	// 65,536 characters); the rest is on the status page.
	maxIssueRows = 100
)

// IssueBody is the body of the "Evidence status" issue for a report, and
// whether the issue should be open: evidence that is invalid, failing or
// undecided (since when, and what changed then), evidence that expires
// within 30 days, and recipes without evidence. It holds dates, never
// ages or countdowns, so the same state gives the same body and the issue
// is not edited when nothing changed. pageURL links the status page ("":
// none).
func IssueBody(rep *Report, pageURL string) (string, bool) {
	// GitHub refuses bodies over 65,536 characters: fewer rows until it fits.
	for rows := maxIssueRows; ; rows /= 2 {
		body, open := issueBody(rep, pageURL, rows)
		if utf8.RuneCountInString(body) <= maxIssueChars || rows <= 1 {
			return body, open
		}
	}
}

// maxIssueChars keeps the issue body under GitHub's 65,536-character limit.
const maxIssueChars = 60_000

// maxIssueCell bounds one cell of the issue's tables, before escaping.
const maxIssueCell = 300

func issueBody(rep *Report, pageURL string, maxRows int) (string, bool) {
	var bad, expiring, missing []*Recipe
	for i := range rep.Recipes {
		r := &rep.Recipes[i]
		switch {
		case r.Missing():
			missing = append(missing, r)
		case r.Verdict != verify.VerdictPassed:
			bad = append(bad, r)
		case r.Expiring(rep.GeneratedAt):
			expiring = append(expiring, r)
		}
	}
	var b strings.Builder
	b.WriteString(IssueMarker + "\n")
	open := len(bad)+len(expiring)+len(missing) > 0 || len(rep.Recipes) == 0
	switch {
	case len(rep.Recipes) == 0:
		// Nothing swept is nothing decided (a wrong recipe-paths, moved
		// recipes): never "all fine".
		b.WriteString("The scheduled sweep found **no recipe** under its recipe paths: nothing was verified. Check the workflow's `recipe-paths` and `evidence-dir`.\n")
	case !open:
		fmt.Fprintf(&b, "All %d recipes have evidence that passes, none expiring within %d days. This issue reopens when that changes.\n", len(rep.Recipes), int(ExpiringWithin.Hours()/24))
	default:
		fmt.Fprintf(&b, "The scheduled sweep of recipe evidence found what needs a maintainer (%d recipes swept", len(rep.Recipes))
		if rep.MaxAgeDays > 0 {
			fmt.Fprintf(&b, "; evidence expires %d days after it was attested", rep.MaxAgeDays)
		}
		b.WriteString("). This issue is kept up to date and closes itself when everything is fine.\n")
	}
	if pageURL != "" {
		fmt.Fprintf(&b, "\nStatus page: %s\n", comment.Link(pageURL, pageURL))
	}
	section(&b, "Invalid, failing or undecided", "| Recipe | Verdict | Since | What changed then | Why |\n|---|---|---|---|---|\n", bad, maxRows, func(r *Recipe) string {
		return fmt.Sprintf("| %s | %s %s | %s | %s | %s |", comment.Code(cell(r.Name)), verdictIcon(r), VerdictWord(r), dateOf(r.VerdictSince), orDash(comment.Text(cell(r.Change))), comment.Text(cell(issueWhy(r, rep.GeneratedAt))))
	})
	section(&b, fmt.Sprintf("Expiring within %d days", int(ExpiringWithin.Hours()/24)), "| Recipe | Attested | Expires |\n|---|---|---|\n", expiring, maxRows, func(r *Recipe) string {
		return fmt.Sprintf("| %s | %s | %s |", comment.Code(cell(r.Name)), dateOf(r.AttestedAt), dateOf(r.ExpiresAt))
	})
	section(&b, "Without evidence", "| Recipe | Expected bundle |\n|---|---|\n", missing, maxRows, func(r *Recipe) string {
		return fmt.Sprintf("| %s | %s |", comment.Code(cell(r.Name)), comment.Code(cell(r.BundlePath)))
	})
	return b.String(), open
}

// issueWhy is a row's reason in the issue: for evidence past its maximum age
// the date it expired (not an age, which would change the body every day).
func issueWhy(r *Recipe, now time.Time) string {
	if r.ExpiresAt != nil && r.ExpiresAt.Before(now) {
		return "evidence expired on " + dateOf(r.ExpiresAt) + " (attested " + dateOf(r.AttestedAt) + ")"
	}
	return r.Detail
}

// cell bounds a table cell's text.
func cell(s string) string {
	if utf8.RuneCountInString(s) <= maxIssueCell {
		return s
	}
	return string([]rune(s)[:maxIssueCell-1]) + "…"
}

func section(b *strings.Builder, title, head string, rows []*Recipe, maxRows int, line func(*Recipe) string) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "\n### %s (%d)\n\n%s", title, len(rows), head)
	for i, r := range rows {
		if i == maxRows {
			fmt.Fprintf(b, "\nand %d more: see the status page.\n", len(rows)-maxRows)
			return
		}
		b.WriteString(line(r) + "\n")
	}
}

func dateOf(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.UTC().Format(time.DateOnly)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
