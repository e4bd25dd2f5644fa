package comment_test

import (
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Adversarial review (R1) of corroboration: "N independent signers" is a
// claim reviewers rely on, so it must not be inflated.

// One repository signing through two workflows, or one workflow on two refs,
// is one signer: whoever controls the repository controls both identities.
// Counting them as "2 independent signers" overstates the evidence.
func TestPointerAttackCorroborationOneRepositoryTwoIdentities(t *testing.T) {
	for name, ids := range map[string][2]string{
		"two workflows": {"https://github.com/acme/lab/.github/workflows/a.yml@refs/heads/main", "https://github.com/acme/lab/.github/workflows/b.yml@refs/heads/main"},
		"two refs":      {"https://github.com/acme/lab/.github/workflows/a.yml@refs/heads/main", "https://github.com/acme/lab/.github/workflows/a.yml@refs/tags/v1"},
	} {
		t.Run(name, func(t *testing.T) {
			r := &comment.Report{Rows: []comment.Row{pointerRow("r", ids[0], verify.VerdictPassed), pointerRow("r", ids[1], verify.VerdictPassed)}}
			r.Tally()
			md := comment.Render(r, comment.MaxCommentChars)
			if len(r.Corroboration) != 0 || strings.Contains(md, "independent signers") {
				t.Errorf("one repository counted as %+v independent signers", r.Corroboration)
			}
		})
	}
}

// Held: rows that do not stand as evidence never corroborate — an add-only
// violation (invalid whatever its content shows), a row that could not be
// decided, a signer the policy does not trust, another recipe's row, or a
// signature that was not verified.
func TestPointerAttackCorroborationOnlyPassedTrustedRows(t *testing.T) {
	addOnly := pointerRow("r", "mallory", verify.VerdictInvalid)
	addOnly.AddOnly = "pointer files are add-only: this PR edits x"
	undecided := pointerRow("r", "eve", verify.VerdictError)
	untrusted := pointerRow("r", "trent", verify.VerdictPassed)
	untrusted.Result.Signature.Allowed = false
	unverified := pointerRow("r", "oscar", verify.VerdictPassed)
	unverified.Result.Signature.Verified = false
	other := pointerRow("r2", "bob", verify.VerdictPassed)
	missing := pointerRow("r", "peggy", verify.VerdictPassed)
	missing.Outcome = comment.OutcomeMissing
	r := &comment.Report{Rows: []comment.Row{pointerRow("r", "alice", verify.VerdictPassed), addOnly, undecided, untrusted, unverified, other, missing}}
	r.Tally()
	if len(r.Corroboration) != 0 {
		t.Fatalf("corroboration %+v from rows that prove nothing", r.Corroboration)
	}
	if md := comment.Render(r, comment.MaxCommentChars); strings.Contains(md, "independent signers") {
		t.Errorf("the comment claims independent signers:\n%s", md)
	}
}

// Held: a pointer's claimed fields (attacker-written) render as inert text:
// no HTML, no mention, no link, no second line, whatever they hold.
func TestPointerAttackPointerFieldsInert(t *testing.T) {
	evil := "x</code><img src=x onerror=alert(1)>\n\n## @acme/admins [click](https://evil.example) ::error::pwn #1"
	row := pointerRow("r", evil, verify.VerdictInvalid)
	row.Pointer.OCI, row.Pointer.Issuer, row.Pointer.Source, row.Pointer.Digest = evil, evil, evil, evil
	row.PointerPath = "recipes/evidence/r/" + evil + "/sha256-1.yaml"
	row.AddOnly, row.Detail = evil, evil
	r := &comment.Report{Rows: []comment.Row{row}}
	r.Tally()
	md := comment.Render(r, comment.MaxCommentChars)
	for _, bad := range []string{"<img", "@acme/admins", "](https://evil", "::error::", "#1", "</code><img"} {
		if strings.Contains(md, bad) {
			t.Errorf("the comment holds %q", bad)
		}
	}
	// The same row with benign text has the same headings: none injected.
	plain := pointerRow("r", "alice", verify.VerdictInvalid)
	plain.AddOnly, plain.Detail = "a", "b"
	pr := &comment.Report{Rows: []comment.Row{plain}}
	pr.Tally()
	if got, want := strings.Count(md, "\n#"), strings.Count(comment.Render(pr, comment.MaxCommentChars), "\n#"); got != want {
		t.Errorf("%d headings, want %d", got, want)
	}
}

// Two signers over the very same artifact (one pinned digest) are one piece
// of evidence signed twice: a second signer who re-signs someone else's
// statement (or signs a copy of the artifact pushed to their own
// repository) ran nothing. "Independent signers" must count distinct
// evidence, not signatures over one artifact — otherwise any trusted signer
// can corroborate anything by re-signing it.
func TestPointerAttackCorroborationSameArtifactResigned(t *testing.T) {
	a := pointerRow("r", "https://github.com/lab-a/evidence/.github/workflows/e.yml@refs/heads/main", verify.VerdictPassed)
	b := pointerRow("r", "https://github.com/lab-b/evidence/.github/workflows/e.yml@refs/heads/main", verify.VerdictPassed)
	b.Pointer.OCI = "ghcr.io/lab-b/evidence:copy" // same digest, another repository
	b.Pointer.Digest = a.Pointer.Digest
	if a.Pointer.Digest != b.Pointer.Digest {
		t.Fatal("want one artifact")
	}
	r := &comment.Report{Rows: []comment.Row{a, b}}
	r.Tally()
	if len(r.Corroboration) != 0 {
		t.Errorf("one artifact signed twice counted as %+v independent signers", r.Corroboration)
	}
}

// The same run's evidence re-pushed as another artifact (a new manifest
// digest: another annotation, another layer packing) and signed by a second
// trusted account is still one run: rows sharing a signed evidence digest
// (the manifest's or a CTRF report's) are one signer; distinct evidence from
// two accounts is two.
func TestPointerAttackCorroborationSameEvidenceRepushed(t *testing.T) {
	a := pointerRow("r", "https://github.com/lab-a/evidence/.github/workflows/e.yml@refs/heads/main", verify.VerdictPassed)
	b := pointerRow("r", "https://github.com/lab-b/evidence/.github/workflows/e.yml@refs/heads/main", verify.VerdictPassed)
	a.Result.Predicate = &verify.PredicateInfo{EvidenceDigests: []string{"sha256:aaa", "sha256:ctrf-deploy"}}
	b.Result.Predicate = &verify.PredicateInfo{EvidenceDigests: []string{"sha256:bbb", "sha256:ctrf-deploy"}}
	r := &comment.Report{Rows: []comment.Row{a, b}}
	r.Tally()
	if len(r.Corroboration) != 0 {
		t.Errorf("one run's CTRF report under two artifacts counted as %+v independent signers", r.Corroboration)
	}
	b.Result.Predicate = &verify.PredicateInfo{EvidenceDigests: []string{"sha256:bbb", "sha256:ctrf-other"}}
	r = &comment.Report{Rows: []comment.Row{a, b}}
	r.Tally()
	if len(r.Corroboration) != 1 || r.Corroboration[0].Signers != 2 {
		t.Errorf("two accounts with distinct evidence: corroboration %+v, want 2 signers", r.Corroboration)
	}
}

// An owner spelled with percent-escapes or another case is the same
// account: a second reader (a browser, GitHub) decodes and folds it.
func TestPointerAttackCorroborationOwnerSpelling(t *testing.T) {
	a := pointerRow("r", "https://github.com/acme/lab/.github/workflows/a.yml@refs/heads/main", verify.VerdictPassed)
	b := pointerRow("r", "https://github.com/%41CME/other/.github/workflows/b.yml@refs/heads/main", verify.VerdictPassed)
	r := &comment.Report{Rows: []comment.Row{a, b}}
	r.Tally()
	if len(r.Corroboration) != 0 {
		t.Errorf("one account spelled two ways counted as %+v independent signers", r.Corroboration)
	}
}
