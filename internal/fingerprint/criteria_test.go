package fingerprint

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
)

func mustCriteria(t *testing.T, b []byte) Criteria {
	t.Helper()
	c, err := CriteriaFromRecipe(b)
	if err != nil {
		t.Fatalf("CriteriaFromRecipe: %v", err)
	}
	return c
}

func TestCriteriaFromRecipeExamples(t *testing.T) {
	for _, tt := range []struct {
		name string
		want Criteria
	}{
		{"h100-eks-ubuntu-training", Criteria{Service: "eks", Accelerator: "h100", OS: "ubuntu", Intent: "training"}},
		{"h200-oke-ubuntu-inference", Criteria{Service: "oke", Accelerator: "h200", OS: "ubuntu", Intent: "inference"}},
	} {
		got := mustCriteria(t, readFile(t, filepath.Join(examplesDir, tt.name, "recipe.yaml")))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: criteria = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestCriteriaFromRecipeUpstream reads AICR's resolved example recipes.
func TestCriteriaFromRecipeUpstream(t *testing.T) {
	dir := filepath.Join(sharedTestdata(t, "aicr-upstream"), "examples", "recipes")
	for _, tt := range []struct {
		file string
		want Criteria
	}{
		{"aks-training.yaml", Criteria{Service: "aks", Accelerator: "h100", Intent: "training", OS: "ubuntu", Platform: "any"}},
		{"eks-gb200-ubuntu-training-with-validation.yaml", Criteria{Service: "eks", Accelerator: "gb200", Intent: "training", OS: "ubuntu"}},
		{"eks-training.yaml", Criteria{Service: "eks", Accelerator: "any", Intent: "training", OS: "any"}},
		{"kind.yaml", Criteria{Service: "kind", Accelerator: "any", Intent: "training", OS: "any"}},
	} {
		got := mustCriteria(t, readFile(t, filepath.Join(dir, tt.file)))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: criteria = %+v, want %+v", tt.file, got, tt.want)
		}
	}
}

func TestCriteriaFromRecipeShapes(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want Criteria
	}{
		{"no criteria", "kind: RecipeResult\n", Criteria{}},
		{"null criteria", "criteria:\n", Criteria{}},
		{"empty criteria", "criteria: {}\n", Criteria{}},
		{"nodes", "criteria: {nodes: 8}\n", Criteria{Nodes: 8}},
		{"null nodes", "criteria: {nodes: null}\n", Criteria{}},
		{"null value", "criteria: {service: ~}\n", Criteria{}},
		{"values as written", "criteria: {service: EKS, os: ' Ubuntu', platform: kubeflow}\n", Criteria{Service: "EKS", OS: " Ubuntu", Platform: "kubeflow"}},
		{"extra keys", "criteria:\n  service: eks\n  fabric: nvlink\n  zone: null\n  Service: gke\n  gen: 3\n",
			Criteria{Service: "eks", Extra: map[string]string{"fabric": "nvlink", "zone": "", "Service": "gke", "gen": "3"}}},
		{"scalar alias", "x: &a eks\ncriteria: {service: *a}\n", Criteria{Service: "eks"}},
	}
	for _, tt := range tests {
		if got := mustCriteria(t, []byte(tt.yaml)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: criteria = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestCriteriaFromRecipeErrors(t *testing.T) {
	var many strings.Builder
	many.WriteString("criteria:\n")
	for i := 0; i < 59; i++ {
		many.WriteString("  k" + strings.Repeat("x", i) + ": v\n")
	}
	tests := []struct {
		name string
		yaml []byte
		want []string
	}{
		{"empty", nil, []string{"recipe: no YAML document"}},
		{"syntax", []byte("criteria: {\n"), []string{"recipe: parse YAML"}},
		{"two documents", []byte("criteria: {}\n---\ncriteria: {}\n"), []string{"more than one YAML document"}},
		{"top level list", []byte("- criteria: {}\n"), []string{"the top level is a list"}},
		{"criteria list", []byte("criteria: [eks]\n"), []string{"criteria is a list, want a mapping"}},
		{"criteria scalar", []byte("criteria: eks\n"), []string{"criteria is a scalar, want a mapping"}},
		{"duplicate criteria", []byte("criteria: {service: eks}\ncriteria: {service: gke}\n"), []string{`duplicate key "criteria"`}},
		{"duplicate criteria key", []byte("criteria:\n  accelerator: h100\n  accelerator: h200\n"), []string{"line 3", `duplicate key "accelerator"`}},
		{"duplicate elsewhere", []byte("criteria: {}\nmetadata: {a: 1, a: 2}\n"), []string{`duplicate key "a"`}},
		{"value mapping", []byte("criteria: {service: {name: eks}}\n"), []string{`criteria key "service"`, "want a scalar"}},
		{"value list", []byte("criteria: {fabric: [a]}\n"), []string{`criteria key "fabric"`, "want a scalar"}},
		{"alias of a mapping", []byte("x: &m {a: b}\ncriteria: {os: *m}\n"), []string{`criteria key "os"`, "alias of a mapping"}},
		{"nodes string", []byte("criteria: {nodes: \"4\"}\n"), []string{`criteria key "nodes"`, "want an integer from 0 to 1000000000", `"4"`}},
		{"nodes any", []byte("criteria: {nodes: any}\n"), []string{`criteria key "nodes"`, "want an integer"}},
		{"nodes negative", []byte("criteria: {nodes: -2}\n"), []string{`criteria key "nodes"`}},
		{"nodes float", []byte("criteria: {nodes: 2.5}\n"), []string{`criteria key "nodes"`}},
		{"nodes huge", []byte("criteria: {nodes: 99999999999999999999}\n"), []string{`criteria key "nodes"`}},
		{"long value", []byte("criteria: {service: " + strings.Repeat("e", 257) + "}\n"), []string{`criteria key "service"`, "257 characters, at most 256"}},
		{"long key", []byte("criteria: {" + strings.Repeat("k", 65) + ": v}\n"), []string{"a key must have 1 to 64 characters"}},
		{"empty key", []byte("criteria: {'': v}\n"), []string{`criteria key ""`}},
		{"too many keys", []byte(many.String()), []string{"more than 58 unknown criteria keys"}},
		{"oversize", make([]byte, MaxRecipeBytes+1), []string{"recipe: 16777217 bytes exceeds the limit of 16777216 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CriteriaFromRecipe(tt.yaml)
			if err == nil {
				t.Fatalf("CriteriaFromRecipe = %+v, want an error", c)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "recipe: ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line starting with recipe:", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func dm(dim, requires, provides, match string) schema.DimensionMatch {
	return schema.DimensionMatch{Dimension: dim, RecipeRequires: requires, FingerprintProvides: provides, Match: match}
}

const (
	matched      = schema.MatchMatched
	mismatched   = schema.MatchMismatched
	unknown      = schema.MatchUnknown
	notInferable = schema.MatchNotInferable
)

func assertMatch(t *testing.T, got, want schema.CriteriaMatch) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("criteria match differs:\n  got  %+v\n  want %+v\n  %s", got, want, strings.Join(CompareMatch(got, want), "\n  "))
	}
}

func TestMatchExamples(t *testing.T) {
	h100Recipe := mustCriteria(t, readFile(t, filepath.Join(examplesDir, "h100-eks-ubuntu-training", "recipe.yaml")))
	h200Recipe := mustCriteria(t, readFile(t, filepath.Join(examplesDir, "h200-oke-ubuntu-inference", "recipe.yaml")))
	h100 := mustCompute(t, exampleSnapshot(t, "h100-eks-ubuntu-training"))
	h200 := mustCompute(t, exampleSnapshot(t, "h200-oke-ubuntu-inference"))

	assertMatch(t, Match(h100Recipe, h100), schema.CriteriaMatch{Matched: true, PerDimension: schema.DimensionMatches{
		dm("service", "eks", "eks", matched),
		dm("accelerator", "h100", "h100", matched),
		dm("os", "ubuntu", "ubuntu", matched),
		dm("intent", "training", "", notInferable),
		dm("platform", "", "", matched),
		dm("nodes", "", "4", matched),
	}})
	assertMatch(t, Match(h200Recipe, h200), schema.CriteriaMatch{Matched: true, PerDimension: schema.DimensionMatches{
		dm("service", "oke", "oke", matched),
		dm("accelerator", "h200", "h200", matched),
		dm("os", "ubuntu", "ubuntu", matched),
		dm("intent", "inference", "", notInferable),
		dm("platform", "", "", matched),
		dm("nodes", "", "4", matched),
	}})

	// The H200 snapshot against a recipe that asks for h100 (same service so
	// only the accelerator differs).
	wantH100 := h100Recipe
	wantH100.Service = "oke"
	assertMatch(t, Match(wantH100, h200), schema.CriteriaMatch{Matched: false, PerDimension: schema.DimensionMatches{
		dm("service", "oke", "oke", matched),
		dm("accelerator", "h100", "h200", mismatched),
		dm("os", "ubuntu", "ubuntu", matched),
		dm("intent", "training", "", notInferable),
		dm("platform", "", "", matched),
		dm("nodes", "", "4", matched),
	}})
	// And the H100 recipe as is: service and accelerator both differ.
	m := Match(h100Recipe, h200)
	if m.Matched || m.PerDimension[0].Match != mismatched || m.PerDimension[1].Match != mismatched {
		t.Errorf("h100 recipe vs h200 snapshot = %+v, want service and accelerator mismatched", m)
	}
}

func TestMatchRules(t *testing.T) {
	full := schema.Fingerprint{
		Service:     &schema.Dimension{Value: "eks"},
		Accelerator: &schema.Dimension{Value: "h100"},
		OS:          &schema.OSDimension{Value: "ubuntu", Version: "24.04"},
		NodeCount:   &schema.CountDimension{Value: 4},
	}
	multiGPU := schema.Fingerprint{Accelerator: &schema.Dimension{Note: "multi-gpu"}}
	tests := []struct {
		name    string
		c       Criteria
		fp      schema.Fingerprint
		matched bool
		want    []schema.DimensionMatch // the first six entries, or more with Extra
	}{
		{"all any", Criteria{}, full, true, []schema.DimensionMatch{
			dm("service", "", "eks", matched), dm("accelerator", "", "h100", matched), dm("os", "", "ubuntu", matched),
			dm("intent", "", "", matched), dm("platform", "", "", matched), dm("nodes", "", "4", matched)}},
		{"explicit any, any case", Criteria{Service: "any", Accelerator: "ANY", OS: " Any ", Intent: "any", Platform: "any"}, schema.Fingerprint{}, true, []schema.DimensionMatch{
			dm("service", "any", "", matched), dm("accelerator", "ANY", "", matched), dm("os", " Any ", "", matched),
			dm("intent", "any", "", matched), dm("platform", "any", "", matched), dm("nodes", "", "", matched)}},
		{"equal ignoring case", Criteria{Service: "EKS", Accelerator: "H100", OS: "Ubuntu"}, full, true, []schema.DimensionMatch{
			dm("service", "EKS", "eks", matched), dm("accelerator", "H100", "h100", matched), dm("os", "Ubuntu", "ubuntu", matched),
			dm("intent", "", "", matched), dm("platform", "", "", matched), dm("nodes", "", "4", matched)}},
		{"not captured is unknown", Criteria{Service: "eks", Accelerator: "h100", OS: "ubuntu", Nodes: 4}, schema.Fingerprint{}, false, []schema.DimensionMatch{
			dm("service", "eks", "", unknown), dm("accelerator", "h100", "", unknown), dm("os", "ubuntu", "", unknown),
			dm("intent", "", "", matched), dm("platform", "", "", matched), dm("nodes", "4", "", unknown)}},
		{"multi-gpu is mismatched", Criteria{Accelerator: "h100"}, multiGPU, false, []schema.DimensionMatch{
			dm("service", "", "", matched), dm("accelerator", "h100", "multi-gpu", mismatched), dm("os", "", "", matched),
			dm("intent", "", "", matched), dm("platform", "", "", matched), dm("nodes", "", "", matched)}},
		{"mismatches", Criteria{Service: "gke", Accelerator: "gh200", OS: "rhel", Nodes: 8}, full, false, []schema.DimensionMatch{
			dm("service", "gke", "eks", mismatched), dm("accelerator", "gh200", "h100", mismatched), dm("os", "rhel", "ubuntu", mismatched),
			dm("intent", "", "", matched), dm("platform", "", "", matched), dm("nodes", "8", "4", mismatched)}},
		{"generic service is opt-in", Criteria{Service: "generic"}, full, true, []schema.DimensionMatch{
			dm("service", "generic", "eks", notInferable), dm("accelerator", "", "h100", matched), dm("os", "", "ubuntu", matched),
			dm("intent", "", "", matched), dm("platform", "", "", matched), dm("nodes", "", "4", matched)}},
		{"generic service not captured", Criteria{Service: "Generic"}, schema.Fingerprint{}, false, []schema.DimensionMatch{
			dm("service", "Generic", "", unknown), dm("accelerator", "", "", matched), dm("os", "", "", matched),
			dm("intent", "", "", matched), dm("platform", "", "", matched), dm("nodes", "", "", matched)}},
		{"generic service equal", Criteria{Service: "generic"}, schema.Fingerprint{Service: &schema.Dimension{Value: "generic"}}, true, []schema.DimensionMatch{
			dm("service", "generic", "generic", matched), dm("accelerator", "", "", matched), dm("os", "", "", matched),
			dm("intent", "", "", matched), dm("platform", "", "", matched), dm("nodes", "", "", matched)}},
		{"intent and platform never inferable", Criteria{Intent: "training", Platform: "kubeflow"}, full, true, []schema.DimensionMatch{
			dm("service", "", "eks", matched), dm("accelerator", "", "h100", matched), dm("os", "", "ubuntu", matched),
			dm("intent", "training", "", notInferable), dm("platform", "kubeflow", "", notInferable), dm("nodes", "", "4", matched)}},
		{"nodes equal", Criteria{Nodes: 4}, full, true, []schema.DimensionMatch{
			dm("service", "", "eks", matched), dm("accelerator", "", "h100", matched), dm("os", "", "ubuntu", matched),
			dm("intent", "", "", matched), dm("platform", "", "", matched), dm("nodes", "4", "4", matched)}},
		{"extra keys sorted", Criteria{Extra: map[string]string{"zone": "a", "fabric": "nvlink", "gen": "any", "service": "gke", "m": ""}}, full, true, []schema.DimensionMatch{
			dm("service", "", "eks", matched), dm("accelerator", "", "h100", matched), dm("os", "", "ubuntu", matched),
			dm("intent", "", "", matched), dm("platform", "", "", matched), dm("nodes", "", "4", matched),
			dm("fabric", "nvlink", "", unknown), dm("gen", "any", "", matched), dm("m", "", "", matched), dm("zone", "a", "", unknown)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertMatch(t, Match(tt.c, tt.fp), schema.CriteriaMatch{Matched: tt.matched, PerDimension: tt.want})
		})
	}
}

// TestMatchDeterministic: the Extra map's iteration order never shows.
func TestMatchDeterministic(t *testing.T) {
	c := Criteria{Extra: map[string]string{}}
	for _, k := range []string{"q", "b", "x", "a", "m", "z", "c", "k"} {
		c.Extra[k] = "v"
	}
	first := Match(c, schema.Fingerprint{})
	for i := 0; i < 50; i++ {
		if got := Match(c, schema.Fingerprint{}); !reflect.DeepEqual(got, first) {
			t.Fatalf("Match is not deterministic: %+v vs %+v", got, first)
		}
	}
	var names []string
	for _, d := range first.PerDimension[6:] {
		names = append(names, d.Dimension)
	}
	if strings.Join(names, ",") != "a,b,c,k,m,q,x,z" {
		t.Errorf("extra dimensions in order %v, want sorted", names)
	}
}

// TestMatchFirstRules: the first rules, which a verifier still accepts a claim
// under, counted what they did not recognise as unknown and failed only on a
// mismatch; the current rules fail on both (issue 8, finding 4).
func TestMatchFirstRules(t *testing.T) {
	c := Criteria{Service: "eks", Accelerator: "h100", OS: "ubuntu"}
	tests := []struct {
		name                 string
		fp                   schema.Fingerprint
		firstAcc, currentAcc schema.DimensionMatch
		firstOK              bool
	}{
		{"unknown SKU", schema.Fingerprint{Service: &schema.Dimension{Value: "eks"}, Accelerator: &schema.Dimension{Note: "unknown-sku"}, OS: &schema.OSDimension{Value: "ubuntu"}},
			dm("accelerator", "h100", "", unknown), dm("accelerator", "h100", "unknown-sku", mismatched), true},
		{"several SKUs", schema.Fingerprint{Service: &schema.Dimension{Value: "eks"}, Accelerator: &schema.Dimension{Note: "multi-gpu"}, OS: &schema.OSDimension{Value: "ubuntu"}},
			dm("accelerator", "h100", "", unknown), dm("accelerator", "h100", "multi-gpu", mismatched), true},
		{"no accelerator reading", schema.Fingerprint{Service: &schema.Dimension{Value: "eks"}, OS: &schema.OSDimension{Value: "ubuntu"}},
			dm("accelerator", "h100", "", unknown), dm("accelerator", "h100", "", unknown), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, current := First.Match(c, tt.fp), Current.Match(c, tt.fp)
			if first.Matched != tt.firstOK || first.PerDimension[1] != tt.firstAcc {
				t.Errorf("First.Match = %+v, want matched %t and %+v", first, tt.firstOK, tt.firstAcc)
			}
			if current.Matched || current.PerDimension[1] != tt.currentAcc {
				t.Errorf("Current.Match = %+v, want not matched and %+v", current, tt.currentAcc)
			}
		})
	}
	// An unrecognised OS equal to the recipe's value: the first rules compared
	// the value, the current rules refuse a reading they do not recognise.
	fp := schema.Fingerprint{OS: &schema.OSDimension{Value: "debian", Note: "unrecognised-os"}}
	if m := First.Match(Criteria{OS: "debian"}, fp); !m.Matched || m.PerDimension[2].Match != matched {
		t.Errorf("First.Match(os debian) = %+v, want matched", m)
	}
	if m := Match(Criteria{OS: "debian"}, fp); m.Matched || m.PerDimension[2].Match != mismatched {
		t.Errorf("Match(os debian) = %+v, want mismatched", m)
	}
}
