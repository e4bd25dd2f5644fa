package verify_test

// Findings 5 and 6 of issue 8 end to end: signed bundles whose JSON another
// reader (jq, the §10 script, CTRF viewers) reads differently from Go's
// encoding/json are invalid, with a one-line reason naming the key.

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/verify"
)

func TestStrictJSONBundles(t *testing.T) {
	fx := tamperSetup(t)
	for _, c := range strictJSONCases() {
		t.Run(c.name, func(t *testing.T) {
			res := c.run(t, fx)
			tamperAssert(t, res, c.verdict, c.check, c.detail)
		})
	}
}

// strictJSONCases are the signed bundles of findings 5 and 6.
func strictJSONCases() []tamperCase {
	statementMap := func(t *testing.T, files map[string][]byte) map[string]any {
		t.Helper()
		var st map[string]any
		if err := json.Unmarshal(files[schema.FileStatement], &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	return []tamperCase{
		{
			// A failed test that also says "ſtatus": "passed" (U+017F): encoding/json
			// read it as passed, jq and CTRF viewers as failed. Summary, predicate
			// counts, digests and signature are all consistent with "passed".
			name: "CTRF test with status and fold-equal ſtatus",
			files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
				files := tamperClone(fx.base)
				p := schema.CTRFPath(schema.PhaseDeployment)
				rep := tamperSetCTRF(t, files[p], 1, schema.CTRFFailed, false)
				if !bytes.Contains(rep, []byte(`"status": "failed"`)) {
					t.Fatalf("no failed status in %s", rep)
				}
				files[p] = bytes.Replace(rep, []byte(`"status": "failed"`), []byte(`"status": "failed", "ſtatus": "passed"`), 1)
				fx.reseal(t, files, nil)
				return files
			},
			verdict: verify.VerdictInvalid, check: verify.CheckCTRF, detail: `"ſtatus" at /results/tests/1`,
		},
		{
			// The signed "phases" (validated by the JSON Schema, read by jq and the
			// §10 script) say deployment failed 7; "phaſes" (what encoding/json
			// decoded, the last of the two) says every test passed.
			name: "predicate with phases and fold-equal phaſes",
			files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
				files := tamperClone(fx.base)
				st := statementMap(t, files)
				pred := st["predicate"].(map[string]any)
				var signed map[string]any
				b, _ := json.Marshal(pred["phases"])
				if err := json.Unmarshal(b, &signed); err != nil {
					t.Fatal(err)
				}
				signed[schema.PhaseDeployment].(map[string]any)["failed"] = 7
				pred["phaſes"], pred["phases"] = pred["phases"], signed
				payload, err := json.Marshal(st) // sorted keys: "phases" before "phaſes"
				if err != nil {
					t.Fatal(err)
				}
				fx.tamperSignJSON(t, files, payload, fx.a, sigstoretest.SignOptions{})
				return files
			},
			verdict: verify.VerdictInvalid, check: verify.CheckStatement, detail: `"phaſes" at /predicate`,
		},
		{
			// protojson (and so sigstore-go) accepts the protobuf field names; the
			// spec and the §10 jq check (._type) do not.
			name: "Statement with protobuf field names type and predicate_type",
			files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
				return fx.resignEdited(t, func(st map[string]any) {
					st["type"], st["predicate_type"] = st["_type"], st["predicateType"]
					delete(st, "_type")
					delete(st, "predicateType")
				})
			},
			verdict: verify.VerdictInvalid, check: verify.CheckStatement, detail: `key "predicate_type" is a protobuf field name; the JSON key is "predicateType"`,
		},
	}
}
