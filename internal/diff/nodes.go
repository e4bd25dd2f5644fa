package diff

import (
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Difference is one place where the recipe in the PR and the recipe in the
// bundle disagree, one row of a report table.
type Difference struct {
	// Path names the value: "criteria.accelerator",
	// "componentRefs[name=gpu-operator].version", "constraints[name=K8s.server.version].value",
	// "validation.performance.checks[nccl-all-reduce-bw]", "metadata.appliedOverlays".
	// Items of lists of named mappings are addressed by name, other list
	// items by index ("[3]").
	Path string `json:"path"`
	// PRSays is the value the PR's recipe gives (for an overlay: what its
	// chain sets), "(absent)" when it has none.
	PRSays string `json:"prSays"`
	// BundleSays is the value in the bundle's recipe, "(absent)" when it has none.
	BundleSays string `json:"bundleSays"`
	// SetBy is, for an overlay check, the overlay (or mixin) whose value
	// PRSays shows; empty otherwise.
	SetBy string `json:"setBy,omitempty"`
}

// collector gathers at most MaxDifferences differences, counting them all.
type collector struct {
	diffs []Difference
	total int
}

func (c *collector) add(d Difference) {
	c.total++
	if len(c.diffs) < MaxDifferences {
		c.diffs = append(c.diffs, d)
	}
}

// scalarMode says how a differ compares scalars.
type scalarMode int

const (
	// exact: tag, value and style (what the canonical digest sees).
	exact scalarMode = iota
	// typed: resolved tag and value, styles ignored ("a" = 'a' = a, "1" ≠ 1).
	typed
	// text: value only ("1" = 1), for the fields AICR reads as strings.
	text
)

// differ walks two trees and reports where they differ.
type differ struct {
	c     *collector
	mode  scalarMode
	setBy string
	// extraOK ignores mapping keys and named list items that only the bundle
	// has, counting them in extra instead.
	extraOK bool
	extra   int
}

// Nodes lists where two YAML trees differ, exactly as the canonical digest
// sees them (tags, values, scalar and collection styles, list order): at most
// MaxDifferences of them, and the total. Mappings are compared key by key;
// lists whose items are all mappings with distinct scalar "name" keys (such
// as componentRefs and constraints) item by name, with a separate row when
// the order of the items differs; other lists item by index. Document nodes
// are unwrapped. pr is the PR's side, bundle the bundle's.
func Nodes(pr, bundle *yaml.Node) (diffs []Difference, total int) {
	c := &collector{}
	d := &differ{c: c, mode: exact}
	d.node("", pr, bundle)
	return c.diffs, c.total
}

func orRoot(p string) string {
	if p == "" {
		return "(document)"
	}
	return p
}

// pathKey appends mapping key k to path p.
func pathKey(p, k string) string {
	k = oneLine(k, 64)
	if k == "" || strings.ContainsAny(k, ".[] ") {
		k = "[" + strconv.Quote(k) + "]"
		return p + k
	}
	if p == "" {
		return k
	}
	return p + "." + k
}

// pathName appends a named list item to path p.
func pathName(p, name string) string { return p + "[name=" + oneLine(name, 64) + "]" }

func (d *differ) add(p string, a, b *yaml.Node) {
	pr, bu := describe(a), describe(b)
	if d.mode == text {
		pr, bu = describeLoose(a), describeLoose(b)
	}
	d.c.add(Difference{Path: orRoot(p), PRSays: pr, BundleSays: bu, SetBy: d.setBy})
}

func (d *differ) node(p string, a, b *yaml.Node) {
	if a != nil && a.Kind == yaml.DocumentNode && len(a.Content) == 1 {
		a = a.Content[0]
	}
	if b != nil && b.Kind == yaml.DocumentNode && len(b.Content) == 1 {
		b = b.Content[0]
	}
	switch {
	case a == nil && b == nil:
		return
	case a == nil && d.extraOK:
		d.extra++
		return
	case a == nil || b == nil || a.Kind != b.Kind:
		d.add(p, a, b)
		return
	}
	if d.mode == exact && a.Kind != yaml.ScalarNode && (a.Style&yaml.FlowStyle) != (b.Style&yaml.FlowStyle) {
		d.c.add(Difference{Path: orRoot(p), PRSays: styleName(a), BundleSays: styleName(b), SetBy: d.setBy})
	}
	switch a.Kind {
	case yaml.MappingNode:
		keys := map[string]bool{}
		for _, k := range mapKeys(a) {
			keys[k] = true
		}
		for _, k := range mapKeys(b) {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		ai, bi := keyIndex(a), keyIndex(b)
		for _, k := range sorted {
			d.node(pathKey(p, k), lookup(a, ai, k), lookup(b, bi, k))
		}
	case yaml.SequenceNode:
		an, aok := itemNames(a)
		bn, bok := itemNames(b)
		if aok && bok && len(an)+len(bn) > 0 {
			d.namedSeq(p, a, b, an, bn)
			return
		}
		for i := 0; i < max(len(a.Content), len(b.Content)); i++ {
			var x, y *yaml.Node
			if i < len(a.Content) {
				x = a.Content[i]
			}
			if i < len(b.Content) {
				y = b.Content[i]
			}
			d.node(p+"["+strconv.Itoa(i)+"]", x, y)
		}
	default:
		if !d.sameScalar(a, b) {
			d.add(p, a, b)
		}
	}
}

func (d *differ) sameScalar(a, b *yaml.Node) bool {
	switch d.mode {
	case exact:
		return a.Tag == b.Tag && a.Value == b.Value && a.Style == b.Style
	case text:
		return sameScalar(a, b, true)
	}
	return sameScalar(a, b, false)
}

func (d *differ) namedSeq(p string, a, b *yaml.Node, an, bn []string) {
	bi := map[string]*yaml.Node{}
	for i, n := range bn {
		bi[n] = b.Content[i]
	}
	ai := map[string]bool{}
	var common []string
	for i, n := range an {
		ai[n] = true
		if bi[n] != nil {
			common = append(common, n)
		}
		d.node(pathName(p, n), a.Content[i], bi[n])
	}
	var bcommon []string
	for i, n := range bn {
		if ai[n] {
			bcommon = append(bcommon, n)
			continue
		}
		d.node(pathName(p, n), nil, b.Content[i])
	}
	if strings.Join(common, "\x00") != strings.Join(bcommon, "\x00") {
		d.c.add(Difference{Path: orRoot(p), PRSays: "order: " + oneLine(strings.Join(common, ", "), 200),
			BundleSays: "order: " + oneLine(strings.Join(bcommon, ", "), 200), SetBy: d.setBy})
	}
}

// itemNames returns the names of a list whose items are all mappings with
// distinct, non-empty scalar names (an empty list qualifies).
func itemNames(seq *yaml.Node) ([]string, bool) {
	names := make([]string, 0, len(seq.Content))
	seen := map[string]bool{}
	for _, it := range seq.Content {
		if it.Kind != yaml.MappingNode {
			return nil, false
		}
		n, ok := scalarValue(mapGet(it, "name"))
		if !ok || n == "" || seen[n] {
			return nil, false
		}
		seen[n] = true
		names = append(names, n)
	}
	return names, true
}

func styleName(n *yaml.Node) string {
	if n.Style&yaml.FlowStyle != 0 {
		return "(flow style)"
	}
	return "(block style)"
}
