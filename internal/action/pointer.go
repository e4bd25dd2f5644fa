package action

import (
	"context"
	"fmt"
	"time"

	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/diff"
	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/source"
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
	reg := pointerRegistry(b)
	if reg != "" {
		if r.pulls >= MaxPointerPulls {
			row.Outcome, row.Verdict = comment.OutcomeUnreadable, verify.VerdictError
			row.Detail = (&diff.TooLargeError{Detail: fmt.Sprintf("the PR needs more than %d artifacts pulled for its pointer files in one run; split the PR", MaxPointerPulls)}).Error()
			return row
		}
		r.pulls++
	}
	opts := source.RemoteOptions{PointerPath: plan.AICRPointerPath(it.PointerPath),
		OCI: oci.Options{PlainHTTP: r.In.PlainHTTP(reg), Credential: r.registryCredential(), Timeout: PointerPullTimeout}}
	src := source.PointerSource(it.PointerPath, b, opts)
	defer src.Close()
	row.Pointer = pointerInfo(src.Pointer())
	if p := src.Pointer(); p != nil && p.Pending() {
		// The rule of `verify` (pointer.File.Pending: nothing pushed, so
		// nothing to decide on; exit 3) read for a PR: no evidence yet,
		// like a recipe without a bundle. Its verdict stays "error" in the
		// JSON row; the outcome counts it as missing.
		row.Outcome, row.Verdict = comment.OutcomePending, verify.VerdictError
		row.Detail = "an unsigned, pending pointer: it names no pushed bundle, so there is nothing to verify yet; push and sign the bundle (aicr evidence publish) and add its pointer"
		return row
	}
	res := source.Verify(ctx, v, src, verify.Options{})
	row.Result, row.Verdict = res, res.Verdict
	if res.Verdict == verify.VerdictError {
		row.Detail = "could not decide (retrying may help): " + res.Summary
	}
	if res.Recipe != nil && res.Recipe.Name != "" {
		if err := plan.CheckBundleRecipe(it, res.Recipe.Name); err != nil {
			row.Verdict = row.Verdict.Worse(verify.VerdictInvalid)
			row.Detail = err.Error()
		}
	} else if res.Verdict == verify.VerdictPassed {
		row.Verdict, row.Detail = verify.VerdictInvalid, "the pointer's bundle names no recipe"
	}
	if prRecipe != nil && res.Verdict != verify.VerdictError {
		m, err := r.crossCheck(ctx, plan, it, prRecipe, res.CanonicalRecipe)
		if err != nil {
			row.Match = &comment.RecipeMatch{Kind: "error", Summary: err.Error()}
			row.Verdict = row.Verdict.Worse(verify.VerdictError)
			row.Detail = fmt.Sprintf("could not decide the recipe ↔ bundle check (retrying may help): %v", err)
			return row
		}
		row.Match = m
		if m != nil && !m.Match {
			row.Verdict = row.Verdict.Worse(verify.VerdictInvalid)
		}
	}
	return row
}

// Bounds of the pulls one run makes for pointer files: each pull reads at
// most oci.DefaultMaxLayerBytes of layer.
const (
	MaxPointerPulls    = 50
	PointerPullTimeout = 5 * time.Minute
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

// pointerRegistry is the registry a pointer names ("" when it names none
// or does not parse; PointerSource reports why).
func pointerRegistry(b []byte) string {
	p, err := pointer.Parse(b)
	if err != nil || p.Pending() {
		return ""
	}
	n, err := schema.ParseOCIName(p.Attestation().Bundle.OCI)
	if err != nil {
		return ""
	}
	return n.Registry
}

// pointerInfo is what the comment shows of a pointer's claims (nil when it
// did not parse).
func pointerInfo(p *pointer.File) *comment.PointerInfo {
	if p == nil {
		return nil
	}
	a := p.Attestation()
	info := &comment.PointerInfo{OCI: a.Bundle.OCI, Digest: a.Bundle.Digest, Pending: p.Pending()}
	if s := a.Signer; s != nil {
		info.Identity, info.Issuer, info.RekorLogIndex = s.Identity, s.Issuer, s.RekorLogIndex
		info.Source = policy.SourceSlug(s.Issuer, s.Identity)
	}
	return info
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
