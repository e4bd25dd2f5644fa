package schema_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
)

func TestDimensionMatchesListForm(t *testing.T) {
	in := `[
	  {"dimension": "service", "recipeRequires": "eks", "fingerprintProvides": "eks", "match": "matched"},
	  {"dimension": "accelerator", "recipeRequires": "h100", "fingerprintProvides": "h200", "match": "mismatched"},
	  {"dimension": "intent", "recipeRequires": "training", "match": "not-inferable"}
	]`
	var d schema.DimensionMatches
	if err := json.Unmarshal([]byte(in), &d); err != nil {
		t.Fatal(err)
	}
	// The list keeps its order (it is not re-sorted).
	want := schema.DimensionMatches{
		{Dimension: "service", RecipeRequires: "eks", FingerprintProvides: "eks", Match: "matched"},
		{Dimension: "accelerator", RecipeRequires: "h100", FingerprintProvides: "h200", Match: "mismatched"},
		{Dimension: "intent", RecipeRequires: "training", Match: "not-inferable"},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got %+v\nwant %+v", d, want)
	}
}

func TestDimensionMatchesMapForm(t *testing.T) {
	in := ` {
	  "service": {"recipeRequires": "eks", "fingerprintProvides": "eks", "match": "matched"},
	  "accelerator": {"recipeRequires": "h100", "fingerprintProvides": "h200", "match": "mismatched"},
	  "os": {"dimension": "os-explicit", "match": "unknown"},
	  "intent": {"recipeRequires": "training", "match": "not-inferable"}
	}`
	want := schema.DimensionMatches{
		{Dimension: "accelerator", RecipeRequires: "h100", FingerprintProvides: "h200", Match: "mismatched"},
		{Dimension: "intent", RecipeRequires: "training", Match: "not-inferable"},
		{Dimension: "os-explicit", Match: "unknown"},
		{Dimension: "service", RecipeRequires: "eks", FingerprintProvides: "eks", Match: "matched"},
	}
	// Map order is random; decode several times to see the sort at work.
	for i := 0; i < 20; i++ {
		var d schema.DimensionMatches
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d, want) {
			t.Fatalf("got %+v\nwant %+v", d, want)
		}
	}
}

// Inside a whole CriteriaMatch and predicate, the older form is read too, and
// the predicate always marshals back as the list form.
func TestCriteriaMatchReadsOldFormWritesList(t *testing.T) {
	var cm schema.CriteriaMatch
	if err := json.Unmarshal([]byte(`{"matched": false, "perDimension": {"service": {"match": "mismatched", "recipeRequires": "gke"}}}`), &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Matched || len(cm.PerDimension) != 1 || cm.PerDimension[0] != (schema.DimensionMatch{Dimension: "service", RecipeRequires: "gke", Match: "mismatched"}) {
		t.Fatalf("got %+v", cm)
	}
	b, err := json.Marshal(cm)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"matched":false,"perDimension":[{"dimension":"service","recipeRequires":"gke","match":"mismatched"}]}`; string(b) != want {
		t.Errorf("marshal %s, want %s", b, want)
	}
}

func TestDimensionMatchesEmptyAndInvalid(t *testing.T) {
	for _, in := range []string{`[]`, `{}`} {
		var d schema.DimensionMatches
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			t.Errorf("%s: %v", in, err)
		}
		if len(d) != 0 {
			t.Errorf("%s: got %+v", in, d)
		}
	}
	for _, in := range []string{`"service"`, `42`, `true`, `[1, 2]`, `{"service": "matched"}`, `{"service": [1]}`} {
		var d schema.DimensionMatches
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("%s accepted as %+v", in, d)
		}
	}
}
