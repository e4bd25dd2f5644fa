package gpu

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/aicr/verify-evidence/internal/fingerprint"
)

// Snapshot names of the GPU measurement's subtypes.
const (
	// MeasurementType is the snapshot measurement type the subtypes belong to.
	MeasurementType = "GPU"
	// HardwareSubtype is Measurement's subtype: what the GPUs are.
	HardwareSubtype = "hardware"
	// DevicesSubtype is DevicesMeasurement's subtype: which boards they are.
	DevicesSubtype = "devices"
)

// Measurement returns the GPU.hardware subtype of a snapshot: what the GPUs
// are, never which boards (no UUID, no serial number, no PCI address). Its
// data:
//
//	model               the product name; distinct names comma-joined in index order
//	count               the device count (int)
//	driver              the driver version
//	cuda-driver         the CUDA version the driver supports, "13.0"
//	memory-bytes        total memory per GPU (int)
//	compute-capability  "9.0"
//	architecture        "hopper"
//	mig-mode            enabled, disabled or unsupported
//	nvlink-active       active NVLink links per GPU (int; 0 without NVLink)
//
// A per-GPU value that differs between GPUs is written as its distinct values
// comma-joined in index order (a string); with no GPU only count, driver and
// cuda-driver are written. model is what the fingerprint reads
// (fingerprint.ParseGPUSKU: "NVIDIA H100 80GB HBM3" is h100; several models are
// no single SKU).
func Measurement(f *Facts) fingerprint.Subtype {
	st := fingerprint.Subtype{Subtype: HardwareSubtype, Data: map[string]any{}}
	if f == nil {
		return st
	}
	st.Data["count"] = f.DeviceCount
	st.Data["driver"] = f.DriverVersion
	st.Data["cuda-driver"] = f.CUDAVersion
	if len(f.Devices) == 0 {
		return st
	}
	pick := func(v func(*Device) string) []string {
		var out []string
		seen := map[string]bool{}
		for i := range f.Devices {
			s := v(&f.Devices[i])
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		return out
	}
	join := func(v func(*Device) string) string { return strings.Join(pick(v), ",") }
	number := func(v func(*Device) uint64) any {
		vals := pick(func(d *Device) string { return strconv.FormatUint(v(d), 10) })
		if len(vals) > 1 {
			return strings.Join(vals, ",")
		}
		n := v(&f.Devices[0])
		if n <= math.MaxInt {
			return int(n) // the type ParseSnapshot gives the integer back
		}
		return n
	}
	st.Data["model"] = join(func(d *Device) string { return d.Name })
	st.Data["memory-bytes"] = number(func(d *Device) uint64 { return d.MemoryTotalBytes })
	st.Data["compute-capability"] = join(func(d *Device) string { return d.ComputeCapability })
	st.Data["architecture"] = join(func(d *Device) string { return d.Architecture })
	st.Data["mig-mode"] = join(func(d *Device) string { return d.MIGMode })
	st.Data["nvlink-active"] = number(func(d *Device) uint64 { return uint64(max(d.NVLinkActive, 0)) })
	return st
}

// DevicesMeasurement returns the GPU.devices subtype: which boards the GPUs
// are. It identifies the hardware itself, so only an unredacted snapshot
// carries it (a redacting emitter leaves it out). For each GPU N (its NVML
// index) the data holds gpuN-uuid, gpuN-serial, gpuN-pci-bus-id, gpuN-name,
// gpuN-vbios and gpuN-board-part-number (strings; "" where NVML does not
// support the reading).
func DevicesMeasurement(f *Facts) fingerprint.Subtype {
	st := fingerprint.Subtype{Subtype: DevicesSubtype, Data: map[string]any{}}
	if f == nil {
		return st
	}
	for _, d := range f.Devices {
		p := fmt.Sprintf("gpu%d-", d.Index)
		st.Data[p+"uuid"] = d.UUID
		st.Data[p+"serial"] = d.Serial
		st.Data[p+"pci-bus-id"] = d.PCIBusID
		st.Data[p+"name"] = d.Name
		st.Data[p+"vbios"] = d.VBIOS
		st.Data[p+"board-part-number"] = d.BoardPartNumber
	}
	return st
}
