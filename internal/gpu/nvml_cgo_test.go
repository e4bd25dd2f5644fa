//go:build cgo

package gpu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
)

// hopperLinks is the number of NVLink links of a Hopper GPU; the mock answers
// ERROR_INVALID_ARGUMENT beyond it, as NVML does.
const hopperLinks = 18

// mockLib returns go-nvml's generated mock of nvml.Interface answering with a
// recorded reading: every call the reader makes returns the reading's value,
// or ERROR_NOT_SUPPORTED for the readings its errors map names. A method the
// reader should not call panics (moq's default).
func mockLib(rd *Reading) *mock.Interface {
	devs := make([]nvml.Device, len(rd.GPUs))
	for i := range rd.GPUs {
		devs[i] = mockDevice(&rd.GPUs[i])
	}
	return &mock.Interface{
		InitFunc:                   func() nvml.Return { return nvml.SUCCESS },
		ShutdownFunc:               func() nvml.Return { return nvml.SUCCESS },
		SystemGetDriverVersionFunc: func() (string, nvml.Return) { return rd.DriverVersion, nvml.SUCCESS },
		SystemGetNVMLVersionFunc:   func() (string, nvml.Return) { return rd.NVMLVersion, nvml.SUCCESS },
		SystemGetCudaDriverVersionFunc: func() (int, nvml.Return) {
			return rd.CUDADriverVersion, nvml.SUCCESS
		},
		DeviceGetCountFunc: func() (int, nvml.Return) { return len(devs), nvml.SUCCESS },
		DeviceGetHandleByIndexFunc: func(i int) (nvml.Device, nvml.Return) {
			if i < 0 || i >= len(devs) {
				return nil, nvml.ERROR_INVALID_ARGUMENT
			}
			return devs[i], nvml.SUCCESS
		},
	}
}

// mockDevice answers one recorded GPU the way the NVML library does,
// including a realistic PciInfo (upper-case 8-digit-domain BusId, 4-digit
// BusIdLegacy).
func mockDevice(g *ReadingGPU) *mock.Device {
	ret := func(key string) nvml.Return {
		if _, ok := g.Errors[key]; ok {
			return nvml.ERROR_NOT_SUPPORTED
		}
		return nvml.SUCCESS
	}
	str := func(key, v string) (string, nvml.Return) {
		if r := ret(key); r != nvml.SUCCESS {
			return "", r
		}
		return v, nvml.SUCCESS
	}
	var pci nvml.PciInfo
	var dom, bus, dev, fn uint32
	if _, err := fmt.Sscanf(g.PCIBusID, "%x:%x:%x.%x", &dom, &bus, &dev, &fn); err != nil {
		panic(err)
	}
	pci.Domain, pci.Bus, pci.Device = dom, bus, dev
	pci.PciDeviceId, pci.PciSubSystemId = g.PCIDeviceID, g.PCISubsystemID
	putC(pci.BusId[:], fmt.Sprintf("%08X:%02X:%02X.%X", dom, bus, dev, fn))
	putC(pci.BusIdLegacy[:], fmt.Sprintf("%04X:%02X:%02X.%X", dom, bus, dev, fn))
	return &mock.Device{
		GetNameFunc:   func() (string, nvml.Return) { return g.Name, nvml.SUCCESS },
		GetUUIDFunc:   func() (string, nvml.Return) { return g.UUID, nvml.SUCCESS },
		GetSerialFunc: func() (string, nvml.Return) { return str(keySerial, g.Serial) },
		GetBrandFunc: func() (nvml.BrandType, nvml.Return) {
			if r := ret(keyBrand); r != nvml.SUCCESS {
				return 0, r
			}
			return nvml.BrandType(g.Brand), nvml.SUCCESS
		},
		GetArchitectureFunc: func() (nvml.DeviceArchitecture, nvml.Return) {
			if r := ret(keyArchitecture); r != nvml.SUCCESS {
				return 0, r
			}
			return nvml.DeviceArchitecture(g.Architecture), nvml.SUCCESS
		},
		GetCudaComputeCapabilityFunc: func() (int, int, nvml.Return) {
			if r := ret(keyComputeCapability); r != nvml.SUCCESS {
				return 0, 0, r
			}
			return g.CCMajor, g.CCMinor, nvml.SUCCESS
		},
		GetMemoryInfoFunc: func() (nvml.Memory, nvml.Return) {
			return nvml.Memory{Total: g.MemoryTotalBytes, Free: g.MemoryTotalBytes / 2, Used: g.MemoryTotalBytes / 2}, nvml.SUCCESS
		},
		GetPciInfoFunc:             func() (nvml.PciInfo, nvml.Return) { return pci, nvml.SUCCESS },
		GetVbiosVersionFunc:        func() (string, nvml.Return) { return str(keyVBIOS, g.VBIOS) },
		GetInforomImageVersionFunc: func() (string, nvml.Return) { return str(keyInforomImage, g.InforomImage) },
		GetBoardPartNumberFunc:     func() (string, nvml.Return) { return str(keyBoardPartNumber, g.BoardPartNumber) },
		GetMigModeFunc: func() (int, int, nvml.Return) {
			if r := ret(keyMIG); r != nvml.SUCCESS {
				return 0, 0, r
			}
			return g.MIGCurrent, g.MIGPending, nvml.SUCCESS
		},
		GetPowerManagementLimitFunc: func() (uint32, nvml.Return) {
			if r := ret(keyPowerLimit); r != nvml.SUCCESS {
				return 0, r
			}
			return g.PowerLimitMilliwatts, nvml.SUCCESS
		},
		GetNvLinkStateFunc: func(link int) (nvml.EnableState, nvml.Return) {
			if r := ret(keyNVLink); r != nvml.SUCCESS {
				return nvml.FEATURE_DISABLED, r
			}
			if link >= hopperLinks {
				return nvml.FEATURE_DISABLED, nvml.ERROR_INVALID_ARGUMENT
			}
			if link < g.NVLinkActive {
				return nvml.FEATURE_ENABLED, nvml.SUCCESS
			}
			return nvml.FEATURE_DISABLED, nvml.SUCCESS
		},
	}
}

// putC writes s as a NUL-terminated C string.
func putC(dst []int8, s string) {
	for i := range dst {
		dst[i] = 0
	}
	for i := 0; i < len(s) && i < len(dst)-1; i++ {
		dst[i] = int8(s[i])
	}
}

// readMock opens a reader over lib and reads it, raw and converted.
func readMock(t *testing.T, lib nvmlLib) (*Reading, *Facts, error) {
	t.Helper()
	r, closeFn, err := open(lib)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	raw, err := r.(RawReader).ReadRaw(context.Background())
	if err != nil {
		return nil, nil, err
	}
	f, err := r.Read(context.Background())
	return raw, f, err
}

// TestReadReplaysRealReadings drives the real Read code path with go-nvml's
// mock answering the H100's and H200's recorded values: the raw reading equals
// the recorded one and the facts equal FromNVMLJSON's.
func TestReadReplaysRealReadings(t *testing.T) {
	for _, m := range machines() {
		t.Run(m.dir, func(t *testing.T) {
			b := shared(t, m, "nvml.json")
			rec, err := ParseNVMLJSON(b)
			if err != nil {
				t.Fatal(err)
			}
			replayed, err := FromNVMLJSON(b)
			if err != nil {
				t.Fatal(err)
			}
			raw, f, err := readMock(t, mockLib(rec))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(raw, rec) {
				t.Errorf("ReadRaw =\n%+v\nwant the recorded\n%+v", raw, rec)
			}
			if !reflect.DeepEqual(f, replayed) || !reflect.DeepEqual(*f, m.facts) {
				t.Errorf("Read =\n%+v\nwant\n%+v", *f, m.facts)
			}
			out, err := raw.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(string(out)) != strings.TrimSpace(string(b)) {
				t.Errorf("live reading's JSON differs from the fixture:\n%s", out)
			}
		})
	}
}

// TestReadSynthetic: MIG enabled, 12 NVLink links up, an unsupported serial
// and NVLink on another GPU.
func TestReadSynthetic(t *testing.T) {
	b := local(t, "synthetic-mixed-nvml.json")
	rec, err := ParseNVMLJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	want, err := FromNVMLJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	raw, f, err := readMock(t, mockLib(rec))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(raw, rec) {
		t.Errorf("ReadRaw =\n%+v\nwant\n%+v", raw, rec)
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("Read =\n%+v\nwant\n%+v", f, want)
	}
}

// TestReadNotSupported: every optional reading answered ERROR_NOT_SUPPORTED is
// recorded, left empty, and replays the same through the JSON.
func TestReadNotSupported(t *testing.T) {
	rec := validReading()
	rec.GPUs[0].PCIBusID = "0000:00:06.0"
	lib := mockLib(rec)
	dev := mockDevice(&rec.GPUs[0])
	ns := func() nvml.Return { return nvml.ERROR_NOT_SUPPORTED }
	dev.GetSerialFunc = func() (string, nvml.Return) { return "", ns() }
	dev.GetBrandFunc = func() (nvml.BrandType, nvml.Return) { return 0, ns() }
	dev.GetArchitectureFunc = func() (nvml.DeviceArchitecture, nvml.Return) { return 0, ns() }
	dev.GetCudaComputeCapabilityFunc = func() (int, int, nvml.Return) { return 0, 0, ns() }
	dev.GetVbiosVersionFunc = func() (string, nvml.Return) { return "", ns() }
	dev.GetInforomImageVersionFunc = func() (string, nvml.Return) { return "", ns() }
	dev.GetMigModeFunc = func() (int, int, nvml.Return) { return 0, 0, ns() }
	dev.GetPowerManagementLimitFunc = func() (uint32, nvml.Return) { return 0, ns() }
	dev.GetBoardPartNumberFunc = func() (string, nvml.Return) { return "", ns() }
	dev.GetNvLinkStateFunc = func(int) (nvml.EnableState, nvml.Return) { return 0, ns() }
	lib.DeviceGetHandleByIndexFunc = func(int) (nvml.Device, nvml.Return) { return dev, nvml.SUCCESS }
	raw, f, err := readMock(t, lib)
	if err != nil {
		t.Fatal(err)
	}
	d := f.Devices[0]
	wantUnsupported := []string{"architecture", "boardPartNumber", "brand", "computeCapability", "inforomImage", "mig", "nvlink", "powerLimit", "serial", "vbios"}
	if !reflect.DeepEqual(d.Unsupported, wantUnsupported) || d.Serial != "" || d.Brand != "" || d.Architecture != "" ||
		d.ComputeCapability != "" || d.MIGMode != MIGUnsupported || d.PowerLimitMilliwatts != 0 || d.NVLinkActive != 0 {
		t.Errorf("device = %+v", d)
	}
	for k, v := range raw.GPUs[0].Errors {
		if v != "Not Supported" {
			t.Errorf("errors[%s] = %q", k, v)
		}
	}
	b, err := raw.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if again, err := FromNVMLJSON(b); err != nil || !reflect.DeepEqual(again, f) {
		t.Errorf("replay of the live JSON = %+v, %v; want %+v", again, err, f)
	}
}

// TestReadErrors: any failure but ERROR_NOT_SUPPORTED fails the read, naming
// the NVML call (and the GPU).
func TestReadErrors(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(lib *mock.Interface, dev *mock.Device)
		want   string      // the call named (the NVML text varies once the real library is loaded)
		code   nvml.Return // the NVML return code the error must show
	}{
		{"driver", func(lib *mock.Interface, _ *mock.Device) {
			lib.SystemGetDriverVersionFunc = func() (string, nvml.Return) { return "", nvml.ERROR_UNKNOWN }
		}, "nvmlSystemGetDriverVersion: ", nvml.ERROR_UNKNOWN},
		{"nvml version", func(lib *mock.Interface, _ *mock.Device) {
			lib.SystemGetNVMLVersionFunc = func() (string, nvml.Return) { return "", nvml.ERROR_UNKNOWN }
		}, "nvmlSystemGetNVMLVersion: ", nvml.ERROR_UNKNOWN},
		{"cuda", func(lib *mock.Interface, _ *mock.Device) {
			lib.SystemGetCudaDriverVersionFunc = func() (int, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
		}, "nvmlSystemGetCudaDriverVersion: ", nvml.ERROR_NOT_SUPPORTED},
		{"count", func(lib *mock.Interface, _ *mock.Device) {
			lib.DeviceGetCountFunc = func() (int, nvml.Return) { return 0, nvml.ERROR_UNINITIALIZED }
		}, "nvmlDeviceGetCount: ", nvml.ERROR_UNINITIALIZED},
		{"too many", func(lib *mock.Interface, _ *mock.Device) {
			lib.DeviceGetCountFunc = func() (int, nvml.Return) { return MaxDevices + 1, nvml.SUCCESS }
		}, "1025 devices", nvml.SUCCESS},
		{"handle", func(lib *mock.Interface, _ *mock.Device) {
			lib.DeviceGetHandleByIndexFunc = func(int) (nvml.Device, nvml.Return) { return nil, nvml.ERROR_GPU_IS_LOST }
		}, "gpu 0: nvmlDeviceGetHandleByIndex: ", nvml.ERROR_GPU_IS_LOST},
		{"name", func(_ *mock.Interface, dev *mock.Device) {
			dev.GetNameFunc = func() (string, nvml.Return) { return "", nvml.ERROR_NOT_SUPPORTED }
		}, "gpu 0: nvmlDeviceGetName: ", nvml.ERROR_NOT_SUPPORTED},
		{"memory", func(_ *mock.Interface, dev *mock.Device) {
			dev.GetMemoryInfoFunc = func() (nvml.Memory, nvml.Return) { return nvml.Memory{}, nvml.ERROR_UNKNOWN }
		}, "gpu 0: nvmlDeviceGetMemoryInfo: ", nvml.ERROR_UNKNOWN},
		{"pci", func(_ *mock.Interface, dev *mock.Device) {
			dev.GetPciInfoFunc = func() (nvml.PciInfo, nvml.Return) { return nvml.PciInfo{}, nvml.ERROR_NO_PERMISSION }
		}, "gpu 0: nvmlDeviceGetPciInfo: ", nvml.ERROR_NO_PERMISSION},
		{"serial lost", func(_ *mock.Interface, dev *mock.Device) {
			dev.GetSerialFunc = func() (string, nvml.Return) { return "", nvml.ERROR_GPU_IS_LOST }
		}, "gpu 0: nvmlDeviceGetSerial: ", nvml.ERROR_GPU_IS_LOST},
		{"mig", func(_ *mock.Interface, dev *mock.Device) {
			dev.GetMigModeFunc = func() (int, int, nvml.Return) { return 0, 0, nvml.ERROR_NO_PERMISSION }
		}, "gpu 0: nvmlDeviceGetMigMode: ", nvml.ERROR_NO_PERMISSION},
		{"nvlink", func(_ *mock.Interface, dev *mock.Device) {
			dev.GetNvLinkStateFunc = func(l int) (nvml.EnableState, nvml.Return) {
				if l == 3 {
					return 0, nvml.ERROR_UNKNOWN
				}
				return nvml.FEATURE_ENABLED, nvml.SUCCESS
			}
		}, "gpu 0: nvmlDeviceGetNvLinkState(link 3): ", nvml.ERROR_UNKNOWN},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := validReading()
			lib := mockLib(rec)
			dev := mockDevice(&rec.GPUs[0])
			lib.DeviceGetHandleByIndexFunc = func(int) (nvml.Device, nvml.Return) { return dev, nvml.SUCCESS }
			c.break_(lib, dev)
			r, closeFn, err := open(lib)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			_, err = r.Read(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Read error = %v, want one containing %q", err, c.want)
			}
			if code := fmt.Sprintf("(NVML return %d)", c.code); c.code != nvml.SUCCESS && !strings.HasSuffix(err.Error(), code) {
				t.Errorf("Read error = %v, want it to end %q", err, code)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("%v is ErrUnavailable", err)
			}
		})
	}
}

// TestReadCanceled: a cancelled context stops the read.
func TestReadCanceled(t *testing.T) {
	r, closeFn, err := open(mockLib(validReading()))
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Read = %v, want context.Canceled", err)
	}
}

// TestOpenUnavailable: a missing library or driver is ErrUnavailable with
// NVML's message; other nvmlInit failures are plain errors. Close shuts NVML
// down once.
func TestOpenUnavailable(t *testing.T) {
	for _, c := range []struct {
		ret         nvml.Return
		unavailable bool
		want        string
	}{
		{nvml.ERROR_LIBRARY_NOT_FOUND, true, "nvmlInit: "},
		{nvml.ERROR_DRIVER_NOT_LOADED, true, "nvmlInit: "},
		{nvml.ERROR_NO_PERMISSION, false, "nvmlInit: "},
		{nvml.ERROR_LIB_RM_VERSION_MISMATCH, false, "nvmlInit: "},
	} {
		lib := &mock.Interface{InitFunc: func() nvml.Return { return c.ret }}
		r, closeFn, err := open(lib)
		code := fmt.Sprintf("(NVML return %d)", c.ret)
		if r != nil || err == nil || errors.Is(err, ErrUnavailable) != c.unavailable || !strings.Contains(err.Error(), c.want) || !strings.HasSuffix(err.Error(), code) {
			t.Errorf("open with %v = %v, %v; want ErrUnavailable %v and %q", c.ret, r, err, c.unavailable, c.want)
		}
		closeFn() // a no-op: Shutdown is not mocked and would panic
	}
	lib := mockLib(validReading())
	_, closeFn, err := open(lib)
	if err != nil {
		t.Fatal(err)
	}
	closeFn()
	closeFn()
	if n := len(lib.ShutdownCalls()); n != 1 {
		t.Errorf("Shutdown called %d times, want 1", n)
	}
}

// TestOpenReal opens the real library. Without a driver (as on CI) it must
// be ErrUnavailable, unless GPU_REQUIRE_NVML=1 (scripts/gpu-check.sh sets it
// on a GPU machine); with one it must read, and when nvidia-smi is on the
// PATH, agree with it on every field.
func TestOpenReal(t *testing.T) {
	r, closeFn, err := Open()
	defer closeFn()
	if err != nil {
		if os.Getenv("GPU_REQUIRE_NVML") == "1" {
			t.Fatalf("Open = %v with GPU_REQUIRE_NVML=1", err)
		}
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Open = %v, want ErrUnavailable on a machine without NVML", err)
		}
		t.Logf("no NVML here: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f, err := r.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("live NVML: %+v", f)
	if _, err := exec.LookPath("nvidia-smi"); err != nil {
		t.Log("nvidia-smi is not on the PATH: no comparison")
		return
	}
	x, err := exec.CommandContext(ctx, "nvidia-smi", "-q", "-x").Output()
	if err != nil {
		t.Fatalf("nvidia-smi -q -x: %v", err)
	}
	smi, err := FromNvidiaSMIXML(x)
	if err != nil {
		t.Fatal(err)
	}
	c, err := exec.CommandContext(ctx, "nvidia-smi", "--query-gpu=index,uuid,compute_cap", "--format=csv").Output()
	if err != nil {
		t.Fatalf("nvidia-smi --query-gpu: %v", err)
	}
	if err := AddNvidiaSMICSV(smi, c); err != nil {
		t.Fatal(err)
	}
	for _, m := range Compare(f, smi) {
		t.Errorf("live NVML and nvidia-smi differ on %s: NVML %q, nvidia-smi %q", m.Field, m.NVML, m.SMI)
	}
}

// TestNamesMatchNVML pins the name tables to go-nvml's constants.
func TestNamesMatchNVML(t *testing.T) {
	archs := map[nvml.DeviceArchitecture]string{
		nvml.DEVICE_ARCH_KEPLER: "kepler", nvml.DEVICE_ARCH_MAXWELL: "maxwell", nvml.DEVICE_ARCH_PASCAL: "pascal",
		nvml.DEVICE_ARCH_VOLTA: "volta", nvml.DEVICE_ARCH_TURING: "turing", nvml.DEVICE_ARCH_AMPERE: "ampere",
		nvml.DEVICE_ARCH_ADA: "ada-lovelace", nvml.DEVICE_ARCH_HOPPER: "hopper", nvml.DEVICE_ARCH_BLACKWELL: "blackwell",
		nvml.DEVICE_ARCH_RUBIN: "rubin", nvml.DEVICE_ARCH_UNKNOWN: "unknown",
	}
	for a, want := range archs {
		if got := ArchitectureName(uint32(a)); got != want {
			t.Errorf("ArchitectureName(%d) = %q, want %q", a, got, want)
		}
	}
	brands := map[nvml.BrandType]string{
		nvml.BRAND_NVIDIA: "NVIDIA", nvml.BRAND_TESLA: "Tesla", nvml.BRAND_QUADRO: "Quadro", nvml.BRAND_GEFORCE: "GeForce",
		nvml.BRAND_NVIDIA_RTX: "NVIDIA RTX", nvml.BRAND_TITAN_RTX: "Titan RTX", nvml.BRAND_UNKNOWN: "Unknown",
	}
	for b, want := range brands {
		if got := BrandName(int(b)); got != want {
			t.Errorf("BrandName(%d) = %q, want %q", b, got, want)
		}
	}
	if nvml.DEVICE_MIG_DISABLE != 0 || nvml.DEVICE_MIG_ENABLE != 1 {
		t.Error("NVML MIG mode constants moved")
	}
	if notSupported != "Not Supported" || nvml.ERROR_NOT_SUPPORTED.Error() == "" {
		t.Error("Not Supported text")
	}
}
