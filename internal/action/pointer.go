package action

import (
	"context"
	"fmt"

	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/diff"
	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/pointercheck"
	"github.com/aicr/verify-evidence/internal/verify"
)

// verifyPointer verifies a pointer item: the pointer file read from the PR
// head, the artifact it pins pulled from its registry by digest, both through
// source.Verify (the pipeline `verify-evidence verify <pointer>` runs), then
// the recipe cross-check every item gets. A pointer that edits an existing
// one (add-only) is invalid whatever the verification finds.
func (r *Runner) verifyPointer(ctx context.Context, head *headTree, plan *diff.Plan, v *verify.Verifier, it diff.Item, in comment.Row) (row comment.Row) {
	row = in
	row.PointerPath, row.AddOnly = it.PointerPath, it.AddOnly
	defer func() { // on every return: the row as returned
		if row.AddOnly != "" {
			if row.Outcome == comment.OutcomePending {
				row.Outcome = comment.OutcomeVerified // invalid, never "missing"
			}
			row.Verdict = row.Verdict.Worse(verify.VerdictInvalid)
			row.Detail = joinDetail(row.AddOnly, row.Detail)
		}
	}()
	b, err := head.read(ctx, it.PointerPath, pointer.MaxBytes)
	if err != nil {
		row.Outcome, row.Verdict = comment.OutcomeUnreadable, verify.VerdictError
		row.Detail = fmt.Sprintf("could not fetch the pointer file (retrying may help): %v", err)
		if github.IsTooLarge(err) {
			row.Verdict, row.Detail = verify.VerdictInvalid, fmt.Sprintf("the pointer file is larger than %d bytes: %v", pointer.MaxBytes, err)
		}
		return row
	}
	var prRecipe []byte
	if it.RecipePath != "" {
		if prRecipe, err = head.Read(ctx, it.RecipePath); err != nil {
			row.Outcome, row.Verdict, row.Detail = comment.OutcomeUnreadable, verify.VerdictError, fmt.Sprintf("could not fetch the recipe (retrying may help): %v", err)
			return row
		}
	}
	if r.pointerPulls == nil {
		r.pointerPulls = pointercheck.NewBudget(MaxPointerPulls, fmt.Sprintf("the PR needs more than %d artifacts pulled for its pointer files in one run; split the PR", MaxPointerPulls))
	}
	out := pointercheck.Check(ctx, plan, v, it, b, r.pointerPulls, pointercheck.Registry{
		PlainHTTP: r.In.PlainHTTP, Credential: r.registryCredential(), Timeout: PointerPullTimeout})
	row.Outcome, row.Verdict, row.Detail, row.Pointer = out.Outcome, out.Verdict, out.Detail, out.Pointer
	if out.Result == nil {
		return row
	}
	res := out.Result
	row.Result = res
	if prRecipe != nil && res.Verdict != verify.VerdictError {
		r.applyCrossCheck(ctx, plan, it, prRecipe, res, &row)
	}
	return row
}

// Bounds of the pulls one run makes for pointer files: each pull reads at
// most oci.DefaultMaxLayerBytes of layer.
const (
	MaxPointerPulls    = pointercheck.MaxPulls
	PointerPullTimeout = pointercheck.PullTimeout
)

// registryCredential is oci.DefaultCredential (the docker config, then
// GITHUB_TOKEN for ghcr.io) with the action's github-token for ghcr.io when
// neither has one: the packages of the repository's owner are read with it.
func (r *Runner) registryCredential() auth.CredentialFunc {
	def := oci.DefaultCredential()
	return func(ctx context.Context, host string) (auth.Credential, error) {
		c, err := def(ctx, host)
		if err == nil && c == auth.EmptyCredential && host == "ghcr.io" && r.In.Token != "" {
			return auth.Credential{Username: "x-access-token", Password: r.In.Token}, nil
		}
		return c, err
	}
}

// removedPointerRow is the row of a pointer file the PR deletes or moves out
// of the layout: pointers are add-only.
func removedPointerRow(it diff.Item) comment.Row {
	return comment.Row{Recipe: it.RecipeName, PointerPath: it.PointerPath, Reason: it.Reason, AddOnly: it.AddOnly,
		Outcome: comment.OutcomeOrphan, Verdict: verify.VerdictInvalid, Detail: it.AddOnly}
}

func joinDetail(a, b string) string {
	if b == "" || b == a {
		return a
	}
	return a + "; " + b
}
