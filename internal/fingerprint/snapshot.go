package fingerprint

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxSnapshotBytes is the largest snapshot.yaml ParseSnapshot and Compute accept.
const MaxSnapshotBytes = 16 << 20

// MaxCount is the largest node count the predicate schema allows.
const MaxCount = 1_000_000_000

// Snapshot is an AICR snapshot in measurement form. Only the measurements are
// kept; every other top-level key (kind, metadata, the advisory fingerprint, …)
// is ignored.
type Snapshot struct {
	Measurements []Measurement `yaml:"measurements"`
}

// Measurement is one collector's output: a type (K8s, OS, GPU, NodeTopology, …)
// and its subtypes.
type Measurement struct {
	Type     string    `yaml:"type"`
	Subtypes []Subtype `yaml:"subtypes"`
}

// Subtype is one named group of readings of a measurement. Data maps a reading's
// key to a scalar: string, int, int64, uint64, float64, bool or nil, as YAML
// resolved it.
type Subtype struct {
	Subtype string         `yaml:"subtype"`
	Data    map[string]any `yaml:"data"`
}

// ParseSnapshot decodes snapshot YAML in measurement form. The input must be at
// most MaxSnapshotBytes, hold exactly one YAML document whose top level is a
// mapping, and have no duplicate key in any mapping. measurements must be a list
// of mappings, each with a non-empty string type and a subtypes list; each
// subtype needs a non-empty string subtype and a data mapping whose values are
// scalars (an empty or null list or mapping is allowed). Other keys, at any
// level, are ignored. Aliases of mappings or lists are refused in measurements.
// The result is then checked with Validate.
func ParseSnapshot(b []byte) (*Snapshot, error) {
	root, err := decodeSingleDocument("snapshot", b, MaxSnapshotBytes)
	if err != nil {
		return nil, err
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("snapshot: line %d: the top level is %s, want a mapping", root.Line, kindName(root))
	}
	mv := mappingValue(root, "measurements")
	if mv == nil {
		return nil, fmt.Errorf("snapshot: no measurements key")
	}
	if mv.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("snapshot: line %d: measurements is %s, want a list", mv.Line, kindName(mv))
	}
	s := &Snapshot{Measurements: make([]Measurement, 0, len(mv.Content))}
	for i, item := range mv.Content {
		m, err := parseMeasurement(i, item)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		s.Measurements = append(s.Measurements, m)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func parseMeasurement(i int, n *yaml.Node) (Measurement, error) {
	at := fmt.Sprintf("measurements[%d]", i)
	if n.Kind != yaml.MappingNode {
		return Measurement{}, fmt.Errorf("%s (line %d): is %s, want a mapping with type and subtypes", at, n.Line, kindName(n))
	}
	typ, err := requiredString(n, "type")
	if err != nil {
		return Measurement{}, fmt.Errorf("%s (line %d): %w", at, n.Line, err)
	}
	at = fmt.Sprintf("%s (type %s)", at, quote(typ))
	sv := mappingValue(n, "subtypes")
	if sv == nil {
		return Measurement{}, fmt.Errorf("%s (line %d): no subtypes key", at, n.Line)
	}
	m := Measurement{Type: typ}
	switch {
	case isNull(sv):
	case sv.Kind == yaml.SequenceNode:
		m.Subtypes = make([]Subtype, 0, len(sv.Content))
		for j, sn := range sv.Content {
			st, err := parseSubtype(sn)
			if err != nil {
				return Measurement{}, fmt.Errorf("%s, subtypes[%d]%w", at, j, err)
			}
			m.Subtypes = append(m.Subtypes, st)
		}
	default:
		return Measurement{}, fmt.Errorf("%s: line %d: subtypes is %s, want a list", at, sv.Line, kindName(sv))
	}
	return m, nil
}

// parseSubtype's errors start with the text that follows "subtypes[j]".
func parseSubtype(n *yaml.Node) (Subtype, error) {
	if n.Kind != yaml.MappingNode {
		return Subtype{}, fmt.Errorf(" (line %d): is %s, want a mapping with subtype and data", n.Line, kindName(n))
	}
	name, err := requiredString(n, "subtype")
	if err != nil {
		return Subtype{}, fmt.Errorf(" (line %d): %w", n.Line, err)
	}
	at := fmt.Sprintf(" (subtype %s)", quote(name))
	dv := mappingValue(n, "data")
	if dv == nil {
		return Subtype{}, fmt.Errorf("%s (line %d): no data key", at, n.Line)
	}
	st := Subtype{Subtype: name, Data: map[string]any{}}
	switch {
	case isNull(dv):
	case dv.Kind == yaml.MappingNode:
		for k := 0; k+1 < len(dv.Content); k += 2 {
			kn, err := deref(dv.Content[k])
			if err != nil {
				return Subtype{}, fmt.Errorf("%s, data: %w", at, err)
			}
			if kn.Kind != yaml.ScalarNode {
				return Subtype{}, fmt.Errorf("%s, data: line %d: a key is %s, want a scalar", at, kn.Line, kindName(kn))
			}
			v, err := scalarValue(dv.Content[k+1])
			if err != nil {
				return Subtype{}, fmt.Errorf("%s, data key %s: %w", at, quote(kn.Value), err)
			}
			st.Data[kn.Value] = v
		}
	default:
		return Subtype{}, fmt.Errorf("%s: line %d: data is %s, want a mapping", at, dv.Line, kindName(dv))
	}
	return st, nil
}

// requiredString returns the non-empty string value of key in mapping n.
func requiredString(n *yaml.Node, key string) (string, error) {
	v := mappingValue(n, key)
	if v == nil {
		return "", fmt.Errorf("no %s key", key)
	}
	v, err := deref(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		return "", fmt.Errorf("line %d: %s is %s, want a string", v.Line, key, kindName(v))
	}
	if strings.TrimSpace(v.Value) == "" {
		return "", fmt.Errorf("line %d: %s is empty", v.Line, key)
	}
	return v.Value, nil
}

// scalarValue converts a scalar node to the Go value Data holds.
func scalarValue(n *yaml.Node) (any, error) {
	n, err := deref(n)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("line %d: the value is %s, want a scalar", n.Line, kindName(n))
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			if i >= math.MinInt && i <= math.MaxInt {
				return int(i), nil
			}
			return i, nil
		}
		var u uint64
		if err := n.Decode(&u); err != nil {
			return nil, fmt.Errorf("line %d: integer %s: %w", n.Line, quote(n.Value), err)
		}
		return u, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("line %d: number %s: %w", n.Line, quote(n.Value), err)
		}
		return f, nil
	default:
		// !!str, and also !!timestamp, !!binary or a custom tag: keep the text.
		return n.Value, nil
	}
}

// Field names of the measurement readings the fingerprint reads.
const (
	typeK8s          = "K8s"
	typeOS           = "OS"
	typeGPU          = "GPU"
	typeNodeTopology = "NodeTopology"
)

// field is one reading the fingerprint reads.
type field struct {
	typ, sub, key string
	maxLen        int  // for strings: most characters allowed (the predicate schema's limit)
	count         bool // a non-negative integer instead of a string
}

// source names the reading in a dimension's source, e.g. "K8s.node.provider".
func (f field) source() string { return f.typ + "." + f.sub + "." + f.key }

// readings names every reading the fingerprint uses.
type readings struct {
	serverVersion, provider, osID, osVersion, gpuModel, gpuProducts, regions, nodeCount, gpuNodeCount field
}

// fingerprintReadings returns the readings. A function, not a variable, so the
// package has no mutable global state.
func fingerprintReadings() readings {
	return readings{
		serverVersion: field{typ: typeK8s, sub: "server", key: "version", maxLen: 256},
		provider:      field{typ: typeK8s, sub: "node", key: "provider", maxLen: 256},
		osID:          field{typ: typeOS, sub: "release", key: "ID", maxLen: 128},
		osVersion:     field{typ: typeOS, sub: "release", key: "VERSION_ID", maxLen: 128},
		gpuModel:      field{typ: typeGPU, sub: "hardware", key: "model", maxLen: 256},
		gpuProducts:   field{typ: typeNodeTopology, sub: "summary", key: "gpu-products", maxLen: 256},
		regions:       field{typ: typeNodeTopology, sub: "summary", key: "regions", maxLen: 256},
		nodeCount:     field{typ: typeNodeTopology, sub: "summary", key: "node-count", count: true},
		gpuNodeCount:  field{typ: typeNodeTopology, sub: "summary", key: "gpu-node-count", count: true},
	}
}

// all lists the readings in a fixed order.
func (r readings) all() []field {
	return []field{
		r.serverVersion, r.provider, r.osID, r.osVersion, r.gpuModel,
		r.gpuProducts, r.regions, r.nodeCount, r.gpuNodeCount,
	}
}

// lookup returns the value of a reading: the first measurement of that type,
// its first subtype of that name, then the key. ok is false when any is missing.
func (s *Snapshot) lookup(f field) (v any, ok bool) {
	if s == nil {
		return nil, false
	}
	for _, m := range s.Measurements {
		if m.Type != f.typ {
			continue
		}
		for _, st := range m.Subtypes {
			if st.Subtype != f.sub {
				continue
			}
			v, ok = st.Data[f.key]
			return v, ok
		}
		return nil, false
	}
	return nil, false
}

// Validate checks what ParseSnapshot cannot see from the YAML shape alone, so a
// Snapshot built in Go can be checked too: no measurement type appears twice and
// no subtype appears twice within a measurement; every measurement has a type and
// every subtype a name; the readings the fingerprint uses are scalars; node-count
// and gpu-node-count are integers from 0 to MaxCount; and the string readings fit
// the predicate schema (256 characters, 128 for OS.release.ID and VERSION_ID).
// A null reading counts as absent.
func (s *Snapshot) Validate() error {
	if s == nil {
		return fmt.Errorf("snapshot: nil")
	}
	types := make(map[string]int, len(s.Measurements))
	for i, m := range s.Measurements {
		if strings.TrimSpace(m.Type) == "" {
			return fmt.Errorf("snapshot: measurements[%d]: empty type", i)
		}
		if first, dup := types[m.Type]; dup {
			return fmt.Errorf("snapshot: measurements[%d]: type %s repeats measurements[%d]", i, quote(m.Type), first)
		}
		types[m.Type] = i
		subs := make(map[string]int, len(m.Subtypes))
		for j, st := range m.Subtypes {
			if strings.TrimSpace(st.Subtype) == "" {
				return fmt.Errorf("snapshot: measurement %s, subtypes[%d]: empty subtype", quote(m.Type), j)
			}
			if first, dup := subs[st.Subtype]; dup {
				return fmt.Errorf("snapshot: measurement %s, subtypes[%d]: subtype %s repeats subtypes[%d]", quote(m.Type), j, quote(st.Subtype), first)
			}
			subs[st.Subtype] = j
		}
	}
	for _, f := range fingerprintReadings().all() {
		v, ok := s.lookup(f)
		if !ok || v == nil {
			continue
		}
		at := fmt.Sprintf("snapshot: measurement %s, subtype %s, key %s", quote(f.typ), quote(f.sub), quote(f.key))
		if f.count {
			if _, ok := countValue(v); !ok {
				return fmt.Errorf("%s: want an integer from 0 to %d, got %s", at, MaxCount, describe(v))
			}
			continue
		}
		str, ok := stringValue(v)
		if !ok {
			return fmt.Errorf("%s: want a scalar, got %s", at, describe(v))
		}
		if n := utf8.RuneCountInString(str); n > f.maxLen {
			return fmt.Errorf("%s: %d characters, at most %d are allowed", at, n, f.maxLen)
		}
	}
	return nil
}

// stringValue renders a scalar reading as text, trimmed of surrounding space.
// Numbers use their shortest decimal form (an unquoted VERSION_ID of 8.10 reads
// as "8.1"; emitters quote such strings). ok is false for nil and non-scalars.
func stringValue(v any) (string, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case bool:
		s = strconv.FormatBool(x)
	case int:
		s = strconv.FormatInt(int64(x), 10)
	case int8:
		s = strconv.FormatInt(int64(x), 10)
	case int16:
		s = strconv.FormatInt(int64(x), 10)
	case int32:
		s = strconv.FormatInt(int64(x), 10)
	case int64:
		s = strconv.FormatInt(x, 10)
	case uint:
		s = strconv.FormatUint(uint64(x), 10)
	case uint8:
		s = strconv.FormatUint(uint64(x), 10)
	case uint16:
		s = strconv.FormatUint(uint64(x), 10)
	case uint32:
		s = strconv.FormatUint(uint64(x), 10)
	case uint64:
		s = strconv.FormatUint(x, 10)
	case float32:
		s = strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	default:
		return "", false
	}
	return strings.TrimSpace(s), true
}

// countValue returns an integer reading in [0, MaxCount]. Floats are refused
// even when integral: counts are YAML integers.
func countValue(v any) (int, bool) {
	var i int64
	switch x := v.(type) {
	case int:
		i = int64(x)
	case int8:
		i = int64(x)
	case int16:
		i = int64(x)
	case int32:
		i = int64(x)
	case int64:
		i = x
	case uint:
		if uint64(x) > MaxCount {
			return 0, false
		}
		i = int64(x)
	case uint8:
		i = int64(x)
	case uint16:
		i = int64(x)
	case uint32:
		i = int64(x)
	case uint64:
		if x > MaxCount {
			return 0, false
		}
		i = int64(x)
	default:
		return 0, false
	}
	if i < 0 || i > MaxCount {
		return 0, false
	}
	return int(i), true
}

// describe renders a reading's Go type and value for an error message.
func describe(v any) string {
	if s, ok := v.(string); ok {
		return "string " + quote(s)
	}
	return fmt.Sprintf("%T %s", v, quote(fmt.Sprint(v)))
}
