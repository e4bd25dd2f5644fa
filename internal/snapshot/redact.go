package snapshot

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/snapshot/scrub"
)

// Redaction policies.
const (
	// PolicyMinimal keeps only the allow-listed readings (the default for bundles).
	PolicyMinimal = "minimal"
	// PolicyFull keeps every reading.
	PolicyFull = "full"
)

// Redaction rule ids that Redact reports.
const (
	// RuleAllowlist: the minimal allow-list was applied; always reported by
	// the minimal policy.
	RuleAllowlist = "snapshot.measurements.allowlist"
	// RuleNodesDrop: the per-node NodeTopology.nodes subtype was removed.
	RuleNodesDrop = "snapshot.nodes.drop"
	// RuleNodeOrdinals: the node names of the NodeTopology label and taint
	// subtypes were replaced by ordinals (see Redact).
	RuleNodeOrdinals = "snapshot.nodes.ordinals"
	// RuleTopologyValues: a value of a kept label or taint entry was
	// replaced by a placeholder (see minimalMembership).
	RuleTopologyValues = "snapshot.topology.values"
)

// OrdinalPrefix starts the stand-in for a node name in a minimised label
// or taint entry: "#1", "#2", … A Kubernetes node name (a DNS subdomain)
// never contains '#', so an ordinal is never mistaken for a name.
const OrdinalPrefix = "#"

// MaxOrdinals bounds the ordinals one minimised label or taint subtype
// holds (a few MiB of YAML).
const MaxOrdinals = 400_000

// minimalTaints are the taint keys the minimal policy keeps (the GPU
// operator's taint; others can name teams, tenants or hosts).
func minimalTaints() []string { return []string{"nvidia.com/gpu"} }

// allowRule lists the keys of one subtype the minimal policy keeps.
type allowRule struct {
	keys map[string]bool
}

// minimalAllowlist is the fail-closed allow-list of the minimal policy, keyed
// by "Type.subtype".
func minimalAllowlist() map[string]allowRule {
	keys := func(k ...string) allowRule {
		m := make(map[string]bool, len(k))
		for _, s := range k {
			m[s] = true
		}
		return allowRule{keys: m}
	}
	return map[string]allowRule{
		"K8s.server": keys("version", "platform"),
		"K8s.node": keys("provider", "kubelet-version", "kernel-version", "operating-system", "os-image",
			"container-runtime-name", "container-runtime-version"),
		"OS.release": keys("ID", "VERSION_ID", "PRETTY_NAME"),
		"GPU.hardware": keys("model", "count", "driver", "cuda-driver", "memory-bytes", "compute-capability",
			"architecture", "mig-mode", "nvlink-active"),
		"NodeTopology.summary": keys("node-count", "gpu-node-count", "gpu-count", "gpu-products", "regions", "zones",
			"instance-types", "architectures", "cuda-driver"),
	}
}

// Redact returns a minimised copy of s under policy, with the ids of the rules
// that applied, sorted. s itself is not changed.
//
// Policy "full" keeps every measurement and reports no rule. Policy "minimal"
// is a fail-closed allow-list, key by key: it keeps only K8s.server (version,
// platform), K8s.node (provider, kubelet-version, kernel-version,
// operating-system, os-image, container-runtime-name,
// container-runtime-version), OS.release (ID, VERSION_ID, PRETTY_NAME),
// GPU.hardware (model, count, driver, cuda-driver, memory-bytes,
// compute-capability, architecture, mig-mode, nvlink-active) and
// NodeTopology.summary (node-count, gpu-node-count, gpu-count, gpu-products,
// regions, zones, instance-types, architectures, cuda-driver), of the
// NodeTopology label and taint subtypes (AICR's encoding) the own entries of
// TopologyLabels and of the taint nvidia.com/gpu with node names replaced by
// ordinals and values published only by allow-list (minimalMembership; the
// summary's value lists likewise, minimalList), and drops every other
// measurement, subtype and key, whatever its spelling (serials, UUIDs,
// hosts, ARNs, bus ids). String values kept are scrubbed (package scrub,
// with opts and the snapshot's NodeNames). It always reports
// RuleAllowlist, RuleNodesDrop when NodeTopology.nodes was present,
// RuleNodeOrdinals when a node list became ordinals, RuleTopologyValues
// when a value became a placeholder, and the scrubber's rules that
// replaced something. A subtype left
// empty, and a measurement left with no subtype, is dropped too.
//
// The fingerprint reads only allow-listed readings, so
// fingerprint.ComputeFromSnapshot gives the same result before and after
// minimal redaction unless a reading holds scrubbed text (the emitter checks).
// s must pass Validate; top-level keys other than measurements cannot reach a
// Snapshot, so none is ever written.
func Redact(s *fingerprint.Snapshot, policy string, opts ...scrub.Option) (*fingerprint.Snapshot, []string, error) {
	if s == nil {
		return nil, nil, fmt.Errorf("snapshot: redact: nil snapshot")
	}
	if err := s.Validate(); err != nil {
		return nil, nil, fmt.Errorf("snapshot: redact: %w", err)
	}
	switch policy {
	case PolicyFull:
		return clone(s), nil, nil
	case PolicyMinimal:
	default:
		return nil, nil, fmt.Errorf("snapshot: redact: unknown policy %q (want %q or %q)", policy, PolicyMinimal, PolicyFull)
	}
	allow := minimalAllowlist()
	nodes := NodeNames(s)
	sc := scrub.New(append(append([]scrub.Option(nil), opts...), scrub.WithNodeNames(nodes...))...)
	names := newNameSet(nodes)
	sc.Record(RuleAllowlist)
	out := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{}}
	for _, m := range s.Measurements {
		kept := fingerprint.Measurement{Type: m.Type}
		for _, st := range m.Subtypes {
			id := m.Type + "." + st.Subtype
			if id == "NodeTopology.nodes" {
				sc.Record(RuleNodesDrop)
			}
			if id == "NodeTopology.label" || id == "NodeTopology.taint" {
				rule := membership{keys: TopologyLabels()}
				if id == "NodeTopology.taint" {
					rule = membership{keys: minimalTaints(), taint: true}
				}
				data, err := minimalMembership(st.Data, rule, names, sc)
				if err != nil {
					return nil, nil, err
				}
				if len(data) > 0 {
					kept.Subtypes = append(kept.Subtypes, fingerprint.Subtype{Subtype: st.Subtype, Data: data})
				}
				continue
			}
			rule, ok := allow[id]
			if !ok {
				continue
			}
			data := map[string]any{}
			for k, v := range st.Data {
				if !rule.keys[k] {
					continue
				}
				if str, ok := v.(string); ok {
					if label, list := summaryLists[k]; list && id == "NodeTopology.summary" {
						v = minimalList(label, str, names, sc)
					} else {
						v = sc.String(str)
					}
				}
				data[k] = v
			}
			if len(data) > 0 {
				kept.Subtypes = append(kept.Subtypes, fingerprint.Subtype{Subtype: st.Subtype, Data: data})
			}
		}
		if len(kept.Subtypes) > 0 {
			out.Measurements = append(out.Measurements, kept)
		}
	}
	return out, sc.Applied(), nil
}

// clone deep-copies s (data values are scalars).
func clone(s *fingerprint.Snapshot) *fingerprint.Snapshot {
	out := &fingerprint.Snapshot{Measurements: make([]fingerprint.Measurement, 0, len(s.Measurements))}
	for _, m := range s.Measurements {
		cm := fingerprint.Measurement{Type: m.Type, Subtypes: make([]fingerprint.Subtype, 0, len(m.Subtypes))}
		for _, st := range m.Subtypes {
			data := make(map[string]any, len(st.Data))
			for k, v := range st.Data {
				data[k] = v
			}
			cm.Subtypes = append(cm.Subtypes, fingerprint.Subtype{Subtype: st.Subtype, Data: data})
		}
		out.Measurements = append(out.Measurements, cm)
	}
	return out
}

// membership is how one NodeTopology subtype in AICR's encoding is
// minimised: the base keys kept, which dotted suffixes belong to them, and
// which values may be published.
type membership struct {
	// keys are the allowed base keys, matched exactly.
	keys []string
	// taint: a dotted key's suffix is an effect (taint encoding); else it
	// is the entry's value (label encoding).
	taint bool
}

// taintEffects are the effects a "<taint>.<effect>" key may carry.
var taintEffects = map[string]bool{"NoSchedule": true, "PreferNoSchedule": true, "NoExecute": true}

// gpuTaintValues are the values of the GPU taint published as written
// (what the GPU operator and the usual guides set); any other value is
// free text and becomes a placeholder.
var gpuTaintValues = map[string]bool{"": true, "present": true, "true": true}

// publishedLabels are the labels whose values may be published as written,
// with the shape a value must have: the GPU product and region, which AICR's
// fingerprint rules read (fingerprint.aicrFingerprint: accelerator,
// region), and the zone and instance type, which the summary publishes
// too. The product as GPU feature discovery writes it
// ("NVIDIA-H100-80GB-HBM3"), regions and zones as clouds name them
// ("us-west-2", "eastus2", "us-west-2a", "eastus-1", "US-ASHBURN-AD-1"),
// instance types
// ("p5.48xlarge", "Standard_ND96asr_v4").
var publishedLabels = map[string]*regexp.Regexp{
	labelGPUProduct:   regexp.MustCompile(`^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$`),
	labelRegion:       regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*$`),
	labelZone:         regexp.MustCompile(`^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$`),
	labelInstanceType: regexp.MustCompile(`^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$`),
}

// summaryLists are the NodeTopology.summary readings that list label
// values (comma-joined), with the label whose values they are: each item
// is published by the same rule as the label's own entries (publishable).
var summaryLists = map[string]string{
	"gpu-products":   labelGPUProduct,
	"regions":        labelRegion,
	"zones":          labelZone,
	"instance-types": labelInstanceType,
}

// moreItemRE is the item Collect ends a truncated list with.
var moreItemRE = regexp.MustCompile(`^\(\+\d+ (?:or )?more\)$`)

// minimalList returns a summary list with every item that is not
// publishable as the label's value replaced by ValuePlaceholder(n), n
// counting the distinct items replaced; blank items and a trailing
// "(+N more)" or "(+N or more)" are kept.
func minimalList(label, list string, names nameSet, sc *scrub.Scrubber) string {
	items := strings.Split(list, ",")
	seen := map[string]string{}
	for i, item := range items {
		item = strings.TrimSpace(item)
		switch {
		case item == "", i == len(items)-1 && moreItemRE.MatchString(item), publishable(label, item, names, sc):
		default:
			p, ok := seen[item]
			if !ok {
				p = ValuePlaceholder(len(seen) + 1)
				seen[item] = p
				sc.Record(RuleTopologyValues)
			}
			item = p
		}
		items[i] = item
	}
	return strings.Join(items, ",")
}

// maxValueLen is the longest label value published as written (a
// Kubernetes label value's limit).
const maxValueLen = 63

// ValuePlaceholder returns the stand-in for the n-th (from 1) distinct
// value of one label or taint that minimal redaction does not publish.
func ValuePlaceholder(n int) string { return "[redacted:value-" + strconv.Itoa(n) + "]" }

// minimalMembership minimises a NodeTopology label or taint subtype in
// AICR's encoding ("<key>" or "<key>.<suffix>" → "<text>|<nodes>").
//
// Only entries of the allowed keys are kept: the key itself, or the key, a
// dot and a suffix that is the entry's value (labels) or a taint effect
// (taints); any other key that merely starts with an allowed one is
// another label or taint and is dropped. The text before the node list is
// published only where allow-listed: a label value of publishedLabels
// with that label's shape, at most
// maxValueLen long, holding no node name of the snapshot (as a substring,
// any case) and left as is by the scrubber; a taint's effect when it is
// one of taintEffects and its value when it is in gpuTaintValues. Any
// other value becomes ValuePlaceholder(n), n counting the distinct values
// of that key, in the dotted key too, so distinct values stay distinct
// (AICR counts them: multi-gpu, multi-region).
//
// The node list becomes ordinals: per allowed key, over its entries in key
// order, "#1", "#2", … one per node, the count read from the list (names,
// plus N of a trailing "(+N more)"). A node carries one value of a label,
// so the ordinals of a label's entries are as many distinct nodes as the
// names were: AICR's rules recount gpuNodeCount from them. An entry that is
// not a string with a '|' is dropped; two entries that would be written
// under one key are refused.
func minimalMembership(data map[string]any, rule membership, names nameSet, sc *scrub.Scrubber) (map[string]any, error) {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	next, total := map[string]int{}, 0
	placeholders := map[string]map[string]string{}
	hide := func(b, v string) string {
		if placeholders[b] == nil {
			placeholders[b] = map[string]string{}
		}
		if p, ok := placeholders[b][v]; ok {
			return p
		}
		p := ValuePlaceholder(len(placeholders[b]) + 1)
		placeholders[b][v] = p
		sc.Record(RuleTopologyValues)
		return p
	}
	out := map[string]any{}
	for _, k := range keys {
		str, ok := data[k].(string)
		i := strings.LastIndexByte(str, '|')
		if !ok || i < 0 {
			continue
		}
		text := str[:i]
		b, suffix := membershipKey(k, text, rule)
		if b == "" {
			continue
		}
		var key, kept string
		if rule.taint {
			effect, value := suffix, text
			if effect == "" {
				var cut bool
				if effect, value, cut = strings.Cut(text, "|"); !cut || !taintEffects[effect] {
					continue
				}
			}
			if !gpuTaintValues[value] {
				value = hide(b, value)
			}
			key, kept = k, value
			if suffix == "" {
				kept = effect + "|" + value
			}
		} else {
			value := text
			if !publishable(b, value, names, sc) {
				value = hide(b, value)
			}
			key, kept = b, value
			if suffix != "" {
				key = b + "." + value
			}
		}
		n := nodeCount(str[i+1:])
		if total += n; total > MaxOrdinals {
			return nil, fmt.Errorf("snapshot: redact: the label or taint entries list more than %d nodes", MaxOrdinals)
		}
		ordinals := make([]string, n)
		for j := range ordinals {
			next[b]++
			ordinals[j] = OrdinalPrefix + strconv.Itoa(next[b])
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("snapshot: redact: two entries of %s are written under one key (a hand-edited snapshot?)", b)
		}
		out[key] = kept + "|" + strings.Join(ordinals, ",")
		sc.Record(RuleNodeOrdinals)
	}
	return out, nil
}

// membershipKey returns the allowed base key of an entry and the suffix of
// its dotted key ("" for the base key itself); b is "" when the entry is
// not one of the allowed keys' own entries.
func membershipKey(k, text string, rule membership) (b, suffix string) {
	for _, a := range rule.keys {
		if k == a {
			return a, ""
		}
		s, ok := strings.CutPrefix(k, a+".")
		if !ok {
			continue
		}
		if rule.taint && taintEffects[s] || !rule.taint && s == text {
			return a, s
		}
	}
	return "", ""
}

// nameSet holds the node names (of at least scrub.MinNodeName characters),
// lower case, for the substring test of publishable.
type nameSet struct {
	names  map[string]bool
	maxLen int
}

func newNameSet(names []string) nameSet {
	ns := nameSet{names: map[string]bool{}}
	for _, n := range names {
		if n = strings.ToLower(n); len(n) >= scrub.MinNodeName {
			ns.names[n] = true
			ns.maxLen = max(ns.maxLen, len(n))
		}
	}
	return ns
}

// within says whether v (at most maxValueLen long) holds a node name as a
// substring, any case: every substring is looked up, so the cost does not
// grow with the number of nodes.
func (ns nameSet) within(v string) bool {
	v = strings.ToLower(v)
	for i := range len(v) {
		for j := i + scrub.MinNodeName; j <= min(len(v), i+ns.maxLen); j++ {
			if ns.names[v[i:j]] {
				return true
			}
		}
	}
	return false
}

// publishable says whether a label value may be published as written (see
// minimalMembership).
func publishable(label, v string, names nameSet, sc *scrub.Scrubber) bool {
	shape, needed := publishedLabels[label]
	if !needed || len(v) > maxValueLen || !shape.MatchString(v) {
		return false
	}
	if names.within(v) {
		return false
	}
	return sc.String(v) == v
}

// moreRE is the truncation AICR (and Collect) append to a node list.
var moreRE = regexp.MustCompile(` ?\(\+(\d+) more\)$`)

// nodeCount counts the nodes of an encoded node list: its comma-separated
// names plus N of a trailing "(+N more)" (capped at fingerprint.MaxCount).
func nodeCount(list string) int {
	n := 0
	if m := moreRE.FindStringSubmatch(list); m != nil {
		more, err := strconv.Atoi(m[1])
		if err != nil || more > fingerprint.MaxCount {
			more = fingerprint.MaxCount
		}
		n, list = more, list[:len(list)-len(m[0])]
	}
	for _, name := range strings.Split(list, ",") {
		if strings.TrimSpace(name) != "" {
			n++
		}
	}
	return min(n, fingerprint.MaxCount)
}
