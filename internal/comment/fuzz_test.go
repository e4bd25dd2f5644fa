package comment_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/verify"
)

// hostileReport is a report of two rows (a verified bundle and a missing one)
// in which every string a PR or a bundle controls is one of the inputs, and
// the shape the template alone gives its rendering.
func hostileReport(name, identity, path, test, detail string) (*comment.Report, shape) {
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	res := &verify.Result{Mode: "verify", Verdict: verify.VerdictPassed, Summary: detail,
		Recipe: &verify.RecipeInfo{Name: name, Digest: detail},
		Signature: &verify.SignatureInfo{Signed: true, Verified: true, Allowed: true, Class: detail, Label: name,
			Identity: identity, Issuer: identity, SignedAt: &at, LogIndex: 7},
		Phases:   []verify.PhaseInfo{{Phase: test, Passed: 1, Skipped: 1}},
		Coverage: []schema.PhaseCoverage{{Phase: test, Declared: []string{test, name}, Covered: []string{test}, Missing: []string{name}}},
		Checks: []verify.Check{
			{Name: verify.CheckCTRF, Title: test, Status: verify.StatusPassed, Detail: detail, Rows: []verify.Row{{Key: test, Value: detail}}},
			{Name: verify.CheckFingerprint, Title: name, Status: verify.StatusPassed, Detail: path},
		},
	}
	r := &comment.Report{Repository: name, PR: 7, HeadSHA: detail, RunURL: runURL, Notes: []string{detail, path},
		Rows: []comment.Row{
			{Recipe: name, RecipePath: path, BundlePath: path, Reason: detail, Outcome: comment.OutcomeVerified, Verdict: res.Verdict, Result: res,
				Match: &comment.RecipeMatch{Kind: test, Summary: detail, Differences: []comment.Difference{{Path: path, PRSays: detail, BundleSays: test, SetBy: path}}}},
			{Recipe: name, RecipePath: path, BundlePath: path, Reason: detail, Detail: detail, Outcome: comment.OutcomeMissing, Verdict: verify.VerdictPassed},
		}}
	r.Tally()
	// Tables: the summary (header and 2 rows), and for the verified row its
	// phases, coverage, checks (2) and differences (1), each with a header.
	return r, shape{Links: []string{runURL}, Details: 2, Headings: 1, Tables: 5, Rows: 3 + 2 + 2 + 3 + 2}
}

// checkHostile renders the hostile report of the inputs and checks that its
// shape is the template's and that the recipe name reads back as written.
func checkHostile(t *testing.T, rs []renderer, name, identity, path, test, detail string) {
	t.Helper()
	r, want := hostileReport(name, identity, path, test, detail)
	md := comment.Render(r, comment.MaxSummaryBytes)
	p := checkRenderedBy(t, rs, md, want)
	for _, s := range p.Texts {
		if strings.HasPrefix(s, "📭 missing —") {
			if got, wantText := s, strings.TrimSpace("📭 missing — "+visible(name)); got != wantText {
				t.Fatalf("the summary of the missing row reads %q, want %q", got, wantText)
			}
			return
		}
	}
	t.Fatalf("no summary for the missing row in %q", p.Texts)
}

// Every hostile string, in every field at once, through goldmark and cmark-gfm.
func TestHostileReport(t *testing.T) {
	rs := renderers(t)
	for _, s := range hostile {
		checkHostile(t, rs, s, s, s, s, s)
	}
}

// FuzzComment renders reports whose names, identities, paths and test names
// are arbitrary (goldmark only: a cmark-gfm process per input is too slow for
// fuzzing; TestHostileReport runs the seeds through both).
func FuzzComment(f *testing.F) {
	for i, s := range hostile {
		f.Add(s, hostile[(i+1)%len(hostile)], hostile[(i+2)%len(hostile)], hostile[(i+3)%len(hostile)], hostile[(i+4)%len(hostile)])
	}
	f.Add("h100-eks-ubuntu-training", "https://github.com/a/b/.github/workflows/<w>.yml@refs/heads/`x`", "recipes/a.yaml", "nccl-all-reduce-bw", "ok")
	gmOnly := []renderer{{"goldmark", goldmarkHTML}}
	f.Fuzz(func(t *testing.T, name, identity, path, test, detail string) {
		for _, s := range []string{name, identity, path, test, detail} {
			if len(s) > 2048 {
				t.Skip("inputs over 2 KiB only make the comment longer")
			}
		}
		checkHostile(t, gmOnly, name, identity, path, test, detail)
	})
}
