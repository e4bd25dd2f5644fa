package snapshot

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aicr/verify-evidence/internal/fingerprint"
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
	// RuleGPUSerialDrop: a GPU.hardware key naming serial numbers was removed.
	RuleGPUSerialDrop = "snapshot.gpu.drop:serial"
	// RuleGPUUUIDDrop: a GPU.hardware key naming UUIDs, or a kept reading
	// whose value holds a GPU or MIG UUID, was removed.
	RuleGPUUUIDDrop = "snapshot.gpu.drop:uuid"
)

// allowRule says which keys of one subtype the minimal policy keeps: every key
// (all) or those listed.
type allowRule struct {
	all  bool
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
		"K8s.server": {all: true},
		"K8s.node": keys("provider", "kubelet-version", "kernel-version", "operating-system", "os-image",
			"container-runtime-name", "container-runtime-version"),
		"OS.release":           keys("ID", "VERSION_ID", "PRETTY_NAME"),
		"GPU.hardware":         {all: true}, // less serials and UUIDs
		"NodeTopology.summary": {all: true},
	}
}

// gpuUUID matches a GPU or MIG UUID as nvidia-smi prints them, also the older
// MIG-GPU-<uuid>/gi/ci form (it starts with a GPU UUID).
var gpuUUID = regexp.MustCompile(`(?i)(GPU|MIG)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// Redact returns a minimised copy of s under policy, with the ids of the rules
// that applied, sorted. s itself is not changed.
//
// Policy "full" keeps every measurement and reports no rule. Policy "minimal"
// is fail-closed: it keeps only K8s.server (every key), K8s.node (provider,
// kubelet-version, kernel-version, operating-system, os-image,
// container-runtime-name, container-runtime-version), OS.release (ID,
// VERSION_ID, PRETTY_NAME), GPU.hardware (every key but serial numbers and
// UUIDs) and NodeTopology.summary (every key), and drops every other
// measurement, subtype and key. It always reports RuleAllowlist, and also
// RuleNodesDrop when NodeTopology.nodes was present, RuleGPUSerialDrop when a
// GPU.hardware key naming serials was dropped (a word of the key,
// split on '.', '-', '_' or space and ignoring case, starts with "serial":
// serial, serials, serialNumber, gpu.0.serial), and RuleGPUUUIDDrop when a
// GPU.hardware key naming UUIDs (a word starts with "uuid"), or any kept reading whose value
// holds a GPU or MIG UUID (GPU-xxxxxxxx-xxxx-…), was dropped. A subtype left
// empty, and a measurement left with no subtype, is dropped too.
//
// The fingerprint reads only allow-listed readings, so
// fingerprint.ComputeFromSnapshot gives the same result before and after
// minimal redaction. s must pass Validate; top-level keys other than
// measurements cannot reach a Snapshot, so none is ever written.
func Redact(s *fingerprint.Snapshot, policy string) (*fingerprint.Snapshot, []string, error) {
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
	applied := map[string]bool{RuleAllowlist: true}
	out := &fingerprint.Snapshot{Measurements: []fingerprint.Measurement{}}
	for _, m := range s.Measurements {
		kept := fingerprint.Measurement{Type: m.Type}
		for _, st := range m.Subtypes {
			id := m.Type + "." + st.Subtype
			if id == "NodeTopology.nodes" {
				applied[RuleNodesDrop] = true
			}
			rule, ok := allow[id]
			if !ok {
				continue
			}
			data := map[string]any{}
			for k, v := range st.Data {
				if !rule.all && !rule.keys[k] {
					continue
				}
				if id == "GPU.hardware" {
					if r := gpuKeyRule(k); r != "" {
						applied[r] = true
						continue
					}
				}
				if str, ok := v.(string); ok && gpuUUID.MatchString(str) {
					applied[RuleGPUUUIDDrop] = true
					continue
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
	rules := make([]string, 0, len(applied))
	for r := range applied {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	return out, rules, nil
}

// gpuKeyRule returns the rule that drops a GPU.hardware key, or "" to keep it.
func gpuKeyRule(key string) string {
	for _, w := range strings.FieldsFunc(strings.ToLower(key), func(r rune) bool {
		return r == '.' || r == '-' || r == '_' || r == ' '
	}) {
		switch {
		case strings.HasPrefix(w, "serial"):
			return RuleGPUSerialDrop
		case strings.HasPrefix(w, "uuid"):
			return RuleGPUUUIDDrop
		}
	}
	return ""
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
