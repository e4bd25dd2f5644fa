package sweep

import (
	"context"
	"fmt"
	"sync"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/diff"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/pointercheck"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/verify"
)

// DefaultMaxPointerPulls bounds the artifacts one sweep pulls for AICR
// pointer files by default; a warm cache pulls none.
const DefaultMaxPointerPulls = 500

// pointerItem verifies one AICR pointer file of a recipe with the PR check's
// code (pointercheck), cached by the pointer file's content and path: the
// pointer pins its artifact by digest, so a pointer verified under the same
// trust root, policy and verifier version is not pulled again; only its
// freshness is recomputed.
func (s *sweeper) pointerItem(ctx context.Context, it diff.Item, planMu *sync.Mutex) Recipe {
	row := Recipe{Name: it.RecipeName, RecipePath: it.RecipePath, PointerPath: it.PointerPath, Outcome: comment.OutcomeVerified}
	recipeBytes, ok := s.readRecipe(ctx, it, &row)
	if !ok {
		return row
	}
	b, err := s.co.readLimit(ctx, it.PointerPath, pointer.MaxBytes)
	if err != nil {
		row.Outcome, row.Verdict, row.Detail = comment.OutcomeUnreadable, verify.VerdictError, fmt.Sprintf("could not read the pointer file: %v", err)
		if _, ok := err.(*tooLargeError); ok {
			row.Verdict = verify.VerdictInvalid
		}
		return row
	}
	row.Pointer = pointercheck.Parse(b)
	key := CacheKey{BundleDigest: schema.SHA256Prefixed(b), PointerPath: it.PointerPath, AICRPath: s.plan.AICRPointerPath(it.PointerPath), TrustRootDigest: s.cfg.TrustRootDigest,
		PolicyDigest: s.cfg.PolicyDigest, VerifierVersion: s.cfg.VerifierVersion}
	var v *verification
	if s.cacheable {
		if e, ok := s.cache.get(key); ok {
			s.count(true)
			row.Cached = true
			v = &verification{res: e.Result, entry: e, cached: true}
			if !v.reusableCrossCheck(row.RecipeDigest) {
				if _, rerr := v.recipe(); rerr != nil {
					v, row.Cached = nil, false // a broken entry costs time, never a verdict
				}
			}
		}
	}
	if v == nil {
		s.count(false)
		out := pointercheck.Check(ctx, s.plan, s.v, it, b, s.pulls, s.cfg.Registry)
		row.Outcome, row.Verdict, row.Detail = out.Outcome, out.Verdict, out.Detail
		if out.Pointer != nil {
			row.Pointer = out.Pointer
		}
		if out.Result == nil {
			return row
		}
		v = &verification{res: out.Result, canon: out.Result.CanonicalRecipe}
		if s.cacheable && out.Result.Verdict != verify.VerdictError {
			v.entry, v.dirty = &cacheEntry{Key: key, Result: out.Result}, true
			if c := out.Result.CanonicalRecipe; c != nil {
				v.entry.CanonicalRecipe = c.Bytes
			}
		}
	}
	res := verify.Refresh(v.res, s.now, s.maxAge)
	row.result = res
	row.Outcome = comment.OutcomeVerified
	row.Verdict, row.Detail = res.Verdict, res.Summary
	if res.Verdict == verify.VerdictError {
		row.Detail = "could not decide (retrying may help): " + res.Summary
	}
	row.Verdict, row.Detail = pointercheck.CheckRecipeName(s.plan, it, res, row.Verdict, row.Detail)
	if recipeBytes != nil && res.Verdict != verify.VerdictError {
		s.applyCrossCheck(ctx, it, recipeBytes, v, planMu, &row)
	}
	if v.entry != nil && v.dirty {
		_ = s.cache.put(v.entry) // a cache that cannot be written costs time, never a verdict
	}
	fillFacts(&row, res, s.now, s.maxAge)
	return row
}

// corroborate counts the independent signers of each recipe's pointer rows
// by the PR check's rule (comment.Corroborate).
func corroborate(rows []Recipe) {
	crows := make([]comment.Row, 0, len(rows))
	for _, r := range rows {
		if r.PointerPath != "" {
			crows = append(crows, comment.Row{Recipe: r.Name, PointerPath: r.PointerPath, Outcome: r.Outcome, Verdict: r.Verdict, Result: r.result, Pointer: r.Pointer})
		}
	}
	by := map[string]int{}
	for _, c := range comment.Corroborate(crows) {
		by[c.Recipe] = c.Signers
	}
	for i := range rows {
		if n, ok := by[rows[i].Name]; ok && rows[i].PointerPath != "" {
			rows[i].IndependentSigners = n
		}
	}
}
