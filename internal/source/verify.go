package source

import (
	"context"

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
		claim := &verify.PointerClaim{Recipe: p.Recipe, PredicateType: a.Bundle.PredicateType, AttestedAt: a.AttestedAt}
		if a.Signer != nil {
			claim.Identity, claim.Issuer, claim.RekorLogIndex = a.Signer.Identity, a.Signer.Issuer, a.Signer.RekorLogIndex
		}
		opts.Pointer = claim
	}
	return v.VerifyFrom(ctx, src.Load, opts)
}
