package fingerprint

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
)

func TestCompareFingerprintEqual(t *testing.T) {
	a, b := wantH100Example(), wantH100Example()
	if got := CompareFingerprint(a, b); len(got) != 0 {
		t.Errorf("CompareFingerprint of equal fingerprints = %q, want none", got)
	}
	if got := CompareFingerprint(schema.Fingerprint{}, schema.Fingerprint{}); len(got) != 0 {
		t.Errorf("CompareFingerprint of empty fingerprints = %q, want none", got)
	}
}

// TestCompareFingerprintJSONRoundTrip: a claim that went through the predicate's
// JSON compares equal to the fingerprint it was made from.
func TestCompareFingerprintJSONRoundTrip(t *testing.T) {
	for _, fp := range []schema.Fingerprint{wantH100Example(), wantH200Example(), {Region: &schema.Dimension{Note: "multi-region"}}} {
		b, err := json.Marshal(fp)
		if err != nil {
			t.Fatal(err)
		}
		var claimed schema.Fingerprint
		if err := json.Unmarshal(b, &claimed); err != nil {
			t.Fatal(err)
		}
		if got := CompareFingerprint(claimed, fp); len(got) != 0 {
			t.Errorf("after a JSON round trip: %q", got)
		}
	}
}

func TestCompareFingerprintDifferences(t *testing.T) {
	tests := []struct {
		name   string
		change func(*schema.Fingerprint)
		want   []string
	}{
		{"accelerator value", func(fp *schema.Fingerprint) { fp.Accelerator.Value = "h200" },
			[]string{`fingerprint.accelerator.value: claimed "h200", recomputed "h100"`}},
		{"service source", func(fp *schema.Fingerprint) { fp.Service.Source = "label" },
			[]string{`fingerprint.service.source: claimed "label", recomputed "K8s.node.provider"`}},
		{"accelerator note", func(fp *schema.Fingerprint) { fp.Accelerator.Value, fp.Accelerator.Note = "", "multi-gpu" },
			[]string{`fingerprint.accelerator.value: claimed "", recomputed "h100"`, `fingerprint.accelerator.note: claimed "multi-gpu", recomputed ""`}},
		{"gpuModel absent", func(fp *schema.Fingerprint) { fp.GPUModel = nil },
			[]string{`fingerprint.gpuModel: claimed absent, recomputed value "NVIDIA H100 80GB HBM3"`}},
		{"os version", func(fp *schema.Fingerprint) { fp.OS.Version = "22.04" },
			[]string{`fingerprint.os.version: claimed "22.04", recomputed "24.04"`}},
		{"k8sVersion", func(fp *schema.Fingerprint) { fp.K8sVersion.Value = "v1.33.4" },
			[]string{`fingerprint.k8sVersion.value: claimed "v1.33.4", recomputed "1.33.4"`}},
		{"region claimed multi", func(fp *schema.Fingerprint) { fp.Region = &schema.Dimension{Note: "multi-region"} },
			[]string{`fingerprint.region.value: claimed "", recomputed "us-west-2"`, `fingerprint.region.source: claimed "", recomputed "NodeTopology.summary.regions"`, `fingerprint.region.note: claimed "multi-region", recomputed ""`}},
		{"nodeCount", func(fp *schema.Fingerprint) { fp.NodeCount.Value = 64 },
			[]string{`fingerprint.nodeCount.value: claimed 64, recomputed 4`}},
		{"gpuNodeCount absent", func(fp *schema.Fingerprint) { fp.GPUNodeCount = nil },
			[]string{`fingerprint.gpuNodeCount: claimed absent, recomputed value 2`}},
		{"several, in dimension order", func(fp *schema.Fingerprint) {
			fp.NodeCount.Value = 5
			fp.Service.Value = "gke"
			fp.OS = nil
		}, []string{
			`fingerprint.service.value: claimed "gke", recomputed "eks"`,
			`fingerprint.os: claimed absent, recomputed value "ubuntu"`,
			`fingerprint.nodeCount.value: claimed 5, recomputed 4`,
		}},
		{"control characters stay on one line", func(fp *schema.Fingerprint) { fp.Service.Value = "eks\nfingerprint ok" },
			[]string{`fingerprint.service.value: claimed "eks\nfingerprint ok", recomputed "eks"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claimed := wantH100Example()
			tt.change(&claimed)
			got := CompareFingerprint(claimed, wantH100Example())
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CompareFingerprint =\n  %q\nwant\n  %q", got, tt.want)
			}
		})
	}
	// Present in the claim, absent when recomputed.
	got := CompareFingerprint(wantH100Example(), schema.Fingerprint{Service: wantH100Example().Service})
	if len(got) != 7 || got[0] != `fingerprint.accelerator: claimed value "h100", recomputed absent` {
		t.Errorf("CompareFingerprint = %q, want 7 lines starting with the accelerator", got)
	}
	// A long claimed value is cut short.
	claimed := wantH100Example()
	claimed.GPUModel.Value = strings.Repeat("A", 5000)
	got = CompareFingerprint(claimed, wantH100Example())
	if len(got) != 1 || len(got[0]) > 300 || !strings.HasPrefix(got[0], "fingerprint.gpuModel.value: claimed ") {
		t.Errorf("CompareFingerprint = %q, want one short gpuModel line", got)
	}
}

func h100Match() schema.CriteriaMatch {
	return schema.CriteriaMatch{Matched: true, PerDimension: schema.DimensionMatches{
		dm("service", "eks", "eks", matched),
		dm("accelerator", "h100", "h100", matched),
		dm("os", "ubuntu", "ubuntu", matched),
		dm("intent", "training", "", notInferable),
		dm("platform", "", "", matched),
		dm("nodes", "", "4", matched),
	}}
}

func TestCompareMatchEqual(t *testing.T) {
	if got := CompareMatch(h100Match(), h100Match()); len(got) != 0 {
		t.Errorf("CompareMatch of equal matches = %q, want none", got)
	}
	// The older map form arrives sorted by name; order does not matter.
	var claimed schema.CriteriaMatch
	old := `{"matched": true, "perDimension": {
		"service": {"recipeRequires": "eks", "fingerprintProvides": "eks", "match": "matched"},
		"accelerator": {"recipeRequires": "h100", "fingerprintProvides": "h100", "match": "matched"},
		"os": {"recipeRequires": "ubuntu", "fingerprintProvides": "ubuntu", "match": "matched"},
		"intent": {"recipeRequires": "training", "match": "not-inferable"},
		"platform": {"match": "matched"},
		"nodes": {"fingerprintProvides": "4", "match": "matched"}}}`
	if err := json.Unmarshal([]byte(old), &claimed); err != nil {
		t.Fatal(err)
	}
	if claimed.PerDimension[0].Dimension != "accelerator" {
		t.Fatalf("map form decoded in order %+v, expected sorted", claimed.PerDimension)
	}
	if got := CompareMatch(claimed, h100Match()); len(got) != 0 {
		t.Errorf("CompareMatch of the map form = %q, want none", got)
	}
}

func TestCompareMatchDifferences(t *testing.T) {
	tests := []struct {
		name   string
		change func(*schema.CriteriaMatch)
		want   []string
	}{
		{"no change", func(*schema.CriteriaMatch) {}, nil},
		{"matched flag", func(m *schema.CriteriaMatch) { m.Matched = false },
			[]string{"criteriaMatch.matched: claimed false, recomputed true"}},
		{"accelerator match", func(m *schema.CriteriaMatch) {
			m.PerDimension[1].Match = mismatched
			m.PerDimension[1].FingerprintProvides = "h200"
		}, []string{
			`criteriaMatch.accelerator.fingerprintProvides: claimed "h200", recomputed "h100"`,
			`criteriaMatch.accelerator.match: claimed "mismatched", recomputed "matched"`,
		}},
		{"recipeRequires", func(m *schema.CriteriaMatch) { m.PerDimension[3].RecipeRequires = "inference" },
			[]string{`criteriaMatch.intent.recipeRequires: claimed "inference", recomputed "training"`}},
		{"dimension missing from the claim", func(m *schema.CriteriaMatch) { m.PerDimension = m.PerDimension[:5] },
			[]string{`criteriaMatch.nodes: claimed absent, recomputed match "matched"`}},
		{"dimension only in the claim", func(m *schema.CriteriaMatch) {
			m.PerDimension = append(m.PerDimension, dm("zone", "a", "", matched), dm("fabric", "x", "", unknown))
		}, []string{
			`criteriaMatch.fabric: claimed match "unknown", recomputed absent`,
			`criteriaMatch.zone: claimed match "matched", recomputed absent`,
		}},
		{"dimension claimed twice", func(m *schema.CriteriaMatch) {
			m.PerDimension = append(m.PerDimension, dm("service", "gke", "eks", mismatched))
		}, []string{`criteriaMatch.service: claimed 2 times`}},
		{"odd claimed name is quoted", func(m *schema.CriteriaMatch) {
			m.PerDimension = append(m.PerDimension, dm("a b\nc", "", "", matched))
		}, []string{`criteriaMatch."a b\nc": claimed match "matched", recomputed absent`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claimed := h100Match()
			tt.change(&claimed)
			got := CompareMatch(claimed, h100Match())
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CompareMatch =\n  %q\nwant\n  %q", got, tt.want)
			}
		})
	}
}

// TestCompareRecomputedMismatch is the verifier's case: a predicate claims the
// H200 snapshot matched an h100 recipe; recomputation says otherwise.
func TestCompareRecomputedMismatch(t *testing.T) {
	c := Criteria{Service: "oke", Accelerator: "h100"}
	h200 := mustCompute(t, exampleSnapshot(t, "h200-oke-ubuntu-inference"))
	recomputed := Match(c, h200)
	claimed := Match(c, h200)
	claimed.Matched = true
	claimed.PerDimension[1].Match = matched
	claimed.PerDimension[1].FingerprintProvides = "h100"
	want := []string{
		"criteriaMatch.matched: claimed true, recomputed false",
		`criteriaMatch.accelerator.fingerprintProvides: claimed "h100", recomputed "h200"`,
		`criteriaMatch.accelerator.match: claimed "matched", recomputed "mismatched"`,
	}
	if got := CompareMatch(claimed, recomputed); !reflect.DeepEqual(got, want) {
		t.Errorf("CompareMatch =\n  %q\nwant\n  %q", got, want)
	}
}
