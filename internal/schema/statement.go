package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// URIs of format v1 (§4).
const (
	// StatementTypeV1 is the only in-toto Statement _type accepted.
	StatementTypeV1 = intoto.StatementTypeUri
	// PredicateTypeV1 is the predicate type written.
	PredicateTypeV1 = "https://aicr.run/recipe-evidence/v1"
	// PredicateTypeV1Legacy is the predicate type of the original design, accepted on read.
	PredicateTypeV1Legacy = "https://aicr.nvidia.com/recipe-evidence/v1"
	// PayloadTypeInToto is the DSSE payloadType of an in-toto Statement.
	PayloadTypeInToto = "application/vnd.in-toto+json"
	// SubjectPrefix starts the subject name: "recipe:<recipe name>".
	SubjectPrefix = "recipe:"
)

// Errors that classify a Statement the verifier will not read.
var (
	ErrStatementType = errors.New("unsupported in-toto Statement _type")
	ErrPredicateType = errors.New("unsupported predicateType")
	ErrSubject       = errors.New("bad Statement subject")
)

// IsAcceptedPredicateType reports whether t is a predicate type a v1 reader accepts.
func IsAcceptedPredicateType(t string) bool {
	return t == PredicateTypeV1 || t == PredicateTypeV1Legacy
}

// CheckStatementTypes enforces the Statement _type and predicateType allow-lists
// (sigstore-go checks neither).
func CheckStatementTypes(st *intoto.Statement) error {
	if st.GetType() != StatementTypeV1 {
		t := st.GetType()
		if t == "" {
			t = "(missing)"
		}
		return fmt.Errorf("%w %q: want %s", ErrStatementType, t, StatementTypeV1)
	}
	if !IsAcceptedPredicateType(st.GetPredicateType()) {
		return fmt.Errorf("%w %q: want %s", ErrPredicateType, st.GetPredicateType(), PredicateTypeV1)
	}
	return nil
}

// Subject is the single subject of a v1 Statement.
type Subject struct {
	// RecipeName is the subject name without the "recipe:" prefix.
	RecipeName string
	// Digest is the sha256 digest, bare lowercase hex.
	Digest string
}

// StatementSubject returns the one subject of st, checking its shape: exactly one
// subject, named "recipe:<name>", with exactly one digest, a sha256 in lowercase hex.
func StatementSubject(st *intoto.Statement) (Subject, error) {
	subs := st.GetSubject()
	if len(subs) != 1 {
		return Subject{}, fmt.Errorf("%w: %d subjects, want exactly 1", ErrSubject, len(subs))
	}
	s := subs[0]
	name, ok := strings.CutPrefix(s.GetName(), SubjectPrefix)
	if !ok || name == "" {
		return Subject{}, fmt.Errorf("%w: name %q does not start with %q", ErrSubject, s.GetName(), SubjectPrefix)
	}
	d := s.GetDigest()
	if len(d) != 1 {
		return Subject{}, fmt.Errorf("%w: %d digests, want exactly one sha256", ErrSubject, len(d))
	}
	h, ok := d["sha256"]
	if !ok || !IsHex64(h) {
		return Subject{}, fmt.Errorf("%w: digest is not a sha256 of 64 lowercase hex digits", ErrSubject)
	}
	return Subject{RecipeName: name, Digest: h}, nil
}

// ParseStatement decodes an in-toto Statement from JSON (the DSSE payload or
// statement.intoto.json). Unknown fields are ignored; types are not checked here.
func ParseStatement(b []byte) (*intoto.Statement, error) {
	var st intoto.Statement
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("in-toto Statement: %w", err)
	}
	return &st, nil
}

// PredicateJSON returns the predicate of st as compact JSON.
func PredicateJSON(st *intoto.Statement) ([]byte, error) {
	if st.GetPredicate() == nil {
		return nil, errors.New("in-toto Statement: no predicate")
	}
	b, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		return nil, fmt.Errorf("in-toto Statement predicate: %w", err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, fmt.Errorf("in-toto Statement predicate: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodePredicate decodes predicate JSON into a Predicate. Call it after schema
// validation: it does not repeat the schema's rules.
func DecodePredicate(b []byte) (*Predicate, error) {
	var p Predicate
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("predicate: %w", err)
	}
	return &p, nil
}

// NewStatement builds the v1 Statement for a predicate: one subject
// "recipe:<name>" with the canonical recipe digest, and predicateType
// PredicateTypeV1. It returns the Statement as compact, deterministic JSON.
func NewStatement(p *Predicate) ([]byte, error) {
	if p.Recipe.Name == "" || !IsHex64(p.Recipe.Digest) {
		return nil, fmt.Errorf("statement: predicate recipe name %q / digest %q not set", p.Recipe.Name, p.Recipe.Digest)
	}
	pj, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	var pm map[string]any
	if err := json.Unmarshal(pj, &pm); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	ps, err := structpb.NewStruct(pm)
	if err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	st := &intoto.Statement{
		Type: StatementTypeV1,
		Subject: []*intoto.ResourceDescriptor{{
			Name:   SubjectPrefix + p.Recipe.Name,
			Digest: map[string]string{"sha256": p.Recipe.Digest},
		}},
		PredicateType: PredicateTypeV1,
		Predicate:     ps,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	b, err := (protojson.MarshalOptions{}).Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	// protojson output whitespace is deliberately unstable; compact it so the
	// same predicate always gives the same bytes.
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	return buf.Bytes(), nil
}
