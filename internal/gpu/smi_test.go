package gpu

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

// smiFacts is what nvidia-smi's XML says of a machine: the NVML facts less
// what the XML does not report (NVML version, compute capability, NVLink,
// what NVML left unsupported).
func smiFacts(m machine) Facts {
	f := m.facts
	f.NVMLVersion = ""
	f.Devices = append([]Device(nil), f.Devices...)
	for i := range f.Devices {
		f.Devices[i].ComputeCapability = ""
		f.Devices[i].Unsupported = nil
	}
	return f
}

func TestFromNvidiaSMIXMLRealReadings(t *testing.T) {
	for _, m := range machines() {
		t.Run(m.dir, func(t *testing.T) {
			got, err := FromNvidiaSMIXML(shared(t, m, "nvidia-smi-q.xml"))
			if err != nil {
				t.Fatal(err)
			}
			if want := smiFacts(m); !reflect.DeepEqual(*got, want) {
				t.Errorf("FromNvidiaSMIXML =\n%+v\nwant\n%+v", *got, want)
			}
			if err := AddNvidiaSMICSV(got, shared(t, m, "nvidia-smi.csv")); err != nil {
				t.Fatal(err)
			}
			if got.Devices[0].ComputeCapability != "9.0" {
				t.Errorf("compute capability from the CSV = %q, want 9.0", got.Devices[0].ComputeCapability)
			}
		})
	}
}

// minimalXML is a small valid nvidia-smi log around one gpu element's body.
func minimalXML(doctype, gpuBody string) []byte {
	return []byte(`<?xml version="1.0" ?>` + "\n" + doctype + `
<nvidia_smi_log>
	<driver_version>580.159.04</driver_version>
	<cuda_version>13.0</cuda_version>
	<attached_gpus>1</attached_gpus>
	<gpu id="00000000:00:06.0">
		<product_name>NVIDIA H100 80GB HBM3</product_name>
		<uuid>GPU-1</uuid>
		<fb_memory_usage><total>81559 MiB</total></fb_memory_usage>
		` + gpuBody + `
	</gpu>
</nvidia_smi_log>
`)
}

func TestFromNvidiaSMIXMLNormalises(t *testing.T) {
	b := minimalXML(`<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v13.dtd">`, `
		<product_architecture>Ada Lovelace</product_architecture>
		<serial>N/A</serial>
		<mig_mode><current_mig>N/A</current_mig><pending_mig>Enabled</pending_mig></mig_mode>
		<power_readings><power_limit>350.5 W</power_limit></power_readings>
		<pci><pci_device_id>0x26B510DE</pci_device_id></pci>`)
	f, err := FromNvidiaSMIXML(b)
	if err != nil {
		t.Fatal(err)
	}
	d := f.Devices[0]
	if d.Architecture != "ada-lovelace" || d.Serial != "" || d.MIGMode != MIGUnsupported || d.MIGPendingMode != MIGEnabled ||
		d.PowerLimitMilliwatts != 350500 || d.PCIDeviceID != 0x26B510DE || d.PCIBusID != "0000:00:06.0" || d.MemoryTotalBytes != 81559<<20 {
		t.Errorf("device = %+v", d)
	}
	// No mig_mode element at all: MIG is unsupported.
	f, err = FromNvidiaSMIXML(minimalXML("", ""))
	if err != nil {
		t.Fatal(err)
	}
	if f.Devices[0].MIGMode != MIGUnsupported {
		t.Errorf("MIG without mig_mode = %q", f.Devices[0].MIGMode)
	}
}

// TestFromNvidiaSMIXMLRefused covers hostile and malformed XML: entity
// bombs, external entities, huge and deep input, wrong shapes.
func TestFromNvidiaSMIXMLRefused(t *testing.T) {
	deep := "<nvidia_smi_log>" + strings.Repeat("<a>", 200000) + strings.Repeat("</a>", 200000) + "</nvidia_smi_log>"
	deepGPU := "<nvidia_smi_log><driver_version>1</driver_version><gpu><product_name>" + strings.Repeat("<a>", 200000) +
		strings.Repeat("</a>", 200000) + "</product_name></gpu></nvidia_smi_log>"
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"billion laughs", local(t, "billion-laughs.xml"), "internal subset"},
		{"external entity", minimalXML(`<!DOCTYPE nvidia_smi_log [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`, "<serial>&xxe;</serial>"), "internal subset"},
		{"undeclared entity", minimalXML(`<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v13.dtd">`, "<serial>&xxe;</serial>"), "entity"},
		{"entity without brackets", []byte(`<!ENTITY x "y"><nvidia_smi_log/>`), "entity declarations"},
		{"huge", append(minimalXML("", ""), bytes.Repeat([]byte(" "), MaxSMIXMLBytes)...), "at most"},
		{"deep", []byte(deep), "no driver_version"}, // skipped without recursion, then refused
		{"deep in a gpu", []byte(deepGPU), "attached_gpus"},
		{"wrong root", []byte(`<nvidia_smi><driver_version>1</driver_version></nvidia_smi>`), "want <nvidia_smi_log>"},
		{"two roots", append(minimalXML("", ""), []byte("<nvidia_smi_log/>")...), "second root"},
		{"text outside", append(minimalXML("", ""), []byte("junk")...), "text outside"},
		{"empty", nil, "no nvidia_smi_log"},
		{"unclosed", []byte("<nvidia_smi_log><driver_version>1"), "unexpected EOF"},
		{"no driver", []byte("<nvidia_smi_log><attached_gpus>0</attached_gpus></nvidia_smi_log>"), "no driver_version"},
		{"bad count", []byte("<nvidia_smi_log><driver_version>1</driver_version><attached_gpus>x</attached_gpus></nvidia_smi_log>"), "attached_gpus"},
		{"bad memory", bytes.Replace(minimalXML("", ""), []byte("81559 MiB"), []byte("lots"), 1), "fb_memory_usage"},
		{"bad bus id", bytes.Replace(minimalXML("", ""), []byte("00000000:00:06.0"), []byte("nowhere"), 1), "PCI bus id"},
		{"bad device id", minimalXML("", "<pci><pci_device_id>zz</pci_device_id></pci>"), "pci_device_id"},
		{"bad power", minimalXML("", "<gpu_power_readings><requested_power_limit>much</requested_power_limit></gpu_power_readings>"), "power limit"},
		{"latin1", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><nvidia_smi_log/>`), "CharsetReader is nil"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := FromNvidiaSMIXML(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("FromNvidiaSMIXML error = %v, want one containing %q", err, c.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestAddNvidiaSMICSV(t *testing.T) {
	base := func() *Facts {
		f, err := FromNvidiaSMIXML(minimalXML("", "<serial>1</serial><vbios_version>96.00</vbios_version>"))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	// The columns scripts/gpu-check.sh asks for, units kept.
	live := "index, uuid, name, serial, driver_version, memory.total [MiB], pci.bus_id, pci.device_id, compute_cap, mig.mode.current, vbios_version\n" +
		"0, GPU-1, NVIDIA H100 80GB HBM3, 1, 580.159.04, 81559 MiB, 00000000:00:06.0, 0x0000, 9.0, [N/A], 96.00\n"
	f := base()
	if err := AddNvidiaSMICSV(f, []byte(live)); err != nil {
		t.Fatal(err)
	}
	if f.Devices[0].ComputeCapability != "9.0" {
		t.Errorf("compute capability = %q", f.Devices[0].ComputeCapability)
	}
	nounits := "index, compute_cap, memory.total [MiB]\n0, 8.9, 81559\n"
	f = base()
	if err := AddNvidiaSMICSV(f, []byte(nounits)); err != nil || f.Devices[0].ComputeCapability != "8.9" {
		t.Errorf("nounits: %v, %q", err, f.Devices[0].ComputeCapability)
	}
	bad := []struct{ name, in, want string }{
		{"name differs", strings.Replace(live, ", NVIDIA H100 80GB HBM3,", ", NVIDIA H200,", 1), "column name"},
		{"memory differs", strings.Replace(live, "81559 MiB", "81000 MiB", 1), "column memory.total"},
		{"driver differs", strings.Replace(live, "580.159.04", "570.1", 1), "column driver_version"},
		{"bus differs", strings.Replace(live, "00000000:00:06.0", "00000000:00:07.0", 1), "column pci.bus_id"},
		{"mig differs", strings.Replace(live, "[N/A]", "Enabled", 1), "column mig.mode.current"},
		{"unknown uuid", strings.Replace(live, "GPU-1", "GPU-2", 1), `uuid "GPU-2" is not in the XML`},
		{"bad index", "index, compute_cap\n3, 9.0\n", `index "3" is not a GPU`},
		{"bad compute_cap", "compute_cap\nnine\n", "not major.minor"},
		{"bad minor", "compute_cap\n9.x\n", "not major.minor"},
		{"no header", "0, 9.0\n", "0 rows for 1 GPUs"},
		{"two rows", "compute_cap\n9.0\n9.0\n", "2 rows for 1 GPUs"},
		{"repeated column", "compute_cap, compute_cap\n9.0, 9.0\n", "repeats"},
		{"ragged", "compute_cap, name\n9.0\n", "wrong number of fields"},
		{"empty", "", "empty"},
		{"huge", strings.Repeat("x", MaxSMICSVBytes+1), "at most"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if err := AddNvidiaSMICSV(base(), []byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("AddNvidiaSMICSV error = %v, want one containing %q", err, c.want)
			}
		})
	}
	if err := AddNvidiaSMICSV(nil, []byte(live)); err == nil {
		t.Error("AddNvidiaSMICSV(nil) succeeded")
	}
}
