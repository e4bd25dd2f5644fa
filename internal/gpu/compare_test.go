package gpu

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestCompareRealReadings: NVML's reading and nvidia-smi's of the same machine
// agree on every field, with the XML alone (compute capability skipped) and
// with the CSV added (compute capability compared).
func TestCompareRealReadings(t *testing.T) {
	for _, m := range machines() {
		t.Run(m.dir, func(t *testing.T) {
			n, err := FromNVMLJSON(shared(t, m, "nvml.json"))
			if err != nil {
				t.Fatal(err)
			}
			s, err := FromNvidiaSMIXML(shared(t, m, "nvidia-smi-q.xml"))
			if err != nil {
				t.Fatal(err)
			}
			if mm := Compare(n, s); len(mm) != 0 {
				t.Errorf("XML alone: mismatches %+v", mm)
			}
			skipped := 0
			for _, c := range Comparisons(n, s) {
				if c.Skipped {
					skipped++
					if c.Field != "gpu[0].compute-capability" {
						t.Errorf("skipped %s", c.Field)
					}
				}
			}
			if skipped != 1 {
				t.Errorf("%d fields skipped with the XML alone, want 1 (compute capability)", skipped)
			}
			if err := AddNvidiaSMICSV(s, shared(t, m, "nvidia-smi.csv")); err != nil {
				t.Fatal(err)
			}
			cs := Comparisons(n, s)
			var table strings.Builder
			fmt.Fprintf(&table, "| field | NVML | nvidia-smi | equal |\n|---|---|---|---|\n")
			for _, c := range cs {
				if !c.Equal || c.Skipped {
					t.Errorf("with the CSV: %+v", c)
				}
				fmt.Fprintf(&table, "| %s | %s | %s | %v |\n", c.Field, c.NVML, c.SMI, c.Equal)
			}
			if len(cs) != 3+16 {
				t.Errorf("%d comparisons, want 19", len(cs))
			}
			t.Logf("%s:\n%s", m.dir, table.String())
		})
	}
}

// TestCompareTampered: a changed value in nvidia-smi's XML or CSV is a
// mismatch naming the field.
func TestCompareTampered(t *testing.T) {
	for _, m := range machines() {
		t.Run(m.dir, func(t *testing.T) {
			n, err := FromNVMLJSON(shared(t, m, "nvml.json"))
			if err != nil {
				t.Fatal(err)
			}
			xmlBytes := shared(t, m, "nvidia-smi-q.xml")
			csvBytes := shared(t, m, "nvidia-smi.csv")
			d := n.Devices[0]
			mib := d.MemoryTotalBytes >> 20
			cases := []struct {
				field, old, new string
				csv             bool
			}{
				{"gpu[0].memory-mib", fmt.Sprintf("<total>%d MiB</total>", mib), fmt.Sprintf("<total>%d MiB</total>", mib-1024), false},
				{"gpu[0].uuid", d.UUID, "GPU-00000000-0000-0000-0000-000000000000", false},
				{"gpu[0].serial", "<serial>" + d.Serial, "<serial>9" + d.Serial, false},
				{"gpu[0].name", "<product_name>" + d.Name, "<product_name>NVIDIA A100", false},
				{"gpu[0].architecture", "<product_architecture>Hopper", "<product_architecture>Ampere", false},
				{"gpu[0].mig-mode", "<current_mig>Disabled", "<current_mig>Enabled", false},
				{"gpu[0].vbios", d.VBIOS, "00.00.00.00.00", false},
				{"gpu[0].pci-bus-id", "<pci_bus_id>00000000:00:06.0", "<pci_bus_id>00000000:00:07.0", false},
				{"driver-version", "<driver_version>580.159.04", "<driver_version>580.159.05", false},
				{"cuda-version", "<cuda_version>13.0", "<cuda_version>12.9", false},
				{"gpu[0].power-limit", "<requested_power_limit>700.00 W", "<requested_power_limit>650.00 W", false},
				{"gpu[0].compute-capability", ", 9.0,", ", 8.0,", true},
			}
			for _, c := range cases {
				t.Run(c.field, func(t *testing.T) {
					x, v := xmlBytes, csvBytes
					if c.csv {
						v = bytes.Replace(csvBytes, []byte(c.old), []byte(c.new), 1)
						if bytes.Equal(v, csvBytes) {
							t.Fatalf("%q not in the CSV", c.old)
						}
					} else {
						x = bytes.Replace(xmlBytes, []byte(c.old), []byte(c.new), 1)
						if bytes.Equal(x, xmlBytes) {
							t.Fatalf("%q not in the XML", c.old)
						}
					}
					s, err := FromNvidiaSMIXML(x)
					if err != nil {
						t.Fatal(err)
					}
					// The CSV repeats some XML fields and must agree with it, so
					// it is added only when it is the tampered file.
					if c.csv {
						if err := AddNvidiaSMICSV(s, v); err != nil {
							t.Fatal(err)
						}
					}
					mm := Compare(n, s)
					if len(mm) != 1 || mm[0].Field != c.field {
						t.Fatalf("mismatches %+v, want one on %s", mm, c.field)
					}
					if c.field == "gpu[0].memory-mib" {
						want := Mismatch{Field: c.field, NVML: fmt.Sprintf("%d MiB (%d bytes)", mib, d.MemoryTotalBytes), SMI: fmt.Sprintf("%d MiB", mib-1024)}
						if mm[0] != want {
							t.Errorf("mismatch %+v, want %+v", mm[0], want)
						}
					}
				})
			}
		})
	}
}

func TestCompareShapes(t *testing.T) {
	f, err := FromNVMLJSON(local(t, "synthetic-mixed-nvml.json"))
	if err != nil {
		t.Fatal(err)
	}
	clone := func() *Facts {
		c := *f
		c.Devices = append([]Device(nil), f.Devices...)
		return &c
	}
	if mm := Compare(f, clone()); len(mm) != 0 {
		t.Errorf("self: %+v", mm)
	}
	// Memory is compared in whole MiB, the power limit in hundredths of a watt.
	s := clone()
	s.Devices[0].MemoryTotalBytes += 4095
	s.Devices[0].PowerLimitMilliwatts += 4
	s.Devices[1].Brand = "nvidia"
	s.NVMLVersion = ""
	if mm := Compare(f, s); len(mm) != 0 {
		t.Errorf("granularity: %+v", mm)
	}
	// nvidia-smi lists one GPU fewer.
	s = clone()
	s.DeviceCount = 1
	s.Devices = s.Devices[:1]
	want := []Mismatch{{"device-count", "2", "1"}, {"gpu[1]", "(present)", "(absent)"}}
	if mm := Compare(f, s); !reflect.DeepEqual(mm, want) {
		t.Errorf("one GPU fewer: %+v, want %+v", mm, want)
	}
	// nvidia-smi lists one GPU more.
	s = clone()
	s.Devices = append(s.Devices, s.Devices[1])
	want = []Mismatch{{"gpu[2]", "(absent)", "(present)"}}
	if mm := Compare(f, s); !reflect.DeepEqual(mm, want) {
		t.Errorf("one GPU more: %+v, want %+v", mm, want)
	}
	if mm := Compare(nil, f); len(mm) != 1 || mm[0].Field != "facts" {
		t.Errorf("nil: %+v", mm)
	}
}
