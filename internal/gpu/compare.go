package gpu

import (
	"fmt"
	"strconv"
	"strings"
)

// Mismatch is one field on which NVML and nvidia-smi disagree. Field names the
// field ("driver-version", "gpu[0].memory-mib", …); NVML and SMI are the two
// values as compared, "(absent)" for a GPU one side does not list.
type Mismatch struct {
	Field string `json:"field"`
	NVML  string `json:"nvml"`
	SMI   string `json:"nvidiaSmi"`
}

// Comparison is one compared field, equal or not. Skipped is true when the
// nvidia-smi side does not report the field (Note says why), which is then
// not compared and not a mismatch.
type Comparison struct {
	Field   string `json:"field"`
	NVML    string `json:"nvml"`
	SMI     string `json:"nvidiaSmi"`
	Equal   bool   `json:"equal"`
	Skipped bool   `json:"skipped,omitempty"`
	Note    string `json:"note,omitempty"`
}

// Compare returns every field on which the NVML facts and nvidia-smi's
// (FromNvidiaSMIXML, optionally with AddNvidiaSMICSV) disagree, in the order
// of Comparisons; none means they agree.
func Compare(nvml, smi *Facts) []Mismatch {
	var out []Mismatch
	for _, c := range Comparisons(nvml, smi) {
		if !c.Equal && !c.Skipped {
			out = append(out, Mismatch{Field: c.Field, NVML: c.NVML, SMI: c.SMI})
		}
	}
	return out
}

// absent stands for a GPU that one side does not list.
const absent = "(absent)"

// Comparisons compares NVML's facts with nvidia-smi's field by field: driver
// version, CUDA version, device count, then for each GPU, paired by index:
// name, UUID, serial, brand (ignoring case), architecture, compute
// capability, memory, PCI bus id, PCI device and subsystem ids, VBIOS,
// InfoROM image, board part number, current and pending MIG mode and power
// limit.
//
// Both sides are in Facts' normalised form already (see Reading.Facts and
// FromNvidiaSMIXML), so most fields compare as equal strings. Two differ in
// granularity: memory is compared in whole MiB (nvidia-smi reports MiB; NVML's
// bytes are rounded down), and the power limit in hundredths of a watt
// (nvidia-smi prints two decimals). The compute capability is skipped when
// nvidia-smi's side lacks it (`nvidia-smi -q -x` does not report it; add the
// CSV). The NVML version is never compared: nvidia-smi's XML does not report
// it.
func Comparisons(nvml, smi *Facts) []Comparison {
	if nvml == nil || smi == nil {
		return []Comparison{{Field: "facts", NVML: present(nvml != nil), SMI: present(smi != nil)}}
	}
	var out []Comparison
	add := func(field, n, s string, equal bool, note string) {
		out = append(out, Comparison{Field: field, NVML: n, SMI: s, Equal: equal, Note: note})
	}
	text := func(field, n, s string) { add(field, n, s, n == s, "") }
	text("driver-version", nvml.DriverVersion, smi.DriverVersion)
	text("cuda-version", nvml.CUDAVersion, smi.CUDAVersion)
	text("device-count", strconv.Itoa(nvml.DeviceCount), strconv.Itoa(smi.DeviceCount))
	n := max(len(nvml.Devices), len(smi.Devices))
	for i := range n {
		p := fmt.Sprintf("gpu[%d].", i)
		if i >= len(nvml.Devices) || i >= len(smi.Devices) {
			add(p[:len(p)-1], present(i < len(nvml.Devices)), present(i < len(smi.Devices)), false, "")
			continue
		}
		a, b := &nvml.Devices[i], &smi.Devices[i]
		text(p+"name", a.Name, b.Name)
		text(p+"uuid", a.UUID, b.UUID)
		text(p+"serial", a.Serial, b.Serial)
		add(p+"brand", a.Brand, b.Brand, strings.EqualFold(a.Brand, b.Brand), "")
		text(p+"architecture", a.Architecture, b.Architecture)
		if b.ComputeCapability == "" {
			out = append(out, Comparison{Field: p + "compute-capability", NVML: a.ComputeCapability, SMI: "",
				Equal: false, Skipped: true, Note: "nvidia-smi -q -x does not report it; add --query-gpu=compute_cap CSV"})
		} else {
			text(p+"compute-capability", a.ComputeCapability, b.ComputeCapability)
		}
		am, bm := a.MemoryTotalBytes>>20, b.MemoryTotalBytes>>20
		add(p+"memory-mib", fmt.Sprintf("%d MiB (%d bytes)", am, a.MemoryTotalBytes), fmt.Sprintf("%d MiB", bm),
			am == bm, "compared in whole MiB: nvidia-smi reports MiB, NVML bytes")
		text(p+"pci-bus-id", a.PCIBusID, b.PCIBusID)
		text(p+"pci-device-id", hex32(a.PCIDeviceID), hex32(b.PCIDeviceID))
		text(p+"pci-subsystem-id", hex32(a.PCISubsystemID), hex32(b.PCISubsystemID))
		text(p+"vbios", a.VBIOS, b.VBIOS)
		text(p+"inforom-image", a.InforomImage, b.InforomImage)
		text(p+"board-part-number", a.BoardPartNumber, b.BoardPartNumber)
		text(p+"mig-mode", a.MIGMode, b.MIGMode)
		text(p+"mig-pending-mode", a.MIGPendingMode, b.MIGPendingMode)
		aw, bw := (a.PowerLimitMilliwatts+5)/10, (b.PowerLimitMilliwatts+5)/10
		add(p+"power-limit", watts(aw), watts(bw), aw == bw,
			"compared in hundredths of a watt: nvidia-smi prints two decimals")
	}
	return out
}

// present says whether a side has a value.
func present(ok bool) string {
	if ok {
		return "(present)"
	}
	return absent
}

// hex32 writes a PCI id the way nvidia-smi's CSV does.
func hex32(v uint32) string { return fmt.Sprintf("0x%08X", v) }

// watts writes hundredths of a watt as "700.00 W".
func watts(cw uint32) string { return fmt.Sprintf("%d.%02d W", cw/100, cw%100) }
