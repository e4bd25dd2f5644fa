package verify

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/aicr/verify-evidence/internal/strictjson"
)

// SignatureOptions are the production verifier options: one SCT, one
// transparency-log entry, one signed time (Rekor v1 SET or RFC 3161 TSA). A
// bundle signed with a public key instead of a Fulcio certificate has no SCT to
// check; it still needs the log entry and the signed time, and the identity
// check then refuses it (evidence must be signed keyless).
func SignatureOptions(sb *bundle.Bundle) []sgverify.VerifierOption {
	return signatureOptions(sb, false)
}

// signatureOptions are SignatureOptions; ignoreSCT drops the SCT requirement
// (--insecure-ignore-sct, for a Sigstore instance without a CT log).
func signatureOptions(sb *bundle.Bundle, ignoreSCT bool) []sgverify.VerifierOption {
	opts := []sgverify.VerifierOption{sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1)}
	if vc, err := sb.VerificationContent(); err == nil && vc.PublicKey() != nil {
		return opts
	}
	if ignoreSCT {
		return opts
	}
	return append(opts, sgverify.WithSignedCertificateTimestamps(1))
}

// VerifySigstoreBundle is the signature layer: it verifies a Sigstore bundle
// over an artifact (or artifact digest) with the production options and no
// identity policy, and returns sigstore-go's result with its errors explained.
func VerifySigstoreBundle(sb *bundle.Bundle, artifact sgverify.ArtifactPolicyOption, tm root.TrustedMaterial) (*sgverify.VerificationResult, error) {
	return verifySigstoreBundle(sb, artifact, tm, false)
}

func verifySigstoreBundle(sb *bundle.Bundle, artifact sgverify.ArtifactPolicyOption, tm root.TrustedMaterial, ignoreSCT bool) (*sgverify.VerificationResult, error) {
	v, err := sgverify.NewVerifier(tm, signatureOptions(sb, ignoreSCT)...)
	if err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	res, err := v.Verify(sb, sgverify.NewPolicy(artifact, sgverify.WithoutIdentitiesUnsafe()))
	if err != nil {
		return nil, explainSignatureError(err, sb, tm)
	}
	return res, nil
}

// LoadSigstoreBundle parses attestation.intoto.jsonl as a Sigstore bundle.
// Unknown JSON fields are ignored (forward compatibility); the bundle's own
// rules (media type, inclusion proof for v0.2+, …) are enforced by sigstore-go.
func LoadSigstoreBundle(b []byte) (*bundle.Bundle, error) {
	pb, err := parseSigstoreBundle(b)
	if err != nil {
		return nil, err
	}
	sb, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, fmt.Errorf("attestation: %w", err)
	}
	return sb, nil
}

// parseSigstoreBundle decodes a Sigstore bundle with protojson after the strict
// JSON check (no duplicate or case-fold-equal keys, valid UTF-8), so that jq's
// .dsseEnvelope.payload and protojson's envelope are the same one.
func parseSigstoreBundle(b []byte) (*protobundle.Bundle, error) {
	if err := strictjson.Check(b); err != nil {
		return nil, fmt.Errorf("attestation is not a Sigstore bundle: %w", err)
	}
	var pb protobundle.Bundle
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &pb); err != nil {
		return nil, fmt.Errorf("attestation is not a Sigstore bundle: %w", err)
	}
	return &pb, nil
}

// verifySignature checks the Sigstore bundle against the trusted material over
// the artifact digest the signed subject must carry (the sha256 of the bundle's
// own recipe.yaml, or for AICR's OCI subject form the OCI manifest digest).
// Identity is checked separately against the signer policy.
func verifySignature(sb *bundle.Bundle, artifactDigest []byte, tm root.TrustedMaterial, ignoreSCT bool) (*sgverify.VerificationResult, error) {
	return verifySigstoreBundle(sb, sgverify.WithArtifactDigest("sha256", artifactDigest), tm, ignoreSCT)
}

// explainSignatureError turns sigstore-go's terse errors into messages that say
// what to do.
func explainSignatureError(err error, sb *bundle.Bundle, tm root.TrustedMaterial) error {
	msg := strings.ReplaceAll(err.Error(), "%!w(<nil>)", "")
	switch {
	case strings.Contains(msg, "not enough verified log entries from transparency log"):
		var unknown, known []string
		logs := tm.RekorLogs()
		entries, _ := sb.TlogEntries()
		for _, e := range entries {
			id := hex.EncodeToString([]byte(e.LogKeyID()))
			if _, ok := logs[id]; ok {
				known = append(known, id)
			} else {
				unknown = append(unknown, id)
			}
		}
		if len(entries) == 0 {
			return errors.New("the bundle has no transparency-log entry")
		}
		if len(known) == 0 && len(unknown) == 0 {
			return errors.New("the bundle's transparency-log entries could not be read")
		}
		if len(unknown) > 0 && len(known) == 0 {
			return fmt.Errorf("the bundle's Rekor entry is in log %s, which the trusted root does not know: a bundle from another Sigstore instance, or an outdated --trusted-root (it knows %s)", strings.Join(shortIDs(unknown), ", "), strings.Join(shortIDs(sortedKeys(logs)), ", "))
		}
		return errors.New("the transparency-log entry does not verify: its signed entry timestamp or inclusion proof is not valid for this entry (tampered or forged log entry)")
	case strings.Contains(msg, "threshold not met for verified signed & log entry integrated timestamps"):
		return errors.New("no trusted signing time: the bundle has neither a valid Rekor signed entry timestamp nor a valid RFC 3161 timestamp from the trusted root")
	case strings.Contains(msg, "SCT"):
		return fmt.Errorf("no SCT: the certificate carries no valid SCT from a CT log of the trusted root (%s); for a Sigstore instance without a CT log, pass --insecure-ignore-sct", oneLine(msg))
	case strings.Contains(msg, "calculated root") || strings.Contains(msg, "inclusion proof"):
		return errors.New("the Rekor inclusion proof does not verify: the log entry, its proof hashes or its checkpoint were altered")
	case strings.Contains(msg, "provided artifact digest does not match any digest in statement"):
		return errors.New("the signed Statement's subject is not the artifact: not the sha256 of the bundle's recipe.yaml (or, for an OCI artifact, not the manifest pulled)")
	}
	return errors.New(oneLine(msg))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func shortIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if len(id) > 16 {
			id = id[:16] + "…"
		}
		out[i] = id
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// signedTime returns the earliest verified signed time and where it came from.
func signedTime(res *sgverify.VerificationResult) (time.Time, string) {
	var t time.Time
	var src string
	for _, ts := range res.VerifiedTimestamps {
		if ts.Type == "CurrentTime" {
			continue
		}
		if t.IsZero() || ts.Timestamp.Before(t) {
			t, src = ts.Timestamp, ts.Type+" "+ts.URI
		}
	}
	return t.UTC(), src
}

// logEntry describes the first transparency-log entry of the bundle.
func logEntry(sb *bundle.Bundle) (index int64, logID string) {
	entries, err := sb.TlogEntries()
	if err != nil || len(entries) == 0 {
		return -1, ""
	}
	return entries[0].LogIndex(), hex.EncodeToString([]byte(entries[0].LogKeyID()))
}
