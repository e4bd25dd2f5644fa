package gpu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// MaxNVMLJSONBytes is the largest nvml.json ParseNVMLJSON accepts.
const MaxNVMLJSONBytes = 1 << 20

// MaxDevices is the most GPUs a reading may hold.
const MaxDevices = 1024

// notSupported is how a reading records ERROR_NOT_SUPPORTED: the text the
// real library's nvmlErrorString gives it. go-nvml's own fallback text,
// "ERROR_NOT_SUPPORTED", is accepted too when parsing.
const notSupported = "Not Supported"

// Keys of ReadingGPU.Errors: the readings that NVML may answer with
// ERROR_NOT_SUPPORTED. Name, UUID, memory and PCI information are always
// required.
const (
	keySerial            = "serial"
	keyBrand             = "brand"
	keyArchitecture      = "architecture"
	keyComputeCapability = "computeCapability"
	keyVBIOS             = "vbios"
	keyInforomImage      = "inforomImage"
	keyMIG               = "mig"
	keyPowerLimit        = "powerLimit"
	keyBoardPartNumber   = "boardPartNumber"
	keyNVLink            = "nvlink"
)

// Reading is one NVML reading exactly as go-nvml returned it, in the nvml.json
// fixture format (the files under shared/testdata/hardware/*/nvml.json). A
// live reader produces it (RawReader.ReadRaw), JSON writes it, ParseNVMLJSON
// reads it back, and Facts converts it, so a recorded reading replays through
// the same conversion as a live one.
type Reading struct {
	// DriverVersion is nvmlSystemGetDriverVersion.
	DriverVersion string `json:"driverVersion"`
	// NVMLVersion is nvmlSystemGetNVMLVersion.
	NVMLVersion string `json:"nvmlVersion"`
	// CUDADriverVersion is nvmlSystemGetCudaDriverVersion: 1000*major + 10*minor.
	CUDADriverVersion int `json:"cudaDriverVersion"`
	// DeviceCount is nvmlDeviceGetCount.
	DeviceCount int `json:"deviceCount"`
	// GPUs holds one entry per device, by index.
	GPUs []ReadingGPU `json:"gpus"`
}

// ReadingGPU is one device of a Reading. Numbers are NVML's raw values (brand
// is an nvmlBrandType_t, architecture an nvmlDeviceArchitecture_t, the MIG
// modes NVML_DEVICE_MIG_DISABLE (0) or NVML_DEVICE_MIG_ENABLE (1)).
type ReadingGPU struct {
	Index                int    `json:"index"`
	Name                 string `json:"name"`
	UUID                 string `json:"uuid"`
	Serial               string `json:"serial"`
	Brand                int    `json:"brand"`
	Architecture         uint32 `json:"architecture"`
	CCMajor              int    `json:"ccMajor"`
	CCMinor              int    `json:"ccMinor"`
	MemoryTotalBytes     uint64 `json:"memoryTotalBytes"`
	PCIBusID             string `json:"pciBusId"`
	PCIDeviceID          uint32 `json:"pciDeviceId"`
	PCISubsystemID       uint32 `json:"pciSubsystemId"`
	VBIOS                string `json:"vbios"`
	InforomImage         string `json:"inforomImage"`
	MIGCurrent           int    `json:"migCurrent"`
	MIGPending           int    `json:"migPending"`
	PowerLimitMilliwatts uint32 `json:"powerLimitMilliwatts"`
	BoardPartNumber      string `json:"boardPartNumber"`
	NVLinkActive         int    `json:"nvlinkActive"`
	// Errors maps a reading (serial, brand, architecture, computeCapability,
	// vbios, inforomImage, mig, powerLimit, boardPartNumber, nvlink) to the
	// NVML error text it returned; only "Not Supported" is ever recorded.
	Errors map[string]string `json:"errors,omitempty"`
}

// ParseNVMLJSON decodes a reading in the nvml.json fixture format. The input
// must be at most MaxNVMLJSONBytes and hold exactly one JSON object with no
// field the format does not have.
func ParseNVMLJSON(b []byte) (*Reading, error) {
	if len(b) > MaxNVMLJSONBytes {
		return nil, fmt.Errorf("nvml.json: %d bytes, at most %d are accepted", len(b), MaxNVMLJSONBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Reading
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("nvml.json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("nvml.json: data after the reading")
	}
	return &r, nil
}

// FromNVMLJSON replays a recorded reading: ParseNVMLJSON, then Reading.Facts.
func FromNVMLJSON(b []byte) (*Facts, error) {
	r, err := ParseNVMLJSON(b)
	if err != nil {
		return nil, err
	}
	return r.Facts()
}

// JSON encodes the reading in the nvml.json fixture format (two-space indent,
// a final newline), the exact bytes of the recorded fixtures.
func (r *Reading) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Facts converts the reading: CUDA 13000 becomes "13.0", compute capability
// 9/0 "9.0", architecture 9 "hopper", brand 14 "NVIDIA", MIG 0 "disabled",
// the PCI bus id its canonical lowercase form. It checks that the reading is
// whole: a driver version, deviceCount equal to the number of GPUs (at most
// MaxDevices), each GPU's index equal to its position, a name, a UUID, a
// memory size and a valid PCI bus id, and no recorded error but
// "Not Supported" (which leaves that reading empty and is listed in
// Device.Unsupported).
func (r *Reading) Facts() (*Facts, error) {
	if r == nil {
		return nil, errors.New("nvml reading: nil")
	}
	if strings.TrimSpace(r.DriverVersion) == "" {
		return nil, errors.New("nvml reading: no driver version")
	}
	if r.DeviceCount < 0 || r.DeviceCount > MaxDevices {
		return nil, fmt.Errorf("nvml reading: device count %d is outside 0…%d", r.DeviceCount, MaxDevices)
	}
	if r.DeviceCount != len(r.GPUs) {
		return nil, fmt.Errorf("nvml reading: device count %d but %d GPUs", r.DeviceCount, len(r.GPUs))
	}
	if r.CUDADriverVersion < 0 {
		return nil, fmt.Errorf("nvml reading: negative CUDA driver version %d", r.CUDADriverVersion)
	}
	f := &Facts{
		DriverVersion: r.DriverVersion,
		NVMLVersion:   r.NVMLVersion,
		CUDAVersion:   cudaVersion(r.CUDADriverVersion),
		DeviceCount:   r.DeviceCount,
		Devices:       make([]Device, 0, len(r.GPUs)),
	}
	for i := range r.GPUs {
		d, err := r.GPUs[i].device(i)
		if err != nil {
			return nil, fmt.Errorf("nvml reading: gpus[%d]: %w", i, err)
		}
		f.Devices = append(f.Devices, d)
	}
	return f, nil
}

// device converts one GPU of a reading at position i.
func (g *ReadingGPU) device(i int) (Device, error) {
	if g.Index != i {
		return Device{}, fmt.Errorf("index %d at position %d", g.Index, i)
	}
	if strings.TrimSpace(g.Name) == "" {
		return Device{}, errors.New("no name")
	}
	if strings.TrimSpace(g.UUID) == "" {
		return Device{}, errors.New("no uuid")
	}
	if g.MemoryTotalBytes == 0 {
		return Device{}, errors.New("no memory size")
	}
	bus, err := CanonicalPCIBusID(g.PCIBusID)
	if err != nil {
		return Device{}, err
	}
	unsupported := make(map[string]bool, len(g.Errors))
	for k, v := range g.Errors {
		if !isNotSupported(v) {
			return Device{}, fmt.Errorf("NVML error %q recorded for %s", v, k)
		}
		unsupported[k] = true
	}
	d := Device{
		Index:                g.Index,
		Name:                 g.Name,
		UUID:                 g.UUID,
		Serial:               g.Serial,
		Brand:                BrandName(g.Brand),
		Architecture:         ArchitectureName(g.Architecture),
		ComputeCapability:    fmt.Sprintf("%d.%d", g.CCMajor, g.CCMinor),
		MemoryTotalBytes:     g.MemoryTotalBytes,
		PCIBusID:             bus,
		PCIDeviceID:          g.PCIDeviceID,
		PCISubsystemID:       g.PCISubsystemID,
		VBIOS:                g.VBIOS,
		InforomImage:         g.InforomImage,
		BoardPartNumber:      g.BoardPartNumber,
		MIGMode:              migName(g.MIGCurrent),
		MIGPendingMode:       migName(g.MIGPending),
		PowerLimitMilliwatts: g.PowerLimitMilliwatts,
		NVLinkActive:         g.NVLinkActive,
	}
	// A reading NVML does not support is empty, whatever number the JSON holds.
	for k := range unsupported {
		switch k {
		case keySerial:
			d.Serial = ""
		case keyBrand:
			d.Brand = ""
		case keyArchitecture:
			d.Architecture = ""
		case keyComputeCapability:
			d.ComputeCapability = ""
		case keyVBIOS:
			d.VBIOS = ""
		case keyInforomImage:
			d.InforomImage = ""
		case keyMIG:
			d.MIGMode, d.MIGPendingMode = MIGUnsupported, MIGUnsupported
		case keyPowerLimit:
			d.PowerLimitMilliwatts = 0
		case keyBoardPartNumber:
			d.BoardPartNumber = ""
		case keyNVLink:
			d.NVLinkActive = 0
		}
		d.Unsupported = append(d.Unsupported, k)
	}
	sort.Strings(d.Unsupported)
	if d.NVLinkActive < 0 {
		return Device{}, fmt.Errorf("negative nvlinkActive %d", d.NVLinkActive)
	}
	return d, nil
}

// isNotSupported reports whether an NVML error text is ERROR_NOT_SUPPORTED, in
// the real library's words or go-nvml's fallback.
func isNotSupported(s string) bool {
	return s == notSupported || s == "ERROR_NOT_SUPPORTED"
}

// cudaVersion formats NVML's CUDA driver version (1000*major + 10*minor) as
// "major.minor", the form nvidia-smi prints; 0 gives "".
func cudaVersion(v int) string {
	if v <= 0 {
		return ""
	}
	return fmt.Sprintf("%d.%d", v/1000, v%1000/10)
}

// migName names an NVML MIG mode.
func migName(m int) string {
	switch m {
	case 0:
		return MIGDisabled
	case 1:
		return MIGEnabled
	}
	return "mig-mode-" + strconv.Itoa(m)
}

// ArchitectureName names an nvmlDeviceArchitecture_t in lowercase, the way
// nvidia-smi's product_architecture reads once lowercased with its spaces
// turned into '-' ("Ada Lovelace" → "ada-lovelace"). An unlisted value is
// "architecture-N".
func ArchitectureName(a uint32) string {
	switch a {
	case 2:
		return "kepler"
	case 3:
		return "maxwell"
	case 4:
		return "pascal"
	case 5:
		return "volta"
	case 6:
		return "turing"
	case 7:
		return "ampere"
	case 8:
		return "ada-lovelace"
	case 9:
		return "hopper"
	case 10:
		return "blackwell"
	case 13:
		return "rubin"
	case 0xffffffff:
		return "unknown"
	}
	return "architecture-" + strconv.FormatUint(uint64(a), 10)
}

// BrandName names an nvmlBrandType_t the way nvidia-smi's product_brand
// prints it. An unlisted value is "brand-N".
func BrandName(b int) string {
	names := [...]string{
		0:  "Unknown",
		1:  "Quadro",
		2:  "Tesla",
		3:  "NVS",
		4:  "Grid",
		5:  "GeForce",
		6:  "Titan",
		7:  "NVIDIA Virtual Applications",
		8:  "NVIDIA Virtual PC",
		9:  "NVIDIA Virtual Compute Server",
		10: "NVIDIA RTX Virtual Workstation",
		11: "NVIDIA Cloud Gaming",
		12: "Quadro RTX",
		13: "NVIDIA RTX",
		14: "NVIDIA",
		15: "GeForce RTX",
		16: "Titan RTX",
	}
	if b >= 0 && b < len(names) {
		return names[b]
	}
	return "brand-" + strconv.Itoa(b)
}

// CanonicalPCIBusID parses a PCI address as NVML or nvidia-smi writes it
// ("00000000:00:06.0" or the legacy "0000:00:06.0", any case) and returns the
// lowercase sysfs form "0000:00:06.0"; a domain above 0xffff keeps eight
// digits.
func CanonicalPCIBusID(s string) (string, error) {
	bad := func() (string, error) { return "", fmt.Errorf("PCI bus id %q is not domain:bus:device.function", s) }
	dom, rest, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(dom) == 0 || len(dom) > 8 {
		return bad()
	}
	bus, rest, ok := strings.Cut(rest, ":")
	if !ok || len(bus) != 2 {
		return bad()
	}
	dev, fn, ok := strings.Cut(rest, ".")
	if !ok || len(dev) != 2 || len(fn) != 1 {
		return bad()
	}
	var v [4]uint64
	for i, part := range []string{dom, bus, dev, fn} {
		n, err := strconv.ParseUint(part, 16, 32)
		if err != nil {
			return bad()
		}
		v[i] = n
	}
	if v[2] > 0x1f || v[3] > 7 {
		return bad()
	}
	if v[0] > 0xffff {
		return fmt.Sprintf("%08x:%02x:%02x.%x", v[0], v[1], v[2], v[3]), nil
	}
	return fmt.Sprintf("%04x:%02x:%02x.%x", v[0], v[1], v[2], v[3]), nil
}
