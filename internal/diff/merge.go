package diff

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// The overlay merge, as AICR's resolver does it (pkg/recipe
// RecipeMetadataSpec.Merge, mergeComponentRef, mergeValidationPhase):
//
//   - criteria: the chain's, the leaf's value winning per dimension;
//   - constraints: by name, a later overlay replacing the whole constraint;
//   - componentRefs: by name; a later overlay's non-empty field wins
//     (strings, booleans set only when true, lists replaced when non-empty),
//     except overrides (deep-merged, mappings merged key by key) and
//     dependencyRefs, manifestFiles and preManifestFiles (appended, without
//     duplicates);
//   - validation, per phase: checks appended without duplicates (an explicit
//     empty list clears them), constraints by name (an explicit empty list
//     clears them), other fields (timeout, infrastructure, nodeSelection)
//     replaced when non-empty;
//   - spec.mixins accumulated; a mixin adds its constraints and componentRefs.

// unionFields are the componentRef lists AICR merges additively.
var unionFields = map[string]bool{"dependencyRefs": true, "manifestFiles": true, "preManifestFiles": true}

// registryFields are the componentRef fields AICR's registry fills in when no
// overlay sets them (ApplyRegistryDefaults) or hydrates (healthCheckAsserts):
// a bundle may hold them without the overlays setting them.
var registryFields = map[string]bool{
	"type": true, "source": true, "version": true, "namespace": true, "chart": true,
	"tag": true, "path": true, "manifestFiles": true, "healthCheckAsserts": true,
}

// entry is one named item (constraint, componentRef) of the merged recipe.
type entry struct {
	node  *yaml.Node        // the merged mapping
	src   map[string]string // field → the overlay (or mixin) that set it last
	owner string            // the overlay that last touched the item
}

// named is an ordered set of entries keyed by name.
type named struct {
	order  []string
	byName map[string]*entry
}

func newNamed() *named { return &named{byName: map[string]*entry{}} }

func (l *named) get(name string) *entry { return l.byName[name] }

func (l *named) set(name string, e *entry) {
	if _, ok := l.byName[name]; !ok {
		l.order = append(l.order, name)
	}
	l.byName[name] = e
}

// phase is one merged validation phase.
type phase struct {
	src       string // the overlay that introduced the phase
	checks    []string
	checksSrc map[string]string
	// checksClearedBy is the last overlay that cleared the checks with an
	// explicit empty list.
	checksClearedBy string
	constraints     *named
	fields          map[string]*yaml.Node
	fieldSrc        map[string]string
}

// model is the merged content of the applied overlays.
type model struct {
	criteria    map[string]*yaml.Node
	criteriaSrc map[string]string
	constraints *named
	components  *named
	phases      map[string]*phase
	phaseOrder  []string
	profiles    []string // overlays that declare spec.profile (not resolved)
}

func newModel() *model {
	return &model{
		criteria:    map[string]*yaml.Node{},
		criteriaSrc: map[string]string{},
		constraints: newNamed(),
		components:  newNamed(),
		phases:      map[string]*phase{},
	}
}

// apply merges overlay or mixin d into m; withCriteria for the overlays of
// the leaf's own chain (the criteria of an overlay applied by criteria are a
// selector, not part of the recipe).
func (m *model) apply(d *doc, withCriteria bool) error {
	label := d.recipeName()
	what := "overlay"
	if d.kind == kindMixin {
		what = "mixin"
	}
	wrap := func(err error) error { return fmt.Errorf("%s %q (%s): %w", what, label, d.path, err) }
	if withCriteria && d.criteria != nil {
		for i := 0; i+1 < len(d.criteria.Content); i += 2 {
			k := d.criteria.Content[i].Value
			m.criteria[k] = d.criteria.Content[i+1]
			m.criteriaSrc[k] = label
		}
	}
	items, err := namedItems(mapGet(d.spec, "constraints"), "spec.constraints")
	if err != nil {
		return wrap(err)
	}
	for _, it := range items {
		m.constraints.set(it.name, newEntry(it.node, label))
	}
	items, err = namedItems(mapGet(d.spec, "componentRefs"), "spec.componentRefs")
	if err != nil {
		return wrap(err)
	}
	for _, it := range items {
		if e := m.components.get(it.name); e != nil {
			mergeComponent(e, it.node, label)
		} else {
			m.components.set(it.name, newEntry(it.node, label))
		}
	}
	if d.kind == kindMixin {
		return nil
	}
	if err := m.applyValidation(mapGet(d.spec, "validation"), label); err != nil {
		return wrap(err)
	}
	if !isNull(mapGet(d.spec, "profile")) {
		m.profiles = append(m.profiles, label)
	}
	return nil
}

func newEntry(n *yaml.Node, label string) *entry {
	e := &entry{node: clone(n), src: map[string]string{}, owner: label}
	for _, k := range mapKeys(n) {
		e.src[k] = label
	}
	return e
}

type namedItem struct {
	name string
	node *yaml.Node
}

// namedItems reads a list of mappings that each have a non-empty scalar name.
func namedItems(n *yaml.Node, field string) ([]namedItem, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s is %s, want a list", field, kindName(n))
	}
	out := make([]namedItem, 0, len(n.Content))
	for i, it := range n.Content {
		if it.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s[%d] is %s, want a mapping", field, i, kindName(it))
		}
		name, ok := scalarValue(mapGet(it, "name"))
		if !ok || name == "" {
			return nil, fmt.Errorf("%s[%d] has no name", field, i)
		}
		out = append(out, namedItem{name: name, node: it})
	}
	return out, nil
}

// mergeComponent merges an overlay's componentRef into the merged one.
func mergeComponent(e *entry, over *yaml.Node, label string) {
	e.owner = label
	idx := keyIndex(e.node)
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i].Value, over.Content[i+1]
		if k == "name" {
			continue
		}
		cur := lookup(e.node, idx, k)
		switch {
		case unionFields[k] && v.Kind == yaml.SequenceNode && cur != nil && cur.Kind == yaml.SequenceNode:
			have := map[string]bool{}
			for _, c := range cur.Content {
				have[valueKey(c)] = true
			}
			for _, item := range v.Content {
				if key := valueKey(item); !have[key] {
					have[key] = true
					cur.Content = append(cur.Content, clone(item))
				}
			}
			if len(v.Content) > 0 {
				e.src[k] = label
			}
		case k == "overrides" && v.Kind == yaml.MappingNode && cur != nil && cur.Kind == yaml.MappingNode:
			deepMerge(cur, v)
			if len(v.Content) > 0 {
				e.src[k] = label
			}
		default:
			if isZero(v) {
				continue
			}
			setIndexed(e.node, idx, k, clone(v))
			e.src[k] = label
		}
	}
}

// deepMerge merges mapping src into mapping dst: mappings merge key by key,
// anything else (null included) replaces.
func deepMerge(dst, src *yaml.Node) {
	idx := keyIndex(dst)
	for i := 0; i+1 < len(src.Content); i += 2 {
		k, sv := src.Content[i].Value, src.Content[i+1]
		if dv := lookup(dst, idx, k); dv != nil && dv.Kind == yaml.MappingNode && sv.Kind == yaml.MappingNode {
			deepMerge(dv, sv)
			continue
		}
		setIndexed(dst, idx, k, clone(sv))
	}
}

// applyValidation merges one overlay's spec.validation.
func (m *model) applyValidation(n *yaml.Node, label string) error {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("spec.validation is %s, want a mapping", kindName(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, pv := n.Content[i].Value, n.Content[i+1]
		if isNull(pv) {
			continue
		}
		if pv.Kind != yaml.MappingNode {
			return fmt.Errorf("spec.validation.%s is %s, want a mapping", oneLine(name, 64), kindName(pv))
		}
		ph := m.phases[name]
		if ph == nil {
			ph = &phase{src: label, checksSrc: map[string]string{}, fields: map[string]*yaml.Node{}, fieldSrc: map[string]string{}}
			m.phases[name] = ph
			m.phaseOrder = append(m.phaseOrder, name)
		}
		for j := 0; j+1 < len(pv.Content); j += 2 {
			k, v := pv.Content[j].Value, pv.Content[j+1]
			field := "spec.validation." + oneLine(name, 64) + "." + oneLine(k, 64)
			switch k {
			case "checks":
				if isNull(v) {
					continue
				}
				if v.Kind != yaml.SequenceNode {
					return fmt.Errorf("%s is %s, want a list", field, kindName(v))
				}
				if len(v.Content) == 0 {
					ph.checks, ph.checksSrc, ph.checksClearedBy = nil, map[string]string{}, label
					continue
				}
				for x, c := range v.Content {
					s, ok := scalarValue(c)
					if !ok {
						return fmt.Errorf("%s[%d] is %s, want a string", field, x, kindName(c))
					}
					if _, dup := ph.checksSrc[s]; !dup {
						ph.checks = append(ph.checks, s)
						ph.checksSrc[s] = label
					}
				}
			case "constraints":
				items, err := namedItems(v, field)
				if err != nil {
					return err
				}
				if v != nil && v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
					ph.constraints = newNamed()
					continue
				}
				if ph.constraints == nil {
					ph.constraints = newNamed()
				}
				for _, it := range items {
					ph.constraints.set(it.name, newEntry(it.node, label))
				}
			default:
				if isZero(v) {
					continue
				}
				ph.fields[k] = clone(v)
				ph.fieldSrc[k] = label
			}
		}
	}
	return nil
}
