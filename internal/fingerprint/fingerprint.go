package fingerprint

import (
	"fmt"
	"strings"

	"github.com/aicr/verify-evidence/internal/schema"
)

// Notes a dimension may carry.
const (
	// NoteMultiGPU: the cluster shows more than one GPU product; accelerator is "".
	NoteMultiGPU = "multi-gpu"
	// NoteUnknownSKU: the GPU product names no known SKU; accelerator is "".
	NoteUnknownSKU = "unknown-sku"
	// NoteMultiRegion: the nodes are in more than one region; region is "".
	NoteMultiRegion = "multi-region"
	// NoteUnrecognisedOS: OS.release.ID is not one of the known distributions;
	// the value is the trimmed, ASCII-lowercased ID.
	NoteUnrecognisedOS = "unrecognised-os"
	// NoteNoGPUNodes: the snapshot counts no GPU node, so it shows no accelerator.
	NoteNoGPUNodes = "no-gpu-nodes"
)

// Rules names a version of the fingerprint and criteria-match rules (format v1
// §6). Emitters write their claim with the rules they know; a verifier accepts
// a claim that equals the recomputation under the rules it was made with, and
// takes the verdict from Current only.
type Rules int

const (
	// Current: the full SKU table, and a reading that is present but not
	// recognised (unknown SKU, several SKUs, unrecognised OS) is mismatched;
	// an unknown service, accelerator or os fails the match.
	Current Rules = iota
	// First: the rules of the first emitters: the 16-SKU table, a reading not
	// recognised counts as unknown, and only a mismatch fails the match.
	First
)

// String names the rules in reports.
func (r Rules) String() string {
	switch r {
	case First:
		return "first"
	case AICR:
		return "aicr"
	}
	return "current"
}

// Compute derives the fingerprint from snapshot YAML in measurement form with
// the current rules (see Rules.Compute).
func Compute(snapshotYAML []byte) (schema.Fingerprint, error) { return Current.Compute(snapshotYAML) }

// Compute derives the fingerprint from snapshot YAML in measurement form. It is
// ParseSnapshot followed by ComputeFromSnapshot; an input ParseSnapshot refuses
// (bad shape, duplicate key, non-integer node count, …) is an error.
func (r Rules) Compute(snapshotYAML []byte) (schema.Fingerprint, error) {
	s, err := ParseSnapshot(snapshotYAML)
	if err != nil {
		return schema.Fingerprint{}, fmt.Errorf("compute fingerprint: %w", err)
	}
	return r.ComputeFromSnapshot(s), nil
}

// ComputeFromSnapshot derives the fingerprint from a decoded snapshot with the
// current rules (see Rules.ComputeFromSnapshot).
func ComputeFromSnapshot(s *Snapshot) schema.Fingerprint { return Current.ComputeFromSnapshot(s) }

// ComputeFromSnapshot derives the fingerprint from a decoded snapshot. A
// dimension whose reading is absent, null, blank or invalid is nil (call
// Validate to have invalid readings reported). When a type or subtype repeats,
// the first one is read.
//
//   - service: K8s.node.provider, ASCII letters lowercased.
//   - accelerator: GPU.hardware.model, or NodeTopology.summary.gpu-products when
//     the model is absent; the value is a comma-separated list of products, each
//     mapped with the rules' ParseGPUSKU. One SKU gives that SKU; several SKUs, or a known
//     and an unknown product, give "" with note multi-gpu; only unknown products
//     give "" with note unknown-sku.
//   - gpuModel: the same reading as accelerator, as written but trimmed of
//     surrounding space (informational; never matched).
//   - os: OS.release.ID normalised (see NormaliseOS), version OS.release.VERSION_ID.
//   - k8sVersion: K8s.server.version without a leading "v".
//   - region: NodeTopology.summary.regions, comma-separated; several distinct
//     regions give "" with note multi-region.
//   - nodeCount, gpuNodeCount: NodeTopology.summary.node-count, gpu-node-count.
//
// Values are trimmed of surrounding space. Each dimension's source names the
// reading it came from, e.g. "K8s.node.provider".
//
// Under AICR the fingerprint is AICR's (see aicrFingerprint).
func (rules Rules) ComputeFromSnapshot(s *Snapshot) schema.Fingerprint {
	if rules == AICR {
		return aicrFingerprint(s)
	}
	var fp schema.Fingerprint
	r := fingerprintReadings()
	if v, ok := readString(s, r.provider); ok {
		fp.Service = &schema.Dimension{Value: asciiLower(v), Source: r.provider.source()}
	}
	fp.Accelerator, fp.GPUModel = rules.accelerator(s, r)
	if id, ok := readString(s, r.osID); ok {
		value, note := NormaliseOS(id)
		version, _ := readString(s, r.osVersion)
		fp.OS = &schema.OSDimension{Value: value, Version: version, Source: r.osID.source(), Note: note}
	}
	if v, ok := readString(s, r.serverVersion); ok {
		if v = strings.TrimPrefix(v, "v"); v != "" {
			fp.K8sVersion = &schema.Dimension{Value: v, Source: r.serverVersion.source()}
		}
	}
	if v, ok := readString(s, r.regions); ok {
		if regions := splitList(v); len(regions) == 1 {
			fp.Region = &schema.Dimension{Value: regions[0], Source: r.regions.source()}
		} else if len(regions) > 1 {
			fp.Region = &schema.Dimension{Source: r.regions.source(), Note: NoteMultiRegion}
		}
	}
	fp.NodeCount = readCount(s, r.nodeCount)
	fp.GPUNodeCount = readCount(s, r.gpuNodeCount)
	return fp
}

// accelerator derives the accelerator and gpuModel dimensions. Under Current
// the GPU model and the GPU feature discovery labels must agree (every product
// in either names one SKU; otherwise multi-gpu), and a snapshot that counts no
// GPU node shows no accelerator (note no-gpu-nodes), whatever a model string
// says.
func (rules Rules) accelerator(s *Snapshot, r readings) (acc, model *schema.Dimension) {
	if rules == First {
		return rules.firstAccelerator(s, r)
	}
	var products []string
	var src string
	for _, f := range []field{r.gpuModel, r.gpuProducts} {
		raw, ok := readString(s, f)
		if !ok {
			continue
		}
		listed := splitList(raw)
		if len(listed) == 0 {
			continue
		}
		if model == nil {
			src = f.source()
			model = &schema.Dimension{Value: raw, Source: src}
		}
		products = append(products, listed...)
	}
	if model == nil {
		return nil, nil
	}
	if n := readCount(s, r.gpuNodeCount); n != nil && n.Value == 0 {
		return &schema.Dimension{Source: r.gpuNodeCount.source(), Note: NoteNoGPUNodes}, model
	}
	return rules.skuOf(products, src), model
}

// skuOf names the one SKU all products name, or a note.
func (rules Rules) skuOf(products []string, src string) *schema.Dimension {
	first, several, unknown := "", false, false
	for _, p := range products {
		sku, ok := rules.ParseGPUSKU(p)
		switch {
		case !ok:
			unknown = true
		case first == "":
			first = sku
		case sku != first:
			several = true
		}
	}
	switch {
	case first == "":
		return &schema.Dimension{Source: src, Note: NoteUnknownSKU}
	case several || unknown:
		return &schema.Dimension{Source: src, Note: NoteMultiGPU}
	}
	return &schema.Dimension{Value: first, Source: src}
}

// firstAccelerator is the accelerator rule of the first emitters: the model,
// or when it is absent the labels, alone.
func (rules Rules) firstAccelerator(s *Snapshot, r readings) (acc, model *schema.Dimension) {
	for _, f := range []field{r.gpuModel, r.gpuProducts} {
		raw, ok := readString(s, f)
		if !ok {
			continue
		}
		products := splitList(raw)
		if len(products) == 0 {
			continue
		}
		src := f.source()
		return rules.skuOf(products, src), &schema.Dimension{Value: raw, Source: src}
	}
	return nil, nil
}

// NormaliseOS maps an os-release ID to the recipe os enum: ubuntu; rhel (from
// rhel or redhat); cos; amazonlinux (from amzn); oraclelinux (from ol); talos.
// The comparison ignores ASCII case and surrounding space. Any other ID is
// returned trimmed, ASCII-lowercased, with note "unrecognised-os".
func NormaliseOS(id string) (value, note string) {
	id = asciiLower(strings.TrimSpace(id))
	switch id {
	case "ubuntu", "cos", "talos":
		return id, ""
	case "rhel", "redhat":
		return "rhel", ""
	case "amzn", "amazonlinux":
		return "amazonlinux", ""
	case "ol", "oraclelinux":
		return "oraclelinux", ""
	}
	return id, NoteUnrecognisedOS
}

// readString returns a non-blank string reading that fits its schema limit.
func readString(s *Snapshot, f field) (string, bool) {
	v, ok := s.lookup(f)
	if !ok {
		return "", false
	}
	str, ok := stringValue(v)
	if !ok || str == "" || len([]rune(str)) > f.maxLen {
		return "", false
	}
	return str, true
}

// readCount returns a count dimension, or nil when the reading is absent or invalid.
func readCount(s *Snapshot, f field) *schema.CountDimension {
	v, ok := s.lookup(f)
	if !ok {
		return nil
	}
	n, ok := countValue(v)
	if !ok {
		return nil
	}
	return &schema.CountDimension{Value: n, Source: f.source()}
}

// splitList splits a comma-separated reading into its distinct non-blank items,
// trimmed, in first-seen order.
func splitList(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" || seen[item] {
			continue
		}
		seen[item] = true
		out = append(out, item)
	}
	return out
}
