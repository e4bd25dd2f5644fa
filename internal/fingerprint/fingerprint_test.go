package fingerprint

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
)

func wantH100Example() schema.Fingerprint {
	return schema.Fingerprint{
		Service:      &schema.Dimension{Value: "eks", Source: "K8s.node.provider"},
		Accelerator:  &schema.Dimension{Value: "h100", Source: "GPU.hardware.model"},
		GPUModel:     &schema.Dimension{Value: "NVIDIA H100 80GB HBM3", Source: "GPU.hardware.model"},
		OS:           &schema.OSDimension{Value: "ubuntu", Version: "24.04", Source: "OS.release.ID"},
		K8sVersion:   &schema.Dimension{Value: "1.33.4", Source: "K8s.server.version"},
		Region:       &schema.Dimension{Value: "us-west-2", Source: "NodeTopology.summary.regions"},
		NodeCount:    &schema.CountDimension{Value: 4, Source: "NodeTopology.summary.node-count"},
		GPUNodeCount: &schema.CountDimension{Value: 2, Source: "NodeTopology.summary.gpu-node-count"},
	}
}

func wantH200Example() schema.Fingerprint {
	return schema.Fingerprint{
		Service:      &schema.Dimension{Value: "oke", Source: "K8s.node.provider"},
		Accelerator:  &schema.Dimension{Value: "h200", Source: "GPU.hardware.model"},
		GPUModel:     &schema.Dimension{Value: "NVIDIA H200", Source: "GPU.hardware.model"},
		OS:           &schema.OSDimension{Value: "ubuntu", Version: "24.04", Source: "OS.release.ID"},
		K8sVersion:   &schema.Dimension{Value: "1.33.4", Source: "K8s.server.version"},
		Region:       &schema.Dimension{Value: "us-ashburn-1", Source: "NodeTopology.summary.regions"},
		NodeCount:    &schema.CountDimension{Value: 4, Source: "NodeTopology.summary.node-count"},
		GPUNodeCount: &schema.CountDimension{Value: 2, Source: "NodeTopology.summary.gpu-node-count"},
	}
}

func exampleSnapshot(t *testing.T, name string) []byte {
	t.Helper()
	return readFile(t, filepath.Join(examplesDir, name, "snapshot.yaml"))
}

// assertFingerprint fails with the CompareFingerprint lines when got != want.
func assertFingerprint(t *testing.T, got, want schema.Fingerprint) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fingerprint differs from the expected one:\n  %s", strings.Join(CompareFingerprint(got, want), "\n  "))
	}
}

func mustCompute(t *testing.T, b []byte) schema.Fingerprint {
	t.Helper()
	fp, err := Compute(b)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return fp
}

func TestComputeExamples(t *testing.T) {
	for _, tt := range []struct {
		name string
		want schema.Fingerprint
	}{
		{"h100-eks-ubuntu-training", wantH100Example()},
		{"h200-oke-ubuntu-inference", wantH200Example()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := exampleSnapshot(t, tt.name)
			assertFingerprint(t, mustCompute(t, b), tt.want)
			s, err := ParseSnapshot(b)
			if err != nil {
				t.Fatal(err)
			}
			assertFingerprint(t, ComputeFromSnapshot(s), tt.want)
		})
	}
}

func TestParseSnapshotDecodesData(t *testing.T) {
	s, err := ParseSnapshot(exampleSnapshot(t, "h100-eks-ubuntu-training"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Measurements) != 4 {
		t.Fatalf("got %d measurements, want 4", len(s.Measurements))
	}
	gpu := s.Measurements[2]
	if gpu.Type != "GPU" || len(gpu.Subtypes) != 1 || gpu.Subtypes[0].Subtype != "hardware" {
		t.Fatalf("measurements[2] = %+v, want GPU with one hardware subtype", gpu)
	}
	want := map[string]any{
		"model": "NVIDIA H100 80GB HBM3", "count": 16, "driver": "580.159.04", "cuda-driver": "13.0",
		"memory-bytes": 85520809984, "compute-capability": "9.0", "architecture": "hopper", "mig-mode": "disabled",
	}
	if !reflect.DeepEqual(gpu.Subtypes[0].Data, want) {
		t.Errorf("GPU.hardware data = %#v, want %#v", gpu.Subtypes[0].Data, want)
	}
}

// TestComputeIgnoresAdvisoryFingerprint: the snapshot's own fingerprint block is
// advisory; a lying one changes nothing.
func TestComputeIgnoresAdvisoryFingerprint(t *testing.T) {
	b := exampleSnapshot(t, "h100-eks-ubuntu-training")
	advisory := `
fingerprint:
  service: {value: gke, source: K8s.node.provider}
  accelerator: {value: h200, source: GPU.hardware.model}
  os: {value: rhel, version: "9.4"}
  nodeCount: {value: 64}
`
	for _, doc := range []string{string(b) + advisory, advisory + string(b)} {
		assertFingerprint(t, mustCompute(t, []byte(doc)), wantH100Example())
	}
}

func TestComputeMissingMeasurements(t *testing.T) {
	osOnly := measurementYAML("OS", "release", "ID: ubuntu", `VERSION_ID: "22.04"`)
	tests := []struct {
		name string
		yaml []byte
		want schema.Fingerprint
	}{
		{"no measurements", snapshotYAML(), schema.Fingerprint{}},
		{"null subtypes and data", []byte("measurements:\n  - type: GPU\n    subtypes:\n  - type: OS\n    subtypes:\n      - subtype: release\n        data:\n"), schema.Fingerprint{}},
		{"OS only", snapshotYAML(osOnly), schema.Fingerprint{
			OS: &schema.OSDimension{Value: "ubuntu", Version: "22.04", Source: "OS.release.ID"},
		}},
		{"other types and subtypes only", snapshotYAML(
			measurementYAML("SystemD", "containerd.service", "ActiveState: active"),
			measurementYAML("K8s", "helm", "gpu-operator.version: v25.10.1", "provider: gke"),
			measurementYAML("GPU", "driver", "model: NVIDIA H100 80GB HBM3"),
			measurementYAML("NodeTopology", "labels", "node-count: 3"),
		), schema.Fingerprint{}},
		{"K8s server without node", snapshotYAML(measurementYAML("K8s", "server", "version: v1.31.0")), schema.Fingerprint{
			K8sVersion: &schema.Dimension{Value: "1.31.0", Source: "K8s.server.version"},
		}},
		{"null and blank readings are absent", snapshotYAML(
			measurementYAML("K8s", "node", "provider: ''"),
			measurementYAML("OS", "release", "ID: null", `VERSION_ID: "24.04"`),
			measurementYAML("GPU", "hardware", "model: '  '"),
			measurementYAML("NodeTopology", "summary", "node-count: ~", "gpu-node-count: null", "regions: ' , '", "gpu-products: ','"),
		), schema.Fingerprint{}},
		{"topology only", snapshotYAML(measurementYAML("NodeTopology", "summary", "gpu-node-count: 0")), schema.Fingerprint{
			GPUNodeCount: &schema.CountDimension{Value: 0, Source: "NodeTopology.summary.gpu-node-count"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertFingerprint(t, mustCompute(t, tt.yaml), tt.want)
		})
	}
}

func TestComputeAccelerator(t *testing.T) {
	const model, products = "GPU.hardware.model", "NodeTopology.summary.gpu-products"
	gpu := func(m string) string { return measurementYAML("GPU", "hardware", "model: "+m) }
	topo := func(p string) string { return measurementYAML("NodeTopology", "summary", "gpu-products: "+p) }
	tests := []struct {
		name     string
		yaml     []byte
		acc, mdl *schema.Dimension
	}{
		{"model", snapshotYAML(gpu("NVIDIA H200 NVL")),
			&schema.Dimension{Value: "h200", Source: model}, &schema.Dimension{Value: "NVIDIA H200 NVL", Source: model}},
		{"GH200 is not h200", snapshotYAML(gpu("NVIDIA GH200 480GB")),
			&schema.Dimension{Value: "gh200", Source: model}, &schema.Dimension{Value: "NVIDIA GH200 480GB", Source: model}},
		// The model and the labels must agree: a model that contradicts the labels
		// shows no one accelerator (adversarial review: an H100 model string over
		// H800 nodes passed as h100).
		{"model contradicting the label", snapshotYAML(gpu("NVIDIA H100 80GB HBM3"), topo("NVIDIA-H200")),
			&schema.Dimension{Source: model, Note: "multi-gpu"}, &schema.Dimension{Value: "NVIDIA H100 80GB HBM3", Source: model}},
		{"H100 model over H800 labels", snapshotYAML(gpu("NVIDIA H100 80GB HBM3"), topo("NVIDIA-H800")),
			&schema.Dimension{Source: model, Note: "multi-gpu"}, &schema.Dimension{Value: "NVIDIA H100 80GB HBM3", Source: model}},
		{"model agreeing with the label", snapshotYAML(gpu("NVIDIA H100 80GB HBM3"), topo("NVIDIA-H100-80GB-HBM3")),
			&schema.Dimension{Value: "h100", Source: model}, &schema.Dimension{Value: "NVIDIA H100 80GB HBM3", Source: model}},
		{"unknown model beside a known label", snapshotYAML(gpu("NVIDIA Q9000"), topo("NVIDIA-H100-80GB-HBM3")),
			&schema.Dimension{Source: model, Note: "multi-gpu"}, &schema.Dimension{Value: "NVIDIA Q9000", Source: model}},
		{"unknown model alone", snapshotYAML(gpu("NVIDIA Q9000")),
			&schema.Dimension{Source: model, Note: "unknown-sku"}, &schema.Dimension{Value: "NVIDIA Q9000", Source: model}},
		{"H800 is known", snapshotYAML(gpu("NVIDIA H800"), topo("NVIDIA-H800")),
			&schema.Dimension{Value: "h800", Source: model}, &schema.Dimension{Value: "NVIDIA H800", Source: model}},
		// A snapshot that counts no GPU node shows no accelerator, whatever the
		// model string (adversarial review: gpu-node-count 0 passed as h100).
		{"no GPU nodes", snapshotYAML(gpu("NVIDIA H100 80GB HBM3"), measurementYAML("NodeTopology", "summary", "gpu-node-count: 0")),
			&schema.Dimension{Source: "NodeTopology.summary.gpu-node-count", Note: "no-gpu-nodes"}, &schema.Dimension{Value: "NVIDIA H100 80GB HBM3", Source: model}},
		{"GPU nodes counted", snapshotYAML(gpu("NVIDIA H100 80GB HBM3"), measurementYAML("NodeTopology", "summary", "gpu-node-count: 2")),
			&schema.Dimension{Value: "h100", Source: model}, &schema.Dimension{Value: "NVIDIA H100 80GB HBM3", Source: model}},
		{"label when the model is absent", snapshotYAML(topo("NVIDIA-GB200")),
			&schema.Dimension{Value: "gb200", Source: products}, &schema.Dimension{Value: "NVIDIA-GB200", Source: products}},
		{"label when the model is blank", snapshotYAML(gpu("''"), topo("NVIDIA-H100-80GB-HBM3")),
			&schema.Dimension{Value: "h100", Source: products}, &schema.Dimension{Value: "NVIDIA-H100-80GB-HBM3", Source: products}},
		{"labels of one SKU", snapshotYAML(topo("NVIDIA-H100-80GB-HBM3, NVIDIA-H100-80GB-HBM3-SHARED,NVIDIA-H100-80GB-HBM3")),
			&schema.Dimension{Value: "h100", Source: products},
			&schema.Dimension{Value: "NVIDIA-H100-80GB-HBM3, NVIDIA-H100-80GB-HBM3-SHARED,NVIDIA-H100-80GB-HBM3", Source: products}},
		{"multi-gpu labels", snapshotYAML(topo("NVIDIA-H100-80GB-HBM3,NVIDIA-A100-SXM4-80GB")),
			&schema.Dimension{Source: products, Note: "multi-gpu"},
			&schema.Dimension{Value: "NVIDIA-H100-80GB-HBM3,NVIDIA-A100-SXM4-80GB", Source: products}},
		{"multi-gpu model", snapshotYAML(gpu("'NVIDIA H100 80GB HBM3,NVIDIA L40S'")),
			&schema.Dimension{Source: model, Note: "multi-gpu"},
			&schema.Dimension{Value: "NVIDIA H100 80GB HBM3,NVIDIA L40S", Source: model}},
		{"known and unknown label is multi-gpu", snapshotYAML(topo("NVIDIA-H100-80GB-HBM3,Mystery-Accelerator")),
			&schema.Dimension{Source: products, Note: "multi-gpu"},
			&schema.Dimension{Value: "NVIDIA-H100-80GB-HBM3,Mystery-Accelerator", Source: products}},
		{"unknown labels", snapshotYAML(topo("NVIDIA-Q9000,Mystery")),
			&schema.Dimension{Source: products, Note: "unknown-sku"}, &schema.Dimension{Value: "NVIDIA-Q9000,Mystery", Source: products}},
		{"a known and an unknown label", snapshotYAML(topo("NVIDIA-H800,Mystery")),
			&schema.Dimension{Source: products, Note: "multi-gpu"}, &schema.Dimension{Value: "NVIDIA-H800,Mystery", Source: products}},
		{"none", snapshotYAML(measurementYAML("GPU", "hardware", "count: 8")), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp := mustCompute(t, tt.yaml)
			if !reflect.DeepEqual(fp.Accelerator, tt.acc) || !reflect.DeepEqual(fp.GPUModel, tt.mdl) {
				t.Errorf("accelerator = %+v, gpuModel = %+v; want %+v, %+v", fp.Accelerator, fp.GPUModel, tt.acc, tt.mdl)
			}
		})
	}
}

func TestComputeRegion(t *testing.T) {
	const src = "NodeTopology.summary.regions"
	tests := []struct {
		regions string
		want    *schema.Dimension
	}{
		{"us-west-2", &schema.Dimension{Value: "us-west-2", Source: src}},
		{"'us-west-2, us-west-2,'", &schema.Dimension{Value: "us-west-2", Source: src}},
		{"us-west-2,us-east-1", &schema.Dimension{Source: src, Note: "multi-region"}},
		{"' , '", nil},
	}
	for _, tt := range tests {
		fp := mustCompute(t, snapshotYAML(measurementYAML("NodeTopology", "summary", "regions: "+tt.regions)))
		if !reflect.DeepEqual(fp.Region, tt.want) {
			t.Errorf("regions %s: region = %+v, want %+v", tt.regions, fp.Region, tt.want)
		}
	}
}

func TestComputeOS(t *testing.T) {
	tests := []struct {
		id, version string
		value, note string
		wantVersion string
	}{
		{"ubuntu", `"24.04"`, "ubuntu", "", "24.04"},
		{"Ubuntu", `"22.04"`, "ubuntu", "", "22.04"},
		{"rhel", `"9.4"`, "rhel", "", "9.4"},
		{"redhat", `"8.10"`, "rhel", "", "8.10"},
		{"cos", `"117"`, "cos", "", "117"},
		{"amzn", `"2023"`, "amazonlinux", "", "2023"},
		{"ol", `"9.5"`, "oraclelinux", "", "9.5"},
		{"talos", `"1.9.0"`, "talos", "", "1.9.0"},
		{"Debian", `"12"`, "debian", "unrecognised-os", "12"},
		{"ubuntu", "24.04", "ubuntu", "", "24.04"}, // an unquoted number reads as its decimal form
		{"ubuntu", "", "ubuntu", "", ""},
	}
	for _, tt := range tests {
		data := []string{"ID: " + tt.id}
		if tt.version != "" {
			data = append(data, "VERSION_ID: "+tt.version)
		}
		fp := mustCompute(t, snapshotYAML(measurementYAML("OS", "release", data...)))
		want := &schema.OSDimension{Value: tt.value, Version: tt.wantVersion, Source: "OS.release.ID", Note: tt.note}
		if !reflect.DeepEqual(fp.OS, want) {
			t.Errorf("ID %s VERSION_ID %s: os = %+v, want %+v", tt.id, tt.version, fp.OS, want)
		}
	}
	// VERSION_ID without ID captures no os.
	if fp := mustCompute(t, snapshotYAML(measurementYAML("OS", "release", `VERSION_ID: "24.04"`))); fp.OS != nil {
		t.Errorf("os = %+v without an ID, want nil", fp.OS)
	}
}

func TestComputeServiceAndK8sVersion(t *testing.T) {
	fp := mustCompute(t, snapshotYAML(
		measurementYAML("K8s", "node", "provider: ' EKS '"),
	))
	if want := (&schema.Dimension{Value: "eks", Source: "K8s.node.provider"}); !reflect.DeepEqual(fp.Service, want) {
		t.Errorf("service = %+v, want %+v", fp.Service, want)
	}
	for _, tt := range []struct {
		version string
		want    *schema.Dimension
	}{
		{"v1.33.4", &schema.Dimension{Value: "1.33.4", Source: "K8s.server.version"}},
		{"1.30.2", &schema.Dimension{Value: "1.30.2", Source: "K8s.server.version"}},
		{"v1.33.4-eks-a737599", &schema.Dimension{Value: "1.33.4-eks-a737599", Source: "K8s.server.version"}},
		{"v", nil},
	} {
		fp := mustCompute(t, snapshotYAML(measurementYAML("K8s", "server", "version: "+tt.version)))
		if !reflect.DeepEqual(fp.K8sVersion, tt.want) {
			t.Errorf("version %s: k8sVersion = %+v, want %+v", tt.version, fp.K8sVersion, tt.want)
		}
	}
}

func TestParseSnapshotScalarAlias(t *testing.T) {
	b := []byte(`
measurements:
  - type: K8s
    subtypes:
      - subtype: node
        data:
          provider: &p eks
          other: *p
`)
	fp := mustCompute(t, b)
	if fp.Service == nil || fp.Service.Value != "eks" {
		t.Errorf("service = %+v, want eks", fp.Service)
	}
}

func TestComputeErrors(t *testing.T) {
	summary := func(data ...string) []byte { return snapshotYAML(measurementYAML("NodeTopology", "summary", data...)) }
	long := strings.Repeat("x", 257)
	tests := []struct {
		name string
		yaml []byte
		want []string // substrings of the error
	}{
		{"empty", nil, []string{"snapshot: no YAML document"}},
		{"comment only", []byte("# nothing\n"), []string{"no YAML document"}},
		{"syntax", []byte("measurements: [\n"), []string{"snapshot: parse YAML"}},
		{"two documents", []byte("measurements: []\n---\nmeasurements: []\n"), []string{"more than one YAML document", "starts at line 2"}},
		{"second document broken", []byte("measurements: []\n---\n[\n"), []string{"more than one YAML document"}},
		{"top level list", []byte("- measurements: []\n"), []string{"the top level is a list"}},
		{"top level scalar", []byte("hello\n"), []string{"the top level is a scalar"}},
		{"no measurements", []byte("kind: Snapshot\n"), []string{"no measurements key"}},
		{"measurements null", []byte("measurements:\n"), []string{"measurements is null, want a list"}},
		{"measurements mapping", []byte("measurements:\n  type: GPU\n"), []string{"measurements is a mapping, want a list"}},
		{"measurements scalar", []byte("measurements: GPU\n"), []string{"measurements is a scalar, want a list"}},
		{"measurement not a mapping", []byte("measurements: [GPU]\n"), []string{"measurements[0]", "want a mapping with type and subtypes"}},
		{"no type", []byte("measurements:\n  - subtypes: []\n"), []string{"measurements[0]", "no type key"}},
		{"type not a string", []byte("measurements:\n  - type: 7\n    subtypes: []\n"), []string{"measurements[0]", "type is a scalar, want a string"}},
		{"type empty", []byte("measurements:\n  - type: ''\n    subtypes: []\n"), []string{"type is empty"}},
		{"no subtypes", []byte("measurements:\n  - type: GPU\n"), []string{`measurements[0] (type "GPU")`, "no subtypes key"}},
		{"subtypes mapping", []byte("measurements:\n  - type: GPU\n    subtypes: {hardware: {}}\n"), []string{`type "GPU"`, "subtypes is a mapping, want a list"}},
		{"subtype not a mapping", []byte("measurements:\n  - type: GPU\n    subtypes: [hardware]\n"), []string{`type "GPU"), subtypes[0]`, "want a mapping with subtype and data"}},
		{"no subtype name", []byte("measurements:\n  - type: GPU\n    subtypes:\n      - data: {}\n"), []string{"subtypes[0]", "no subtype key"}},
		{"no data", []byte("measurements:\n  - type: GPU\n    subtypes:\n      - subtype: hardware\n"), []string{`(subtype "hardware")`, "no data key"}},
		{"data list", []byte("measurements:\n  - type: GPU\n    subtypes:\n      - subtype: hardware\n        data: [a]\n"), []string{`subtype "hardware"`, "data is a list, want a mapping"}},
		{"data value list", snapshotYAML(measurementYAML("GPU", "hardware", "model: [a, b]")), []string{`data key "model"`, "want a scalar"}},
		{"data value mapping", snapshotYAML(measurementYAML("SystemD", "x", "unit: {a: b}")), []string{`type "SystemD"`, `data key "unit"`, "want a scalar"}},
		{"alias of a mapping", []byte("base: &b {subtypes: []}\nmeasurements:\n  - type: GPU\n    subtypes:\n      - subtype: hardware\n        data:\n          model: *b\n"), []string{`data key "model"`, "alias of a mapping or sequence"}},
		{"duplicate top-level key", []byte("measurements: []\nmeasurements:\n  - type: GPU\n    subtypes: []\n"), []string{"line 2", `duplicate key "measurements"`, "first at line 1"}},
		{"duplicate data key", summary("node-count: 4", "node-count: 8"), []string{`duplicate key "node-count"`}},
		{"duplicate key in the advisory block", []byte("measurements: []\nfingerprint:\n  service: {value: eks}\n  service: {value: gke}\n"), []string{`duplicate key "service"`}},
		{"duplicate key by text", []byte("measurements: []\nx: {1: a, \"1\": b}\n"), []string{`duplicate key "1"`}},
		{"complex key", []byte("measurements: []\n? [a]\n: b\n"), []string{"a mapping key must be a scalar"}},
		{"duplicate measurement type", snapshotYAML(measurementYAML("GPU", "hardware"), measurementYAML("GPU", "hardware")), []string{`measurements[1]: type "GPU" repeats measurements[0]`}},
		{"duplicate subtype", []byte("measurements:\n  - type: K8s\n    subtypes:\n      - {subtype: node, data: {provider: eks}}\n      - {subtype: node, data: {provider: gke}}\n"), []string{`measurement "K8s", subtypes[1]: subtype "node" repeats subtypes[0]`}},
		{"float node-count", summary("node-count: 4.5"), []string{`measurement "NodeTopology", subtype "summary", key "node-count"`, "want an integer from 0 to 1000000000", `float64 "4.5"`}},
		{"integral float node-count", summary("node-count: 4.0"), []string{`key "node-count"`, "want an integer"}},
		{"string node-count", summary(`node-count: "4"`), []string{`key "node-count"`, `string "4"`}},
		{"negative gpu-node-count", summary("gpu-node-count: -1"), []string{`key "gpu-node-count"`, "want an integer"}},
		{"huge node-count", summary("node-count: 1000000001"), []string{`key "node-count"`}},
		{"overflowing node-count", summary("node-count: 99999999999999999999"), []string{`key "node-count"`}},
		{"bool node-count", summary("node-count: true"), []string{`key "node-count"`, "bool"}},
		{"long model", snapshotYAML(measurementYAML("GPU", "hardware", "model: "+long)), []string{`key "model"`, "257 characters, at most 256"}},
		{"long OS ID", snapshotYAML(measurementYAML("OS", "release", "ID: "+long[:129])), []string{`key "ID"`, "at most 128"}},
		{"oversize", append(snapshotYAML(), make([]byte, MaxSnapshotBytes)...), []string{"exceeds the limit of 16777216 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp, err := Compute(tt.yaml)
			if err == nil {
				t.Fatalf("Compute succeeded with %+v, want an error", fp)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "compute fingerprint: snapshot: ") {
				t.Errorf("error %q lacks the context prefix", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if !reflect.DeepEqual(fp, schema.Fingerprint{}) {
				t.Errorf("Compute returned %+v with its error, want the zero fingerprint", fp)
			}
		})
	}
}

func TestComputeAtSizeLimit(t *testing.T) {
	b := exampleSnapshot(t, "h100-eks-ubuntu-training")
	padded := append([]byte{}, b...)
	padded = append(padded, '#')
	padded = append(padded, []byte(strings.Repeat("x", MaxSnapshotBytes-len(padded)))...)
	if len(padded) != MaxSnapshotBytes {
		t.Fatalf("padded to %d bytes", len(padded))
	}
	assertFingerprint(t, mustCompute(t, padded), wantH100Example())
}

// TestValidateBuiltSnapshot covers snapshots built in Go rather than parsed.
func TestValidateBuiltSnapshot(t *testing.T) {
	build := func(data map[string]any) *Snapshot {
		return &Snapshot{Measurements: []Measurement{
			{Type: "NodeTopology", Subtypes: []Subtype{{Subtype: "summary", Data: data}}},
			{Type: "K8s", Subtypes: []Subtype{{Subtype: "node", Data: map[string]any{"provider": "GKE"}}}},
		}}
	}
	good := build(map[string]any{"node-count": int64(6), "gpu-node-count": uint8(2), "regions": "europe-west4"})
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := schema.Fingerprint{
		Service:      &schema.Dimension{Value: "gke", Source: "K8s.node.provider"},
		Region:       &schema.Dimension{Value: "europe-west4", Source: "NodeTopology.summary.regions"},
		NodeCount:    &schema.CountDimension{Value: 6, Source: "NodeTopology.summary.node-count"},
		GPUNodeCount: &schema.CountDimension{Value: 2, Source: "NodeTopology.summary.gpu-node-count"},
	}
	assertFingerprint(t, ComputeFromSnapshot(good), want)

	// A float count (as JSON decoding gives) is invalid: Validate says so and
	// ComputeFromSnapshot leaves the dimension out.
	if err := build(map[string]any{"node-count": float64(6)}).Validate(); err == nil || !strings.Contains(err.Error(), `key "node-count"`) {
		t.Errorf("Validate = %v, want an error naming node-count", err)
	}
	bad := build(map[string]any{"node-count": float64(6), "regions": []string{"a"}})
	fp := ComputeFromSnapshot(bad)
	if fp.NodeCount != nil || fp.Region != nil || fp.Service == nil {
		t.Errorf("ComputeFromSnapshot = %+v, want only service", fp)
	}
	if err := build(map[string]any{"regions": []string{"a"}}).Validate(); err == nil || !strings.Contains(err.Error(), `key "regions": want a scalar`) {
		t.Errorf("Validate = %v, want an error naming regions", err)
	}
	if err := (&Snapshot{Measurements: []Measurement{{Type: " "}}}).Validate(); err == nil {
		t.Error("Validate accepted an empty type")
	}
	var nilSnap *Snapshot
	if err := nilSnap.Validate(); err == nil {
		t.Error("Validate accepted nil")
	}
	assertFingerprint(t, ComputeFromSnapshot(nil), schema.Fingerprint{})

	// Repeated types: the first one is read.
	dup := &Snapshot{Measurements: []Measurement{
		{Type: "K8s", Subtypes: []Subtype{{Subtype: "node", Data: map[string]any{"provider": "eks"}}}},
		{Type: "K8s", Subtypes: []Subtype{{Subtype: "node", Data: map[string]any{"provider": "gke"}}}},
	}}
	if err := dup.Validate(); err == nil {
		t.Error("Validate accepted a repeated type")
	}
	if got := ComputeFromSnapshot(dup).Service; got == nil || got.Value != "eks" {
		t.Errorf("service = %+v, want the first measurement's eks", got)
	}
}

// TestComputeUpstreamMockSnapshot reads AICR's own mock snapshot, which carries
// only K8s.server, K8s.helm and OS.release.
func TestComputeUpstreamMockSnapshot(t *testing.T) {
	p := filepath.Join(sharedTestdata(t, "aicr-upstream"), "tests", "chainsaw", "cli", "cuj1-training", "mock-snapshot.yaml")
	want := schema.Fingerprint{
		OS:         &schema.OSDimension{Value: "ubuntu", Version: "24.04", Source: "OS.release.ID"},
		K8sVersion: &schema.Dimension{Value: "1.33.0", Source: "K8s.server.version"},
	}
	assertFingerprint(t, mustCompute(t, readFile(t, p)), want)
}

// TestReadingConversions covers the Go values a built Snapshot may hold.
func TestReadingConversions(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
		ok   bool
	}{
		{" eks ", "eks", true}, {true, "true", true}, {7, "7", true}, {int8(-8), "-8", true}, {int16(16), "16", true},
		{int32(32), "32", true}, {int64(-64), "-64", true}, {uint(1), "1", true}, {uint8(8), "8", true},
		{uint16(16), "16", true}, {uint32(32), "32", true}, {uint64(1 << 63), "9223372036854775808", true},
		{float32(24.04), "24.04", true}, {24.04, "24.04", true}, {8.10, "8.1", true},
		{nil, "", false}, {[]string{"a"}, "", false}, {map[string]any{}, "", false},
	} {
		if got, ok := stringValue(tt.v); got != tt.want || ok != tt.ok {
			t.Errorf("stringValue(%#v) = %q, %v; want %q, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
	for _, tt := range []struct {
		v    any
		want int
		ok   bool
	}{
		{4, 4, true}, {int8(4), 4, true}, {int16(4), 4, true}, {int32(4), 4, true}, {int64(MaxCount), MaxCount, true},
		{uint(4), 4, true}, {uint8(4), 4, true}, {uint16(4), 4, true}, {uint32(4), 4, true}, {uint64(0), 0, true},
		{-1, 0, false}, {int64(MaxCount + 1), 0, false}, {uint(MaxCount + 1), 0, false}, {uint64(1 << 63), 0, false},
		{4.0, 0, false}, {"4", 0, false}, {nil, 0, false}, {true, 0, false},
	} {
		if got, ok := countValue(tt.v); got != tt.want || ok != tt.ok {
			t.Errorf("countValue(%#v) = %d, %v; want %d, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}
