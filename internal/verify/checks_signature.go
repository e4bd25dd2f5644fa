package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/aicr/verify-evidence/internal/schema"
)

func (v *Verifier) checkSignature(res *Result, st *state) {
	c := Check{Name: CheckSignature, Title: titles[CheckSignature], Verdict: VerdictInvalid}
	att, signed := st.contents.Document(schema.FileAttestation)
	res.Signature = &SignatureInfo{Signed: signed}
	if v.mode() == "inspect" {
		c.Status, c.Detail = StatusSkipped, "not checked: inspect never checks signatures (use verify)"
		res.add(c)
		return
	}
	if !signed {
		c.Status, c.Detail = StatusFailed, "the bundle is unsigned: it has no attestation.intoto.jsonl, so nothing in it can be trusted"
		res.add(c)
		return
	}
	if v.cfg.TrustError != nil {
		c.Status, c.Verdict, c.Detail = StatusError, VerdictError, "could not check: "+v.cfg.TrustError.Error()
		res.add(c)
		return
	}
	sb, err := LoadSigstoreBundle(att)
	if err != nil {
		c.Status, c.Detail = StatusFailed, err.Error()
		res.add(c)
		return
	}
	recipe, ok := st.contents.Document(schema.FileRecipe)
	if !ok {
		c.Status, c.Detail = StatusFailed, "bundle has no recipe.yaml to bind the signature to"
		res.add(c)
		return
	}
	artifact, what := signedArtifact(att, recipe, st.opts.Artifact)
	sr, err := verifySignature(sb, artifact, v.cfg.Trust, v.cfg.IgnoreSCT)
	if err != nil {
		c.Status, c.Detail = StatusFailed, err.Error()
		res.add(c)
		return
	}
	st.sigResult, st.sigBundle = sr, sb
	info := res.Signature
	info.Verified = true
	if cert := sr.Signature.Certificate; cert != nil {
		info.Identity, info.Issuer = cert.SubjectAlternativeName, cert.Issuer
		info.SourceRepository, info.SourceRef, info.SourceDigest = cert.SourceRepositoryURI, cert.SourceRepositoryRef, cert.SourceRepositoryDigest
		info.Workflow, info.RunInvocation = cert.BuildSignerURI, cert.RunInvocationURI
	}
	info.LogIndex, info.LogID = logEntry(sb)
	at, src := signedTime(sr)
	st.signedAt = at
	info.SignedAt, info.TimeSource = &at, src
	c.Status = StatusPassed
	sct := "SCT"
	if v.cfg.IgnoreSCT {
		info.SCTIgnored = true
		sct = "no SCT required (--insecure-ignore-sct)"
	}
	over := ""
	if what != "recipe.yaml" {
		over = " over " + what
	}
	c.Detail = fmt.Sprintf("DSSE signature%s, Fulcio certificate chain at the signed time, %s and Rekor inclusion verified (log index %d, signed %s)", over, sct, info.LogIndex, at.Format("2006-01-02T15:04:05Z"))
	c.Rows = []Row{{Key: "signed at", Value: at.Format("2006-01-02T15:04:05Z") + " (" + src + ")"}, {Key: "rekor log", Value: info.LogID}}
	if v.cfg.IgnoreSCT {
		c.Rows = append(c.Rows, Row{Key: "SCT", Value: "not checked: --insecure-ignore-sct (a Sigstore instance without a certificate-transparency log)"})
	}
	res.add(c)
}

// signedArtifact returns the artifact digest the signed subject must carry
// and a description of it: the sha256 of recipe.yaml, or for AICR's OCI
// subject form the manifest digest of the artifact pulled (or, when the
// bundle was not pulled, the digest the subject claims: the signature then
// binds the Statement, whose predicate binds every file, but no registry
// confirms the artifact). The subject is read from the envelope before the
// signature is checked only to choose this digest; it is read again from the
// verified envelope for every later check.
func signedArtifact(attestation, recipe []byte, pulled *PulledArtifact) ([]byte, string) {
	sum := sha256.Sum256(recipe)
	claimed, err := ClaimedStatement(attestation)
	if err != nil {
		return sum[:], "recipe.yaml"
	}
	sub, err := schema.StatementSubject(claimed)
	if err != nil || sub.OCI == nil {
		return sum[:], "recipe.yaml"
	}
	d := sub.Digest
	what := "the OCI artifact " + sub.OCI.String() + " (not pulled)"
	if pulled != nil {
		d, what = pulled.ManifestDigest, "the OCI artifact pulled"
	}
	b, err := hex.DecodeString(d)
	if err != nil {
		return sum[:], "recipe.yaml"
	}
	return b, what
}

func (v *Verifier) checkIdentity(res *Result, st *state) {
	c := Check{Name: CheckIdentity, Title: titles[CheckIdentity], Verdict: VerdictInvalid}
	switch {
	case v.mode() == "inspect":
		c.Status, c.Detail = StatusSkipped, "not checked: inspect never checks the signer"
	case st.sigResult == nil:
		c.Status, c.Detail = StatusSkipped, "not run: no verified signature"
	case st.sigResult.Signature.Certificate == nil:
		c.Status, c.Detail = StatusFailed, "signed with a key, not a Fulcio certificate: no identity to check"
	case v.cfg.Policy.Empty():
		info := res.Signature
		c.Status, c.Verdict = StatusError, VerdictError
		c.Detail = fmt.Sprintf("no signer policy: refusing to trust any Fulcio identity; signer is %s (issuer %s). Pass --policy FILE, or --certificate-oidc-issuer with --certificate-identity-regexp, or --allow-any-signer", info.Identity, info.Issuer)
	default:
		info := res.Signature
		d := v.cfg.Policy.DecideCertificate(*st.sigResult.Signature.Certificate)
		info.Source, info.Allowed, info.Class, info.Label = d.Source, d.Allowed, string(d.Class), d.Label
		c.Rows = []Row{{Key: "identity", Value: info.Identity}, {Key: "issuer", Value: info.Issuer}, {Key: "source", Value: d.Source}}
		if info.SourceRepository != "" {
			c.Rows = append(c.Rows, Row{Key: "repository", Value: info.SourceRepository + " @ " + info.SourceRef})
		}
		if !d.Allowed {
			c.Status, c.Detail = StatusFailed, fmt.Sprintf("signer %s (issuer %s, source %s) is not on the list", info.Identity, info.Issuer, d.Source)
			if d.Unmet != "" {
				c.Detail += ": its identity matches, but " + oneLine(d.Unmet)
			}
		} else {
			c.Status = StatusPassed
			c.Detail = fmt.Sprintf("%s (issuer %s) is trusted as %s", info.Identity, info.Issuer, d.Class)
			if d.Label != "" {
				c.Detail += fmt.Sprintf(" (%s)", d.Label)
			}
			if d.Requires != "" {
				c.Detail += "; its certificate shows what the policy requires"
				c.Rows = append(c.Rows, Row{Key: "required", Value: d.Requires})
			}
		}
	}
	res.add(c)
}
