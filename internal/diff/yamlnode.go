package diff

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Helpers over yaml.v3 node trees. The trees come from schema.Canonical, so
// they hold no aliases, anchors, merge keys or duplicate keys.

// mapGet returns the value of key in mapping m, or nil.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// keyIndex maps each key of mapping m to the index of its value in
// m.Content, so that loops over a mapping look keys up in constant time (a
// PR's recipe may hold mappings of 100,000 keys).
func keyIndex(m *yaml.Node) map[string]int {
	idx := map[string]int{}
	if m == nil || m.Kind != yaml.MappingNode {
		return idx
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		idx[m.Content[i].Value] = i + 1
	}
	return idx
}

// lookup returns the value of key k of mapping m indexed by idx, or nil.
func lookup(m *yaml.Node, idx map[string]int, k string) *yaml.Node {
	if i, ok := idx[k]; ok {
		return m.Content[i]
	}
	return nil
}

// setIndexed sets key k of mapping m (indexed by idx) to v.
func setIndexed(m *yaml.Node, idx map[string]int, k string, v *yaml.Node) {
	if i, ok := idx[k]; ok {
		m.Content[i] = v
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, v)
	idx[k] = len(m.Content) - 1
}

// valueKey is a string that is equal for two nodes exactly when
// sameValue(a, b, true) holds, for set membership in linear time.
func valueKey(n *yaml.Node) string {
	var b strings.Builder
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch {
		case n == nil:
			b.WriteString("~")
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
			b.WriteString("n;")
		case n.Kind == yaml.ScalarNode:
			b.WriteString("s")
			b.WriteString(strconv.Itoa(len(n.Value)))
			b.WriteString(":")
			b.WriteString(n.Value)
		case n.Kind == yaml.SequenceNode:
			b.WriteString("[")
			for _, c := range n.Content {
				walk(c)
			}
			b.WriteString("]")
		case n.Kind == yaml.MappingNode:
			keys := mapKeys(n)
			idx := keyIndex(n)
			sort.Strings(keys)
			b.WriteString("{")
			for _, k := range keys {
				b.WriteString(strconv.Itoa(len(k)))
				b.WriteString(":")
				b.WriteString(k)
				walk(n.Content[idx[k]])
			}
			b.WriteString("}")
		default:
			b.WriteString("?")
		}
	}
	walk(n)
	return b.String()
}

// mapKeys returns the keys of mapping m in document order.
func mapKeys(m *yaml.Node) []string {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]string, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, m.Content[i].Value)
	}
	return out
}

func newMapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

// isNull reports whether n is absent or a null scalar.
func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// scalarValue returns the value of a non-null scalar.
func scalarValue(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", false
	}
	return n.Value, true
}

// isZero reports whether n is the zero value AICR's merge ignores: null, "",
// false, 0, or an empty collection.
func isZero(n *yaml.Node) bool {
	if isNull(n) {
		return true
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!bool":
			b, ok := parseBool(n.Value)
			return ok && !b
		case "!!int", "!!float":
			f, ok := parseNumber(n.Value)
			return ok && f == 0
		}
		return n.Value == ""
	case yaml.SequenceNode, yaml.MappingNode:
		return len(n.Content) == 0
	}
	return false
}

// clone deep-copies n.
func clone(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = clone(k)
		}
	}
	return &c
}

// kindName names the kind of n for messages.
func kindName(n *yaml.Node) string {
	if n == nil {
		return "absent"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return "a scalar"
	}
	return "a node"
}

// describe renders n for one cell of a difference table. Quoted scalars keep
// their quotes, so that "1.33" and 1.33 read differently.
func describe(n *yaml.Node) string {
	if n == nil {
		return "(absent)"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return fmt.Sprintf("(mapping of %d keys)", len(n.Content)/2)
	case yaml.SequenceNode:
		if len(n.Content) <= 8 && allScalars(n.Content) {
			parts := make([]string, len(n.Content))
			for i, c := range n.Content {
				parts[i] = describe(c)
			}
			return oneLine("["+strings.Join(parts, ", ")+"]", 120)
		}
		return fmt.Sprintf("(list of %d)", len(n.Content))
	}
	v := n.Value
	switch {
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		v = strconv.Quote(v)
	case n.ShortTag() == "!!null" && v == "":
		v = "null"
	case v == "":
		v = `""`
	}
	return oneLine(v, 80)
}

// describeLoose renders a scalar by its value alone (no quotes), for fields
// that AICR reads as strings whatever their YAML style.
func describeLoose(n *yaml.Node) string {
	if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
		if n.Value == "" {
			return `""`
		}
		return oneLine(n.Value, 80)
	}
	return describe(n)
}

func allScalars(ns []*yaml.Node) bool {
	for _, n := range ns {
		if n.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func parseNumber(s string) (float64, bool) {
	s = strings.ReplaceAll(s, "_", "")
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return float64(i), true
	}
	switch strings.ToLower(s) {
	case ".inf", "+.inf":
		return math.Inf(1), true
	case "-.inf":
		return math.Inf(-1), true
	case ".nan":
		return math.NaN(), true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func sameScalar(a, b *yaml.Node, loose bool) bool {
	at, bt := a.ShortTag(), b.ShortTag()
	if at == "!!null" || bt == "!!null" {
		return at == bt
	}
	if loose {
		return a.Value == b.Value
	}
	numeric := func(t string) bool { return t == "!!int" || t == "!!float" }
	switch {
	case numeric(at) && numeric(bt):
		x, ok1 := parseNumber(a.Value)
		y, ok2 := parseNumber(b.Value)
		return ok1 && ok2 && (x == y || (math.IsNaN(x) && math.IsNaN(y)))
	case at != bt:
		return false
	case at == "!!bool":
		x, _ := parseBool(a.Value)
		y, _ := parseBool(b.Value)
		return x == y
	}
	return a.Value == b.Value
}
