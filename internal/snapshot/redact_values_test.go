package snapshot

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/snapshot/scrub"
)

// TestRedactTopologyValuesDistinct: values not allow-listed become
// numbered placeholders, one per distinct value, in the dotted keys too, so
// AICR's rules still see several GPU products (multi-gpu) and regions
// (multi-region) and count the same GPU nodes; published values that fit
// their shape stay as written; the rule is reported.
func TestRedactTopologyValuesDistinct(t *testing.T) {
	s := topo(map[string]any{
		"nvidia.com/gpu.NoSchedule": "team-falcon|gpu-a,gpu-b",
		"nvidia.com/gpu.NoExecute":  "present|gpu-c",
	}, map[string]any{
		"nvidia.com/gpu.product.H100 on rack 7":        "H100 on rack 7|gpu-a",
		"nvidia.com/gpu.product.NVIDIA-A100-SXM4-80GB": "NVIDIA-A100-SXM4-80GB|gpu-b,gpu-c",
		"topology.kubernetes.io/region.lab-gpu-a":      "lab-gpu-a|gpu-a",
		"topology.kubernetes.io/region.us-west-2":      "us-west-2|gpu-b,gpu-c",
	})
	got, rules, err := Redact(s, PolicyMinimal)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Marshal(got)
	y := string(b)
	for _, leak := range []string{"falcon", "rack 7", "lab-gpu"} {
		if strings.Contains(y, leak) {
			t.Errorf("LEAK %q published:\n%s", leak, y)
		}
	}
	want := map[string]any{
		"nvidia.com/gpu.product." + ValuePlaceholder(1):        ValuePlaceholder(1) + "|#1",
		"nvidia.com/gpu.product.NVIDIA-A100-SXM4-80GB":         "NVIDIA-A100-SXM4-80GB|#2,#3",
		"topology.kubernetes.io/region." + ValuePlaceholder(1): ValuePlaceholder(1) + "|#1",
		"topology.kubernetes.io/region.us-west-2":              "us-west-2|#2,#3",
	}
	if l := attackTopo(got, "label"); !reflect.DeepEqual(l, want) {
		t.Errorf("labels = %v\nwant %v", l, want)
	}
	wantTaint := map[string]any{"nvidia.com/gpu.NoSchedule": ValuePlaceholder(1) + "|#2,#3", "nvidia.com/gpu.NoExecute": "present|#1"}
	if tt := attackTopo(got, "taint"); !reflect.DeepEqual(tt, wantTaint) {
		t.Errorf("taints = %v\nwant %v", tt, wantTaint)
	}
	before, after := fingerprint.AICR.ComputeFromSnapshot(s), fingerprint.AICR.ComputeFromSnapshot(got)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("AICR fingerprint changed: %+v -> %+v", before, after)
	}
	if after.Accelerator == nil || after.Accelerator.Note != fingerprint.NoteMultiGPU || after.GPUNodeCount == nil || after.GPUNodeCount.Value != 3 {
		t.Errorf("fingerprint %+v: want multi-gpu over 3 GPU nodes", after)
	}
	if !strings.Contains(strings.Join(rules, ","), RuleTopologyValues) {
		t.Errorf("rules %v lack %s", rules, RuleTopologyValues)
	}
}

// TestRedactTopologyValuePrivateDomain: a region that is a host of a
// private domain is not published, while a cloud region is.
func TestRedactTopologyValuePrivateDomain(t *testing.T) {
	s := topo(nil, map[string]any{"topology.kubernetes.io/region": "dc1.acme-corp.com|gpu-a"})
	_, y := minimalYAML(t, s, scrub.WithPrivateDomains("acme-corp.com"))
	if strings.Contains(y, "acme") || strings.Contains(y, "dc1") {
		t.Errorf("LEAK private region published:\n%s", y)
	}
	if !strings.Contains(y, "topology.kubernetes.io/region: '"+ValuePlaceholder(1)+"|#1'") {
		t.Errorf("region not replaced by its placeholder:\n%s", y)
	}
}

// TestRedactSummaryLists: the summary's value lists follow the labels'
// rule item by item: a zone named after a rack with a node's name and an
// instance type of free text become placeholders, cloud names and a
// trailing "(+N more)" stay.
func TestRedactSummaryLists(t *testing.T) {
	s := topo(nil, map[string]any{"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3|dgx-prod-07"})
	sum := s.Measurements[0].Subtypes[0].Data
	sum["zones"] = "us-west-2a,rack-dgx-prod-07,us-west-2b,(+2 more)"
	sum["instance-types"] = "p5.48xlarge,Bob's box"
	sum["regions"] = "us-west-2"
	got, _, err := Redact(s, PolicyMinimal)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"node-count":     4,
		"zones":          "us-west-2a," + ValuePlaceholder(1) + ",us-west-2b,(+2 more)",
		"instance-types": "p5.48xlarge," + ValuePlaceholder(1),
		"regions":        "us-west-2",
	}
	if d := attackTopo(got, "summary"); !reflect.DeepEqual(d, want) {
		t.Errorf("summary = %v\nwant %v", d, want)
	}
}
