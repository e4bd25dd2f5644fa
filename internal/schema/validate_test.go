package schema_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/schema"
)

const repoRoot = "../.."

var exampleNames = []string{"h100-eks-ubuntu-training", "h200-oke-ubuntu-inference"}

var exampleCache = map[string]map[string][]byte{}

// exampleFiles unpacks a shipped example bundle (once per test binary; the
// caller gets its own map).
func exampleFiles(t *testing.T, name string) map[string][]byte {
	t.Helper()
	if files, ok := exampleCache[name]; ok {
		return maps.Clone(files)
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "examples", name, "evidence-bundle.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := archive.Read(context.Background(), bytes.NewReader(raw), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range c.Files() {
		if f.Content == nil {
			t.Fatalf("%s: %s not kept in memory", name, f.Path)
		}
		out[f.Path] = f.Content
	}
	exampleCache[name] = out
	return maps.Clone(out)
}

// examplePayload returns the Statement signed in the example's attestation:
// the base64 dsseEnvelope.payload of attestation.intoto.jsonl, decoded here
// with the standard library only.
func examplePayload(t *testing.T, name string) []byte {
	t.Helper()
	att := exampleFiles(t, name)[schema.FileAttestation]
	if att == nil {
		t.Fatalf("%s: no %s", name, schema.FileAttestation)
	}
	var doc struct {
		DSSEEnvelope struct {
			Payload     string `json:"payload"`
			PayloadType string `json:"payloadType"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(att, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.DSSEEnvelope.PayloadType != "application/vnd.in-toto+json" {
		t.Fatalf("payloadType %q", doc.DSSEEnvelope.PayloadType)
	}
	b, err := base64.StdEncoding.DecodeString(doc.DSSEEnvelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// examplePredicateJSON returns the predicate of the example's signed Statement.
func examplePredicateJSON(t *testing.T, name string) []byte {
	t.Helper()
	var st struct {
		Predicate json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(examplePayload(t, name), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Predicate) == 0 {
		t.Fatal("statement has no predicate")
	}
	return st.Predicate
}

func newValidator(t *testing.T) *schema.PredicateValidator {
	t.Helper()
	v, err := schema.NewPredicateValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// publishedSchema compiles docs/recipe-evidence-v1.schema.json as read from
// disk, with jsonschema/v6 directly (not through the package under test).
func publishedSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "docs", "recipe-evidence-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("file:///published/recipe-evidence-v1.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("file:///published/recipe-evidence-v1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func instance(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestExamplePredicatesValidate(t *testing.T) {
	v := newValidator(t)
	published := publishedSchema(t)
	for _, name := range exampleNames {
		pj := examplePredicateJSON(t, name)
		if err := v.Validate(pj); err != nil {
			t.Errorf("%s: PredicateValidator: %v", name, err)
		}
		if err := published.Validate(instance(t, pj)); err != nil {
			t.Errorf("%s: published schema file: %v", name, err)
		}
	}
}

// The published file declares draft 2020-12 itself, so it compiles the same
// without the compiler's default draft, and it has the $id the code uses.
func TestPublishedSchemaFile(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "recipe-evidence-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		Schema string `json:"$schema"`
		ID     string `json:"$id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		t.Fatal(err)
	}
	if head.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %q", head.Schema)
	}
	if head.ID != schema.PredicateSchemaURL {
		t.Errorf("$id = %q, code uses %q", head.ID, schema.PredicateSchemaURL)
	}
}

// mutatePredicate applies f to a decoded copy of the h100 example predicate.
func mutatePredicate(t *testing.T, f func(p map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(examplePredicateJSON(t, "h100-eks-ubuntu-training"), &p); err != nil {
		t.Fatal(err)
	}
	f(p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func obj(p map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		p = p[k].(map[string]any)
	}
	return p
}

type mutation struct {
	name string
	f    func(p map[string]any)
	// path is the JSON pointer a violation must be reported at.
	path string
	// mentions is a fragment that violation's message must carry.
	mentions string
}

func predicateMutations() []mutation {
	return []mutation{
		{name: "missing attestedAt", f: func(p map[string]any) { delete(p, "attestedAt") }, path: "", mentions: "attestedAt"},
		{name: "missing schemaVersion", f: func(p map[string]any) { delete(p, "schemaVersion") }, path: "", mentions: "schemaVersion"},
		{name: "missing manifest", f: func(p map[string]any) { delete(p, "manifest") }, path: "", mentions: "manifest"},
		{name: "missing recipe.digest", f: func(p map[string]any) { delete(obj(p, "recipe"), "digest") }, path: "/recipe", mentions: "digest"},
		{name: "missing phase count", f: func(p map[string]any) { delete(obj(p, "phases", "deployment"), "other") }, path: "/phases/deployment", mentions: "other"},
		{name: "attestedAt with space", f: func(p map[string]any) { p["attestedAt"] = "2026-11-20 09:58:00Z" }, path: "/attestedAt"},
		{name: "attestedAt with offset", f: func(p map[string]any) { p["attestedAt"] = "2026-11-20T09:58:00+01:00" }, path: "/attestedAt"},
		{name: "attestedAt fractional", f: func(p map[string]any) { p["attestedAt"] = "2026-11-20T09:58:00.5Z" }, path: "/attestedAt"},
		{name: "attestedAt month 13", f: func(p map[string]any) { p["attestedAt"] = "2026-13-20T09:58:00Z" }, path: "/attestedAt"},
		{name: "attestedAt number", f: func(p map[string]any) { p["attestedAt"] = 1795168800 }, path: "/attestedAt"},
		{name: "uppercase recipe digest", f: func(p map[string]any) {
			r := obj(p, "recipe")
			r["digest"] = strings.ToUpper(r["digest"].(string))
		}, path: "/recipe/digest"},
		{name: "prefixed recipe digest", f: func(p map[string]any) {
			r := obj(p, "recipe")
			r["digest"] = "sha256:" + r["digest"].(string)
		}, path: "/recipe/digest"},
		{name: "uppercase bom digest", f: func(p map[string]any) {
			b := obj(p, "bom")
			b["digest"] = "sha256:" + strings.ToUpper(strings.TrimPrefix(b["digest"].(string), "sha256:"))
		}, path: "/bom/digest"},
		{name: "bare manifest digest", f: func(p map[string]any) {
			m := obj(p, "manifest")
			m["digest"] = strings.TrimPrefix(m["digest"].(string), "sha256:")
		}, path: "/manifest/digest"},
		{name: "uppercase ctrfDigest", f: func(p map[string]any) {
			ph := obj(p, "phases", "performance")
			ph["ctrfDigest"] = strings.ToUpper(ph["ctrfDigest"].(string))
		}, path: "/phases/performance/ctrfDigest"},
		{name: "validator image digest without prefix", f: func(p map[string]any) {
			p["validatorImages"].([]any)[1].(map[string]any)["digest"] = sha256Hex(nil)
		}, path: "/validatorImages/1/digest"},
		{name: "negative count", f: func(p map[string]any) { obj(p, "phases", "deployment")["passed"] = -1 }, path: "/phases/deployment/passed"},
		{name: "fractional count", f: func(p map[string]any) { obj(p, "phases", "deployment")["failed"] = 0.5 }, path: "/phases/deployment/failed"},
		{name: "negative componentCount", f: func(p map[string]any) { obj(p, "bom")["componentCount"] = -3 }, path: "/bom/componentCount"},
		{name: "bom.version 1.5", f: func(p map[string]any) { obj(p, "bom")["version"] = "1.5" }, path: "/bom/version"},
		{name: "bom.format SPDX", f: func(p map[string]any) { obj(p, "bom")["format"] = "SPDX" }, path: "/bom/format"},
		{name: "recipe name with slash", f: func(p map[string]any) { obj(p, "recipe")["name"] = "acme/h100" }, path: "/recipe/name"},
		{name: "recipe name uppercase", f: func(p map[string]any) { obj(p, "recipe")["name"] = "H100-eks" }, path: "/recipe/name"},
		{name: "recipe name leading dash", f: func(p map[string]any) { obj(p, "recipe")["name"] = "-h100" }, path: "/recipe/name"},
		{name: "recipe name trailing dot", f: func(p map[string]any) { obj(p, "recipe")["name"] = "h100." }, path: "/recipe/name"},
		{name: "recipe name empty", f: func(p map[string]any) { obj(p, "recipe")["name"] = "" }, path: "/recipe/name"},
		{name: "recipe name 129 bytes", f: func(p map[string]any) { obj(p, "recipe")["name"] = strings.Repeat("a", 129) }, path: "/recipe/name"},
		{name: "empty phases", f: func(p map[string]any) { p["phases"] = map[string]any{} }, path: "/phases"},
		{name: "perDimension match maybe", f: func(p map[string]any) {
			obj(p, "criteriaMatch")["perDimension"].([]any)[0].(map[string]any)["match"] = "maybe"
		}, path: "/criteriaMatch/perDimension/0/match"},
		{name: "perDimension map form match maybe", f: func(p map[string]any) {
			obj(p, "criteriaMatch")["perDimension"] = map[string]any{"service": map[string]any{"match": "maybe"}}
		}, path: "/criteriaMatch/perDimension/service/match"},
		{name: "criteriaMatch.matched string", f: func(p map[string]any) { obj(p, "criteriaMatch")["matched"] = "true" }, path: "/criteriaMatch/matched"},
		{name: "aicrVersion empty", f: func(p map[string]any) { p["aicrVersion"] = "" }, path: "/aicrVersion"},
		{name: "schemaVersion 2.0.0", f: func(p map[string]any) { p["schemaVersion"] = "2.0.0" }, path: "/schemaVersion"},
		{name: "fileCount 3", f: func(p map[string]any) { obj(p, "manifest")["fileCount"] = 3 }, path: "/manifest/fileCount"},
		{name: "redaction policy", f: func(p map[string]any) {
			p["redaction"] = map[string]any{"policy": "some", "version": "1", "applied": []any{}}
		}, path: "/redaction/policy"},
		{name: "fingerprint count dimension string", f: func(p map[string]any) { obj(p, "fingerprint", "nodeCount")["value"] = "4" }, path: "/fingerprint/nodeCount/value"},
		{name: "every required field missing", f: func(p map[string]any) {
			for k := range p {
				delete(p, k)
			}
			p["x"] = 1
		}, path: ""},
	}
}

func TestPredicateValidatorRejectsMutations(t *testing.T) {
	v := newValidator(t)
	published := publishedSchema(t)
	for _, m := range predicateMutations() {
		t.Run(m.name, func(t *testing.T) {
			pj := mutatePredicate(t, m.f)
			// The published file rejects it too.
			if err := published.Validate(instance(t, pj)); err == nil {
				t.Errorf("the published schema accepts it")
			}
			err := v.Validate(pj)
			var se *schema.SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("Validate = %v, want *SchemaError", err)
			}
			if len(se.Violations) == 0 {
				t.Fatal("no violations")
			}
			found := false
			for _, viol := range se.Violations {
				if viol.Path == m.path && strings.Contains(viol.Message, m.mentions) {
					found = true
				}
			}
			if !found {
				t.Errorf("no violation at %q mentioning %q: %+v", m.path, m.mentions, se.Violations)
			}
			// The most precise (deepest) violation comes first and is in Error().
			if first := se.Violations[0].Path; strings.Count(first, "/") < strings.Count(m.path, "/") {
				t.Errorf("first violation at %q is less precise than %q", first, m.path)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("Error() spans lines: %q", msg)
			}
			wantLoc := m.path
			if wantLoc == "" {
				wantLoc = "/"
			}
			if !strings.HasPrefix(msg, "predicate "+se.Violations[0].Path) && !strings.HasPrefix(msg, "predicate "+wantLoc) {
				t.Errorf("Error() %q does not start with the violation's location", msg)
			}
		})
	}
}

// An unknown phase key must be reported at /phases (or the key under it),
// every time. With "propertyNames" in the schema, jsonschema/v6 v6.0.3 stored
// the error's instance location without copying it, so a sibling property
// validated later overwrote it (upstream santhosh-tekuri/jsonschema#258, #269)
// and the report named a random field such as /aicrVersion.
func TestPredicateValidatorUnknownPhaseKeyLocation(t *testing.T) {
	v := newValidator(t)
	pj := mutatePredicate(t, func(p map[string]any) {
		obj(p, "phases")["smoke"] = obj(p, "phases", "deployment")
	})
	for i := 0; i < 20; i++ {
		err := v.Validate(pj)
		var se *schema.SchemaError
		if !errors.As(err, &se) {
			t.Fatalf("Validate = %v, want *SchemaError", err)
		}
		found := false
		for _, viol := range se.Violations {
			if strings.Contains(viol.Message, "smoke") {
				found = true
			}
			if viol.Path != "" && viol.Path != "/phases" && !strings.HasPrefix(viol.Path, "/phases/") {
				t.Fatalf("run %d: violation %q reported at %q, which is not under /phases (all: %+v)", i, viol.Message, viol.Path, se.Violations)
			}
		}
		if !found {
			t.Fatalf("no violation names the key smoke: %+v", se.Violations)
		}
		if !strings.HasPrefix(err.Error(), "predicate /phases") {
			t.Fatalf("run %d: Error() = %q, want it to start at /phases", i, err)
		}
	}
}

// In-toto convention (§5): fields a reader does not know are ignored.
func TestPredicateValidatorAcceptsUnknownFields(t *testing.T) {
	v := newValidator(t)
	published := publishedSchema(t)
	pj := mutatePredicate(t, func(p map[string]any) {
		p["futureField"] = map[string]any{"anything": []any{1, "two"}}
		obj(p, "recipe")["channel"] = "stable"
		obj(p, "bom")["generator"] = "syft"
		obj(p, "phases", "deployment")["durationSeconds"] = 12.5
		obj(p, "fingerprint")["cpuArch"] = map[string]any{"value": "arm64"}
		obj(p, "criteriaMatch")["perDimension"].([]any)[0].(map[string]any)["weight"] = 1
	})
	if err := v.Validate(pj); err != nil {
		t.Errorf("PredicateValidator: %v", err)
	}
	if err := published.Validate(instance(t, pj)); err != nil {
		t.Errorf("published schema: %v", err)
	}
	// Newer minor versions are valid too (§9).
	pj = mutatePredicate(t, func(p map[string]any) { p["schemaVersion"] = "1.7.3" })
	if err := v.Validate(pj); err != nil {
		t.Errorf("schemaVersion 1.7.3: %v", err)
	}
	// The older object form of perDimension (§5, readers also accept it).
	pj = mutatePredicate(t, func(p map[string]any) {
		obj(p, "criteriaMatch")["perDimension"] = map[string]any{
			"service": map[string]any{"recipeRequires": "eks", "fingerprintProvides": "eks", "match": "matched"},
		}
	})
	if err := v.Validate(pj); err != nil {
		t.Errorf("map-form perDimension: %v", err)
	}
	// A redaction block, and a dimension the snapshot did not reveal (absent).
	pj = mutatePredicate(t, func(p map[string]any) {
		p["redaction"] = map[string]any{"policy": "full", "version": "1", "applied": []any{"drop-hostnames"}}
		delete(obj(p, "fingerprint"), "region")
	})
	if err := v.Validate(pj); err != nil {
		t.Errorf("redaction / absent dimension: %v", err)
	}
}

func TestPredicateValidatorNotJSON(t *testing.T) {
	v := newValidator(t)
	for _, in := range []string{"", "{", "not json", `{"a":1} {"b":2}`} {
		err := v.Validate([]byte(in))
		var se *schema.SchemaError
		if !errors.As(err, &se) {
			t.Errorf("%q: %v, want *SchemaError", in, err)
		}
	}
}
