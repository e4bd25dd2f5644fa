package snapshot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/fingerprint"
)

// upstreamLikeSnapshot is a raw snapshot with everything minimisation must
// drop: sensitive per-node data, labels, serials, UUIDs, unknown measurements.
const upstreamLikeSnapshot = `kind: Snapshot
metadata:
  source-node: ip-10-0-1-11.us-west-2.compute.internal
fingerprint:
  service: {value: eks}
measurements:
  - type: K8s
    subtypes:
      - subtype: server
        data:
          version: v1.33.4
          platform: linux/amd64
          goVersion: go1.24.6
      - subtype: node
        data:
          provider: eks
          provider-id: aws:///us-west-2a/i-0123456789abcdef0
          source-node: ip-10-0-1-11.us-west-2.compute.internal
          kubelet-version: v1.33.4-eks-a737599
          kernel-version: 6.8.0-1035-aws
          operating-system: linux
          os-image: Ubuntu 24.04.3 LTS
          container-runtime-id: containerd://2.0.5
          container-runtime-name: containerd
          container-runtime-version: 2.0.5
      - subtype: helm
        data:
          gpu-operator.version: v25.10.1
  - type: OS
    subtypes:
      - subtype: release
        data:
          ID: ubuntu
          VERSION_ID: "24.04"
          PRETTY_NAME: Ubuntu 24.04.3 LTS
          HOME_URL: https://www.ubuntu.com/
      - subtype: grub
        data:
          BOOT_IMAGE: /vmlinuz-6.8.0-1035-aws
      - subtype: sysctl
        data:
          /proc/sys/kernel/hostname: ip-10-0-1-11
  - type: GPU
    subtypes:
      - subtype: hardware
        data:
          model: NVIDIA H100 80GB HBM3
          count: 8
          driver: 580.159.04
          serial: "1654922005581"
          gpu.0.serial: "1654922005582"
          serialNumber: "1654922005583"
          uuid: GPU-4a2c5f1e-9b3d-4e7a-8c6f-0d1e2f3a4b5c
          gpu-uuids: GPU-4a2c5f1e-9b3d-4e7a-8c6f-0d1e2f3a4b5c,GPU-5b3d6f2e-0c4e-4f8a-9d7f-1e2f3a4b5c6d
          bus-ids: 00000000:18:00.0
          mig-devices: MIG-11111111-2222-3333-4444-555555555555
          mig-mode: disabled
      - subtype: smi
        data:
          gpu.0.uuid: GPU-4a2c5f1e-9b3d-4e7a-8c6f-0d1e2f3a4b5c
  - type: NodeTopology
    subtypes:
      - subtype: summary
        data:
          node-count: 4
          gpu-node-count: 2
          gpu-products: NVIDIA-H100-80GB-HBM3
          regions: us-west-2
      - subtype: nodes
        data:
          ip-10-0-1-11.us-west-2.compute.internal.provider-id: aws:///us-west-2a/i-0123456789abcdef0
          ip-10-0-1-11.us-west-2.compute.internal.internal-ips: 10.0.1.11
      - subtype: label
        data:
          nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3|ip-10-0-1-11,ip-10-0-1-12
  - type: SystemD
    subtypes:
      - subtype: containerd.service
        data:
          ActiveState: active
`

func TestRedactMinimal(t *testing.T) {
	raw, err := fingerprint.ParseSnapshot([]byte(upstreamLikeSnapshot))
	if err != nil {
		t.Fatal(err)
	}
	rawCopy := clone(raw)
	got, rules, err := Redact(raw, PolicyMinimal)
	if err != nil {
		t.Fatal(err)
	}
	wantRules := []string{RuleAllowlist, RuleNodesDrop, RuleNodeOrdinals} // sorted
	if !reflect.DeepEqual(rules, wantRules) {
		t.Errorf("rules = %q, want %q", rules, wantRules)
	}
	want := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{
		{Type: "K8s", Subtypes: []fingerprint.Subtype{
			{Subtype: "server", Data: map[string]any{"version": "v1.33.4", "platform": "linux/amd64"}},
			{Subtype: "node", Data: map[string]any{
				"provider": "eks", "kubelet-version": "v1.33.4-eks-a737599", "kernel-version": "6.8.0-1035-aws",
				"operating-system": "linux", "os-image": "Ubuntu 24.04.3 LTS",
				"container-runtime-name": "containerd", "container-runtime-version": "2.0.5",
			}},
		}},
		{Type: "OS", Subtypes: []fingerprint.Subtype{
			{Subtype: "release", Data: map[string]any{"ID": "ubuntu", "VERSION_ID": "24.04", "PRETTY_NAME": "Ubuntu 24.04.3 LTS"}},
		}},
		{Type: "GPU", Subtypes: []fingerprint.Subtype{
			{Subtype: "hardware", Data: map[string]any{
				"model": "NVIDIA H100 80GB HBM3", "count": 8, "driver": "580.159.04", "mig-mode": "disabled",
			}},
		}},
		{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{
			{Subtype: "summary", Data: map[string]any{
				"node-count": 4, "gpu-node-count": 2, "gpu-products": "NVIDIA-H100-80GB-HBM3", "regions": "us-west-2",
			}},
			{Subtype: "label", Data: map[string]any{"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3|#1,#2"}},
		}},
	}}
	if !reflect.DeepEqual(got, want) {
		gy, _ := Marshal(got)
		t.Errorf("minimal redaction:\n%s", gy)
	}
	if !reflect.DeepEqual(raw, rawCopy) {
		t.Error("Redact changed its input")
	}
	assertSameFingerprint(t, raw, got)

	// Nothing sensitive survives in the YAML.
	b, err := Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"ip-10-0-1-11", "i-0123456789abcdef0", "10.0.1.11", "GPU-", "MIG-", "1654922005", "ip-10-0-1-12", "source-node", "HOME_URL", "SystemD", "helm", "goVersion", "bus-ids", "00000000:18"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("minimal snapshot still holds %q:\n%s", secret, b)
		}
	}
}

func TestRedactFull(t *testing.T) {
	raw, err := fingerprint.ParseSnapshot([]byte(upstreamLikeSnapshot))
	if err != nil {
		t.Fatal(err)
	}
	got, rules, err := Redact(raw, PolicyFull)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 0 {
		t.Errorf("full policy applied %q", rules)
	}
	if !reflect.DeepEqual(got, raw) {
		t.Error("full policy changed the snapshot")
	}
	got.Measurements[0].Subtypes[0].Data["version"] = "changed"
	if raw.Measurements[0].Subtypes[0].Data["version"] != "v1.33.4" {
		t.Error("full policy returned a shallow copy")
	}
}

func TestRedactErrors(t *testing.T) {
	s := &fingerprint.Snapshot{}
	if _, _, err := Redact(s, "partial"); err == nil || !strings.Contains(err.Error(), `unknown policy "partial"`) {
		t.Errorf("unknown policy: %v", err)
	}
	if _, _, err := Redact(nil, PolicyMinimal); err == nil {
		t.Error("nil snapshot: no error")
	}
	dup := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{{Type: "K8s"}, {Type: "K8s"}}}
	if _, _, err := Redact(dup, PolicyMinimal); err == nil || !strings.Contains(err.Error(), "repeats") {
		t.Errorf("duplicate type: %v", err)
	}
	// A minimal snapshot with nothing to drop reports only the allow-list.
	_, rules, err := Redact(&fingerprint.Snapshot{Measurements: []fingerprint.Measurement{
		{Type: "K8s", Subtypes: []fingerprint.Subtype{{Subtype: "server", Data: map[string]any{"version": "v1.33.0"}}}},
	}}, PolicyMinimal)
	if err != nil || !reflect.DeepEqual(rules, []string{RuleAllowlist}) {
		t.Errorf("clean snapshot: rules %q, err %v", rules, err)
	}
}

// TestRedactFingerprintInvariance: minimal redaction never changes the
// fingerprint, for the example bundles' snapshots, the upstream mock and
// collected snapshots.
func TestRedactFingerprintInvariance(t *testing.T) {
	inputs := map[string]*fingerprint.Snapshot{}
	paths, _ := filepath.Glob("../../testdata/examples/inputs/*/snapshot.yaml")
	upstream := filepath.Join("..", "..", "..", "shared", "testdata", "aicr-upstream", "tests", "chainsaw", "cli", "cuj1-training", "mock-snapshot.yaml")
	if _, err := os.Stat(upstream); err == nil {
		paths = append(paths, upstream)
	}
	if len(paths) == 0 {
		t.Fatal("no example snapshots found")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := fingerprint.ParseSnapshot(b)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		inputs[p] = s
	}
	for name, nodes := range map[string][]testNode{"collected eks": eksNodes()} {
		s, err := Collect(context.Background(), fakeClient(t, "v1.33.4-eks-e386d34", nodes...), Options{})
		if err != nil {
			t.Fatal(err)
		}
		inputs[name] = s
	}
	for name, s := range inputs {
		t.Run(filepath.Base(filepath.Dir(name))+"/"+filepath.Base(name), func(t *testing.T) {
			red, _, err := Redact(s, PolicyMinimal)
			if err != nil {
				t.Fatal(err)
			}
			assertSameFingerprint(t, s, red)
			// And through Marshal and ParseSnapshot, as the verifier reads it.
			b, err := Marshal(red)
			if err != nil {
				t.Fatal(err)
			}
			fp, err := fingerprint.Compute(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fp, fingerprint.ComputeFromSnapshot(s)) {
				t.Errorf("fingerprint from the minimised YAML differs")
			}
		})
	}
}

func assertSameFingerprint(t *testing.T, before, after *fingerprint.Snapshot) {
	t.Helper()
	for _, rules := range []fingerprint.Rules{fingerprint.Current, fingerprint.AICR} {
		a, b := rules.ComputeFromSnapshot(before), rules.ComputeFromSnapshot(after)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("fingerprint (%s rules) changed by redaction: %v", rules, fingerprint.CompareFingerprint(a, b))
		}
	}
}

// TestRedactMinimalLabelsAndTaints: minimal redaction keeps, of the
// NodeTopology label and taint subtypes in AICR's encoding, only the
// topology labels and the GPU taint; their node names become ordinals
// numbered per label across its values (as many as the nodes listed, a
// "(+N more)" counted), so AICR's rules recount gpuNodeCount and region
// the same; other labels and taints, and malformed entries, are dropped;
// too many ordinals is an error, never a silent cut.
func TestRedactMinimalLabelsAndTaints(t *testing.T) {
	raw := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{
		{Subtype: "summary", Data: map[string]any{"node-count": 7}},
		{Subtype: "taint", Data: map[string]any{
			"nvidia.com/gpu":               "NoSchedule|present|gpu-a.acme.internal,gpu-b.acme.internal",
			"team.acme-corp.example/owner": "NoSchedule|alice|gpu-a.acme.internal",
		}},
		{Subtype: "label", Data: map[string]any{
			"nvidia.com/gpu.product.NVIDIA-H100-80GB-HBM3": "NVIDIA-H100-80GB-HBM3|gpu-a.acme.internal,gpu-b.acme.internal",
			"nvidia.com/gpu.product.NVIDIA-H200":           "NVIDIA-H200|gpu-c.acme.internal (+3 more)",
			"topology.kubernetes.io/region":                "us-west-2|gpu-a.acme.internal,gpu-b.acme.internal,gpu-c.acme.internal",
			"kubernetes.io/hostname":                       "gpu-a.acme.internal|gpu-a.acme.internal",
			"topology.kubernetes.io/zone":                  "no node list",
			"node.kubernetes.io/instance-type":             7,
		}},
	}}}}
	got, rules, err := Redact(raw, PolicyMinimal)
	if err != nil {
		t.Fatal(err)
	}
	want := []fingerprint.Subtype{
		{Subtype: "summary", Data: map[string]any{"node-count": 7}},
		{Subtype: "taint", Data: map[string]any{"nvidia.com/gpu": "NoSchedule|present|#1,#2"}},
		{Subtype: "label", Data: map[string]any{
			"nvidia.com/gpu.product.NVIDIA-H100-80GB-HBM3": "NVIDIA-H100-80GB-HBM3|#1,#2",
			"nvidia.com/gpu.product.NVIDIA-H200":           "NVIDIA-H200|#3,#4,#5,#6",
			"topology.kubernetes.io/region":                "us-west-2|#1,#2,#3",
		}},
	}
	if !reflect.DeepEqual(got.Measurements[0].Subtypes, want) {
		b, _ := Marshal(got)
		t.Errorf("minimal:\n%s", b)
	}
	if !slices.Contains(rules, RuleNodeOrdinals) {
		t.Errorf("rules %v lack %s", rules, RuleNodeOrdinals)
	}
	b, _ := Marshal(got)
	for _, secret := range []string{"acme", "gpu-a", "alice", "hostname"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("minimal snapshot holds %q:\n%s", secret, b)
		}
	}
	fp := fingerprint.AICR.ComputeFromSnapshot(got)
	if fp.GPUNodeCount == nil || fp.GPUNodeCount.Value != 6 || fp.Accelerator == nil || fp.Accelerator.Note != fingerprint.NoteMultiGPU || fp.Region == nil || fp.Region.Value != "us-west-2" {
		t.Errorf("AICR fingerprint of the minimal snapshot: %+v %+v %+v", fp.GPUNodeCount, fp.Accelerator, fp.Region)
	}

	huge := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{
		{Subtype: "label", Data: map[string]any{"topology.kubernetes.io/region": fmt.Sprintf("us-west-2|(+%d more)", MaxOrdinals+1)}},
	}}}}
	if _, _, err := Redact(huge, PolicyMinimal); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a label listing %d nodes: %v", MaxOrdinals+1, err)
	}
}

// TestRedactAllowlistKeyByKey: the allow-list keeps named keys only, so keys
// that name private data in any spelling (camelCase included) never pass, and
// kept values are scrubbed.
func TestRedactAllowlistKeyByKey(t *testing.T) {
	raw := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{
		{Type: "K8s", Subtypes: []fingerprint.Subtype{{Subtype: "server", Data: map[string]any{
			"version": "v1.33.4", "host": "https://A1B2C3D4E5F6.gr7.us-west-2.eks.amazonaws.com",
			"cluster-arn": "arn:aws:eks:us-west-2:111122223333:cluster/prod", "gitCommit": "abc",
		}}}},
		{Type: "GPU", Subtypes: []fingerprint.Subtype{{Subtype: "hardware", Data: map[string]any{
			"model": "NVIDIA H100 80GB HBM3", "gpuSerial": "1654922005581", "boardSerialNumber": "1654922005582",
			"gpuUUIDs": "x", "pci-bus-id": "00000000:18:00.0", "hostname": "node-a",
			"driver": "580.159.04 on ip-10-0-3-4.ec2.internal",
		}}}},
		{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{{Subtype: "summary", Data: map[string]any{
			"node-count": 2, "source-node": "node-a", "gpuUUIDs": "GPU-4a2c5f1e-9b3d-4e7a-8c6f-0d1e2f3a4b5c", "hostname": "node-a",
		}}}},
	}}
	got, rules, err := Redact(raw, PolicyMinimal)
	if err != nil {
		t.Fatal(err)
	}
	want := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{
		{Type: "K8s", Subtypes: []fingerprint.Subtype{{Subtype: "server", Data: map[string]any{"version": "v1.33.4"}}}},
		{Type: "GPU", Subtypes: []fingerprint.Subtype{{Subtype: "hardware", Data: map[string]any{
			"model": "NVIDIA H100 80GB HBM3", "driver": "580.159.04 on [redacted:host]"}}}},
		{Type: "NodeTopology", Subtypes: []fingerprint.Subtype{{Subtype: "summary", Data: map[string]any{"node-count": 2}}}},
	}}
	if !reflect.DeepEqual(got, want) {
		gy, _ := Marshal(got)
		t.Errorf("minimal redaction:\n%s", gy)
	}
	if wantRules := []string{"scrub:host", RuleAllowlist}; !reflect.DeepEqual(rules, wantRules) {
		t.Errorf("rules %q, want %q", rules, wantRules)
	}
}
