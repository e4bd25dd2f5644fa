package verify

import (
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
	sr, err := verifySignature(sb, recipe, v.cfg.Trust)
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
	c.Detail = fmt.Sprintf("DSSE signature, Fulcio certificate chain at the signed time, SCT and Rekor inclusion verified (log index %d, signed %s)", info.LogIndex, at.Format("2006-01-02T15:04:05Z"))
	c.Rows = []Row{{Key: "signed at", Value: at.Format("2006-01-02T15:04:05Z") + " (" + src + ")"}, {Key: "rekor log", Value: info.LogID}}
	res.add(c)
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
