package source

import (
	"context"
	"fmt"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Verify runs the pipeline over an opened source of any form, wiring
// what a pull found (the artifact pulled, the pointer's claims) into the
// checks. It is the one entry point for callers that verify a pointer or an
// OCI reference (the action's PR flow included).
func Verify(ctx context.Context, v *verify.Verifier, src *Source, opts verify.Options) *verify.Result {
	opts.Name, opts.Form = src.Name, src.Form
	opts.ArtifactFrom = func() *verify.PulledArtifact {
		p := src.Pulled()
		if p == nil {
			return nil
		}
		return &verify.PulledArtifact{Name: p.Name, ManifestDigest: p.ManifestDigest}
	}
	if p := src.Pointer(); p != nil {
		a := p.Attestation()
		claim := &verify.PointerClaim{Recipe: p.Recipe, PredicateType: a.Bundle.PredicateType, AttestedAt: a.AttestedAt, Profile: p.Profile}
		if a.Signer != nil {
			claim.Identity, claim.Issuer, claim.RekorLogIndex = a.Signer.Identity, a.Signer.Issuer, a.Signer.RekorLogIndex
		}
		opts.Pointer = claim
	}
	res := v.VerifyFrom(ctx, src.Load, opts)
	// Anyone who may push to the repository can add signature referrers
	// (junk, or signed by someone untrusted): each is tried, and the best
	// verdict any of them reaches decides. Only a trusted signer's genuine
	// signature can reach passed.
	best := 0
	for i, o := range src.others {
		if res.Verdict == verify.VerdictPassed {
			break
		}
		alt := v.VerifyFrom(ctx, func(context.Context, archive.Limits) (*archive.Contents, error) { return o, nil }, opts)
		if alt.Verdict != res.Verdict && res.Verdict.Worse(alt.Verdict) == res.Verdict { // strictly better
			res, best = alt, i+1
		}
	}
	if best > 0 {
		for k := range res.Checks {
			if res.Checks[k].Name == verify.CheckSignature {
				res.Checks[k].Rows = append(res.Checks[k].Rows, verify.Row{Key: "referrer", Value: fmt.Sprintf("signature referrer %d of %d; the others reached a worse verdict", best+1, len(src.others)+1)})
			}
		}
	}
	return res
}
