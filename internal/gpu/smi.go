package gpu

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// MaxSMIXMLBytes is the largest `nvidia-smi -q -x` output FromNvidiaSMIXML
// accepts (one GPU writes about 27 KB).
const MaxSMIXMLBytes = 8 << 20

// MaxSMICSVBytes is the largest `nvidia-smi --query-gpu` output
// AddNvidiaSMICSV accepts.
const MaxSMICSVBytes = 1 << 20

// smiLog is the part of `nvidia-smi -q -x` (nvsmi_device_v13.dtd) that Facts
// holds.
type smiLog struct {
	XMLName       xml.Name `xml:"nvidia_smi_log"`
	DriverVersion string   `xml:"driver_version"`
	CUDAVersion   string   `xml:"cuda_version"`
	AttachedGPUs  string   `xml:"attached_gpus"`
	GPUs          []smiGPU `xml:"gpu"`
}

type smiGPU struct {
	ID                  string `xml:"id,attr"`
	ProductName         string `xml:"product_name"`
	ProductBrand        string `xml:"product_brand"`
	ProductArchitecture string `xml:"product_architecture"`
	MIGMode             *struct {
		Current string `xml:"current_mig"`
		Pending string `xml:"pending_mig"`
	} `xml:"mig_mode"`
	Serial          string `xml:"serial"`
	UUID            string `xml:"uuid"`
	VBIOSVersion    string `xml:"vbios_version"`
	BoardPartNumber string `xml:"board_part_number"`
	Inforom         struct {
		Image string `xml:"img_version"`
	} `xml:"inforom_version"`
	PCI struct {
		BusID       string `xml:"pci_bus_id"`
		DeviceID    string `xml:"pci_device_id"`
		SubsystemID string `xml:"pci_sub_system_id"`
	} `xml:"pci"`
	FBMemory struct {
		Total string `xml:"total"`
	} `xml:"fb_memory_usage"`
	// Drivers since R535 write gpu_power_readings, older ones power_readings.
	GPUPower smiPower `xml:"gpu_power_readings"`
	Power    smiPower `xml:"power_readings"`
}

type smiPower struct {
	Requested string `xml:"requested_power_limit"`
	Current   string `xml:"current_power_limit"`
	Legacy    string `xml:"power_limit"`
}

// FromNvidiaSMIXML parses the output of `nvidia-smi -q -x` into Facts, the
// independent witness for Compare. The input must be at most MaxSMIXMLBytes
// of UTF-8 XML whose root is nvidia_smi_log; a DOCTYPE may name an external
// DTD (nvidia-smi's does) but is never read, and one with an internal subset
// or entity declarations is refused, as is any entity but XML's five.
//
// Values are normalised to the form a Reading converts to: "N/A" becomes ""
// (MIG modes: "unsupported"), the architecture is lowercased with '-' for
// spaces, memory "81559 MiB" is 81559 MiB in bytes, the power limit (the
// requested limit, else the current one) "700.00 W" is 700000 mW, PCI ids are
// hex, the bus id is canonical. The XML has no compute capability and no NVML
// version: those stay empty (AddNvidiaSMICSV fills the compute capability).
// Devices are indexed by their order, which is nvidia-smi's (NVML's) index.
func FromNvidiaSMIXML(b []byte) (*Facts, error) {
	if len(b) > MaxSMIXMLBytes {
		return nil, fmt.Errorf("nvidia-smi XML: %d bytes, at most %d are accepted", len(b), MaxSMIXMLBytes)
	}
	var log smiLog
	if err := decodeSMIXML(b, &log); err != nil {
		return nil, fmt.Errorf("nvidia-smi XML: %w", err)
	}
	if strings.TrimSpace(log.DriverVersion) == "" {
		return nil, errors.New("nvidia-smi XML: no driver_version")
	}
	n, err := strconv.Atoi(strings.TrimSpace(log.AttachedGPUs))
	if err != nil || n < 0 || n > MaxDevices {
		return nil, fmt.Errorf("nvidia-smi XML: attached_gpus %q is not a count from 0 to %d", log.AttachedGPUs, MaxDevices)
	}
	if len(log.GPUs) > MaxDevices {
		return nil, fmt.Errorf("nvidia-smi XML: %d gpu elements, at most %d", len(log.GPUs), MaxDevices)
	}
	f := &Facts{
		DriverVersion: strings.TrimSpace(log.DriverVersion),
		CUDAVersion:   smiText(log.CUDAVersion),
		DeviceCount:   n,
		Devices:       make([]Device, 0, len(log.GPUs)),
	}
	for i, g := range log.GPUs {
		d, err := g.device(i)
		if err != nil {
			return nil, fmt.Errorf("nvidia-smi XML: gpu %d: %w", i, err)
		}
		f.Devices = append(f.Devices, d)
	}
	return f, nil
}

// decodeSMIXML decodes the one root element, refusing DTD internal subsets
// (and so any entity declaration) and anything but comments, processing
// instructions and white space around the root.
func decodeSMIXML(b []byte, v *smiLog) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	root := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if !root {
				return errors.New("no nvidia_smi_log element")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Directive:
			if bytes.ContainsAny(t, "[<") || bytes.Contains(bytes.ToUpper(t), []byte("ENTITY")) {
				return errors.New("a DOCTYPE with an internal subset or entity declarations is refused")
			}
		case xml.StartElement:
			if root {
				return fmt.Errorf("a second root element <%s>", t.Name.Local)
			}
			if t.Name.Local != "nvidia_smi_log" {
				return fmt.Errorf("the root element is <%s>, want <nvidia_smi_log>", t.Name.Local)
			}
			if err := dec.DecodeElement(v, &t); err != nil {
				return err
			}
			root = true
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errors.New("text outside the root element")
			}
		}
	}
}

// device converts one gpu element at position i.
func (g *smiGPU) device(i int) (Device, error) {
	d := Device{
		Index:           i,
		Name:            strings.TrimSpace(g.ProductName),
		UUID:            smiText(g.UUID),
		Serial:          smiText(g.Serial),
		Brand:           smiText(g.ProductBrand),
		Architecture:    normaliseArchitecture(smiText(g.ProductArchitecture)),
		VBIOS:           smiText(g.VBIOSVersion),
		InforomImage:    smiText(g.Inforom.Image),
		BoardPartNumber: smiText(g.BoardPartNumber),
		MIGMode:         MIGUnsupported,
		MIGPendingMode:  MIGUnsupported,
	}
	if g.MIGMode != nil {
		d.MIGMode = smiMIG(g.MIGMode.Current)
		d.MIGPendingMode = smiMIG(g.MIGMode.Pending)
	}
	busID := smiText(g.PCI.BusID)
	if busID == "" {
		busID = smiText(g.ID)
	}
	var err error
	if d.PCIBusID, err = CanonicalPCIBusID(busID); err != nil {
		return Device{}, err
	}
	if d.PCIDeviceID, err = smiHex32("pci_device_id", g.PCI.DeviceID); err != nil {
		return Device{}, err
	}
	if d.PCISubsystemID, err = smiHex32("pci_sub_system_id", g.PCI.SubsystemID); err != nil {
		return Device{}, err
	}
	mib, err := smiMiB(g.FBMemory.Total)
	if err != nil {
		return Device{}, fmt.Errorf("fb_memory_usage total: %w", err)
	}
	d.MemoryTotalBytes = mib << 20
	p := g.GPUPower
	if p == (smiPower{}) {
		p = g.Power
	}
	limit := smiText(p.Requested)
	if limit == "" {
		limit = smiText(p.Current)
	}
	if limit == "" {
		limit = smiText(p.Legacy)
	}
	if d.PowerLimitMilliwatts, err = smiWatts(limit); err != nil {
		return Device{}, fmt.Errorf("power limit: %w", err)
	}
	return d, nil
}

// smiText trims a value and maps nvidia-smi's "not available" spellings
// ("N/A", "[N/A]", "Not Supported", "[Not Supported]", …) to "".
func smiText(s string) string {
	s = strings.TrimSpace(s)
	inner := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	switch strings.ToLower(inner) {
	case "n/a", "not supported", "unknown error", "insufficient permissions", "requested functionality has been deprecated":
		return ""
	}
	return s
}

// normaliseArchitecture lowercases an architecture name and turns its spaces
// into '-', so nvidia-smi's "Ada Lovelace" reads as ArchitectureName's
// "ada-lovelace".
func normaliseArchitecture(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), "-")
}

// smiMIG maps nvidia-smi's MIG mode text ("Enabled", "Disabled", "N/A") to
// Device's (enabled, disabled, unsupported).
func smiMIG(s string) string {
	if v := strings.ToLower(smiText(s)); v != "" {
		return v
	}
	return MIGUnsupported
}

// smiHex32 parses a PCI id written in hex, with or without 0x ("233010DE",
// "0x233010DE"); N/A is 0.
func smiHex32(what, s string) (uint32, error) {
	s = smiText(s)
	if s == "" {
		return 0, nil
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a 32-bit hex number", what, s)
	}
	return uint32(v), nil
}

// smiMiB parses "81559 MiB" (or a bare "81559", as --format=csv,nounits
// writes it).
func smiMiB(s string) (uint64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "MiB"))
	v, err := strconv.ParseUint(t, 10, 64)
	if err != nil || v == 0 || v > 1<<40 {
		return 0, fmt.Errorf("%q is not a memory size in MiB", s)
	}
	return v, nil
}

// smiWatts parses "700.00 W" into milliwatts; "" is 0.
func smiWatts(s string) (uint32, error) {
	if s == "" {
		return 0, nil
	}
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "W"))
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v > 1e6 || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a power in W", s)
	}
	return uint32(math.Round(v * 1000)), nil
}

// AddNvidiaSMICSV adds to smi, the Facts of FromNvidiaSMIXML, the compute
// capability that `nvidia-smi -q -x` does not report, from the output of
// `nvidia-smi --query-gpu=…,compute_cap --format=csv` (the header, which names
// the columns, is required, so not noheader; nounits is fine). Rows
// are matched to smi's devices by the uuid column when there is one, else by
// the index column, else by position, and there must be one row per device.
// Every other column it knows (name, uuid, serial, driver_version,
// memory.total, pci.bus_id, pci.device_id, mig.mode.current, vbios_version,
// index) must agree with the XML; a disagreement is an error naming the
// column. Other columns are ignored. The input must be at most MaxSMICSVBytes.
func AddNvidiaSMICSV(smi *Facts, b []byte) error {
	if smi == nil {
		return errors.New("nvidia-smi CSV: no facts to add to")
	}
	if len(b) > MaxSMICSVBytes {
		return fmt.Errorf("nvidia-smi CSV: %d bytes, at most %d are accepted", len(b), MaxSMICSVBytes)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.TrimLeadingSpace = true
	r.ReuseRecord = false
	records, err := r.ReadAll()
	if err != nil {
		return fmt.Errorf("nvidia-smi CSV: %w", err)
	}
	if len(records) == 0 {
		return errors.New("nvidia-smi CSV: empty (the header is required)")
	}
	col := map[string]int{}
	for i, h := range records[0] {
		name := strings.TrimSpace(h)
		if j := strings.Index(name, " ["); j >= 0 { // "memory.total [MiB]"
			name = name[:j]
		}
		if _, dup := col[name]; dup {
			return fmt.Errorf("nvidia-smi CSV: column %q repeats", name)
		}
		col[name] = i
	}
	rows := records[1:]
	if len(rows) != len(smi.Devices) {
		return fmt.Errorf("nvidia-smi CSV: %d rows for %d GPUs in the XML", len(rows), len(smi.Devices))
	}
	get := func(row []string, name string) (string, bool) {
		i, ok := col[name]
		if !ok {
			return "", false
		}
		return strings.TrimSpace(row[i]), true
	}
	for ri, row := range rows {
		di := ri
		if u, ok := get(row, "uuid"); ok {
			di = -1
			for j := range smi.Devices {
				if smi.Devices[j].UUID == u {
					di = j
				}
			}
			if di < 0 {
				return fmt.Errorf("nvidia-smi CSV: row %d: uuid %q is not in the XML", ri+1, u)
			}
		} else if s, ok := get(row, "index"); ok {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n >= len(smi.Devices) {
				return fmt.Errorf("nvidia-smi CSV: row %d: index %q is not a GPU of the XML", ri+1, s)
			}
			di = n
		}
		if err := mergeCSVRow(&smi.Devices[di], smi.DriverVersion, row, get); err != nil {
			return fmt.Errorf("nvidia-smi CSV: row %d (gpu %d): %w", ri+1, di, err)
		}
	}
	return nil
}

// mergeCSVRow checks one CSV row against a device of the XML and sets its
// compute capability.
func mergeCSVRow(d *Device, driver string, row []string, get func([]string, string) (string, bool)) error {
	disagree := func(column, csvValue, xmlValue string) error {
		return fmt.Errorf("column %s says %q, the XML %q", column, csvValue, xmlValue)
	}
	texts := []struct{ column, xml string }{
		{"name", d.Name}, {"uuid", d.UUID}, {"serial", d.Serial},
		{"driver_version", driver}, {"vbios_version", d.VBIOS},
	}
	for _, c := range texts {
		if v, ok := get(row, c.column); ok && smiText(v) != c.xml {
			return disagree(c.column, v, c.xml)
		}
	}
	if v, ok := get(row, "index"); ok && v != strconv.Itoa(d.Index) {
		return disagree("index", v, strconv.Itoa(d.Index))
	}
	if v, ok := get(row, "mig.mode.current"); ok && smiMIG(v) != d.MIGMode {
		return disagree("mig.mode.current", v, d.MIGMode)
	}
	if v, ok := get(row, "pci.bus_id"); ok {
		bus, err := CanonicalPCIBusID(v)
		if err != nil || bus != d.PCIBusID {
			return disagree("pci.bus_id", v, d.PCIBusID)
		}
	}
	if v, ok := get(row, "pci.device_id"); ok {
		id, err := smiHex32("pci.device_id", v)
		if err != nil || id != d.PCIDeviceID {
			return disagree("pci.device_id", v, fmt.Sprintf("0x%08X", d.PCIDeviceID))
		}
	}
	if v, ok := get(row, "memory.total"); ok {
		mib, err := smiMiB(v)
		if err != nil || mib != d.MemoryTotalBytes>>20 {
			return disagree("memory.total", v, fmt.Sprintf("%d MiB", d.MemoryTotalBytes>>20))
		}
	}
	if v, ok := get(row, "compute_cap"); ok {
		cc := smiText(v)
		if cc != "" {
			major, minor, found := strings.Cut(cc, ".")
			if _, err := strconv.ParseUint(major, 10, 8); err != nil || !found {
				return fmt.Errorf("compute_cap %q is not major.minor", v)
			}
			if _, err := strconv.ParseUint(minor, 10, 8); err != nil {
				return fmt.Errorf("compute_cap %q is not major.minor", v)
			}
		}
		d.ComputeCapability = cc
	}
	return nil
}
