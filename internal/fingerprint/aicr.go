package fingerprint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/aicr/verify-evidence/internal/schema"
)

// AICR is the fingerprint and criteria-match rules of AICR's own tool
// (NVIDIA/aicr pkg/fingerprint at 619cf930, docs/bundle-format.md §11). A
// claim in an AICR predicate is judged under these rules (JudgeAICRClaim);
// the verdict still comes from Current's pass rules applied to the
// fingerprint these rules recompute.
const AICR Rules = First + 1

// AICR's source labels and the snapshot keys its rules read.
const (
	aicrLabelSubtype   = "label"
	aicrLabelGPU       = "nvidia.com/gpu.product"
	aicrLabelRegion    = "topology.kubernetes.io/region"
	aicrSourceService  = "k8s.node.provider"
	aicrSourcePCI      = "gpu.hardware.model"
	aicrSourceOS       = "os.release"
	aicrSourceK8s      = "k8s.server.version"
	aicrSourceNodes    = "nodeTopology.summary.node-count"
	aicrSourceTopoGPU  = "nodeTopology.label." + aicrLabelGPU
	aicrSourceTopoZone = "nodeTopology.label." + aicrLabelRegion
)

// aicrSKUs is AICR's GPU SKU registry, in its order (first match wins), and
// aicrSupported its recipe accelerator enum.
var aicrSKUs = []struct {
	tokens []string
	sku    string
}{
	{[]string{"GB300"}, "gb300"}, {[]string{"GB200"}, "gb200"}, {[]string{"B200"}, "b200"},
	{[]string{"H100"}, "h100"}, {[]string{"H200"}, "h200"}, {[]string{"A100"}, "a100"},
	{[]string{"RTX", "PRO", "6000"}, "rtx-pro-6000"}, {[]string{"L40S"}, "l40s"}, {[]string{"L40"}, "l40"},
}

// aicrParseSKU is AICR's ParseGPUSKU: tokens split at white space and '-',
// upper-cased; the first registry entry whose tokens occur consecutively
// names the SKU; "" when none does.
func aicrParseSKU(product string) string {
	tokens := strings.FieldsFunc(strings.ToUpper(product), func(r rune) bool { return unicode.IsSpace(r) || r == '-' })
	for _, e := range aicrSKUs {
		for i := 0; i+len(e.tokens) <= len(tokens); i++ {
			match := true
			for j, t := range e.tokens {
				if tokens[i+j] != t {
					match = false
					break
				}
			}
			if match {
				return e.sku
			}
		}
	}
	return ""
}

// aicrSupported reports whether sku is in AICR's static accelerator enum.
func aicrSupported(sku string) bool {
	for _, e := range aicrSKUs {
		if e.sku == sku {
			return true
		}
	}
	return false
}

// aicrSubtype returns the data of the first subtype name of the first
// measurement of type typ.
func (s *Snapshot) aicrSubtype(typ, name string) (map[string]any, bool) {
	for _, m := range s.Measurements {
		if m.Type != typ {
			continue
		}
		for _, st := range m.Subtypes {
			if st.Subtype == name {
				return st.Data, true
			}
		}
		return nil, false
	}
	return nil, false
}

// aicrString returns a string reading (AICR's GetString: non-empty text).
func aicrString(data map[string]any, key string) string {
	v, ok := data[key]
	if !ok {
		return ""
	}
	s, _ := stringValue(v)
	return s
}

// aicrLabelValue splits AICR's label encoding "<value>|<node>,<node>".
func aicrLabelValue(raw string) (value string, nodes []string) {
	value, list, found := strings.Cut(raw, "|")
	if !found {
		return raw, nil
	}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			nodes = append(nodes, n)
		}
	}
	return value, nodes
}

// aicrMultiValue reports whether the label subtype has more than one
// disambiguated key "<label>.<value>" (several values of one label).
func aicrMultiValue(labels map[string]any, label string) bool {
	n := 0
	for k := range labels {
		if strings.HasPrefix(k, label+".") {
			n++
		}
	}
	return n > 1
}

// aicrFingerprint derives the fingerprint as AICR's FromMeasurements does
// from the label encoding of the NodeTopology label subtype:
//
//   - service: K8s.node.provider (OCI and Linode provider IDs mapped to oke, lke);
//   - accelerator: the nvidia.com/gpu.product label (several values: note
//     multi-gpu; a product no SKU names: note unknown-sku), else
//     GPU.hardware.model when it names a SKU of AICR's enum (another model:
//     note unknown-sku); gpuModel: GPU.hardware.model as written;
//   - os: OS.release.ID of a known distribution, version VERSION_ID;
//   - k8sVersion: K8s.server.version without "v";
//   - region: the topology.kubernetes.io/region label (several: multi-region);
//   - nodeCount: NodeTopology.summary.node-count; gpuNodeCount: the distinct
//     nodes listed under the gpu.product label, when the label subtype exists.
//
// The sources are AICR's labels ("k8s.node.provider", "os.release", …).
func aicrFingerprint(s *Snapshot) schema.Fingerprint {
	var fp schema.Fingerprint
	if node, ok := s.aicrSubtype(typeK8s, "node"); ok {
		if v := aicrString(node, "provider"); v != "" {
			fp.Service = &schema.Dimension{Value: aicrProvider(v), Source: aicrSourceService}
		}
	}
	if server, ok := s.aicrSubtype(typeK8s, "server"); ok {
		if v := aicrString(server, "version"); v != "" {
			fp.K8sVersion = &schema.Dimension{Value: strings.TrimPrefix(v, "v"), Source: aicrSourceK8s}
		}
	}
	if rel, ok := s.aicrSubtype(typeOS, "release"); ok {
		if id, note := NormaliseOS(aicrString(rel, "ID")); note == "" && id != "" {
			fp.OS = &schema.OSDimension{Value: id, Version: aicrString(rel, "VERSION_ID"), Source: aicrSourceOS}
		}
	}
	if sum, ok := s.aicrSubtype(typeNodeTopology, "summary"); ok {
		if n, ok := countValue(sum["node-count"]); ok {
			fp.NodeCount = &schema.CountDimension{Value: n, Source: aicrSourceNodes}
		}
	}
	labels, hasLabels := s.aicrSubtype(typeNodeTopology, aicrLabelSubtype)
	if hasLabels {
		switch raw := aicrString(labels, aicrLabelRegion); {
		case aicrMultiValue(labels, aicrLabelRegion):
			fp.Region = &schema.Dimension{Source: aicrSourceTopoZone, Note: NoteMultiRegion}
		case raw != "":
			if v, _ := aicrLabelValue(raw); v != "" {
				fp.Region = &schema.Dimension{Value: v, Source: aicrSourceTopoZone}
			}
		}
		nodes := map[string]bool{}
		for k, v := range labels {
			if k != aicrLabelGPU && !strings.HasPrefix(k, aicrLabelGPU+".") {
				continue
			}
			str, _ := stringValue(v)
			_, list := aicrLabelValue(str)
			for _, n := range list {
				nodes[n] = true
			}
		}
		fp.GPUNodeCount = &schema.CountDimension{Value: len(nodes), Source: aicrSourceTopoGPU}
		switch raw := aicrString(labels, aicrLabelGPU); {
		case aicrMultiValue(labels, aicrLabelGPU):
			fp.Accelerator = &schema.Dimension{Source: aicrSourceTopoGPU, Note: NoteMultiGPU}
		case raw != "":
			product, _ := aicrLabelValue(raw)
			if sku := aicrParseSKU(product); sku != "" {
				fp.Accelerator = &schema.Dimension{Value: sku, Source: aicrSourceTopoGPU}
			} else {
				fp.Accelerator = &schema.Dimension{Source: aicrSourceTopoGPU, Note: NoteUnknownSKU}
			}
		}
	}
	if hw, ok := s.aicrSubtype(typeGPU, "hardware"); ok {
		if model := aicrString(hw, "model"); model != "" {
			fp.GPUModel = &schema.Dimension{Value: model, Source: aicrSourcePCI}
			acc := fp.Accelerator
			switch {
			case acc != nil && (acc.Value != "" || acc.Note == NoteMultiGPU):
			case aicrSupported(model):
				fp.Accelerator = &schema.Dimension{Value: model, Source: aicrSourcePCI}
			case acc == nil:
				fp.Accelerator = &schema.Dimension{Source: aicrSourcePCI, Note: NoteUnknownSKU}
			}
		}
	}
	return fp
}

// aicrProvider is AICR's normalizeProviderID.
func aicrProvider(v string) string {
	switch {
	case strings.HasPrefix(v, "ocid1."), strings.HasPrefix(v, "oci://"), v == "oci":
		return "oke"
	case strings.HasPrefix(v, "linode://"), v == "linode":
		return "lke"
	}
	return v
}

// aicrMatch is AICR's Fingerprint.Match: service, accelerator, os, intent,
// platform, nodes; "" or "any" matches; a dimension the fingerprint did not
// capture is unknown (intent and platform never are); otherwise exact string
// equality, else mismatched; nodes 0 means any. Matched is true when no
// dimension is mismatched: unknown does not count against it.
func aicrMatch(c Criteria, fp schema.Fingerprint) schema.CriteriaMatch {
	value := func(d *schema.Dimension) string {
		if d == nil {
			return ""
		}
		return d.Value
	}
	osValue := ""
	if fp.OS != nil {
		osValue = fp.OS.Value
	}
	recipeNodes, fpNodes := "", ""
	if c.Nodes != 0 {
		recipeNodes = strconv.Itoa(c.Nodes)
	}
	if fp.NodeCount != nil && fp.NodeCount.Value != 0 {
		fpNodes = strconv.Itoa(fp.NodeCount.Value)
	}
	per := schema.DimensionMatches{
		aicrMatchDim(DimService, c.Service, value(fp.Service)),
		aicrMatchDim(DimAccelerator, c.Accelerator, value(fp.Accelerator)),
		aicrMatchDim(DimOS, c.OS, osValue),
		aicrMatchDim(DimIntent, c.Intent, ""),
		aicrMatchDim(DimPlatform, c.Platform, ""),
		aicrMatchDim(DimNodes, recipeNodes, fpNodes),
	}
	matched := true
	for _, d := range per {
		if d.Match == schema.MatchMismatched {
			matched = false
		}
	}
	return schema.CriteriaMatch{Matched: matched, PerDimension: per}
}

func aicrMatchDim(dim, want, have string) schema.DimensionMatch {
	m := schema.DimensionMatch{Dimension: dim, RecipeRequires: want, FingerprintProvides: have}
	switch {
	case want == "" || want == "any":
		m.Match = schema.MatchMatched
	case have == "" || have == "any":
		m.Match = schema.MatchUnknown
	case want == have:
		m.Match = schema.MatchMatched
	default:
		m.Match = schema.MatchMismatched
	}
	return m
}

// Judgement sorts the differences between a signed claim and the
// recomputation: Contradictions make the bundle invalid (the claim is more
// favourable than the evidence, or the snapshot contradicts a value); Notes
// are shown only (provenance labels, a value the snapshot does not show, a
// claim less favourable than the evidence, the form of an entry).
type Judgement struct {
	Contradictions []string
	Notes          []string
}

// JudgeAICRClaim judges an AICR predicate's fingerprint and criteria match
// against the recomputation under AICR's rules (aicrFingerprint, aicrMatch).
//
// Contradictions: a dimension the snapshot shows with another value, note
// or os version than claimed, or another count; criteriaMatch.matched
// claimed true where the recomputation says false; a dimension claimed
// matched where the recomputation says unknown or mismatched, or unknown
// where it says mismatched.
//
// Notes: a differing source label; a dimension claimed but not shown by the
// snapshot (AICR computes the fingerprint before it minimises the snapshot,
// so a minimal bundle no longer shows region or gpuNodeCount), or shown but
// not claimed; recipeRequires and fingerprintProvides as written; a claim
// less favourable than the recomputation.
func JudgeAICRClaim(claimedFP schema.Fingerprint, claimedMatch schema.CriteriaMatch, fp schema.Fingerprint, match schema.CriteriaMatch) Judgement {
	var j Judgement
	dims := []struct {
		name     string
		c, r     *schema.Dimension
		osc, osr *schema.OSDimension
		cc, cr   *schema.CountDimension
	}{
		{name: "service", c: claimedFP.Service, r: fp.Service},
		{name: "accelerator", c: claimedFP.Accelerator, r: fp.Accelerator},
		{name: "gpuModel", c: claimedFP.GPUModel, r: fp.GPUModel},
		{name: "os", osc: claimedFP.OS, osr: fp.OS},
		{name: "k8sVersion", c: claimedFP.K8sVersion, r: fp.K8sVersion},
		{name: "region", c: claimedFP.Region, r: fp.Region},
		{name: "nodeCount", cc: claimedFP.NodeCount, cr: fp.NodeCount},
		{name: "gpuNodeCount", cc: claimedFP.GPUNodeCount, cr: fp.GPUNodeCount},
	}
	for _, d := range dims {
		var cl, rc *aicrDim
		switch {
		case d.name == "os":
			cl, rc = osDim(d.osc), osDim(d.osr)
		case d.name == "nodeCount" || d.name == "gpuNodeCount":
			cl, rc = countDim(d.cc), countDim(d.cr)
		default:
			cl, rc = strDim(d.c), strDim(d.r)
		}
		prefix := "fingerprint." + d.name
		switch {
		case cl == nil && rc == nil:
		case cl == nil:
			j.Notes = append(j.Notes, fmt.Sprintf("%s: not claimed, snapshot.yaml shows %s", prefix, rc.describe()))
		case rc == nil:
			j.Notes = append(j.Notes, fmt.Sprintf("%s: claimed %s, not shown by snapshot.yaml", prefix, cl.describe()))
		default:
			for _, f := range [][3]string{{"value", cl.value, rc.value}, {"version", cl.version, rc.version}, {"note", cl.note, rc.note}} {
				if f[1] != f[2] {
					j.Contradictions = append(j.Contradictions, fmt.Sprintf("%s.%s: claimed %s, snapshot.yaml shows %s", prefix, f[0], quote(f[1]), quote(f[2])))
				}
			}
			if cl.source != rc.source {
				j.Notes = append(j.Notes, fmt.Sprintf("%s.source: claimed %s, recomputed %s", prefix, quote(cl.source), quote(rc.source)))
			}
		}
	}
	if claimedMatch.Matched && !match.Matched {
		j.Contradictions = append(j.Contradictions, "criteriaMatch.matched: claimed true, recomputed false")
	} else if !claimedMatch.Matched && match.Matched {
		j.Notes = append(j.Notes, "criteriaMatch.matched: claimed false, recomputed true")
	}
	claimed := map[string]schema.DimensionMatch{}
	for _, d := range claimedMatch.PerDimension {
		if _, dup := claimed[d.Dimension]; dup {
			j.Contradictions = append(j.Contradictions, fmt.Sprintf("criteriaMatch.%s: claimed more than once", dimensionLabel(d.Dimension)))
			continue
		}
		claimed[d.Dimension] = d
	}
	seen := map[string]bool{}
	for _, r := range match.PerDimension {
		seen[r.Dimension] = true
		prefix := "criteriaMatch." + dimensionLabel(r.Dimension)
		c, ok := claimed[r.Dimension]
		switch {
		case !ok:
			j.Notes = append(j.Notes, fmt.Sprintf("%s: not claimed, recomputed %s", prefix, quote(r.Match)))
			continue
		case matchRank(c.Match) > matchRank(r.Match):
			j.Contradictions = append(j.Contradictions, fmt.Sprintf("%s.match: claimed %s, recomputed %s", prefix, quote(c.Match), quote(r.Match)))
		case c.Match != r.Match:
			j.Notes = append(j.Notes, fmt.Sprintf("%s.match: claimed %s, recomputed %s", prefix, quote(c.Match), quote(r.Match)))
		}
		if c.FingerprintProvides != r.FingerprintProvides {
			j.Notes = append(j.Notes, fmt.Sprintf("%s.fingerprintProvides: claimed %s, recomputed %s", prefix, quote(c.FingerprintProvides), quote(r.FingerprintProvides)))
		}
	}
	var extra []string
	for name, c := range claimed {
		if !seen[name] && c.Match != schema.MatchMismatched {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		j.Notes = append(j.Notes, fmt.Sprintf("criteriaMatch.%s: claimed %s, not a dimension AICR's rules match", dimensionLabel(name), quote(claimed[name].Match)))
	}
	return j
}

// matchRank orders match outcomes by how favourable they are.
func matchRank(m string) int {
	switch m {
	case schema.MatchMatched:
		return 2
	case schema.MatchUnknown, schema.MatchNotInferable:
		return 1
	}
	return 0
}

// aicrDim is a fingerprint dimension as text, for JudgeAICRClaim.
type aicrDim struct{ value, version, note, source string }

func (d *aicrDim) describe() string { return describeDimension(d.value, d.note) }

func strDim(d *schema.Dimension) *aicrDim {
	if d == nil {
		return nil
	}
	return &aicrDim{value: d.Value, note: d.Note, source: d.Source}
}

func osDim(d *schema.OSDimension) *aicrDim {
	if d == nil {
		return nil
	}
	return &aicrDim{value: d.Value, version: d.Version, note: d.Note, source: d.Source}
}

func countDim(d *schema.CountDimension) *aicrDim {
	if d == nil {
		return nil
	}
	return &aicrDim{value: strconv.Itoa(d.Value), note: d.Note, source: d.Source}
}

// HasAICRLabels reports whether snapshot YAML is in AICR's `aicr snapshot`
// shape: its NodeTopology measurement has the label subtype. A snapshot
// ParseSnapshot refuses has none.
func HasAICRLabels(snapshotYAML []byte) bool {
	s, err := ParseSnapshot(snapshotYAML)
	if err != nil {
		return false
	}
	_, ok := s.aicrSubtype(typeNodeTopology, aicrLabelSubtype)
	return ok
}

// AICRVerdictFingerprint is the fingerprint a verdict uses when a claim is
// judged under AICR's rules: AICR's recomputation (which reads AICR's
// snapshot shape), except that every dimension the current rules read from
// the same snapshot with a definite value keeps that value. The current
// rules' consistency (zero GPU nodes is no accelerator; the GPU model and the
// node labels must agree) therefore holds whichever rules the claim was made
// with: a snapshot cannot pass by adding AICR-shaped readings.
func AICRVerdictFingerprint(current, aicr schema.Fingerprint) schema.Fingerprint {
	out := aicr
	dim := func(cur, a **schema.Dimension) {
		c := *cur
		// Definite: a value, or no value with a reason (no-gpu-nodes).
		definite := c != nil && c.Value != "unknown" && (c.Value != "" || c.Note != "")
		if definite && (*a == nil || (*a).Value != c.Value || (*a).Note != c.Note) {
			*a = c
		}
	}
	dim(&current.Service, &out.Service)
	dim(&current.Accelerator, &out.Accelerator)
	dim(&current.GPUModel, &out.GPUModel)
	dim(&current.K8sVersion, &out.K8sVersion)
	dim(&current.Region, &out.Region)
	if current.OS != nil && current.OS.Value != "" && current.OS.Value != "unknown" && (out.OS == nil || out.OS.Value != current.OS.Value) {
		out.OS = current.OS
	}
	if current.NodeCount != nil && (out.NodeCount == nil || out.NodeCount.Value != current.NodeCount.Value) {
		out.NodeCount = current.NodeCount
	}
	if current.GPUNodeCount != nil && (out.GPUNodeCount == nil || out.GPUNodeCount.Value != current.GPUNodeCount.Value) {
		out.GPUNodeCount = current.GPUNodeCount
	}
	return out
}
