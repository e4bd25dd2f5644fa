package verify

import (
	"errors"
	"fmt"

	intoto "github.com/in-toto/attestation/go/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/aicr/verify-evidence/internal/schema"
)

// Where a Statement was read from.
const (
	SourceAttestation = "attestation.intoto.jsonl (DSSE payload)"
	SourceUnsigned    = "statement.intoto.json (unsigned)"
	SourceVerified    = "attestation.intoto.jsonl (verified DSSE payload)"
)

// verifiedStatement reads the Statement out of the DSSE envelope whose signature
// sigstore-go verified: the same payload bytes, read with the strict Statement
// reader (sigstore-go's own protojson decoding accepts protobuf field names and
// is not used). It returns the Statement and its exact JSON bytes.
func verifiedStatement(sb *bundle.Bundle) (*intoto.Statement, []byte, error) {
	if sb == nil || sb.Bundle == nil {
		return nil, nil, errors.New("no verified Sigstore bundle")
	}
	return envelopeStatement(sb.Bundle)
}

// unverifiedStatement reads the Statement out of a Sigstore bundle's DSSE
// envelope without checking any signature. Inspect uses it to show what the
// bundle claims; verify reads the Statement only from the verified envelope.
// It returns the Statement and its exact JSON bytes.
func unverifiedStatement(attestation []byte) (*intoto.Statement, []byte, error) {
	pb, err := parseSigstoreBundle(attestation)
	if err != nil {
		return nil, nil, err
	}
	return envelopeStatement(pb)
}

// ClaimedStatement reads the Statement a Sigstore bundle's DSSE envelope
// carries, with the strict Statement reader, WITHOUT checking any signature:
// for routing a bundle before it is verified, never for a verdict.
func ClaimedStatement(attestation []byte) (*intoto.Statement, error) {
	st, _, err := unverifiedStatement(attestation)
	return st, err
}

func envelopeStatement(pb *protobundle.Bundle) (*intoto.Statement, []byte, error) {
	env := pb.GetDsseEnvelope()
	if env == nil {
		return nil, nil, errors.New("attestation carries no DSSE envelope")
	}
	if env.GetPayloadType() != schema.PayloadTypeInToto {
		return nil, nil, fmt.Errorf("DSSE payloadType %q, want %s", env.GetPayloadType(), schema.PayloadTypeInToto)
	}
	payload := env.GetPayload()
	st, err := schema.ParseStatement(payload)
	if err != nil {
		return nil, nil, err
	}
	return st, payload, nil
}
