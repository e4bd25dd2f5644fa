package snapshot

// Adversarial review (R2) of minimal redaction of AICR's NodeTopology label
// and taint subtypes. Each test plants what a careless contributor's real
// cluster (or a hand-edited --snapshot file) holds and asserts the CORRECT
// behaviour: a test that fails names a gap.

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/snapshot/scrub"
)

// topo is a NodeTopology snapshot with the given taint and label subtypes
// (nil: absent).
func topo(taints, labels map[string]any) *fingerprint.Snapshot {
	m := fingerprint.Measurement{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{
		{Subtype: "summary", Data: map[string]any{"node-count": 4}},
	}}
	if taints != nil {
		m.Subtypes = append(m.Subtypes, fingerprint.Subtype{Subtype: "taint", Data: taints})
	}
	if labels != nil {
		m.Subtypes = append(m.Subtypes, fingerprint.Subtype{Subtype: "label", Data: labels})
	}
	return &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{m}}
}

// minimalYAML redacts s under the minimal policy and returns the YAML
// published.
func minimalYAML(t *testing.T, s *fingerprint.Snapshot, opts ...scrub.Option) (*fingerprint.Snapshot, string) {
	t.Helper()
	got, _, err := Redact(s, PolicyMinimal, opts...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	return got, string(b)
}

// subtypeData returns the data of NodeTopology.<sub> in s (nil when absent).
func attackTopo(s *fingerprint.Snapshot, sub string) map[string]any {
	for _, m := range s.Measurements {
		for _, st := range m.Subtypes {
			if m.Type == "NodeTopology" && st.Subtype == sub {
				return st.Data
			}
		}
	}
	return nil
}

// TestRedactAttackTaintKeyPrefixVariant: the allow-list keeps the taint
// nvidia.com/gpu, and AICR's encoding adds ".<effect>" when that key has
// several effects. Any other taint key that merely starts with
// "nvidia.com/gpu." (nvidia.com/gpu.tenant, a team's own taint) is another
// taint, not allow-listed: its key suffix and value (a team, a customer)
// must not be published.
func TestRedactAttackTaintKeyPrefixVariant(t *testing.T) {
	s := topo(map[string]any{
		"nvidia.com/gpu":                     "NoSchedule|present|gpu-a,gpu-b",
		"nvidia.com/gpu.reserved-for-falcon": "NoExecute|customer-initech|gpu-a",
	}, nil)
	got, y := minimalYAML(t, s)
	for _, secret := range []string{"falcon", "initech", "reserved-for"} {
		if strings.Contains(y, secret) {
			t.Errorf("LEAK taint nvidia.com/gpu.reserved-for-falcon (not the GPU taint) published %q:\n%s", secret, y)
		}
	}
	if v := attackTopo(got, "taint")["nvidia.com/gpu"]; v != "NoSchedule|present|#1,#2" {
		t.Errorf("the GPU taint = %v, want NoSchedule|present|#1,#2", v)
	}
}

// TestRedactAttackTaintEffectVariantsKept: defence check — the GPU taint
// with two effects is written "nvidia.com/gpu.<effect>" (AICR's encoding)
// and both entries are kept with ordinals.
func TestRedactAttackTaintEffectVariantsKept(t *testing.T) {
	s := topo(map[string]any{
		"nvidia.com/gpu.NoSchedule": "present|gpu-a.corp.example,gpu-b.corp.example",
		"nvidia.com/gpu.NoExecute":  "present|gpu-c.corp.example",
	}, nil)
	got, y := minimalYAML(t, s)
	if strings.Contains(y, "gpu-") || strings.Contains(y, "corp") {
		t.Errorf("node names published:\n%s", y)
	}
	d := attackTopo(got, "taint")
	if d["nvidia.com/gpu.NoSchedule"] == nil || d["nvidia.com/gpu.NoExecute"] == nil {
		t.Errorf("effect variants of the GPU taint lost:\n%s", y)
	}
}

// TestRedactAttackLabelKeySuffixNotValue: in AICR's encoding a dotted label
// key is "<label>.<value>" with the entry's value before '|'. A hand-edited
// or AICR-written snapshot (AICR records every label) can hold a key that
// starts with an allowed label but whose suffix is not the value
// ("topology.kubernetes.io/zone.owner" = "alice|…"): another label. Only
// the allowed label's own entries may pass.
func TestRedactAttackLabelKeySuffixNotValue(t *testing.T) {
	s := topo(nil, map[string]any{
		"topology.kubernetes.io/zone":           "us-west-2a|gpu-a,gpu-b",
		"topology.kubernetes.io/zone.owner":     "alice-smith|gpu-a",
		"nvidia.com/gpu.product.cost-center":    "cc-9981-falcon|gpu-a",
		"node.kubernetes.io/instance-type.team": "team-falcon|gpu-a,gpu-b",
	})
	_, y := minimalYAML(t, s)
	for _, secret := range []string{"alice", "owner", "falcon", "cost-center", "team"} {
		if strings.Contains(y, secret) {
			t.Errorf("LEAK a label that only starts with an allowed key published %q:\n%s", secret, y)
		}
	}
}

// TestRedactAttackGPUTaintValueNamesNode: the GPU taint is kept with its
// value, free text set by whoever tainted the node. A careless operator
// writes the node's own (dotless) name there (nvidia.com/gpu=dgx-prod-07).
// Redact sees that name in the node list it turns into ordinals, so it
// must not publish it anywhere.
func TestRedactAttackGPUTaintValueNamesNode(t *testing.T) {
	s := topo(map[string]any{
		"nvidia.com/gpu": "NoSchedule|dgx-prod-07|dgx-prod-07",
	}, nil)
	_, y := minimalYAML(t, s)
	if strings.Contains(y, "dgx-prod-07") {
		t.Errorf("LEAK node name published from the GPU taint's value:\n%s", y)
	}
}

// TestRedactAttackLabelValueNamesNode: a custom GPU product label value (set
// by hand, not by GPU feature discovery) carries the node's dotless name;
// the node list names the same node. The name must not be published.
func TestRedactAttackLabelValueNamesNode(t *testing.T) {
	s := topo(nil, map[string]any{
		"nvidia.com/gpu.product":      "H100-on-dgx-prod-07|dgx-prod-07",
		"topology.kubernetes.io/zone": "dgx-prod-07-rack|dgx-prod-07",
	})
	_, y := minimalYAML(t, s)
	if strings.Contains(y, "dgx-prod-07") {
		t.Errorf("LEAK node name published from a label value:\n%s", y)
	}
}

// TestRedactAttackScrubbedKeysCollide: a label with several values is
// written one key "<label>.<value>" per value. When two values scrub to the
// same text (two private zones of the contributor's domain), their keys
// collide: one entry, and its nodes, must not silently vanish — AICR's
// rules recount nodes from these lists. Either every node survives as an
// ordinal or redaction fails.
func TestRedactAttackScrubbedKeysCollide(t *testing.T) {
	s := topo(nil, map[string]any{
		"topology.kubernetes.io/zone.rack1.lab.acme-corp.com": "rack1.lab.acme-corp.com|gpu-a,gpu-b",
		"topology.kubernetes.io/zone.rack2.lab.acme-corp.com": "rack2.lab.acme-corp.com|gpu-c,gpu-d",
	})
	got, _, err := Redact(s, PolicyMinimal, scrub.WithPrivateDomains("acme-corp.com"))
	if err != nil {
		return // refusing is correct
	}
	b, _ := Marshal(got)
	if strings.Contains(string(b), "acme-corp") {
		t.Errorf("LEAK private domain published:\n%s", b)
	}
	ordinals := 0
	for _, v := range attackTopo(got, "label") {
		str, _ := v.(string)
		ordinals += len(regexp.MustCompile(`#\d+`).FindAllString(str, -1))
	}
	if ordinals != 4 {
		t.Errorf("the zone label lists 4 nodes, the minimal snapshot %d (scrubbed keys collided, an entry was dropped):\n%s", ordinals, b)
	}
}

// TestRedactAttackSeparatorsInText: defence check — text carrying '|', ','
// and '#' (a hand-edited snapshot) cannot smuggle a node name past the
// ordinals: the node list is what follows the last '|', and the names in
// it never reach the output; ordinals are counted from the list.
func TestRedactAttackSeparatorsInText(t *testing.T) {
	s := topo(map[string]any{
		"nvidia.com/gpu": "NoSchedule|present|#1,gpu-secret-a,gpu-secret-b (+2 more)",
	}, map[string]any{
		"topology.kubernetes.io/region": "us-west-2|,#9,|gpu-secret-c, gpu-secret-d",
	})
	got, y := minimalYAML(t, s)
	if strings.Contains(y, "secret") {
		t.Errorf("LEAK node names published:\n%s", y)
	}
	if v := attackTopo(got, "taint")["nvidia.com/gpu"]; v != "NoSchedule|present|#1,#2,#3,#4,#5" {
		t.Errorf("GPU taint = %v, want 5 ordinals (3 names + 2 more)", v)
	}
}

// TestRedactAttackManyNodes: defence check — a label listing more nodes
// than MaxOrdinals in total, spread over many entries, is refused rather
// than expanded without bound.
func TestRedactAttackManyNodes(t *testing.T) {
	labels := map[string]any{}
	for _, z := range []string{"a", "b", "c"} {
		labels["topology.kubernetes.io/zone.us-west-2"+z] = "us-west-2" + z + "|(+200000 more)"
	}
	_, _, err := Redact(topo(nil, labels), PolicyMinimal)
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("600000 nodes over three entries: %v", err)
	}
}
