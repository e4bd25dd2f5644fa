package schema

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/aicr/verify-evidence/internal/casefold"
	"github.com/aicr/verify-evidence/internal/strictjson"
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
	return IsV1PredicateType(t) || t == PredicateTypeAICRV2 || t == PredicateTypeAICRV3
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
		return fmt.Errorf("%w %q: want %s (or AICR's %s, %s)", ErrPredicateType, st.GetPredicateType(), PredicateTypeV1, PredicateTypeAICRV2, PredicateTypeAICRV3)
	}
	return nil
}

// Subject is the single subject of a v1 Statement.
type Subject struct {
	// RecipeName is the subject name without the "recipe:" prefix; empty for
	// AICR's OCI subject form.
	RecipeName string
	// Digest is the sha256 digest, bare lowercase hex: the canonical recipe
	// digest, or for the OCI form the OCI manifest digest.
	Digest string
	// OCI is set for AICR's signed subject form "<registry>/<repository>:<tag>"
	// (docs/bundle-format.md §11); the recipe is then named by predicate.recipe.
	OCI *OCIName
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
	var oci *OCIName
	if !ok {
		n, err := ParseOCIName(s.GetName())
		if err != nil {
			return Subject{}, fmt.Errorf("%w: name %q does not start with %q and is not an OCI artifact <registry>/<repository>:<tag>", ErrSubject, s.GetName(), SubjectPrefix)
		}
		oci = &n
	} else if name == "" {
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
	if oci != nil {
		return Subject{Digest: h, OCI: oci}, nil
	}
	return Subject{RecipeName: name, Digest: h}, nil
}

// Statement and subject keys (format v1 §4), exact case, and the protobuf field
// names protojson also accepts for them, which the spec and jq do not.
var (
	statementKeys = []string{"_type", "subject", "predicateType", "predicate"}
	subjectKeys   = []string{"name", "digest", "uri", "content", "downloadLocation", "mediaType", "annotations"}
	protobufNames = map[string]string{
		"type": "_type", "predicate_type": "predicateType",
		"download_location": "downloadLocation", "media_type": "mediaType",
	}
)

// ParseStatement decodes an in-toto Statement from JSON (the DSSE payload or
// statement.intoto.json). Before protojson sees the bytes, the strict JSON
// reader checks them (no duplicate or case-fold-equal keys at any depth, valid
// UTF-8) and the Statement's and each subject's keys are checked by exact name:
// a protobuf field name ("type", "predicate_type") or a case variant is refused
// by name. Other unknown keys are ignored; types are not checked here.
func ParseStatement(b []byte) (*intoto.Statement, error) {
	if _, err := statementMembers(b); err != nil {
		return nil, err
	}
	var st intoto.Statement
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("in-toto Statement: %w", err)
	}
	return &st, nil
}

// statementMembers checks the raw keys of a Statement and returns its members
// with the exact bytes of each value.
func statementMembers(b []byte) (map[string]jsontext.Value, error) {
	m, err := strictjson.Members(b)
	if err != nil {
		return nil, fmt.Errorf("in-toto Statement: %w", err)
	}
	if err := checkKeys(m, statementKeys, "in-toto Statement"); err != nil {
		return nil, err
	}
	if raw, ok := m["subject"]; ok && raw.Kind() == '[' {
		var subs []jsontext.Value
		if err := strictjson.Unmarshal(raw, &subs); err != nil {
			return nil, fmt.Errorf("in-toto Statement subject: %w", err)
		}
		for i, sub := range subs {
			if sub.Kind() != '{' {
				continue // protojson refuses it
			}
			sm, err := strictjson.Members(sub)
			if err != nil {
				return nil, fmt.Errorf("in-toto Statement subject[%d]: %w", i, err)
			}
			if err := checkKeys(sm, subjectKeys, fmt.Sprintf("in-toto Statement subject[%d]", i)); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// checkKeys refuses a key that is a protobuf field name or a case variant of
// one of the known keys.
func checkKeys(m map[string]jsontext.Value, known []string, what string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if want, ok := protobufNames[k]; ok {
			return fmt.Errorf("%s: key %s is a protobuf field name; the JSON key is %s", what, strconv.Quote(k), strconv.Quote(want))
		}
		for _, want := range known {
			if k != want && casefold.Key(k) == casefold.Key(want) {
				return fmt.Errorf("%s: key %s differs from %s only by letter case", what, strconv.Quote(k), strconv.Quote(want))
			}
		}
	}
	return nil
}

// PredicateJSON returns the exact bytes of the predicate of a Statement given as
// JSON (the bytes that were signed), after the same checks as ParseStatement.
// The schema validates these bytes and DecodePredicate decodes these bytes: no
// re-encoding between them.
func PredicateJSON(statement []byte) ([]byte, error) {
	m, err := statementMembers(statement)
	if err != nil {
		return nil, err
	}
	p, ok := m["predicate"]
	if !ok || p.Kind() == 'n' {
		return nil, errors.New("in-toto Statement: no predicate")
	}
	if p.Kind() != '{' {
		return nil, errors.New("in-toto Statement: predicate is not a JSON object")
	}
	return p, nil
}

// DecodePredicate decodes predicate JSON into a Predicate with the strict JSON
// reader. Call it after schema validation, on the same bytes: it does not repeat
// the schema's rules.
func DecodePredicate(b []byte) (*Predicate, error) {
	var p Predicate
	if err := strictjson.Unmarshal(b, &p); err != nil {
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
	return newStatement(p, SubjectPrefix+p.Recipe.Name, p.Recipe.Digest)
}

// NewOCIStatement builds the Statement AICR signs for a pushed bundle
// (docs/bundle-format.md §11): one subject, the artifact's name
// "<registry>/<repository>:<tag>" with its OCI manifest digest (bare hex),
// the recipe identified by the predicate's recipe block; predicateType
// PredicateTypeV1. Compact, deterministic JSON like NewStatement.
func NewOCIStatement(p *Predicate, artifact OCIName, manifestHex string) ([]byte, error) {
	if p.Recipe.Name == "" || !IsHex64(p.Recipe.Digest) {
		return nil, fmt.Errorf("statement: predicate recipe name %q / digest %q not set", p.Recipe.Name, p.Recipe.Digest)
	}
	if _, err := ParseOCIName(artifact.String()); err != nil {
		return nil, fmt.Errorf("statement: subject: %w", err)
	}
	if !IsHex64(manifestHex) {
		return nil, fmt.Errorf("statement: manifest digest %q is not 64 lowercase hex digits", manifestHex)
	}
	return newStatement(p, artifact.String(), manifestHex)
}

// newStatement builds a v1 Statement with one subject.
func newStatement(p *Predicate, subjectName, subjectHex string) ([]byte, error) {
	pj, err := jsonv1.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	var pm map[string]any
	if err := strictjson.Unmarshal(pj, &pm); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	ps, err := structpb.NewStruct(pm)
	if err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	st := &intoto.Statement{
		Type: StatementTypeV1,
		Subject: []*intoto.ResourceDescriptor{{
			Name:   subjectName,
			Digest: map[string]string{"sha256": subjectHex},
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
	if err := jsonv1.Compact(&buf, b); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	return buf.Bytes(), nil
}
