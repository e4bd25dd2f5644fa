package fingerprint

import (
	"encoding/json"
	"encoding/xml"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseGPUSKU(t *testing.T) {
	tests := []struct {
		product string
		want    string
		ok      bool
	}{
		// nvidia-smi / NVML / PCI model names.
		{"NVIDIA H100 80GB HBM3", "h100", true},
		{"NVIDIA H100 NVL", "h100", true},
		{"NVIDIA H100 PCIe", "h100", true},
		{"NVIDIA H200", "h200", true},
		{"NVIDIA H200 NVL", "h200", true},
		{"NVIDIA GH200 480GB", "gh200", true},
		{"NVIDIA GB200", "gb200", true},
		{"NVIDIA GB300", "gb300", true},
		{"NVIDIA B200", "b200", true},
		{"NVIDIA B300 SXM6 AC", "b300", true},
		{"NVIDIA A100-SXM4-80GB", "a100", true},
		{"NVIDIA A100 80GB PCIe", "a100", true},
		{"NVIDIA A10", "a10", true},
		{"NVIDIA A10G", "a10g", true},
		{"NVIDIA L4", "l4", true},
		{"NVIDIA L40", "l40", true},
		{"NVIDIA L40S", "l40s", true},
		{"Tesla T4", "t4", true},
		{"Tesla V100-SXM2-16GB", "v100", true},
		{"NVIDIA RTX PRO 6000 Blackwell Server Edition", "rtx-pro-6000", true},
		// GPU feature discovery label values (nvidia.com/gpu.product).
		{"NVIDIA-H100-80GB-HBM3", "h100", true},
		{"NVIDIA-H100-80GB-HBM3-MIG-1g.10gb", "h100", true},
		{"NVIDIA-H100-80GB-HBM3-SHARED", "h100", true},
		{"NVIDIA-H200", "h200", true},
		{"NVIDIA-GH200-480GB", "gh200", true},
		{"NVIDIA-GB200", "gb200", true},
		{"NVIDIA-RTX-PRO-6000-Blackwell-Server-Edition", "rtx-pro-6000", true},
		{"NVIDIA_L40S", "l40s", true},
		// Data-centre parts beyond AICR's accelerator enum, as nvidia-smi and
		// NVML name them, and in GPU feature discovery label form.
		{"NVIDIA H800", "h800", true},
		{"NVIDIA H800 PCIe", "h800", true},
		{"NVIDIA-H800", "h800", true},
		{"NVIDIA H20", "h20", true},
		{"NVIDIA-H20", "h20", true},
		{"NVIDIA A30", "a30", true},
		{"NVIDIA A40", "a40", true},
		{"NVIDIA A800-SXM4-80GB", "a800", true},
		{"NVIDIA A800 80GB PCIe", "a800", true},
		{"NVIDIA A16", "a16", true},
		{"NVIDIA A2", "a2", true},
		{"NVIDIA L20", "l20", true},
		{"NVIDIA B100", "b100", true},
		{"NVIDIA H100 NVL", "h100", true},
		{"NVIDIA H100 PCIe", "h100", true},
		{"NVIDIA H200 NVL", "h200", true},
		{"NVIDIA RTX 6000 Ada Generation", "rtx-6000-ada", true},
		{"NVIDIA-RTX-6000-Ada-Generation", "rtx-6000-ada", true},
		{"NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition", "rtx-pro-6000", true},
		// Case, spacing.
		{"nvidia h100", "h100", true},
		{"h100", "h100", true},
		{"  NVIDIA\tH200  ", "h200", true},
		{"rtx pro 6000", "rtx-pro-6000", true},
		// Unknown: tokens must match exactly.
		{"", "", false},
		{"NVIDIA", "", false},
		{"NVIDIA H1000", "", false},
		{"NVIDIAH100", "", false},
		{"NVIDIA H100X", "", false},
		{"NVIDIA GeForce RTX 4090", "", false},
		{"Quadro RTX 6000", "", false},
		{"NVIDIA RTX PRO 5000", "", false},
		{"RTX PRO", "", false},
		{"NVIDIA H100/80GB", "", false},
		{"NVIDIA Ｈ100", "", false}, // fullwidth H
		// Ambiguous: two different SKUs in one product.
		{"NVIDIA H100 H200", "", false},
		{"GH200 H200", "", false},
		// The same SKU twice is not ambiguous.
		{"H100 h100", "h100", true},
	}
	for _, tt := range tests {
		got, ok := ParseGPUSKU(tt.product)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseGPUSKU(%q) = %q, %v; want %q, %v", tt.product, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKnownSKUs(t *testing.T) {
	skus := KnownSKUs()
	if len(skus) != 26 {
		t.Fatalf("KnownSKUs() has %d entries, want 26: %v", len(skus), skus)
	}
	if first := First.KnownSKUs(); len(first) != 16 || slices.Contains(first, "h800") {
		t.Errorf("First.KnownSKUs() = %v, want the 16 SKUs of the first rules", first)
	}
	if !slices.IsSorted(skus) {
		t.Errorf("KnownSKUs() is not sorted: %v", skus)
	}
	for _, sku := range skus {
		for _, form := range []string{sku, strings.ToUpper(sku), "NVIDIA " + strings.ToUpper(sku), "NVIDIA-" + sku + "-80GB"} {
			if strings.Contains(sku, "-") && form != sku {
				continue // several tokens: tested by TestParseGPUSKU
			}
			if got, ok := ParseGPUSKU(form); got != sku || !ok {
				t.Errorf("ParseGPUSKU(%q) = %q, %v; want %q, true", form, got, ok, sku)
			}
		}
	}
	skus[0] = "changed"
	if KnownSKUs()[0] == "changed" {
		t.Error("KnownSKUs returns shared state")
	}
}

// TestParseGPUSKURealHardware parses the product names read off real H100 and
// H200 machines (NVML's device name and nvidia-smi's product_name).
func TestParseGPUSKURealHardware(t *testing.T) {
	dir := sharedTestdata(t, "hardware")
	for _, tt := range []struct{ machine, want string }{
		{"h100-ubuntu2404", "h100"},
		{"h200-ubuntu2404", "h200"},
	} {
		var nvml struct {
			GPUs []struct {
				Name string `json:"name"`
			} `json:"gpus"`
		}
		if err := json.Unmarshal(readFile(t, filepath.Join(dir, tt.machine, "nvml.json")), &nvml); err != nil {
			t.Fatalf("%s/nvml.json: %v", tt.machine, err)
		}
		var smi struct {
			GPUs []struct {
				ProductName string `xml:"product_name"`
			} `xml:"gpu"`
		}
		if err := xml.Unmarshal(readFile(t, filepath.Join(dir, tt.machine, "nvidia-smi-q.xml")), &smi); err != nil {
			t.Fatalf("%s/nvidia-smi-q.xml: %v", tt.machine, err)
		}
		var names []string
		for _, g := range nvml.GPUs {
			names = append(names, g.Name)
		}
		for _, g := range smi.GPUs {
			names = append(names, g.ProductName)
		}
		if len(names) < 2 {
			t.Fatalf("%s: found %d product names, want one from each file: %q", tt.machine, len(names), names)
		}
		for _, name := range names {
			if got, ok := ParseGPUSKU(name); got != tt.want || !ok {
				t.Errorf("%s: ParseGPUSKU(%q) = %q, %v; want %q, true", tt.machine, name, got, ok, tt.want)
			}
			// The GPU feature discovery label form of the same product.
			label := strings.ReplaceAll(name, " ", "-")
			if got, ok := ParseGPUSKU(label); got != tt.want || !ok {
				t.Errorf("%s: ParseGPUSKU(%q) = %q, %v; want %q, true", tt.machine, label, got, ok, tt.want)
			}
		}
	}
}
