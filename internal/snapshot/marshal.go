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
	list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, m := range ms {
		subs := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, st := range m.Subtypes {
			data, err := dataNode(st.Data)
			if err != nil {
				return nil, fmt.Errorf("snapshot: marshal: measurement %q, subtype %q: %w", m.Type, st.Subtype, err)
			}
			subs.Content = append(subs.Content, mapping(
				strNode("subtype"), strNode(st.Subtype),
				strNode("data"), data,
			))
		}
		list.Content = append(list.Content, mapping(
			strNode("type"), strNode(m.Type),
			strNode("subtypes"), subs,
		))
	}
	root := mapping(strNode("measurements"), list)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root},
		HeadComment: "Cluster snapshot in AICR measurement form."}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("snapshot: marshal: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("snapshot: marshal: %w", err)
	}
	if buf.Len() > fingerprint.MaxSnapshotBytes {
		return nil, fmt.Errorf("snapshot: marshal: %d bytes, more than the %d a snapshot may have", buf.Len(), fingerprint.MaxSnapshotBytes)
	}
	return buf.Bytes(), nil
}

func mapping(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: kv}
}

// strNode is a string scalar. The encoder quotes it when plain text would read
// back as another type (24.04, true, null, 0755, …).
func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// dataNode renders a data mapping with its keys sorted.
func dataNode(data map[string]any) (*yaml.Node, error) {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := mapping()
	if len(keys) == 0 {
		n.Style = yaml.FlowStyle
	}
	for _, k := range keys {
		if !utf8.ValidString(k) {
			return nil, fmt.Errorf("key %q is not UTF-8", k)
		}
		v, err := scalarNode(data[k])
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		n.Content = append(n.Content, strNode(k), v)
	}
	return n, nil
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
