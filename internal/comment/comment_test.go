package comment_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/verify"
)

func bigReport(rows int) *comment.Report {
	r := &comment.Report{Repository: "acme/recipes", PR: 7, HeadSHA: strings.Repeat("a", 40), RunURL: "https://github.com/acme/recipes/actions/runs/1"}
	for i := 0; i < rows; i++ {
		res := &verify.Result{Verdict: verify.VerdictPassed, Mode: "verify"}
		for j := 0; j < 11; j++ {
			res.Checks = append(res.Checks, verify.Check{Name: fmt.Sprint(j), Title: "Check", Status: verify.StatusPassed, Detail: strings.Repeat("detail ", 20)})
		}
		v := verify.VerdictPassed
		if i%7 == 0 {
			v = verify.VerdictInvalid
		}
		r.Rows = append(r.Rows, comment.Row{Recipe: fmt.Sprintf("recipe-%03d", i), Outcome: comment.OutcomeVerified, Verdict: v, Result: res})
	}
	r.Tally()
	return r
}

// A report too long for one comment drops whole rows (least urgent first),
// says how many, stays valid Markdown and within the limit.
func TestRenderTruncatesWholeRows(t *testing.T) {
	r := bigReport(120)
	out := comment.Render(r, comment.MaxCommentChars)
	if n := utf8.RuneCountInString(out); n > comment.MaxCommentChars {
		t.Fatalf("comment has %d characters, limit %d", n, comment.MaxCommentChars)
	}
	if !strings.HasPrefix(out, comment.Marker) {
		t.Fatal("marker missing")
	}
	if !strings.Contains(out, "more recipe(s) not shown") || !strings.Contains(out, r.RunURL) {
		t.Fatal("truncation notice or run link missing")
	}
	// Invalid rows come first, so they survive truncation.
	for i := 0; i < 120; i += 7 {
		if !strings.Contains(out, fmt.Sprintf("recipe-%03d", i)) {
			t.Fatalf("invalid recipe-%03d was dropped before passing ones", i)
		}
	}
	// What is kept renders as whole rows: one table row and one section with its
	// checks table (a header and 11 checks) each.
	kept := strings.Count(out, "<details><summary>")
	checkRendered(t, out, shape{Links: []string{r.RunURL}, Details: kept, Headings: 1, Tables: 1 + kept, Rows: 1 + kept + kept*12})
	full := comment.Render(r, comment.MaxSummaryBytes)
	if strings.Contains(full, "not shown") || !strings.Contains(full, "recipe-119") {
		t.Fatal("the summary must hold the full report")
	}
}

func TestTallyVerdict(t *testing.T) {
	r := &comment.Report{Rows: []comment.Row{
		{Verdict: verify.VerdictPassed},
		{Verdict: verify.VerdictFailing},
		{Outcome: comment.OutcomeMissing, Verdict: verify.VerdictPassed},
	}}
	r.Tally()
	if r.Verdict != verify.VerdictFailing || r.Counts.Passed != 1 || r.Counts.Failing != 1 || r.Counts.Missing != 1 {
		t.Fatalf("tally %+v %v", r.Counts, r.Verdict)
	}
	r.Rows = append(r.Rows, comment.Row{Verdict: verify.VerdictError})
	r.Tally()
	if r.Verdict != verify.VerdictError {
		t.Fatalf("error must outrank failing, got %v", r.Verdict)
	}
	r.Rows = append(r.Rows, comment.Row{Verdict: verify.VerdictInvalid})
	r.Tally()
	if r.Verdict != verify.VerdictInvalid {
		t.Fatalf("invalid must outrank error, got %v", r.Verdict)
	}
}
