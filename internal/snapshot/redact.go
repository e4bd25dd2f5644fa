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
// NodeTopology label and taint subtypes (AICR's encoding) the entries of
// TopologyLabels and of the taint nvidia.com/gpu with node names replaced by
// ordinals (minimalMembership), and drops every other measurement, subtype
// and key, whatever its spelling (serials, UUIDs, hosts, ARNs, bus ids).
// String values kept are scrubbed (package scrub). It always reports
// RuleAllowlist, RuleNodesDrop when NodeTopology.nodes was present,
// RuleNodeOrdinals when a node list became ordinals, and the scrubber's
// rules that replaced something. A subtype left
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
	sc := scrub.New(opts...)
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
				allowed := TopologyLabels()
				if id == "NodeTopology.taint" {
					allowed = minimalTaints()
				}
				data, err := minimalMembership(st.Data, allowed, sc)
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
					v = sc.String(str)
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

// minimalMembership minimises a NodeTopology label or taint subtype in
// AICR's encoding ("<key>" or "<key>.<suffix>" → "<text>|<nodes>"): only
// the entries of the allowed keys are kept (a key and its dotted variants;
// the longest allowed key that prefixes it decides), their text before the
// node list is scrubbed, and the node list becomes ordinals: per allowed
// key, over its entries in key order, "#1", "#2", … one per node, the
// count read from the list (names, plus N of a trailing "(+N more)"). A
// node carries one value of a label, so the ordinals of a label's entries
// are as many distinct nodes as the names were: AICR's rules recount
// gpuNodeCount from them. An entry that is not a string with a '|' is
// dropped.
func minimalMembership(data map[string]any, allowed []string, sc *scrub.Scrubber) (map[string]any, error) {
	base := func(k string) string {
		best := ""
		for _, a := range allowed {
			if (k == a || strings.HasPrefix(k, a+".")) && len(a) > len(best) {
				best = a
			}
		}
		return best
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	next, total := map[string]int{}, 0
	out := map[string]any{}
	for _, k := range keys {
		b := base(k)
		str, ok := data[k].(string)
		i := strings.LastIndexByte(str, '|')
		if b == "" || !ok || i < 0 {
			continue
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
		key := k
		if k != b {
			key = b + "." + sc.String(k[len(b)+1:])
		}
		out[key] = sc.String(str[:i]) + "|" + strings.Join(ordinals, ",")
		sc.Record(RuleNodeOrdinals)
	}
	return out, nil
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
