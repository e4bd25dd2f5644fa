package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	intoto "github.com/in-toto/attestation/go/v1"

	"github.com/aicr/verify-evidence/internal/schema"
)

// samplePredicate is a complete, schema-valid predicate.
func samplePredicate() *schema.Predicate {
	return &schema.Predicate{
		SchemaVersion:           "1.0.0",
		AttestedAt:              "2026-11-20T09:58:00Z",
		AICRVersion:             "v0.18.0",
		ValidatorCatalogVersion: "v0.18.0",
		ValidatorImages: []schema.ValidatorImage{
			{Image: "ghcr.io/nvidia/a:v1", Digest: ""},
			{Image: "ghcr.io/nvidia/b:v1", Digest: "sha256:" + sha256Hex([]byte("b"))},
		},
		Recipe: schema.RecipeRef{Name: "h100-eks-ubuntu-training", Digest: sha256Hex([]byte("recipe"))},
		Fingerprint: schema.Fingerprint{
			Service:   &schema.Dimension{Value: "eks", Source: "K8s.node.provider"},
			OS:        &schema.OSDimension{Value: "ubuntu", Version: "24.04", Source: "OS.release.ID"},
			NodeCount: &schema.CountDimension{Value: 4, Source: "NodeTopology.summary.node-count"},
		},
		CriteriaMatch: schema.CriteriaMatch{Matched: true, PerDimension: schema.DimensionMatches{
			{Dimension: "service", RecipeRequires: "eks", FingerprintProvides: "eks", Match: schema.MatchMatched},
			{Dimension: "intent", RecipeRequires: "training", Match: schema.MatchNotInferable},
		}},
		Phases: map[string]schema.PhaseResult{
			"deployment":  {Passed: 4, CTRFDigest: "sha256:" + sha256Hex([]byte("d"))},
			"performance": {Passed: 1, Failed: 1, CTRFDigest: "sha256:" + sha256Hex([]byte("p"))},
			"conformance": {Passed: 2, Skipped: 1, Pending: 3, Other: 5, CTRFDigest: "sha256:" + sha256Hex([]byte("c"))},
		},
		BOM:       schema.BOMSummary{Format: "CycloneDX", Version: "1.6", Digest: "sha256:" + sha256Hex([]byte("bom")), ComponentCount: 3},
		Manifest:  schema.ManifestRef{Digest: "sha256:" + sha256Hex([]byte("manifest")), FileCount: 6},
		Redaction: &schema.Redaction{Policy: "minimal", Version: "1", Applied: []string{"a", "b"}},
	}
}

func TestNewStatementRoundTrip(t *testing.T) {
	p := samplePredicate()
	b, err := schema.NewStatement(p)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("not JSON: %s", b)
	}
	// Independently of the package: the wire form has the §4 shape.
	var wire struct {
		Type    string `json:"_type"`
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatal(err)
	}
	if wire.Type != "https://in-toto.io/Statement/v1" {
		t.Errorf("_type = %q", wire.Type)
	}
	if wire.PredicateType != "https://aicr.run/recipe-evidence/v1" {
		t.Errorf("predicateType = %q", wire.PredicateType)
	}
	if len(wire.Subject) != 1 || wire.Subject[0].Name != "recipe:h100-eks-ubuntu-training" ||
		!reflect.DeepEqual(wire.Subject[0].Digest, map[string]string{"sha256": p.Recipe.Digest}) {
		t.Errorf("subject = %+v", wire.Subject)
	}

	st, err := schema.ParseStatement(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.CheckStatementTypes(st); err != nil {
		t.Fatal(err)
	}
	sub, err := schema.StatementSubject(st)
	if err != nil {
		t.Fatal(err)
	}
	if sub.RecipeName != p.Recipe.Name || sub.Digest != p.Recipe.Digest {
		t.Errorf("subject %+v", sub)
	}
	pj, err := schema.PredicateJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := schema.DecodePredicate(pj)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("predicate does not round-trip:\n got %+v\nwant %+v", got, p)
	}
}

func TestNewStatementDeterministic(t *testing.T) {
	first, err := schema.NewStatement(samplePredicate())
	if err != nil {
		t.Fatal(err)
	}
	// Several calls, each with a fresh predicate (fresh maps), give the same bytes.
	for i := 0; i < 10; i++ {
		b, err := schema.NewStatement(samplePredicate())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, first) {
			t.Fatalf("call %d gave different bytes:\n%s\n%s", i, first, b)
		}
	}
	if bytes.ContainsAny(first, "\n\t") || bytes.Contains(first, []byte(": ")) {
		t.Errorf("statement is not compact: %s", first)
	}
}

// The shipped example's signed DSSE payload was produced by NewStatement in
// another process: rebuilding it from its own predicate gives the same bytes.
func TestNewStatementReproducesShippedPayload(t *testing.T) {
	for _, name := range exampleNames {
		payload := examplePayload(t, name)
		if _, err := schema.ParseStatement(payload); err != nil {
			t.Fatal(err)
		}
		pj, err := schema.PredicateJSON(payload)
		if err != nil {
			t.Fatal(err)
		}
		p, err := schema.DecodePredicate(pj)
		if err != nil {
			t.Fatal(err)
		}
		b, err := schema.NewStatement(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, payload) {
			t.Errorf("%s: NewStatement(predicate) differs from the signed payload:\n got %s\nwant %s", name, b, payload)
		}
		// statement.intoto.json is the same Statement, unsigned, plus a newline.
		files := exampleFiles(t, name)
		if got := files[schema.FileStatement]; !bytes.Equal(got, append(append([]byte{}, payload...), '\n')) {
			t.Errorf("%s: statement.intoto.json differs from the DSSE payload", name)
		}
	}
}

func TestNewStatementRequiresRecipe(t *testing.T) {
	for name, mutate := range map[string]func(p *schema.Predicate){
		"no name":          func(p *schema.Predicate) { p.Recipe.Name = "" },
		"no digest":        func(p *schema.Predicate) { p.Recipe.Digest = "" },
		"uppercase digest": func(p *schema.Predicate) { p.Recipe.Digest = strings.ToUpper(p.Recipe.Digest) },
		"prefixed digest":  func(p *schema.Predicate) { p.Recipe.Digest = "sha256:" + p.Recipe.Digest },
	} {
		p := samplePredicate()
		mutate(p)
		if b, err := schema.NewStatement(p); err == nil {
			t.Errorf("%s: accepted: %s", name, b)
		}
	}
}

func mustStatement(t *testing.T, js string) *intoto.Statement {
	t.Helper()
	st, err := schema.ParseStatement([]byte(js))
	if err != nil {
		t.Fatalf("ParseStatement(%s): %v", js, err)
	}
	return st
}

func TestStatementSubject(t *testing.T) {
	h := sha256Hex([]byte("r"))
	ok := mustStatement(t, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"recipe:my-recipe","digest":{"sha256":"`+h+`"}}]}`)
	sub, err := schema.StatementSubject(ok)
	if err != nil || sub.RecipeName != "my-recipe" || sub.Digest != h {
		t.Fatalf("got %+v, %v", sub, err)
	}
	// AICR's signed subject form names the OCI artifact (format §11).
	oci := mustStatement(t, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"127.0.0.1:5000/aicr-evidence:h100-eks-abc","digest":{"sha256":"`+h+`"}}]}`)
	sub, err = schema.StatementSubject(oci)
	if err != nil || sub.OCI == nil || sub.RecipeName != "" || sub.Digest != h ||
		*sub.OCI != (schema.OCIName{Registry: "127.0.0.1:5000", Repository: "aicr-evidence", Tag: "h100-eks-abc"}) {
		t.Fatalf("OCI subject: got %+v, %v", sub, err)
	}
	bad := map[string]string{
		"no subject":       `{"subject":[]}`,
		"subject missing":  `{}`,
		"two subjects":     `{"subject":[{"name":"recipe:a","digest":{"sha256":"` + h + `"}},{"name":"recipe:b","digest":{"sha256":"` + h + `"}}]}`,
		"no prefix":        `{"subject":[{"name":"my-recipe","digest":{"sha256":"` + h + `"}}]}`,
		"other prefix":     `{"subject":[{"name":"file:my-recipe","digest":{"sha256":"` + h + `"}}]}`,
		"prefix only":      `{"subject":[{"name":"recipe:","digest":{"sha256":"` + h + `"}}]}`,
		"prefix uppercase": `{"subject":[{"name":"Recipe:my-recipe","digest":{"sha256":"` + h + `"}}]}`,
		"two digests":      `{"subject":[{"name":"recipe:a","digest":{"sha256":"` + h + `","sha512":"` + h + h + `"}}]}`,
		"sha512 only":      `{"subject":[{"name":"recipe:a","digest":{"sha512":"` + h + h + `"}}]}`,
		"no digest":        `{"subject":[{"name":"recipe:a"}]}`,
		"non-hex digest":   `{"subject":[{"name":"recipe:a","digest":{"sha256":"` + strings.Repeat("z", 64) + `"}}]}`,
		"uppercase digest": `{"subject":[{"name":"recipe:a","digest":{"sha256":"` + strings.ToUpper(h) + `"}}]}`,
		"short digest":     `{"subject":[{"name":"recipe:a","digest":{"sha256":"` + h[:63] + `"}}]}`,
		"prefixed digest":  `{"subject":[{"name":"recipe:a","digest":{"sha256":"sha256:` + h + `"}}]}`,
		"empty digest":     `{"subject":[{"name":"recipe:a","digest":{"sha256":""}}]}`,
		"OCI without tag":  `{"subject":[{"name":"ghcr.io/org/evidence","digest":{"sha256":"` + h + `"}}]}`,
		"OCI with scheme":  `{"subject":[{"name":"oci://ghcr.io/org/evidence:t","digest":{"sha256":"` + h + `"}}]}`,
		"OCI no registry":  `{"subject":[{"name":"org/evidence:t","digest":{"sha256":"` + h + `"}}]}`,
		"OCI upper repo":   `{"subject":[{"name":"ghcr.io/Org/evidence:t","digest":{"sha256":"` + h + `"}}]}`,
		"OCI by digest":    `{"subject":[{"name":"ghcr.io/org/evidence@sha256:` + h + `","digest":{"sha256":"` + h + `"}}]}`,
	}
	for name, js := range bad {
		sub, err := schema.StatementSubject(mustStatement(t, js))
		if err == nil {
			t.Errorf("%s: accepted as %+v", name, sub)
			continue
		}
		if !errors.Is(err, schema.ErrSubject) {
			t.Errorf("%s: error %q is not ErrSubject", name, err)
		}
	}
}

func TestCheckStatementTypes(t *testing.T) {
	for _, tt := range []struct {
		name    string
		js      string
		wantErr error
		names   string // what the message must name
	}{
		{name: "v1", js: `{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://aicr.run/recipe-evidence/v1"}`},
		{name: "legacy predicate type", js: `{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://aicr.nvidia.com/recipe-evidence/v1"}`},
		{name: "v0.1", js: `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://aicr.run/recipe-evidence/v1"}`,
			wantErr: schema.ErrStatementType, names: "https://in-toto.io/Statement/v0.1"},
		{name: "v2", js: `{"_type":"https://in-toto.io/Statement/v2","predicateType":"https://aicr.run/recipe-evidence/v1"}`,
			wantErr: schema.ErrStatementType, names: "Statement/v2"},
		{name: "missing _type", js: `{"predicateType":"https://aicr.run/recipe-evidence/v1"}`,
			wantErr: schema.ErrStatementType, names: "missing"},
		{name: "unknown predicate type", js: `{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1"}`,
			wantErr: schema.ErrPredicateType, names: "https://slsa.dev/provenance/v1"},
		{name: "v4 predicate type", js: `{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://aicr.run/recipe-evidence/v4"}`,
			wantErr: schema.ErrPredicateType, names: "recipe-evidence/v4"},
		{name: "missing predicate type", js: `{"_type":"https://in-toto.io/Statement/v1"}`, wantErr: schema.ErrPredicateType},
		{name: "predicate type with trailing slash", js: `{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://aicr.run/recipe-evidence/v1/"}`,
			wantErr: schema.ErrPredicateType},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := schema.CheckStatementTypes(mustStatement(t, tt.js))
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.names) {
				t.Errorf("error %q does not name %q", err, tt.names)
			}
		})
	}
}

func TestParseStatementRejectsNonJSON(t *testing.T) {
	for _, in := range []string{"", "not json", `[]`, `{"_type": 5}`} {
		if _, err := schema.ParseStatement([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if _, err := schema.PredicateJSON([]byte(`{"_type":"https://in-toto.io/Statement/v1"}`)); err == nil {
		t.Error("PredicateJSON of a Statement without predicate succeeded")
	}
}
