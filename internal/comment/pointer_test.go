package comment_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/verify"
)

// pointerRow is a pointer row that passed, signed by identity.
func pointerRow(recipe, identity string, v verify.Verdict) comment.Row {
	idx := int64(101)
	res := &verify.Result{Mode: "verify", Verdict: v,
		Signature: &verify.SignatureInfo{Signed: true, Verified: true, Allowed: true, Class: "community", Identity: identity, Issuer: "https://oidc.example", LogIndex: idx, SCTIgnored: true}}
	return comment.Row{Recipe: recipe, PointerPath: "recipes/evidence/" + recipe + "/x/sha256-1.yaml", Outcome: comment.OutcomeVerified, Verdict: v, Result: res,
		Pointer: &comment.PointerInfo{Source: "058861a7ee8536cddd20f3c5a1e98b12", Identity: identity, Issuer: "https://oidc.example", OCI: "127.0.0.1:5000/aicr-evidence:t", Digest: fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(identity))), RekorLogIndex: &idx}}
}

// Corroboration counts distinct (issuer, identity) of a recipe's pointer
// rows that passed with a verified, trusted signature: not a second pointer
// of the same signer, nor a failing one, nor a bundle row.
func TestCorroboration(t *testing.T) {
	bundleRow := pointerRow("r", "bundle-signer", verify.VerdictPassed)
	bundleRow.PointerPath = ""
	untrusted := pointerRow("r", "untrusted", verify.VerdictPassed)
	untrusted.Result.Signature.Allowed = false
	r := &comment.Report{Rows: []comment.Row{
		pointerRow("r", "alice", verify.VerdictPassed),
		pointerRow("r", "bob", verify.VerdictPassed),
		pointerRow("r", "alice", verify.VerdictPassed),
		pointerRow("r", "carol", verify.VerdictFailing),
		bundleRow, untrusted,
		pointerRow("single", "alice", verify.VerdictPassed),
		{Recipe: "p", PointerPath: "recipes/evidence/p.yaml", Outcome: comment.OutcomePending, Verdict: verify.VerdictError, Pointer: &comment.PointerInfo{Pending: true}},
	}}
	r.Tally()
	if len(r.Corroboration) != 1 || r.Corroboration[0] != (comment.Corroboration{Recipe: "r", Signers: 2}) {
		t.Fatalf("corroboration %+v", r.Corroboration)
	}
	// The pending pointer is no evidence yet: missing, never "could not decide".
	if r.Counts.Missing != 1 || r.Counts.Errors != 0 || r.Verdict != verify.VerdictFailing {
		t.Fatalf("counts %+v, verdict %s", r.Counts, r.Verdict)
	}
	md := comment.Render(r, comment.MaxCommentChars)
	if n := strings.Count(md, "👥 2 independent signers"); n != 3 { // the three passed pointer rows of r
		t.Errorf("%d rows show the signers, want 3\n%s", n, md)
	}
	for _, want := range []string{"📭 pending", "unsigned and pending", "⚠️ no SCT (opt-out)", "Corroborated: 2 independent signers"} {
		if !strings.Contains(md, want) {
			t.Errorf("the comment lacks %q\n%s", want, md)
		}
	}
}

// Every string of a pointer row (the recipe, the paths, the claims, the
// add-only reason) is escaped: rendered by goldmark and cmark-gfm the
// comment has the template's shape whatever they hold.
func TestHostilePointerRows(t *testing.T) {
	rs := renderers(t)
	for _, s := range hostile {
		a, b := pointerRow(s, s, verify.VerdictPassed), pointerRow(s, s+"2", verify.VerdictPassed)
		for i, row := range []*comment.Row{&a, &b} {
			row.PointerPath, row.Reason, row.Detail = "p/"+s, s, s
			// Two artifacts (one signed twice is one signer).
			row.Pointer.Source, row.Pointer.Issuer, row.Pointer.OCI, row.Pointer.Digest = s, s, s, s+strings.Repeat("2", i)
		}
		r := &comment.Report{RunURL: runURL, Rows: []comment.Row{a, b,
			{Recipe: s, PointerPath: "p/" + s, Outcome: comment.OutcomePending, Verdict: verify.VerdictError, Pointer: &comment.PointerInfo{Pending: true}},
			{Recipe: s, PointerPath: "p/" + s, AddOnly: s, Detail: s, Outcome: comment.OutcomeOrphan, Verdict: verify.VerdictInvalid},
		}}
		r.Tally()
		// The summary (header and 4 rows), a checks table (header only) for
		// each verified row, a <details> per row.
		p := checkRenderedBy(t, rs, comment.Render(r, comment.MaxSummaryBytes), shape{Links: []string{runURL}, Details: 4, Headings: 1, Tables: 3, Rows: 5 + 2})
		n := 0
		for _, text := range p.Texts {
			if strings.HasSuffix(text, "👥 2 independent signers") {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%q: %d cells show the independent signers, want 2: %q", s, n, p.Texts)
		}
	}
}
