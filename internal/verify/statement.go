package verify

import (
	"errors"
	"fmt"

	intoto "github.com/in-toto/attestation/go/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/aicr/verify-evidence/internal/schema"
)

// Where a Statement was read from.
const (
	SourceAttestation = "attestation.intoto.jsonl (DSSE payload)"
	SourceUnsigned    = "statement.intoto.json (unsigned)"
	SourceVerified    = "attestation.intoto.jsonl (verified DSSE payload)"
)

// unverifiedStatement reads the Statement out of a Sigstore bundle's DSSE
// envelope without checking any signature. Inspect uses it to show what the
// bundle claims; verify reads the Statement only from sigstore-go's result.
func unverifiedStatement(attestation []byte) (*intoto.Statement, error) {
	var pb protobundle.Bundle
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(attestation, &pb); err != nil {
		return nil, fmt.Errorf("attestation is not a Sigstore bundle: %w", err)
	}
	env := pb.GetDsseEnvelope()
	if env == nil {
		return nil, errors.New("attestation carries no DSSE envelope")
	}
	if env.GetPayloadType() != schema.PayloadTypeInToto {
		return nil, fmt.Errorf("DSSE payloadType %q, want %s", env.GetPayloadType(), schema.PayloadTypeInToto)
	}
	return schema.ParseStatement(env.GetPayload())
}
