// Package gpu records what GPUs a machine really has, read through NVML
// (github.com/NVIDIA/go-nvml), as evidence that an AICR recipe passed on that
// hardware.
//
// The readings come from three places that share one conversion:
//
//   - Open returns a Reader over the live NVML library (cgo builds only; a
//     build without cgo, and a machine without the driver, gives ErrUnavailable);
//   - FromNVMLJSON replays a recorded reading in the nvml.json fixture format
//     (Reading), which is also what a live reader records (RawReader), so a
//     reading taken on a GPU machine replays exactly in a unit test;
//   - FromNvidiaSMIXML parses `nvidia-smi -q -x`, the independent witness that
//     Compare checks the NVML reading against.
//
// Measurement turns Facts into the GPU.hardware subtype of an AICR snapshot
// (no UUID and no serial number: those go into DevicesMeasurement's
// GPU.devices subtype, which only an unredacted bundle carries).
//
// The verifier never imports this package: it is for the emitter, which runs
// on the GPU machine.
package gpu

import (
	"context"
	"errors"
)

// ErrUnavailable is returned, wrapped with the reason, when NVML cannot be
// used on this machine: libnvidia-ml.so.1 cannot be loaded, the NVIDIA kernel
// driver is not loaded, or the program was built without cgo. An emitter with
// --nvml auto skips the GPU reading with one line; with --nvml required it
// fails. Test with errors.Is.
var ErrUnavailable = errors.New("NVML unavailable")

// MIG modes as Device.MIGMode and Device.MIGPendingMode record them.
const (
	MIGEnabled     = "enabled"
	MIGDisabled    = "disabled"
	MIGUnsupported = "unsupported"
)

// Facts is what one machine's NVML says about its driver and GPUs.
type Facts struct {
	// DriverVersion is the NVIDIA driver version, e.g. "580.159.04".
	DriverVersion string `json:"driverVersion"`
	// NVMLVersion is the NVML library version, e.g. "13.580.159.04"
	// (empty from nvidia-smi, whose XML does not report it).
	NVMLVersion string `json:"nvmlVersion,omitempty"`
	// CUDAVersion is the newest CUDA version the driver supports, as
	// "major.minor" ("13.0" for NVML's 13000).
	CUDAVersion string `json:"cudaVersion"`
	// DeviceCount is the number of GPUs NVML (or nvidia-smi) reports.
	DeviceCount int `json:"deviceCount"`
	// Devices lists the GPUs by NVML index.
	Devices []Device `json:"devices"`
}

// Device is one GPU. A reading NVML does not support on the device
// (ERROR_NOT_SUPPORTED) is left empty ("" or 0; MIG modes read
// "unsupported") and named in Unsupported.
type Device struct {
	// Index is the NVML index (nvidia-smi's GPU index).
	Index int `json:"index"`
	// Name is the product name, e.g. "NVIDIA H100 80GB HBM3".
	Name string `json:"name"`
	// UUID is the GPU UUID ("GPU-…"): an identifier of this very board.
	UUID string `json:"uuid"`
	// Serial is the board serial number: an identifier of this very board.
	Serial string `json:"serial"`
	// Brand is the product brand as nvidia-smi names it ("NVIDIA", "Tesla", …).
	Brand string `json:"brand"`
	// Architecture is the lowercase architecture name: "hopper", "blackwell",
	// "ampere", "ada-lovelace", …; "unknown" for NVML's DEVICE_ARCH_UNKNOWN.
	Architecture string `json:"architecture"`
	// ComputeCapability is the CUDA compute capability, e.g. "9.0".
	ComputeCapability string `json:"computeCapability"`
	// MemoryTotalBytes is the total framebuffer memory in bytes.
	MemoryTotalBytes uint64 `json:"memoryTotalBytes"`
	// PCIBusID is the PCI address in the lowercase sysfs form
	// "dddd:bb:dd.f" (domain widened to eight digits only beyond 0xffff).
	PCIBusID string `json:"pciBusId"`
	// PCIDeviceID is the combined device and vendor id, e.g. 0x233010DE.
	PCIDeviceID uint32 `json:"pciDeviceId"`
	// PCISubsystemID is the combined subsystem device and vendor id.
	PCISubsystemID uint32 `json:"pciSubsystemId"`
	// VBIOS is the VBIOS version, e.g. "96.00.DA.00.0C".
	VBIOS string `json:"vbios"`
	// InforomImage is the InfoROM image version, e.g. "G520.0200.00.05".
	InforomImage string `json:"inforomImage"`
	// BoardPartNumber is the board part number, e.g. "695-2G520-0200-000".
	BoardPartNumber string `json:"boardPartNumber"`
	// MIGMode is the current MIG mode: enabled, disabled or unsupported.
	MIGMode string `json:"migMode"`
	// MIGPendingMode is the MIG mode after the next GPU reset.
	MIGPendingMode string `json:"migPendingMode"`
	// PowerLimitMilliwatts is the power management limit in milliwatts.
	PowerLimitMilliwatts uint32 `json:"powerLimitMilliwatts"`
	// NVLinkActive is the number of NVLink links that are up (0 also when the
	// device has no NVLink: then Unsupported names "nvlink").
	NVLinkActive int `json:"nvlinkActive"`
	// Unsupported names, sorted, the readings NVML answered with
	// ERROR_NOT_SUPPORTED (the keys of Reading's errors map, e.g. "nvlink").
	Unsupported []string `json:"unsupported,omitempty"`
}

// Reader reads the GPU facts of the machine it runs on.
type Reader interface {
	Read(ctx context.Context) (*Facts, error)
}

// RawReader is a Reader that can also return the reading as NVML answered it,
// in the nvml.json fixture format. The Reader that Open returns is one.
type RawReader interface {
	Reader
	// ReadRaw reads NVML and returns the reading; ReadRaw followed by
	// Reading.Facts is exactly Read.
	ReadRaw(ctx context.Context) (*Reading, error)
}
