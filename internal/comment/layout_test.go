package comment_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/verify"
)

// The comment as a maintainer sees it (issue 8): the verdict first, at most
// five columns, the signer shortened, and nothing from a bundle that failed
// verification marked ✅.
func TestSummaryTableLayout(t *testing.T) {
	r := exampleReport(t)
	md := comment.Render(r, comment.MaxCommentChars)
	out, err := goldmarkHTML(md)
	if err != nil {
		t.Fatal(err)
	}
	summary := tableCells(t, out)[0]
	if want := []string{"verdict", "recipe", "signer", "evidence", "recipe ↔ PR"}; !slices.Equal(summary[0], want) {
		t.Fatalf("summary header %q, want %q", summary[0], want)
	}
	rows := map[string][]string{}
	for _, row := range summary[1:] {
		if len(row) != 5 {
			t.Fatalf("row %q has %d cells", row, len(row))
		}
		rows[row[1]] = row
	}
	good, bad := rows["h100-eks-ubuntu-training"], rows["h200-oke-ubuntu-inference"]
	ptr := rows["gb200-eks-ubuntu-training pointer, source 058861a7…"]
	if good == nil || bad == nil || ptr == nil {
		t.Fatalf("rows %q", summary)
	}
	if !strings.HasPrefix(good[0], "✅") || !strings.HasPrefix(bad[0], "❌") {
		t.Errorf("verdict cells %q, %q", good[0], bad[0])
	}
	// The signer: repository, workflow, ref and class; the full identity is in the details.
	if want := "acme-gpu/recipe-evidence evidence.yml on main community (acme-gpu-lab)"; good[2] != want {
		t.Errorf("signer cell %q, want %q", good[2], want)
	}
	// A pointer row (AICR's layout): the source in the recipe cell, the SCT
	// opt-out under the signer, and the pinned artifact and Rekor entry in the details.
	if want := "acme-gpu/recipe-evidence evidence.yml on main community (acme-gpu-lab) ⚠️ no SCT (opt-out)"; ptr[2] != want || !strings.HasPrefix(ptr[0], "✅") {
		t.Errorf("pointer row %q", ptr)
	}
	if !strings.Contains(md, "artifact "+comment.Code("ghcr.io/nvidia/aicr-evidence:gb200-eks-ubuntu-training-35ac98ecb1ae")+" @ "+comment.Code("sha256:addd96562f55…")+", Rekor log index 101 claimed.") {
		t.Error("the pointer's artifact and Rekor entry are not in its details")
	}
	if !strings.Contains(md, comment.Code("https://github.com/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/heads/main")) {
		t.Error("the full identity is not in the details")
	}
	if !strings.Contains(good[3], "✅ deployment") || !strings.Contains(good[3], "✅ hardware matches") {
		t.Errorf("verified evidence of the passing bundle not shown: %q", good[3])
	}
	// The invalid bundle's CTRF files failed integrity: nothing read from its
	// predicate may show as verified.
	if strings.Contains(bad[3], "✅") || !strings.Contains(bad[3], "hardware not verified") || !strings.Contains(bad[3], "test results: failed verification") {
		t.Errorf("evidence of the invalid bundle: %q", bad[3])
	}
	if !strings.Contains(md, "| 10 | Fingerprint and criteria | ➖ passed, input not verified |") {
		t.Error("the invalid bundle's fingerprint check is marked verified in its details")
	}
	if !strings.Contains(md, "Test results as the predicate states them — **not verified**") {
		t.Error("the invalid bundle's phases are not labelled not verified in its details")
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "<details><summary>") && strings.Contains(line, "`") {
			t.Errorf("literal backticks in a summary: %s", line)
		}
	}
}

// A verified signer carries the class and label the policy gave it (a pin
// from the action's inputs is labelled by the policy, not by the comment); a
// signer the policy does not trust is said to be off the list.
func TestSignerLabel(t *testing.T) {
	id := "https://github.com/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/tags/v1.2"
	for _, tc := range []struct {
		sig  verify.SignatureInfo
		want string
	}{
		{verify.SignatureInfo{Allowed: true, Class: "action inputs", Label: "certificate-identity-regexp"}, "acme-gpu/recipe-evidence evidence.yml on refs/tags/v1.2 action inputs (certificate-identity-regexp)"},
		{verify.SignatureInfo{Allowed: true, Class: "maintainer"}, "acme-gpu/recipe-evidence evidence.yml on refs/tags/v1.2 maintainer"},
		{verify.SignatureInfo{Allowed: false}, "acme-gpu/recipe-evidence evidence.yml on refs/tags/v1.2 ❌ not on the list"},
		{verify.SignatureInfo{Allowed: true, Class: "community", Identity: "mallory@evil.example"}, "mallory@\u200bevil.example community"},
	} {
		sig := tc.sig
		sig.Signed, sig.Verified = true, true
		if sig.Identity == "" {
			sig.Identity = id
		}
		res := &verify.Result{Mode: "verify", Verdict: verify.VerdictPassed, Signature: &sig}
		r := &comment.Report{Rows: []comment.Row{{Recipe: "r", Outcome: comment.OutcomeVerified, Verdict: verify.VerdictPassed, Result: res}}}
		r.Tally()
		out, err := goldmarkHTML(comment.Render(r, comment.MaxCommentChars))
		if err != nil {
			t.Fatal(err)
		}
		if got := tableCells(t, out)[0][1][2]; got != tc.want {
			t.Errorf("signer cell %q, want %q", got, tc.want)
		}
	}
}

// Coverage: the summary says how many declared checks a phase tests, a
// declared phase without a report is a failure, and the details name the
// untested checks.
func TestCoverageShown(t *testing.T) {
	res := &verify.Result{Mode: "verify", Verdict: verify.VerdictFailing,
		Checks: []verify.Check{{Name: verify.CheckCTRF, Title: "Test results (CTRF)", Status: verify.StatusFailed, Verdict: verify.VerdictFailing}},
		Phases: []verify.PhaseInfo{{Phase: "deployment", Passed: 3}, {Phase: "performance", Skipped: 2}},
		Coverage: []schema.PhaseCoverage{
			{Phase: "deployment", Declared: []string{"a", "b", "c", "d"}, Covered: []string{"a", "b", "c"}, Missing: []string{"d"}},
			{Phase: "performance", Declared: []string{}, Covered: []string{}, Missing: []string{}},
			{Phase: "conformance", Declared: []string{"e"}, Covered: []string{}, Missing: []string{"e"}},
		}}
	r := &comment.Report{Rows: []comment.Row{{Recipe: "r", Outcome: comment.OutcomeVerified, Verdict: res.Verdict, Result: res}}}
	r.Tally()
	md := comment.Render(r, comment.MaxCommentChars)
	// Tables: summary, phases, coverage, checks.
	checkRendered(t, md, shape{Details: 1, Headings: 1, Tables: 4, Rows: 2 + 3 + 4 + 2})
	out, err := goldmarkHTML(md)
	if err != nil {
		t.Fatal(err)
	}
	tables := tableCells(t, out)
	if want := "✅ deployment 3/3 · 3/4 checks tested ❌ performance 0/0, 2 skipped ❌ conformance: no report hardware not verified"; tables[0][1][3] != want {
		t.Errorf("evidence cell %q, want %q", tables[0][1][3], want)
	}
	if want := [][]string{{"phase", "tested", "untested"}, {"deployment", "3 of 4", "d"}, {"performance", "no checks declared", "—"}, {"conformance", "0 of 1", "e"}}; !slices.EqualFunc(tables[2], want, slices.Equal) {
		t.Errorf("coverage table %q, want %q", tables[2], want)
	}
}
