package gpu

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/internal/fingerprint"
)

// snapshotOf wraps subtypes in a snapshot's GPU measurement, as YAML.
func snapshotOf(t *testing.T, subtypes ...fingerprint.Subtype) []byte {
	t.Helper()
	b, err := yaml.Marshal(fingerprint.Snapshot{Measurements: []fingerprint.Measurement{{Type: MeasurementType, Subtypes: subtypes}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMeasurementRealReadings(t *testing.T) {
	for _, m := range machines() {
		t.Run(m.dir, func(t *testing.T) {
			f, err := FromNVMLJSON(shared(t, m, "nvml.json"))
			if err != nil {
				t.Fatal(err)
			}
			st := Measurement(f)
			d := m.facts.Devices[0]
			want := map[string]any{
				"model": d.Name, "count": 1, "driver": "580.159.04", "cuda-driver": "13.0",
				"memory-bytes": int(d.MemoryTotalBytes), "compute-capability": "9.0", "architecture": "hopper",
				"mig-mode": "disabled", "nvlink-active": 0,
			}
			if st.Subtype != "hardware" || !reflect.DeepEqual(st.Data, want) {
				t.Errorf("Measurement = %s %#v, want hardware %#v", st.Subtype, st.Data, want)
			}
			if sku, ok := fingerprint.ParseGPUSKU(st.Data["model"].(string)); !ok || sku != m.sku {
				t.Errorf("ParseGPUSKU(model) = %q, %v; want %s", sku, ok, m.sku)
			}
			assertNoIdentity(t, st, f)

			// Through a snapshot's YAML: the fingerprint reads the accelerator,
			// and the data parses back to the same values and types.
			y := snapshotOf(t, st)
			fp, err := fingerprint.Compute(y)
			if err != nil {
				t.Fatal(err)
			}
			if fp.Accelerator == nil || fp.Accelerator.Value != m.sku || fp.GPUModel == nil || fp.GPUModel.Value != d.Name {
				t.Errorf("fingerprint = %+v", fp)
			}
			snap, err := fingerprint.ParseSnapshot(y)
			if err != nil {
				t.Fatal(err)
			}
			if got := snap.Measurements[0].Subtypes[0].Data; !reflect.DeepEqual(got, want) {
				t.Errorf("data after YAML = %#v, want %#v", got, want)
			}
			if strings.Contains(string(y), d.UUID) || strings.Contains(string(y), d.Serial) {
				t.Errorf("snapshot YAML holds the UUID or serial:\n%s", y)
			}
		})
	}
}

// assertNoIdentity checks that no key or value of the hardware subtype names
// a board: no uuid or serial key, no UUID, serial or PCI address value.
func assertNoIdentity(t *testing.T, st fingerprint.Subtype, f *Facts) {
	t.Helper()
	for k, v := range st.Data {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "uuid") || strings.Contains(lk, "serial") || strings.Contains(lk, "pci") {
			t.Errorf("hardware key %q identifies a board", k)
		}
		s := fmt.Sprint(v)
		for _, d := range f.Devices {
			for _, id := range []string{d.UUID, d.Serial, d.PCIBusID} {
				if id != "" && strings.Contains(s, id) {
					t.Errorf("hardware %s = %q holds %q", k, s, id)
				}
			}
		}
	}
}

func TestMeasurementMixed(t *testing.T) {
	f, err := FromNVMLJSON(local(t, "synthetic-mixed-nvml.json"))
	if err != nil {
		t.Fatal(err)
	}
	st := Measurement(f)
	want := map[string]any{
		"model": "NVIDIA A100-SXM4-80GB,NVIDIA H100 PCIe", "count": 2, "driver": "570.86.15", "cuda-driver": "12.8",
		"memory-bytes": "85899345920,85520809984", "compute-capability": "8.0,9.0", "architecture": "ampere,hopper",
		"mig-mode": "enabled,disabled", "nvlink-active": "12,0",
	}
	if !reflect.DeepEqual(st.Data, want) {
		t.Errorf("Measurement = %#v, want %#v", st.Data, want)
	}
	if sku, ok := fingerprint.ParseGPUSKU(st.Data["model"].(string)); ok {
		t.Errorf("ParseGPUSKU of two models = %q, want no single SKU", sku)
	}
	assertNoIdentity(t, st, f)
	fp, err := fingerprint.Compute(snapshotOf(t, st))
	if err != nil {
		t.Fatal(err)
	}
	if fp.Accelerator == nil || fp.Accelerator.Value != "" || fp.Accelerator.Note != "multi-gpu" {
		t.Errorf("accelerator = %+v, want empty with note multi-gpu", fp.Accelerator)
	}

	// Two identical GPUs give one model and numbers.
	same := *f
	same.Devices = []Device{f.Devices[1], f.Devices[1]}
	same.Devices[1].Index = 1
	same.Devices[1].UUID = "GPU-other"
	st = Measurement(&same)
	if st.Data["model"] != "NVIDIA H100 PCIe" || st.Data["memory-bytes"] != 85520809984 || st.Data["nvlink-active"] != 0 {
		t.Errorf("identical GPUs: %#v", st.Data)
	}
}

func TestMeasurementEmpty(t *testing.T) {
	st := Measurement(&Facts{DriverVersion: "580.159.04", CUDAVersion: "13.0"})
	want := map[string]any{"count": 0, "driver": "580.159.04", "cuda-driver": "13.0"}
	if !reflect.DeepEqual(st.Data, want) {
		t.Errorf("no GPU: %#v", st.Data)
	}
	if st := Measurement(nil); st.Subtype != "hardware" || len(st.Data) != 0 {
		t.Errorf("nil: %+v", st)
	}
	if st := DevicesMeasurement(nil); st.Subtype != "devices" || len(st.Data) != 0 {
		t.Errorf("nil devices: %+v", st)
	}
}

func TestDevicesMeasurement(t *testing.T) {
	f, err := FromNVMLJSON(local(t, "synthetic-mixed-nvml.json"))
	if err != nil {
		t.Fatal(err)
	}
	st := DevicesMeasurement(f)
	if st.Subtype != "devices" || len(st.Data) != 12 {
		t.Fatalf("DevicesMeasurement = %+v", st)
	}
	if st.Data["gpu0-uuid"] != f.Devices[0].UUID || st.Data["gpu0-serial"] != "1320000000001" || st.Data["gpu1-serial"] != "" ||
		st.Data["gpu1-pci-bus-id"] != "0000:c1:00.0" || st.Data["gpu1-name"] != "NVIDIA H100 PCIe" {
		t.Errorf("DevicesMeasurement = %#v", st.Data)
	}
	// Both subtypes together form a valid snapshot measurement.
	if _, err := fingerprint.ParseSnapshot(snapshotOf(t, Measurement(f), st)); err != nil {
		t.Error(err)
	}
}
