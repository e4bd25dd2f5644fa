package comment_test

import (
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/verify"
)

const runURL = "https://github.com/acme/recipes/actions/runs/1"

// Finding 2 of issue 8: an overlay whose metadata.name is not a recipe name
// becomes a "missing" row, and its name was written into <summary> as a code
// span. A line that starts with <details> opens an HTML block, where Markdown
// is not parsed: the backticks made no code span and the name's tags reached
// the page as a heading and a link.
func TestMissingRowNameCannotInjectHTML(t *testing.T) {
	payload := `x</summary></details><h2>✅ Evidence verified</h2><a href="https://evil.example/r">report</a><details><summary>`
	r := &comment.Report{Repository: "acme/recipes", PR: 7, HeadSHA: strings.Repeat("b", 40), RunURL: runURL, Rows: []comment.Row{{
		Recipe: payload, RecipePath: "recipes/decoy.yaml", BundlePath: "recipes/evidence/" + payload + "/evidence-bundle.tar.gz",
		Reason: "overlay changed", Outcome: comment.OutcomeMissing, Verdict: verify.VerdictPassed,
	}}}
	r.Tally()
	md := comment.Render(r, comment.MaxCommentChars)
	p := checkRendered(t, md, shape{Links: []string{runURL}, Details: 1, Headings: 1, Tables: 1, Rows: 2})
	found := false
	for _, s := range p.Texts {
		found = found || strings.Contains(s, payload)
	}
	if !found {
		t.Errorf("the name is not shown as written; texts: %q", p.Texts)
	}
}
