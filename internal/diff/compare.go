package diff

import (
	"sort"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// comparison compares the merged overlays with a bundle's resolved recipe.
type comparison struct {
	c *collector
	// strict: items and fields that only the bundle has are differences.
	// Off when mixins could not be resolved (they may have added them).
	strict bool
	// skipped counts bundle-only items not judged because strict is off.
	skipped int
	// registry counts, per componentRef field, the bundle values that no
	// overlay set (registry defaults): not compared.
	registry map[string]int
	counts   struct{ criteria, constraints, components, phases int }
}

func newComparison(c *collector, strict bool) *comparison {
	return &comparison{c: c, strict: strict, registry: map[string]int{}}
}

// critDescribe shows one criteria value.
func critDescribe(n *yaml.Node) string {
	if isNull(n) {
		return "any (not set)"
	}
	return describeLoose(n)
}

// criteria compares every dimension the chain sets, and every dimension the
// bundle sets, with "any" and unset being the same.
func (cp *comparison) criteria(m *model, got *yaml.Node) {
	if !isNull(got) && got.Kind != yaml.MappingNode {
		cp.c.add(Difference{Path: "criteria", PRSays: "(mapping)", BundleSays: describe(got)})
		return
	}
	keys := map[string]bool{}
	for k := range m.criteria {
		keys[k] = true
	}
	for _, k := range mapKeys(got) {
		keys[k] = true
	}
	gi := keyIndex(got)
	for _, k := range sortedKeys(keys) {
		pv, bv := m.criteria[k], lookup(got, gi, k)
		cp.counts.criteria++
		if bv != nil && bv.Kind != yaml.ScalarNode {
			cp.c.add(Difference{Path: pathKey("criteria", k), PRSays: critDescribe(pv), BundleSays: describe(bv), SetBy: m.criteriaSrc[k]})
			continue
		}
		ps, _ := scalarValue(pv)
		bs, _ := scalarValue(bv)
		if normCriterion(k, ps) != normCriterion(k, bs) {
			cp.c.add(Difference{Path: pathKey("criteria", k), PRSays: critDescribe(pv), BundleSays: critDescribe(bv), SetBy: m.criteriaSrc[k]})
		}
	}
}

// bundleItems indexes a bundle list of named mappings. Items without a
// name, and repeated names, are differences.
func (cp *comparison) bundleItems(path string, n *yaml.Node) (map[string]*yaml.Node, []string, bool) {
	out := map[string]*yaml.Node{}
	if isNull(n) {
		return out, nil, true
	}
	if n.Kind != yaml.SequenceNode {
		cp.c.add(Difference{Path: path, PRSays: "(list)", BundleSays: describe(n)})
		return nil, nil, false
	}
	var order []string
	for i, it := range n.Content {
		name, ok := scalarValue(mapGet(it, "name"))
		if it.Kind != yaml.MappingNode || !ok || name == "" {
			cp.c.add(Difference{Path: path + "[" + strconv.Itoa(i) + "]", PRSays: "(an item with a name)", BundleSays: describe(it)})
			continue
		}
		if out[name] != nil {
			cp.c.add(Difference{Path: pathName(path, name), PRSays: "(once)", BundleSays: "(listed twice)"})
			continue
		}
		out[name] = it
		order = append(order, name)
	}
	return out, order, true
}

// summarizeItem shows a named item in one cell, with who set what it shows.
func summarizeItem(n *yaml.Node, src map[string]string, owner string) (string, string) {
	by := func(k string) string {
		if s := src[k]; s != "" {
			return s
		}
		return owner
	}
	if v := mapGet(n, "value"); v != nil {
		return describeLoose(v), by("value")
	}
	if v := mapGet(n, "version"); v != nil {
		return "version " + describeLoose(v), by("version")
	}
	return "(declared)", owner
}

// namedList compares the merged items with the bundle's list of the same
// name, each with cmp. Bundle-only items are differences when strict.
func (cp *comparison) namedList(path string, exp *named, got *yaml.Node, strict bool, cmp func(p string, e *entry, b *yaml.Node)) {
	bm, border, ok := cp.bundleItems(path, got)
	if !ok {
		return
	}
	for _, n := range exp.order {
		e, p := exp.byName[n], pathName(path, n)
		b := bm[n]
		if b == nil {
			says, by := summarizeItem(e.node, e.src, e.owner)
			cp.c.add(Difference{Path: p, PRSays: says, BundleSays: "(absent)", SetBy: by})
			continue
		}
		cmp(p, e, b)
	}
	for _, n := range border {
		if exp.get(n) != nil {
			continue
		}
		if strict {
			says, _ := summarizeItem(bm[n], nil, "")
			cp.c.add(Difference{Path: pathName(path, n), PRSays: "(absent)", BundleSays: says})
		} else {
			cp.skipped++
		}
	}
}

// constraint compares one constraint field by field (AICR reads them as strings).
func (cp *comparison) constraint(p string, e *entry, b *yaml.Node) {
	cp.counts.constraints++
	keys := map[string]bool{}
	for _, k := range mapKeys(e.node) {
		keys[k] = true
	}
	for _, k := range mapKeys(b) {
		keys[k] = true
	}
	ei, bi := keyIndex(e.node), keyIndex(b)
	for _, k := range sortedKeys(keys) {
		if k == "name" {
			continue
		}
		d := &differ{c: cp.c, mode: text, setBy: e.owner}
		d.node(pathKey(p, k), lookup(e.node, ei, k), lookup(b, bi, k))
	}
}

// phaseConstraint compares a validation-phase constraint.
func (cp *comparison) phaseConstraint(p string, e *entry, b *yaml.Node) {
	d := &differ{c: cp.c, mode: text, setBy: e.owner}
	ei, bi := keyIndex(e.node), keyIndex(b)
	for _, k := range mapKeys(e.node) {
		if k != "name" {
			d.node(pathKey(p, k), lookup(e.node, ei, k), lookup(b, bi, k))
		}
	}
	for _, k := range mapKeys(b) {
		if lookup(e.node, ei, k) == nil {
			d.node(pathKey(p, k), nil, lookup(b, bi, k))
		}
	}
}

// component compares every field the overlays set on one componentRef.
func (cp *comparison) component(p string, e *entry, b *yaml.Node) {
	cp.counts.components++
	ei, bi := keyIndex(e.node), keyIndex(b)
	for _, k := range mapKeys(e.node) {
		if k == "name" {
			continue
		}
		pv, bv, setBy := lookup(e.node, ei, k), lookup(b, bi, k), e.src[k]
		switch {
		case unionFields[k] && pv.Kind == yaml.SequenceNode:
			cp.set(pathKey(p, k), pv, bv, cp.strict, setBy, nil, "")
		case k == "overrides":
			// Helm values keep their types: "1" and 1 differ.
			d := &differ{c: cp.c, mode: typed, setBy: setBy, extraOK: !cp.strict}
			d.node(pathKey(p, k), pv, bv)
			cp.skipped += d.extra
		default:
			d := &differ{c: cp.c, mode: text, setBy: setBy}
			d.node(pathKey(p, k), pv, bv)
		}
	}
	for _, k := range mapKeys(b) {
		if k == "name" || lookup(e.node, ei, k) != nil {
			continue
		}
		switch {
		case registryFields[k]:
			cp.registry[k]++
		case cp.strict:
			cp.c.add(Difference{Path: pathKey(p, k), PRSays: "(absent)", BundleSays: describe(lookup(b, bi, k)), SetBy: e.owner})
		default:
			cp.skipped++
		}
	}
}

// set compares a list used as a set (dependencyRefs, checks): each member
// the PR lists must be in the bundle's, and, when strict, the other way round.
// setBy is who set the list, srcOf (when known) who listed each member,
// extraBy who is answerable for members the PR does not list (the overlay
// that cleared the list).
func (cp *comparison) set(p string, exp, got *yaml.Node, strict bool, setBy string, srcOf map[string]string, extraBy string) {
	if !isNull(got) && got.Kind != yaml.SequenceNode {
		cp.c.add(Difference{Path: p, PRSays: describe(exp), BundleSays: describe(got), SetBy: setBy})
		return
	}
	var gotItems []*yaml.Node
	if got != nil && got.Kind == yaml.SequenceNode {
		gotItems = got.Content
	}
	var expItems []*yaml.Node
	if exp != nil {
		expItems = exp.Content
	}
	keysOf := func(items []*yaml.Node) map[string]bool {
		out := make(map[string]bool, len(items))
		for _, it := range items {
			out[valueKey(it)] = true
		}
		return out
	}
	expKeys, gotKeys := keysOf(expItems), keysOf(gotItems)
	for _, x := range expItems {
		if !gotKeys[valueKey(x)] {
			by := setBy
			if v, ok := scalarValue(x); ok && srcOf != nil {
				by = srcOf[v]
			}
			cp.c.add(Difference{Path: p + "[" + describeLoose(x) + "]", PRSays: "listed", BundleSays: "(absent)", SetBy: by})
		}
	}
	for _, x := range gotItems {
		if expKeys[valueKey(x)] {
			continue
		}
		if strict {
			cp.c.add(Difference{Path: p + "[" + describeLoose(x) + "]", PRSays: "(absent)", BundleSays: "listed", SetBy: extraBy})
		} else {
			cp.skipped++
		}
	}
}

// validation compares the merged validation phases with the bundle's. Mixins
// carry no validation, so bundle-only phases, checks and constraints are
// always differences.
func (cp *comparison) validation(m *model, got *yaml.Node) {
	if !isNull(got) && got.Kind != yaml.MappingNode {
		cp.c.add(Difference{Path: "validation", PRSays: "(mapping)", BundleSays: describe(got)})
		return
	}
	names := append([]string(nil), m.phaseOrder...)
	var extra []string
	for _, k := range mapKeys(got) {
		if m.phases[k] == nil {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	names = append(names, extra...)
	gi := keyIndex(got)
	for _, pn := range names {
		ph, bp, p := m.phases[pn], lookup(got, gi, pn), pathKey("validation", pn)
		switch {
		case ph == nil:
			if !isNull(bp) {
				cp.c.add(Difference{Path: p, PRSays: "(absent)", BundleSays: describe(bp)})
			}
			continue
		case isNull(bp):
			cp.c.add(Difference{Path: p, PRSays: "(phase declared)", BundleSays: "(absent)", SetBy: ph.src})
			continue
		case bp.Kind != yaml.MappingNode:
			cp.c.add(Difference{Path: p, PRSays: "(mapping)", BundleSays: describe(bp), SetBy: ph.src})
			continue
		}
		cp.counts.phases++
		checks := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, c := range ph.checks {
			checks.Content = append(checks.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: c})
		}
		cp.set(pathKey(p, "checks"), checks, mapGet(bp, "checks"), true, ph.src, ph.checksSrc, ph.checksClearedBy)
		exp := ph.constraints
		if exp == nil {
			exp = newNamed()
		}
		cp.namedList(pathKey(p, "constraints"), exp, mapGet(bp, "constraints"), true, cp.phaseConstraint)
		keys := map[string]bool{}
		for k := range ph.fields {
			keys[k] = true
		}
		for _, k := range mapKeys(bp) {
			if k != "checks" && k != "constraints" {
				keys[k] = true
			}
		}
		bpi := keyIndex(bp)
		for _, k := range sortedKeys(keys) {
			d := &differ{c: cp.c, mode: text, setBy: ph.fieldSrc[k]}
			d.node(pathKey(p, k), ph.fields[k], lookup(bp, bpi, k))
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
