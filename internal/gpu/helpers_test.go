package gpu

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aicr/verify-evidence/internal/testutil"
)

// machine is one real reading under ../shared/testdata/hardware.
type machine struct {
	dir   string // folder under hardware/
	sku   string // what fingerprint.ParseGPUSKU makes of the model
	facts Facts  // what FromNVMLJSON must return
}

// machines returns the real readings and the facts each must replay to.
func machines() []machine {
	return []machine{
		{
			dir: "h100-ubuntu2404",
			sku: "h100",
			facts: Facts{
				DriverVersion: "580.159.04",
				NVMLVersion:   "13.580.159.04",
				CUDAVersion:   "13.0",
				DeviceCount:   1,
				Devices: []Device{{
					Index:                0,
					Name:                 "NVIDIA H100 80GB HBM3",
					UUID:                 "GPU-a8fc3d71-8509-4672-931a-2ce97df8f6eb",
					Serial:               "1753024037422",
					Brand:                "NVIDIA",
					Architecture:         "hopper",
					ComputeCapability:    "9.0",
					MemoryTotalBytes:     85520809984,
					PCIBusID:             "0000:00:06.0",
					PCIDeviceID:          0x233010DE,
					PCISubsystemID:       0x16C110DE,
					VBIOS:                "96.00.DA.00.0C",
					InforomImage:         "G520.0200.00.05",
					BoardPartNumber:      "695-2G520-0200-000",
					MIGMode:              MIGDisabled,
					MIGPendingMode:       MIGDisabled,
					PowerLimitMilliwatts: 700000,
					NVLinkActive:         0,
					Unsupported:          []string{"nvlink"},
				}},
			},
		},
		{
			dir: "h200-ubuntu2404",
			sku: "h200",
			facts: Facts{
				DriverVersion: "580.159.04",
				NVMLVersion:   "13.580.159.04",
				CUDAVersion:   "13.0",
				DeviceCount:   1,
				Devices: []Device{{
					Index:                0,
					Name:                 "NVIDIA H200",
					UUID:                 "GPU-e56e8acd-d77d-03b1-ec27-cc8e0047c91e",
					Serial:               "1654024076792",
					Brand:                "NVIDIA",
					Architecture:         "hopper",
					ComputeCapability:    "9.0",
					MemoryTotalBytes:     150754820096,
					PCIBusID:             "0000:00:06.0",
					PCIDeviceID:          0x233510DE,
					PCISubsystemID:       0x18BF10DE,
					VBIOS:                "96.00.A5.00.1A",
					InforomImage:         "G520.0282.02.02",
					BoardPartNumber:      "692-2G520-0282-000",
					MIGMode:              MIGDisabled,
					MIGPendingMode:       MIGDisabled,
					PowerLimitMilliwatts: 700000,
					NVLinkActive:         0,
					Unsupported:          []string{"nvlink"},
				}},
			},
		},
	}
}

// shared reads one file of a real reading, skipping (or, under CI=true,
// failing) when ../shared/testdata is absent.
func shared(t *testing.T, m machine, name string) []byte {
	t.Helper()
	p := testutil.SharedTestdata(t, filepath.Join("hardware", m.dir, name))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// local reads a file of this package's testdata.
func local(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
