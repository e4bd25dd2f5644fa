package snapshot

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/internal/fingerprint"
)

// measurementRank orders the well-known measurement types first.
func measurementRank(typ string) int {
	switch typ {
	case "K8s":
		return 0
	case "OS":
		return 1
	case "GPU":
		return 2
	case "NodeTopology":
		return 3
	}
	return 4
}

// Marshal writes s as snapshot YAML in measurement form, deterministically: a
// header comment, then measurements ordered K8s, OS, GPU, NodeTopology and the
// other types by name; subtypes in the order s holds them; data keys sorted by
// byte value; two-space indentation. Strings that would read back as another
// type (24.04, true, null, …) are quoted, so the output parses with
// fingerprint.ParseSnapshot to an equal Snapshot. s must pass Validate, and
// data values must be scalars (string, bool, integer, float or nil) with
// strings in UTF-8.
func Marshal(s *fingerprint.Snapshot) ([]byte, error) {
	if s == nil {
		return nil, fmt.Errorf("snapshot: marshal: nil snapshot")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("snapshot: marshal: %w", err)
	}
	ms := make([]fingerprint.Measurement, len(s.Measurements))
	copy(ms, s.Measurements)
	sort.SliceStable(ms, func(i, j int) bool {
		ri, rj := measurementRank(ms[i].Type), measurementRank(ms[j].Type)
		if ri != rj {
			return ri < rj
		}
		return ri == 4 && ms[i].Type < ms[j].Type
	})
	w := &writer{}
	w.buf.WriteString("# Cluster snapshot in AICR measurement form.\n\n")
	if len(ms) == 0 {
		w.pairs("", "", strNode("measurements"), &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"})
	} else {
		w.buf.WriteString("measurements:\n")
	}
	for _, m := range ms {
		w.pairs("  - ", "    ", strNode("type"), strNode(m.Type))
		if len(m.Subtypes) == 0 {
			w.pairs("    ", "    ", strNode("subtypes"), &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"})
			continue
		}
		w.buf.WriteString("    subtypes:\n")
		for _, st := range m.Subtypes {
			w.pairs("      - ", "        ", strNode("subtype"), strNode(st.Subtype))
			if err := w.data(st.Data); err != nil {
				return nil, fmt.Errorf("snapshot: marshal: measurement %q, subtype %q: %w", m.Type, st.Subtype, err)
			}
		}
		if w.err != nil {
			break
		}
	}
	if w.err != nil {
		return nil, fmt.Errorf("snapshot: marshal: %w", w.err)
	}
	if w.buf.Len() > fingerprint.MaxSnapshotBytes {
		return nil, fmt.Errorf("snapshot: marshal: %d bytes, more than the %d a snapshot may have", w.buf.Len(), fingerprint.MaxSnapshotBytes)
	}
	return w.buf.Bytes(), nil
}

// dataChunk is how many data keys one YAML encoder writes. The encoder keeps
// every event of a document until it is closed (a few hundred bytes per
// scalar), so a large data mapping (NodeTopology.nodes: tens of thousands of
// keys) is written chunk by chunk, each a small document of its own, indented
// into place.
const dataChunk = 256

// writer writes snapshot YAML piece by piece: the fixed structure directly,
// and every mapping entry through a YAML encoder of its own document, so that
// scalars are quoted and styled exactly as a whole-document encode would (with
// no line width limit, an entry's text does not depend on its column).
type writer struct {
	buf bytes.Buffer
	err error
}

// pairs encodes kv (key, value, key, value, …) as a block mapping and writes
// it indented: first before its first line, indent before the others (empty
// lines, inside multi-line scalars, stay empty).
func (w *writer) pairs(first, indent string, kv ...*yaml.Node) {
	if w.err != nil {
		return
	}
	var doc bytes.Buffer
	enc := yaml.NewEncoder(&doc)
	enc.SetIndent(2)
	if err := enc.Encode(mapping(kv...)); err != nil {
		w.err = err
		return
	}
	if err := enc.Close(); err != nil {
		w.err = err
		return
	}
	// The emitter indents a line only before content: a line that is empty
	// or starts with another line break stays as it is.
	text, prefix, lineStart := doc.Bytes(), first, true
	for len(text) > 0 {
		r, size := utf8.DecodeRune(text)
		brk := isBreak(r)
		if lineStart && !brk {
			w.buf.WriteString(prefix)
			prefix = indent
		}
		lineStart = brk
		w.buf.Write(text[:size])
		text = text[size:]
	}
	if w.buf.Len() > fingerprint.MaxSnapshotBytes {
		w.err = fmt.Errorf("more than the %d bytes a snapshot may have", fingerprint.MaxSnapshotBytes)
	}
}

// isBreak reports whether the YAML emitter writes r as a line break.
func isBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029'
}

// data writes a subtype's data mapping with its keys sorted, dataChunk entries
// per encoder.
func (w *writer) data(data map[string]any) error {
	const indent = "          "
	if len(data) == 0 {
		w.pairs("        ", "        ", strNode("data"), &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle})
		return nil
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w.buf.WriteString("        data:\n")
	kv := make([]*yaml.Node, 0, 2*min(len(keys), dataChunk))
	for i, k := range keys {
		if !utf8.ValidString(k) {
			return fmt.Errorf("key %q is not UTF-8", k)
		}
		v, err := scalarNode(data[k])
		if err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
		kv = append(kv, strNode(k), v)
		if len(kv) == 2*dataChunk || i == len(keys)-1 {
			w.pairs(indent, indent, kv...)
			clear(kv)
			kv = kv[:0]
		}
		if w.err != nil {
			return nil
		}
	}
	return nil
}

func mapping(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: kv}
}

// strNode is a string scalar. The encoder quotes it when plain text would read
// back as another type (24.04, true, null, 0755, …).
func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// scalarNode renders one data value with its explicit tag; the encoder drops
// the tag where the plain text resolves to it anyway.
func scalarNode(v any) (*yaml.Node, error) {
	var tag, text string
	switch x := v.(type) {
	case nil:
		tag, text = "!!null", "null"
	case string:
		if !utf8.ValidString(x) {
			return nil, fmt.Errorf("value %q is not UTF-8", x)
		}
		return strNode(x), nil
	case bool:
		tag, text = "!!bool", strconv.FormatBool(x)
	case int:
		tag, text = "!!int", strconv.FormatInt(int64(x), 10)
	case int8:
		tag, text = "!!int", strconv.FormatInt(int64(x), 10)
	case int16:
		tag, text = "!!int", strconv.FormatInt(int64(x), 10)
	case int32:
		tag, text = "!!int", strconv.FormatInt(int64(x), 10)
	case int64:
		tag, text = "!!int", strconv.FormatInt(x, 10)
	case uint:
		tag, text = "!!int", strconv.FormatUint(uint64(x), 10)
	case uint8:
		tag, text = "!!int", strconv.FormatUint(uint64(x), 10)
	case uint16:
		tag, text = "!!int", strconv.FormatUint(uint64(x), 10)
	case uint32:
		tag, text = "!!int", strconv.FormatUint(uint64(x), 10)
	case uint64:
		tag, text = "!!int", strconv.FormatUint(x, 10)
	case float32:
		tag, text = "!!float", formatFloat(float64(x), 32)
	case float64:
		tag, text = "!!float", formatFloat(x, 64)
	default:
		return nil, fmt.Errorf("value of type %T, want a scalar", v)
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: text}, nil
}

// formatFloat writes a float so that it reads back as a float: the shortest
// form, with ".0" added to a whole number, or .inf, -.inf, .nan.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.IsNaN(f):
		return ".nan"
	}
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}
