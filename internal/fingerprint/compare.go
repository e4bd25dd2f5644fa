package fingerprint

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/aicr/verify-evidence/internal/schema"
)

// CompareFingerprint returns the differences between a claimed fingerprint (from
// a predicate) and the recomputed one, one line per differing field, in the
// order service, accelerator, gpuModel, os, k8sVersion, region, nodeCount,
// gpuNodeCount. Every field counts, source and note included, and strings are
// compared exactly. A line names the dimension and field, e.g.
//
//	fingerprint.accelerator.value: claimed "h100", recomputed "h200"
//	fingerprint.region: claimed absent, recomputed value "us-west-2"
//
// Claimed strings are quoted and cut short, so a line is always one line. The
// result is empty when the two are equal.
func CompareFingerprint(claimed, recomputed schema.Fingerprint) []string {
	var out []string
	out = append(out, compareDimension("service", claimed.Service, recomputed.Service)...)
	out = append(out, compareDimension("accelerator", claimed.Accelerator, recomputed.Accelerator)...)
	out = append(out, compareDimension("gpuModel", claimed.GPUModel, recomputed.GPUModel)...)
	out = append(out, compareOS(claimed.OS, recomputed.OS)...)
	out = append(out, compareDimension("k8sVersion", claimed.K8sVersion, recomputed.K8sVersion)...)
	out = append(out, compareDimension("region", claimed.Region, recomputed.Region)...)
	out = append(out, compareCount("nodeCount", claimed.NodeCount, recomputed.NodeCount)...)
	out = append(out, compareCount("gpuNodeCount", claimed.GPUNodeCount, recomputed.GPUNodeCount)...)
	return out
}

// fieldDiff is one field of a dimension, as text, claimed and recomputed.
type fieldDiff struct{ name, claimed, recomputed string }

// diffLines renders the fields that differ.
func diffLines(prefix string, fields []fieldDiff) []string {
	var out []string
	for _, f := range fields {
		if f.claimed != f.recomputed {
			out = append(out, fmt.Sprintf("%s.%s: claimed %s, recomputed %s", prefix, f.name, f.claimed, f.recomputed))
		}
	}
	return out
}

// presence handles a dimension that is absent on at least one side: it returns
// the line to report (none when both are absent) and done=true. When both sides
// are present it returns done=false and the caller compares the fields.
func presence(prefix string, claimedNil, recomputedNil bool, claimedDesc, recomputedDesc func() string) (lines []string, done bool) {
	switch {
	case claimedNil && recomputedNil:
		return nil, true
	case claimedNil:
		return []string{fmt.Sprintf("%s: claimed absent, recomputed %s", prefix, recomputedDesc())}, true
	case recomputedNil:
		return []string{fmt.Sprintf("%s: claimed %s, recomputed absent", prefix, claimedDesc())}, true
	}
	return nil, false
}

func describeDimension(value, note string) string {
	s := "value " + quote(value)
	if note != "" {
		s += ", note " + quote(note)
	}
	return s
}

func compareDimension(name string, c, r *schema.Dimension) []string {
	prefix := "fingerprint." + name
	if lines, done := presence(prefix, c == nil, r == nil,
		func() string { return describeDimension(c.Value, c.Note) },
		func() string { return describeDimension(r.Value, r.Note) }); done {
		return lines
	}
	return diffLines(prefix, []fieldDiff{
		{"value", quote(c.Value), quote(r.Value)},
		{"source", quote(c.Source), quote(r.Source)},
		{"note", quote(c.Note), quote(r.Note)},
	})
}

func compareOS(c, r *schema.OSDimension) []string {
	prefix := "fingerprint.os"
	if lines, done := presence(prefix, c == nil, r == nil,
		func() string { return describeDimension(c.Value, c.Note) },
		func() string { return describeDimension(r.Value, r.Note) }); done {
		return lines
	}
	return diffLines(prefix, []fieldDiff{
		{"value", quote(c.Value), quote(r.Value)},
		{"version", quote(c.Version), quote(r.Version)},
		{"source", quote(c.Source), quote(r.Source)},
		{"note", quote(c.Note), quote(r.Note)},
	})
}

func compareCount(name string, c, r *schema.CountDimension) []string {
	prefix := "fingerprint." + name
	if lines, done := presence(prefix, c == nil, r == nil,
		func() string { return "value " + strconv.Itoa(c.Value) },
		func() string { return "value " + strconv.Itoa(r.Value) }); done {
		return lines
	}
	return diffLines(prefix, []fieldDiff{
		{"value", strconv.Itoa(c.Value), strconv.Itoa(r.Value)},
		{"source", quote(c.Source), quote(r.Source)},
		{"note", quote(c.Note), quote(r.Note)},
	})
}

// CompareMatch returns the differences between a claimed criteria match (from a
// predicate) and the recomputed one. Entries are paired by dimension name, so
// the order of the claimed list does not matter (the older map form arrives
// sorted by name). Lines come in this order: matched; then each recomputed
// dimension in its order (a field that differs, or its absence from the claim);
// then claimed dimensions that were not recomputed, sorted; a dimension the
// claim lists twice is reported once. For example
//
//	criteriaMatch.matched: claimed true, recomputed false
//	criteriaMatch.accelerator.match: claimed "matched", recomputed "mismatched"
//	criteriaMatch.nodes: claimed absent, recomputed match "matched"
//
// The result is empty when the two agree.
func CompareMatch(claimed, recomputed schema.CriteriaMatch) []string {
	var out []string
	if claimed.Matched != recomputed.Matched {
		out = append(out, fmt.Sprintf("criteriaMatch.matched: claimed %t, recomputed %t", claimed.Matched, recomputed.Matched))
	}
	byName := make(map[string]schema.DimensionMatch, len(claimed.PerDimension))
	times := make(map[string]int, len(claimed.PerDimension))
	for _, d := range claimed.PerDimension {
		if times[d.Dimension] == 0 {
			byName[d.Dimension] = d
		}
		times[d.Dimension]++
	}
	recomputedNames := make(map[string]bool, len(recomputed.PerDimension))
	for _, r := range recomputed.PerDimension {
		recomputedNames[r.Dimension] = true
		prefix := "criteriaMatch." + dimensionLabel(r.Dimension)
		c, ok := byName[r.Dimension]
		if !ok {
			out = append(out, fmt.Sprintf("%s: claimed absent, recomputed match %s", prefix, quote(r.Match)))
			continue
		}
		if n := times[r.Dimension]; n > 1 {
			out = append(out, fmt.Sprintf("%s: claimed %d times", prefix, n))
		}
		out = append(out, diffLines(prefix, []fieldDiff{
			{"recipeRequires", quote(c.RecipeRequires), quote(r.RecipeRequires)},
			{"fingerprintProvides", quote(c.FingerprintProvides), quote(r.FingerprintProvides)},
			{"match", quote(c.Match), quote(r.Match)},
		})...)
	}
	var extra []string
	for name := range byName {
		if !recomputedNames[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		line := fmt.Sprintf("criteriaMatch.%s: claimed match %s, recomputed absent", dimensionLabel(name), quote(byName[name].Match))
		if n := times[name]; n > 1 {
			line += fmt.Sprintf(" (claimed %d times)", n)
		}
		out = append(out, line)
	}
	return out
}

// dimensionLabel renders a dimension name for a report line: bare when it is
// plain ASCII letters, digits, '-', '_' and '.', else quoted.
func dimensionLabel(name string) string {
	if name == "" || len(name) > maxDimensionName {
		return quote(name)
	}
	for _, r := range name {
		plain := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !plain {
			return quote(name)
		}
	}
	return name
}
