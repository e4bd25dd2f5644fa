package gpu

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// TestFromNVMLJSONRealReadings replays the real H100 and H200 readings.
func TestFromNVMLJSONRealReadings(t *testing.T) {
	for _, m := range machines() {
		t.Run(m.dir, func(t *testing.T) {
			b := shared(t, m, "nvml.json")
			got, err := FromNVMLJSON(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, m.facts) {
				t.Errorf("FromNVMLJSON =\n%+v\nwant\n%+v", *got, m.facts)
			}
			// The fixture format round-trips byte for byte.
			r, err := ParseNVMLJSON(b)
			if err != nil {
				t.Fatal(err)
			}
			out, err := r.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bytes.TrimSpace(out), bytes.TrimSpace(b)) {
				t.Errorf("Reading.JSON differs from the fixture:\n%s", out)
			}
		})
	}
}

// TestFromNVMLJSONSynthetic checks mixed GPUs and Not Supported readings.
func TestFromNVMLJSONSynthetic(t *testing.T) {
	b := local(t, "synthetic-mixed-nvml.json")
	f, err := FromNVMLJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.CUDAVersion != "12.8" || f.DeviceCount != 2 || len(f.Devices) != 2 {
		t.Fatalf("facts = %+v", f)
	}
	a, h := f.Devices[0], f.Devices[1]
	if a.Architecture != "ampere" || a.ComputeCapability != "8.0" || a.MIGMode != MIGEnabled || a.NVLinkActive != 12 || a.Unsupported != nil {
		t.Errorf("A100 = %+v", a)
	}
	if h.Serial != "" || h.NVLinkActive != 0 || !reflect.DeepEqual(h.Unsupported, []string{"nvlink", "serial"}) || h.PCIBusID != "0000:c1:00.0" {
		t.Errorf("H100 PCIe = %+v", h)
	}
	r, err := ParseNVMLJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, b) {
		t.Errorf("Reading.JSON differs from the file:\n%s", out)
	}
}

// TestReadingNotSupportedClearsValue: a Not Supported reading is empty even if
// the JSON holds a number for it.
func TestReadingNotSupportedClearsValue(t *testing.T) {
	r := validReading()
	r.GPUs[0].Errors = map[string]string{
		"serial": "Not Supported", "brand": "ERROR_NOT_SUPPORTED", "architecture": notSupported,
		"computeCapability": notSupported, "vbios": notSupported, "inforomImage": notSupported,
		"mig": notSupported, "powerLimit": notSupported, "boardPartNumber": notSupported, "nvlink": notSupported,
	}
	f, err := r.Facts()
	if err != nil {
		t.Fatal(err)
	}
	d := f.Devices[0]
	want := Device{
		Name: d.Name, UUID: d.UUID, MemoryTotalBytes: d.MemoryTotalBytes, PCIBusID: "0000:00:06.0",
		PCIDeviceID: d.PCIDeviceID, PCISubsystemID: d.PCISubsystemID,
		MIGMode: MIGUnsupported, MIGPendingMode: MIGUnsupported,
		Unsupported: []string{"architecture", "boardPartNumber", "brand", "computeCapability", "inforomImage", "mig", "nvlink", "powerLimit", "serial", "vbios"},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("device =\n%+v\nwant\n%+v", d, want)
	}
}

// validReading returns a small valid one-GPU reading.
func validReading() *Reading {
	return &Reading{
		DriverVersion: "580.159.04", NVMLVersion: "13.580.159.04", CUDADriverVersion: 13000, DeviceCount: 1,
		GPUs: []ReadingGPU{{
			Name: "NVIDIA H100 80GB HBM3", UUID: "GPU-1", Serial: "1", Brand: 14, Architecture: 9,
			CCMajor: 9, MemoryTotalBytes: 80 << 30, PCIBusID: "00000000:00:06.0", PCIDeviceID: 0x233010DE,
			PCISubsystemID: 0x16C110DE, VBIOS: "v", InforomImage: "i", PowerLimitMilliwatts: 700000,
			BoardPartNumber: "b", NVLinkActive: 18,
		}},
	}
}

// TestReadingRefused lists readings Facts and ParseNVMLJSON must refuse.
func TestReadingRefused(t *testing.T) {
	mod := func(f func(r *Reading)) *Reading { r := validReading(); f(r); return r }
	cases := []struct {
		name string
		r    *Reading
		want string
	}{
		{"nil", nil, "nil"},
		{"no driver", mod(func(r *Reading) { r.DriverVersion = " " }), "no driver version"},
		{"count", mod(func(r *Reading) { r.DeviceCount = 2 }), "device count 2 but 1 GPUs"},
		{"negative count", mod(func(r *Reading) { r.DeviceCount = -1 }), "outside"},
		{"index", mod(func(r *Reading) { r.GPUs[0].Index = 1 }), "index 1 at position 0"},
		{"name", mod(func(r *Reading) { r.GPUs[0].Name = "" }), "no name"},
		{"uuid", mod(func(r *Reading) { r.GPUs[0].UUID = "" }), "no uuid"},
		{"memory", mod(func(r *Reading) { r.GPUs[0].MemoryTotalBytes = 0 }), "no memory size"},
		{"bus id", mod(func(r *Reading) { r.GPUs[0].PCIBusID = "06.0" }), "PCI bus id"},
		{"other error", mod(func(r *Reading) { r.GPUs[0].Errors = map[string]string{"serial": "GPU is lost"} }), `NVML error "GPU is lost" recorded for serial`},
		{"negative nvlink", mod(func(r *Reading) { r.GPUs[0].NVLinkActive = -1 }), "negative nvlinkActive"},
		{"negative cuda", mod(func(r *Reading) { r.CUDADriverVersion = -1 }), "negative CUDA"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.r.Facts()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Facts error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestParseNVMLJSONRefused checks the fixture format's strictness and bound.
func TestParseNVMLJSONRefused(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string
	}{
		{"unknown field", `{"driverVersion":"1","gpuz":[]}`, "unknown field"},
		{"trailing data", `{"driverVersion":"1"} {}`, "data after the reading"},
		{"not an object", `[]`, "cannot unmarshal"},
		{"wrong type", `{"deviceCount":"1"}`, "cannot unmarshal"},
		{"empty", ``, "EOF"},
		{"huge", `{"driverVersion":"` + strings.Repeat("x", MaxNVMLJSONBytes) + `"}`, "at most"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseNVMLJSON([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ParseNVMLJSON error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestCanonicalPCIBusID(t *testing.T) {
	good := map[string]string{
		"00000000:00:06.0":   "0000:00:06.0",
		"0000:00:06.0":       "0000:00:06.0",
		"00000000:C1:00.0":   "0000:c1:00.0",
		" 0001:3B:1F.7 ":     "0001:3b:1f.7",
		"00010000:3b:00.0":   "00010000:3b:00.0",
		"0:00:06.0":          "0000:00:06.0",
		"0000ffff:ff:1f.7":   "ffff:ff:1f.7",
		"ABCDEF01:00:00.0":   "abcdef01:00:00.0",
		"00000000:00:00.0  ": "0000:00:00.0",
	}
	for in, want := range good {
		if got, err := CanonicalPCIBusID(in); err != nil || got != want {
			t.Errorf("CanonicalPCIBusID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "00:06.0", "000000000:00:06.0", "0000:0:06.0", "0000:00:6.0", "0000:00:06.8", "0000:00:20.0", "0000:00:06", "zzzz:00:06.0", "0000:00:06.0.1", "+000:00:06.0"} {
		if got, err := CanonicalPCIBusID(in); err == nil {
			t.Errorf("CanonicalPCIBusID(%q) = %q, want an error", in, got)
		}
	}
}

func TestNames(t *testing.T) {
	if got := cudaVersion(13000); got != "13.0" {
		t.Errorf("cudaVersion(13000) = %q", got)
	}
	if got := cudaVersion(12040); got != "12.4" {
		t.Errorf("cudaVersion(12040) = %q", got)
	}
	if got := cudaVersion(0); got != "" {
		t.Errorf("cudaVersion(0) = %q", got)
	}
	archs := map[uint32]string{7: "ampere", 8: "ada-lovelace", 9: "hopper", 10: "blackwell", 0xffffffff: "unknown", 42: "architecture-42"}
	for a, want := range archs {
		if got := ArchitectureName(a); got != want {
			t.Errorf("ArchitectureName(%d) = %q, want %q", a, got, want)
		}
	}
	brands := map[int]string{14: "NVIDIA", 2: "Tesla", 0: "Unknown", 99: "brand-99", -1: "brand--1"}
	for b, want := range brands {
		if got := BrandName(b); got != want {
			t.Errorf("BrandName(%d) = %q, want %q", b, got, want)
		}
	}
	if migName(0) != MIGDisabled || migName(1) != MIGEnabled || migName(7) != "mig-mode-7" {
		t.Error("migName")
	}
}
