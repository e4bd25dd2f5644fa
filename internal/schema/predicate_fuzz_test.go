package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/strictjson"
)

// FuzzPredicate drives the predicate parsers with arbitrary JSON: the schema
// validator, version negotiation, the decoder and the Statement parser. No input
// may panic or hang; a predicate the schema accepts must decode, and its
// schemaVersion must negotiate as 1.x.
func FuzzPredicate(f *testing.F) {
	v, err := schema.NewPredicateValidator()
	if err != nil {
		f.Fatal(err)
	}
	if b, err := os.ReadFile("testdata/predicate-example.json"); err == nil {
		f.Add(b)
		// Schema-valid, but a case variant of a field: the strict reader refuses it.
		f.Add(bytes.Replace(b, []byte("{"), []byte(`{"Redaction":{},`), 1))
	}
	for _, s := range []string{`{}`, `null`, `[]`, `{"schemaVersion":"2.0.0"}`, `{"phases":{"smoke":{}}}`,
		`{"criteriaMatch":{"matched":true,"perDimension":{"service":{"match":"matched"}}}}`, `{"attestedAt":"2026-13-40T99:99:99Z"}`,
		`{"phases":{},"phaſes":{}}`, `{"Redaction":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if st, err := schema.ParseStatement(b); err == nil {
			_ = schema.CheckStatementTypes(st)
			_, _ = schema.StatementSubject(st)
			_, _ = schema.PredicateJSON(b)
		}
		err := v.Validate(b)
		var se *schema.SchemaError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("Validate returned %T %v, want *SchemaError", err, err)
		}
		if se != nil && (len(se.Violations) == 0 || se.Error() == "") {
			t.Fatalf("SchemaError without violations")
		}
		if err != nil {
			return
		}
		p, err := schema.DecodePredicate(b)
		if errors.Is(err, strictjson.ErrAmbiguous) {
			return // the strict reader refuses what readers could read differently (§1)
		}
		if err != nil {
			t.Fatalf("schema accepted a predicate the decoder rejects: %v", err)
		}
		if _, err := schema.CheckPredicateVersion(p.SchemaVersion); err != nil {
			t.Fatalf("schema accepted schemaVersion %q that negotiation rejects: %v", p.SchemaVersion, err)
		}
		if _, err := json.Marshal(p); err != nil {
			t.Fatal(err)
		}
	})
}
