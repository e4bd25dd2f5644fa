package fingerprint_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// shippedAICR reads a shipped AICR bundle's snapshot, criteria and predicate.
func shippedAICR(t *testing.T, bundle string) ([]byte, fingerprint.Criteria, schema.Predicate) {
	t.Helper()
	dir := testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/"+bundle+"/summary-bundle")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	crit, err := fingerprint.CriteriaFromRecipe(read("recipe.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Predicate schema.Predicate }
	if err := json.Unmarshal(read("statement.intoto.json"), &st); err != nil {
		t.Fatal(err)
	}
	return read("snapshot.yaml"), crit, st.Predicate
}

func judge(t *testing.T, snap []byte, crit fingerprint.Criteria, fp schema.Fingerprint, cm schema.CriteriaMatch) fingerprint.Judgement {
	t.Helper()
	got, err := fingerprint.AICR.Compute(snap)
	if err != nil {
		t.Fatal(err)
	}
	return fingerprint.JudgeAICRClaim(fp, cm, got, fingerprint.AICR.Match(crit, got))
}

// AICR's rules recompute AICR's own claim exactly from the full snapshot
// (NodeTopology label subtype kept), and without contradiction from the
// minimal one, which no longer shows the labels: those become notes.
func TestAICRRulesReproduceShippedClaims(t *testing.T) {
	snap, crit, p := shippedAICR(t, "v1-eks-full")
	if !fingerprint.HasAICRLabels(snap) {
		t.Fatal("the full snapshot has no NodeTopology label subtype")
	}
	if j := judge(t, snap, crit, p.Fingerprint, p.CriteriaMatch); len(j.Contradictions)+len(j.Notes) != 0 {
		t.Errorf("full bundle: %+v, want an exact recomputation", j)
	}
	snap, crit, p = shippedAICR(t, "v1-eks-minimal")
	j := judge(t, snap, crit, p.Fingerprint, p.CriteriaMatch)
	if len(j.Contradictions) != 0 {
		t.Errorf("minimal bundle: contradictions %q", j.Contradictions)
	}
	want := []string{
		`fingerprint.accelerator.source: claimed "nodeTopology.label.nvidia.com/gpu.product", recomputed "gpu.hardware.model"`,
		`fingerprint.region: claimed value "us-west-2", not shown by snapshot.yaml`,
		`fingerprint.gpuNodeCount: claimed value "2", not shown by snapshot.yaml`,
	}
	if strings.Join(j.Notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("minimal bundle notes:\n%s\nwant\n%s", strings.Join(j.Notes, "\n"), strings.Join(want, "\n"))
	}
}

const aicrSnapshot = `measurements:
  - type: K8s
    subtypes:
      - subtype: node
        data: {provider: eks}
  - type: OS
    subtypes:
      - subtype: release
        data: {ID: ubuntu, VERSION_ID: "24.04"}
  - type: GPU
    subtypes:
      - subtype: hardware
        data: {model: MODEL}
  - type: NodeTopology
    subtypes:
      - subtype: summary
        data: {node-count: 3}
      - subtype: label
        data:
LABELS
`

func aicrSnap(model string, labels ...string) []byte {
	s := strings.Replace(aicrSnapshot, "MODEL", model, 1)
	var b strings.Builder
	for _, l := range labels {
		b.WriteString("          " + l + "\n")
	}
	if len(labels) == 0 {
		b.WriteString("          {}\n")
	}
	return []byte(strings.Replace(s, "LABELS\n", b.String(), 1))
}

func TestAICRFingerprintRules(t *testing.T) {
	for _, tc := range []struct {
		name      string
		snap      []byte
		acc, note string
		source    string
		gpuNodes  int
		region    string
	}{
		{"label names the SKU", aicrSnap("h100", `nvidia.com/gpu.product: "NVIDIA-H200-141GB-HBM3e|n1,n2"`, `topology.kubernetes.io/region: "eu-west-1|n1,n2,n3"`), "h200", "", "nodeTopology.label.nvidia.com/gpu.product", 2, "eu-west-1"},
		{"two products", aicrSnap("h100", `nvidia.com/gpu.product.NVIDIA-H100: "NVIDIA-H100|n1"`, `nvidia.com/gpu.product.NVIDIA-L40: "NVIDIA-L40|n2"`), "", "multi-gpu", "nodeTopology.label.nvidia.com/gpu.product", 2, ""},
		{"unknown label, supported model fills in", aicrSnap("h100", `nvidia.com/gpu.product: "NVIDIA-T4|n1"`), "h100", "", "gpu.hardware.model", 1, ""},
		{"no label, supported model", aicrSnap("h100"), "h100", "", "gpu.hardware.model", 0, ""},
		{"no label, model outside AICR's enum", aicrSnap("NVIDIA T4"), "", "unknown-sku", "gpu.hardware.model", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp, err := fingerprint.AICR.Compute(tc.snap)
			if err != nil {
				t.Fatal(err)
			}
			if fp.Accelerator == nil || fp.Accelerator.Value != tc.acc || fp.Accelerator.Note != tc.note || fp.Accelerator.Source != tc.source {
				t.Errorf("accelerator %+v, want %q note %q source %q", fp.Accelerator, tc.acc, tc.note, tc.source)
			}
			if fp.GPUNodeCount == nil || fp.GPUNodeCount.Value != tc.gpuNodes {
				t.Errorf("gpuNodeCount %+v, want %d", fp.GPUNodeCount, tc.gpuNodes)
			}
			if got := ""; fp.Region != nil {
				got = fp.Region.Value
				if got != tc.region {
					t.Errorf("region %q, want %q", got, tc.region)
				}
			} else if tc.region != "" {
				t.Errorf("no region, want %q", tc.region)
			}
		})
	}
}

// A claim more favourable than the evidence is a contradiction; an honest
// "unknown" is not, but this format's pass rules do not pass it.
func TestJudgeAICRClaim(t *testing.T) {
	crit := fingerprint.Criteria{Service: "eks", Accelerator: "h100", OS: "ubuntu"}
	honest := func(snap []byte) (schema.Fingerprint, schema.CriteriaMatch) {
		fp, err := fingerprint.AICR.Compute(snap)
		if err != nil {
			t.Fatal(err)
		}
		return fp, fingerprint.AICR.Match(crit, fp)
	}
	// The snapshot shows an H200: claiming h100 and matched is invalid.
	h200 := aicrSnap("h200")
	fp, cm := honest(h200)
	fp.Accelerator = &schema.Dimension{Value: "h100", Source: "gpu.hardware.model"}
	cm.Matched = true
	cm.PerDimension[1].Match, cm.PerDimension[1].FingerprintProvides = schema.MatchMatched, "h100"
	j := judge(t, h200, crit, fp, cm)
	if got := strings.Join(j.Contradictions, "\n"); !strings.Contains(got, `fingerprint.accelerator.value: claimed "h100", snapshot.yaml shows "h200"`) ||
		!strings.Contains(got, "criteriaMatch.matched: claimed true, recomputed false") ||
		!strings.Contains(got, `criteriaMatch.accelerator.match: claimed "matched", recomputed "mismatched"`) {
		t.Errorf("contradictions:\n%s", got)
	}

	// An unidentified GPU recorded as unknown and matched, as AICR does.
	t4 := aicrSnap("NVIDIA T4")
	fp, cm = honest(t4)
	if cm.PerDimension[1].Match != schema.MatchUnknown || !cm.Matched {
		t.Fatalf("AICR match %+v, want accelerator unknown and matched", cm)
	}
	if j := judge(t, t4, crit, fp, cm); len(j.Contradictions) != 0 {
		t.Errorf("honest unknown: contradictions %q", j.Contradictions)
	}
	if fingerprint.Current.Match(crit, fp).Matched {
		t.Error("this format's pass rules pass an accelerator the evidence does not show")
	}
	// Claiming "matched" for it instead is an overclaim.
	cm.PerDimension[1].Match = schema.MatchMatched
	if j := judge(t, t4, crit, fp, cm); len(j.Contradictions) != 1 {
		t.Errorf("unknown claimed as matched: contradictions %q, want one", j.Contradictions)
	}
	// Source labels alone are notes.
	fp, cm = honest(h200)
	fp.Service.Source = "K8s.node.provider"
	if j := judge(t, h200, crit, fp, cm); len(j.Contradictions) != 0 || len(j.Notes) != 1 {
		t.Errorf("source label: %+v, want one note", j)
	}
}
