//go:build cgo

package gpu

import (
	"context"
	"fmt"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// nvmlLib is the part of go-nvml's nvml.Interface the reader uses; the real
// library (nvml.New) and go-nvml's moq mock (pkg/nvml/mock.Interface) both
// satisfy it.
type nvmlLib interface {
	Init() nvml.Return
	Shutdown() nvml.Return
	SystemGetDriverVersion() (string, nvml.Return)
	SystemGetNVMLVersion() (string, nvml.Return)
	SystemGetCudaDriverVersion() (int, nvml.Return)
	DeviceGetCount() (int, nvml.Return)
	DeviceGetHandleByIndex(int) (nvml.Device, nvml.Return)
}

// nvmlDevice is the part of nvml.Device the reader uses.
type nvmlDevice interface {
	GetName() (string, nvml.Return)
	GetUUID() (string, nvml.Return)
	GetSerial() (string, nvml.Return)
	GetBrand() (nvml.BrandType, nvml.Return)
	GetArchitecture() (nvml.DeviceArchitecture, nvml.Return)
	GetCudaComputeCapability() (int, int, nvml.Return)
	GetMemoryInfo() (nvml.Memory, nvml.Return)
	GetPciInfo() (nvml.PciInfo, nvml.Return)
	GetVbiosVersion() (string, nvml.Return)
	GetInforomImageVersion() (string, nvml.Return)
	GetMigMode() (int, int, nvml.Return)
	GetPowerManagementLimit() (uint32, nvml.Return)
	GetBoardPartNumber() (string, nvml.Return)
	GetNvLinkState(int) (nvml.EnableState, nvml.Return)
}

// Open loads NVML (dlopen of libnvidia-ml.so.1 through go-nvml) and
// initialises it. When the library cannot be loaded or the driver is not
// loaded, the error wraps ErrUnavailable with NVML's message; any other
// failure of nvmlInit is a plain error. The returned func shuts NVML down; it
// may be called more than once (and is a no-op after an error).
func Open() (Reader, func(), error) {
	return open(nvml.New())
}

// open initialises lib and returns a reader over it.
func open(lib nvmlLib) (Reader, func(), error) {
	if ret := lib.Init(); ret != nvml.SUCCESS {
		err := callError("nvmlInit", ret)
		if ret == nvml.ERROR_LIBRARY_NOT_FOUND || ret == nvml.ERROR_DRIVER_NOT_LOADED {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return nil, func() {}, err
	}
	var once sync.Once
	return &nvmlReader{lib: lib}, func() { once.Do(func() { _ = lib.Shutdown() }) }, nil
}

// nvmlReader reads an initialised NVML.
type nvmlReader struct {
	lib nvmlLib
}

// Read reads every GPU: ReadRaw, then Reading.Facts.
func (r *nvmlReader) Read(ctx context.Context) (*Facts, error) {
	rd, err := r.ReadRaw(ctx)
	if err != nil {
		return nil, err
	}
	return rd.Facts()
}

// ReadRaw reads the driver, then every device by index. A device reading
// that NVML answers with ERROR_NOT_SUPPORTED is recorded in the GPU's errors
// map ("Not Supported") and left empty; any other failure is an error naming
// the NVML call and the device. The context is checked before each device.
func (r *nvmlReader) ReadRaw(ctx context.Context) (*Reading, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rd Reading
	var ret nvml.Return
	if rd.DriverVersion, ret = r.lib.SystemGetDriverVersion(); ret != nvml.SUCCESS {
		return nil, callError("nvmlSystemGetDriverVersion", ret)
	}
	if rd.NVMLVersion, ret = r.lib.SystemGetNVMLVersion(); ret != nvml.SUCCESS {
		return nil, callError("nvmlSystemGetNVMLVersion", ret)
	}
	if rd.CUDADriverVersion, ret = r.lib.SystemGetCudaDriverVersion(); ret != nvml.SUCCESS {
		return nil, callError("nvmlSystemGetCudaDriverVersion", ret)
	}
	if rd.DeviceCount, ret = r.lib.DeviceGetCount(); ret != nvml.SUCCESS {
		return nil, callError("nvmlDeviceGetCount", ret)
	}
	if rd.DeviceCount < 0 || rd.DeviceCount > MaxDevices {
		return nil, fmt.Errorf("nvmlDeviceGetCount: %d devices, want 0…%d", rd.DeviceCount, MaxDevices)
	}
	rd.GPUs = make([]ReadingGPU, 0, rd.DeviceCount)
	for i := range rd.DeviceCount {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dev, ret := r.lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			return nil, fmt.Errorf("gpu %d: %w", i, callError("nvmlDeviceGetHandleByIndex", ret))
		}
		g, err := readDevice(i, dev)
		if err != nil {
			return nil, fmt.Errorf("gpu %d: %w", i, err)
		}
		rd.GPUs = append(rd.GPUs, g)
	}
	return &rd, nil
}

// readDevice reads one device.
func readDevice(i int, dev nvmlDevice) (ReadingGPU, error) {
	g := ReadingGPU{Index: i}
	var firstErr error
	// need: the call must succeed.
	need := func(call string, ret nvml.Return) bool {
		if ret != nvml.SUCCESS && firstErr == nil {
			firstErr = callError(call, ret)
		}
		return ret == nvml.SUCCESS
	}
	// may: the call may be unsupported on this device; ok reports success.
	may := func(key, call string, ret nvml.Return) bool {
		switch ret {
		case nvml.SUCCESS:
			return true
		case nvml.ERROR_NOT_SUPPORTED:
			if g.Errors == nil {
				g.Errors = map[string]string{}
			}
			g.Errors[key] = notSupported
		default:
			if firstErr == nil {
				firstErr = callError(call, ret)
			}
		}
		return false
	}
	var ret nvml.Return
	g.Name, ret = dev.GetName()
	need("nvmlDeviceGetName", ret)
	g.UUID, ret = dev.GetUUID()
	need("nvmlDeviceGetUUID", ret)
	if s, ret := dev.GetSerial(); may(keySerial, "nvmlDeviceGetSerial", ret) {
		g.Serial = s
	}
	if b, ret := dev.GetBrand(); may(keyBrand, "nvmlDeviceGetBrand", ret) {
		g.Brand = int(b)
	}
	if a, ret := dev.GetArchitecture(); may(keyArchitecture, "nvmlDeviceGetArchitecture", ret) {
		g.Architecture = uint32(a)
	}
	if major, minor, ret := dev.GetCudaComputeCapability(); may(keyComputeCapability, "nvmlDeviceGetCudaComputeCapability", ret) {
		g.CCMajor, g.CCMinor = major, minor
	}
	if m, ret := dev.GetMemoryInfo(); need("nvmlDeviceGetMemoryInfo", ret) {
		g.MemoryTotalBytes = m.Total
	}
	if p, ret := dev.GetPciInfo(); need("nvmlDeviceGetPciInfo", ret) {
		bus, err := pciBusID(p)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("nvmlDeviceGetPciInfo: %w", err)
		}
		g.PCIBusID, g.PCIDeviceID, g.PCISubsystemID = bus, p.PciDeviceId, p.PciSubSystemId
	}
	if s, ret := dev.GetVbiosVersion(); may(keyVBIOS, "nvmlDeviceGetVbiosVersion", ret) {
		g.VBIOS = s
	}
	if s, ret := dev.GetInforomImageVersion(); may(keyInforomImage, "nvmlDeviceGetInforomImageVersion", ret) {
		g.InforomImage = s
	}
	if cur, pend, ret := dev.GetMigMode(); may(keyMIG, "nvmlDeviceGetMigMode", ret) {
		g.MIGCurrent, g.MIGPending = cur, pend
	}
	if w, ret := dev.GetPowerManagementLimit(); may(keyPowerLimit, "nvmlDeviceGetPowerManagementLimit", ret) {
		g.PowerLimitMilliwatts = w
	}
	if s, ret := dev.GetBoardPartNumber(); may(keyBoardPartNumber, "nvmlDeviceGetBoardPartNumber", ret) {
		g.BoardPartNumber = s
	}
	if firstErr != nil {
		return ReadingGPU{}, firstErr
	}
	active, supported, err := nvlinkActive(dev)
	if err != nil {
		return ReadingGPU{}, err
	}
	if !supported {
		may(keyNVLink, "nvmlDeviceGetNvLinkState", nvml.ERROR_NOT_SUPPORTED)
	}
	g.NVLinkActive = active
	return g, nil
}

// nvlinkActive counts the NVLink links that are up. Every link up to
// NVLINK_MAX_LINKS is asked; a link that answers ERROR_NOT_SUPPORTED,
// ERROR_INVALID_ARGUMENT or ERROR_NOT_FOUND does not exist on the device (a
// Hopper part has 18 of the 36). supported is false when no link answered
// (PCIe parts, and GPUs passed through to a VM without their NVLink).
func nvlinkActive(dev nvmlDevice) (active int, supported bool, err error) {
	for l := range nvml.NVLINK_MAX_LINKS {
		state, ret := dev.GetNvLinkState(l)
		switch ret {
		case nvml.SUCCESS:
			supported = true
			if state == nvml.FEATURE_ENABLED {
				active++
			}
		case nvml.ERROR_NOT_SUPPORTED, nvml.ERROR_INVALID_ARGUMENT, nvml.ERROR_NOT_FOUND:
		default:
			return 0, false, callError(fmt.Sprintf("nvmlDeviceGetNvLinkState(link %d)", l), ret)
		}
	}
	return active, supported, nil
}

// pciBusID returns the canonical bus id of NVML's PCI information: its BusId
// ("00000000:00:06.0"), else its BusIdLegacy, else one built from the domain,
// bus and device numbers.
func pciBusID(p nvml.PciInfo) (string, error) {
	if s := cString(p.BusId[:]); s != "" {
		return CanonicalPCIBusID(s)
	}
	if s := cString(p.BusIdLegacy[:]); s != "" {
		return CanonicalPCIBusID(s)
	}
	return CanonicalPCIBusID(fmt.Sprintf("%08x:%02x:%02x.0", p.Domain, p.Bus, p.Device))
}

// cString converts a NUL-terminated C char array.
func cString(b []int8) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}

// callError names a failed NVML call with NVML's message and return code.
func callError(call string, ret nvml.Return) error {
	return fmt.Errorf("%s: %s (NVML return %d)", call, ret.Error(), int32(ret))
}
