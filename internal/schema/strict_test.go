package schema_test

// Findings 5 and 6 of issue 8, and the differential test of the strict JSON
// readers against jq: for every hostile document, the reader either refuses it
// or reads the values a verdict depends on exactly as jq does.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
)

const honestCTRF = `{"reportFormat":"CTRF","results":{"tool":{"name":"t"},` +
	`"summary":{"tests":2,"passed":1,"failed":1,"skipped":0,"pending":0,"other":0,"start":1,"stop":2},` +
	`"tests":[{"name":"a","status":"passed","duration":1},{"name":"b","status":"failed","duration":1}]}}`

// Finding 5: Go's encoding/json folded "ſtatus" (U+017F) onto "status" and kept
// the last, so a failed test counted as passed while jq and CTRF viewers saw the
// failure. The strict reader refuses the report and names the key.
func TestCTRFFoldEqualStatusRefused(t *testing.T) {
	for name, repl := range map[string]string{
		"U+017F":      `"status":"failed","ſtatus":"passed"`,
		"escaped":     `"status":"failed","\u017ftatus":"passed"`,
		"upper case":  `"status":"failed","Status":"passed"`,
		"exact dup":   `"status":"failed","status":"passed"`,
		"escaped dup": `"status":"failed","st\u0061tus":"passed"`,
	} {
		t.Run(name, func(t *testing.T) {
			doc := strings.Replace(honestCTRF, `"status":"failed"`, repl, 1)
			doc = strings.Replace(doc, `"passed":1,"failed":1`, `"passed":2,"failed":0`, 1)
			r, err := schema.CheckCTRFSummary([]byte(doc))
			if err == nil {
				t.Fatalf("accepted; counts %s", schema.CountCTRF(r))
			}
			if !strings.Contains(err.Error(), "/results/tests/1") || strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error %q does not name the key's place on one line", err)
			}
		})
	}
}

// Finding 5, predicate: the JSON Schema validated "phases" (deployment failed 7)
// while encoding/json decoded "phaſes" (all passed).
func TestPredicateFoldEqualPhasesRefused(t *testing.T) {
	honest := examplePredicateJSON(t, "h100-eks-ubuntu-training")
	for name, key := range map[string]string{"U+017F": "phaſes", "upper case": "Phases", "mixed": "PHASES"} {
		t.Run(name, func(t *testing.T) {
			var p map[string]any
			if err := json.Unmarshal(honest, &p); err != nil {
				t.Fatal(err)
			}
			var signed map[string]any
			if err := json.Unmarshal(honest, &signed); err != nil {
				t.Fatal(err)
			}
			signedPhases := signed["phases"].(map[string]any)
			signedPhases["deployment"].(map[string]any)["failed"] = 7
			p[key] = p["phases"]
			p["phases"] = signedPhases
			pj, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if key == "phaſes" {
				// The schema allows unknown top-level keys: it checked "phases".
				if err := newValidator(t).Validate(pj); err != nil {
					t.Fatalf("schema: %v", err)
				}
			}
			got, err := schema.DecodePredicate(pj)
			if err == nil {
				t.Fatalf("decoded; deployment failed = %d (the signed phases say 7)", got.Phases["deployment"].Failed)
			}
			if !strings.Contains(err.Error(), key) {
				t.Errorf("error %q does not name %q", err, key)
			}
			// The same predicate inside a Statement is refused before protojson.
			st := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://aicr.run/recipe-evidence/v1","predicate":` + string(pj) + `}`)
			if _, err := schema.ParseStatement(st); err == nil {
				t.Error("ParseStatement accepted it")
			}
			if _, err := schema.PredicateJSON(st); err == nil {
				t.Error("PredicateJSON accepted it")
			}
		})
	}
	// A lone case variant of an optional field is refused, not ignored.
	var p map[string]any
	if err := json.Unmarshal(honest, &p); err != nil {
		t.Fatal(err)
	}
	p["Redaction"] = map[string]any{"policy": "full", "version": "v1", "applied": []string{}}
	pj, _ := json.Marshal(p)
	if _, err := schema.DecodePredicate(pj); err == nil || !strings.Contains(err.Error(), `"Redaction"`) {
		t.Errorf("lone case variant: %v", err)
	}
}

// Finding 6: protojson takes the protobuf field names "type" and
// "predicate_type" as well as "_type" and "predicateType"; the spec and the §10
// jq script do not. The strict Statement reader refuses them by name.
func TestStatementProtobufFieldNamesRefused(t *testing.T) {
	good, err := schema.NewStatement(samplePredicate())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, from, to, want string }{
		{"type", `"_type":`, `"type":`, `key "type" is a protobuf field name; the JSON key is "_type"`},
		{"predicate_type", `"predicateType":`, `"predicate_type":`, `key "predicate_type" is a protobuf field name`},
		{"_Type", `"_type":`, `"_Type":`, `key "_Type" differs from "_type" only by letter case`},
		{"PredicateType", `"predicateType":`, `"PredicateType":`, `"PredicateType"`},
		{"subject Name", `"name":"recipe:`, `"Name":"recipe:`, `subject[0]: key "Name"`},
		{"subject Digest", `"digest":{"sha256"`, `"Digest":{"sha256"`, `subject[0]: key "Digest"`},
		{"subject download_location", `"name":"recipe:`, `"download_location":"x","name":"recipe:`, `"download_location" is a protobuf field name`},
		{"both _type and type", `"_type":`, `"type":"https://in-toto.io/Statement/v1","_type":`, `"type"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(good, []byte(tt.from)) {
				t.Fatalf("statement has no %s: %s", tt.from, good)
			}
			b := bytes.Replace(good, []byte(tt.from), []byte(tt.to), 1)
			st, err := schema.ParseStatement(b)
			if err == nil {
				t.Fatalf("accepted: _type %q, predicateType %q", st.GetType(), st.GetPredicateType())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// jq runs jq with filter over doc; ok is false when jq refuses the document.
func jq(t *testing.T, filter string, doc []byte) (any, bool) {
	t.Helper()
	cmd := exec.Command("jq", "-c", filter)
	cmd.Stdin = bytes.NewReader(doc)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("jq: %v", err)
		}
		return nil, false
	}
	var v any
	dec := json.NewDecoder(&out)
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("jq output %q: %v", out.String(), err)
	}
	if dec.More() {
		return "(jq printed several values: " + strings.ReplaceAll(out.String(), "\n", " ") + ")", true
	}
	return v, true
}

func needJQ(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("jq"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("jq is required under CI=true (the differential test runs it)")
		}
		t.Skip("jq not installed: the differential test against jq is skipped")
	}
}

// normal round-trips v through JSON so that it compares with jq's output.
func normal(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

type differential struct {
	name string
	doc  []byte
}

// agreeOrRefuse asserts, for each document, that ours refuses it or that jq
// reads what ours reads; at least one honest document must be accepted.
func agreeOrRefuse(t *testing.T, filter string, docs []differential, ours func([]byte) (any, error)) {
	t.Helper()
	accepted := 0
	for _, d := range docs {
		got, err := ours(d.doc)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("%s: error is not one line: %q", d.name, err)
			}
			continue
		}
		accepted++
		want, ok := jq(t, filter, d.doc)
		if !ok {
			t.Errorf("%s: accepted, but jq refuses the document", d.name)
			continue
		}
		if g := normal(t, got); !reflect.DeepEqual(g, want) {
			t.Errorf("%s: we read %v, jq reads %v", d.name, g, want)
		}
	}
	if accepted == 0 {
		t.Error("no document accepted: the differential proves nothing")
	}
}

// hostile returns variants of an honest document: each replaces the first
// occurrence of from with to (or, with from "", wraps the whole document).
func hostile(t *testing.T, honest string, edits [][3]string) []differential {
	t.Helper()
	out := []differential{{"honest", []byte(honest)}}
	for _, e := range edits {
		name, from, to := e[0], e[1], e[2]
		if !strings.Contains(honest, from) {
			t.Fatalf("%s: the honest document has no %s", name, from)
		}
		doc := strings.Replace(honest, from, to, 1)
		if from == "" {
			doc = strings.ReplaceAll(to, "DOC", honest)
		}
		out = append(out, differential{name, []byte(doc)})
	}
	return out
}

func TestStrictReadersAgreeWithJQ(t *testing.T) {
	needJQ(t)
	t.Run("CTRF", func(t *testing.T) {
		docs := hostile(t, honestCTRF, [][3]string{
			{"fold-equal status", `"status":"failed"`, `"status":"failed","ſtatus":"passed"`},
			{"escaped fold-equal status", `"status":"failed"`, `"status":"failed","\u017ftatus":"passed"`},
			{"case variant status", `"status":"failed"`, `"status":"failed","Status":"passed"`},
			{"lone case variant status", `"status":"failed"`, `"STATUS":"passed"`},
			{"duplicate status", `"status":"failed"`, `"status":"failed","status":"passed"`},
			{"escaped duplicate status", `"status":"failed"`, `"status":"failed","st\u0061tus":"passed"`},
			{"duplicate results", `"results":`, `"results":{"tests":[]},"results":`},
			{"fold-equal results", `"results":`, `"results":{"tests":[]},"reſults":`},
			{"nested duplicate", `"duration":1}`, `"duration":1,"extra":{"a":{"x":1,"x":2}}}`},
			{"summary fold-equal", `"failed":1`, `"failed":1,"faileD":0`},
			{"byte order mark", "", "\ufeffDOC"},
			{"invalid UTF-8", `"name":"b"`, "\"name\":\"b\xff\""},
			{"NaN duration", `"duration":1}`, `"duration":NaN}`},
			{"big start", `"start":1`, `"start":9007199254740993`},
			{"huge start", `"start":1`, `"start":1e400`},
			{"exact big start", `"start":1`, `"start":9007199254740992`},
			{"trailing data", "", "DOC DOC"},
			{"two documents", "", "DOC\n{}"},
			{"escaped key name", `"status":"passed"`, `"st\u0061tus":"passed"`},
		})
		filter := `{format: .reportFormat, statuses: [.results.tests[].status], summary: (.results.summary | [.tests, .passed, .failed, .skipped, .pending, .other, .start])}`
		agreeOrRefuse(t, filter, docs, func(b []byte) (any, error) {
			r, err := schema.CheckCTRFSummary(b)
			if err != nil {
				return nil, err
			}
			statuses := []string{}
			for _, tc := range r.Results.Tests {
				statuses = append(statuses, tc.Status)
			}
			s := r.Results.Summary
			return map[string]any{"format": r.ReportFormat, "statuses": statuses, "summary": []int64{int64(s.Tests), int64(s.Passed), int64(s.Failed), int64(s.Skipped), int64(s.Pending), int64(s.Other), s.Start}}, nil
		})
	})
	t.Run("predicate", func(t *testing.T) {
		honest := string(examplePredicateJSON(t, "h100-eks-ubuntu-training"))
		v := newValidator(t)
		docs := hostile(t, honest, [][3]string{
			{"fold-equal phases", `"phases":`, `"phaſes":{"deployment":{"passed":1,"failed":0,"skipped":0,"pending":0,"other":0,"ctrfDigest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}},"phases":`},
			{"case variant phases", `"phases":`, `"Phases":{},"phases":`},
			{"duplicate phases", `"phases":`, `"phases":{},"phases":`},
			{"fold-equal failed", `"failed":0`, `"failed":7,"faileD":0`},
			{"duplicate failed", `"failed":0`, `"failed":7,"failed":0`},
			{"fold-equal matched", `"matched":true`, `"matched":false,"Matched":true`},
			{"lone case variant matched", `"matched":true`, `"Matched":true`},
			{"big count", `"passed":4`, `"passed":9007199254740993`},
			{"fraction count", `"passed":4`, `"passed":4.0`},
			{"byte order mark", "", "\ufeffDOC"},
			{"trailing data", "", "DOC {}"},
			{"fold-equal in fingerprint", `"fingerprint":{`, `"fingerprint":{"ſervice":{"value":"gke"},`},
		})
		filter := `{phases: (.phases | map_values([.passed, .failed, .skipped, .pending, .other, .ctrfDigest])), matched: .criteriaMatch.matched, recipe: .recipe.name}`
		agreeOrRefuse(t, filter, docs, func(b []byte) (any, error) {
			if err := v.Validate(b); err != nil {
				return nil, err
			}
			p, err := schema.DecodePredicate(b)
			if err != nil {
				return nil, err
			}
			phases := map[string]any{}
			for k, r := range p.Phases {
				phases[k] = []any{r.Passed, r.Failed, r.Skipped, r.Pending, r.Other, r.CTRFDigest}
			}
			return map[string]any{"phases": phases, "matched": p.CriteriaMatch.Matched, "recipe": p.Recipe.Name}, nil
		})
	})
	t.Run("manifest", func(t *testing.T) {
		mb, err := schema.NewManifest(map[string][]byte{"bom.cdx.json": []byte("{}"), "recipe.yaml": []byte("a: 1\n")}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		docs := hostile(t, string(mb), [][3]string{
			{"fold-equal files", `"files":`, `"fileſ":[],"files":`},
			{"case variant files", `"files":`, `"Files":[],"files":`},
			{"duplicate files", `"files":`, `"files":[],"files":`},
			{"fold-equal sha256", `"sha256":`, `"SHA256":"sha256:00","sha256":`},
			{"fold-equal path", `"path":`, `"Path":"evil","path":`},
			{"big size", `"size": 2`, `"size": 9007199254740993`},
			{"trailing data", "", "DOC{}"},
		})
		filter := `{version: .schemaVersion, files: [.files[] | [.path, .size, .sha256]]}`
		agreeOrRefuse(t, filter, docs, func(b []byte) (any, error) {
			m, err := schema.ParseManifest(b)
			if err != nil {
				return nil, err
			}
			files := []any{}
			for _, f := range m.Files {
				files = append(files, []any{f.Path, f.Size, f.SHA256})
			}
			return map[string]any{"version": m.SchemaVersion, "files": files}, nil
		})
	})
	t.Run("statement", func(t *testing.T) {
		honest := string(examplePayload(t, "h100-eks-ubuntu-training"))
		docs := hostile(t, honest, [][3]string{
			{"protobuf type", `"_type":`, `"type":`},
			{"protobuf predicate_type", `"predicateType":`, `"predicate_type":`},
			{"fold-equal _type", `"_type":`, `"_Type":"https://in-toto.io/Statement/v0.1","_type":`},
			{"duplicate predicate", `"predicate":`, `"predicate":{},"predicate":`},
			{"fold-equal manifest in predicate", `"manifest":`, `"manifeſt":{},"manifest":`},
			{"subject case variant", `"name":`, `"Name":`},
		})
		// What the §10 script reads from the Statement.
		filter := `{type: ._type, predicateType: .predicateType, subjects: (.subject | length), subject: .subject[0].name, manifest: .predicate.manifest.digest}`
		agreeOrRefuse(t, filter, docs, func(b []byte) (any, error) {
			st, err := schema.ParseStatement(b)
			if err != nil {
				return nil, err
			}
			if err := schema.CheckStatementTypes(st); err != nil {
				return nil, err
			}
			sub, err := schema.StatementSubject(st)
			if err != nil {
				return nil, err
			}
			pj, err := schema.PredicateJSON(b)
			if err != nil {
				return nil, err
			}
			p, err := schema.DecodePredicate(pj)
			if err != nil {
				return nil, err
			}
			return map[string]any{"type": st.GetType(), "predicateType": st.GetPredicateType(), "subjects": len(st.GetSubject()),
				"subject": schema.SubjectPrefix + sub.RecipeName, "manifest": p.Manifest.Digest}, nil
		})
	})
}
