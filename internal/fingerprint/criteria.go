package fingerprint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/internal/schema"
)

// MaxRecipeBytes is the largest recipe.yaml CriteriaFromRecipe accepts.
const MaxRecipeBytes = 16 << 20

// Criteria dimension names, in the order Match reports them.
const (
	DimService     = "service"
	DimAccelerator = "accelerator"
	DimOS          = "os"
	DimIntent      = "intent"
	DimPlatform    = "platform"
	DimNodes       = "nodes"
)

// Limits that keep a criteria match within the predicate schema.
const (
	maxCriteriaValue   = 256 // characters of a recipeRequires / fingerprintProvides
	maxDimensionName   = 64  // characters of a dimension name
	maxPerDimension    = 64  // entries of perDimension
	maxExtraDimensions = maxPerDimension - 6
)

// Criteria is a recipe's criteria mapping. An empty string or "any" (any case)
// means any value; Nodes 0 means any node count. Extra holds criteria keys this
// package does not know, with their scalar values as written; Match reports each
// as its own dimension. Extra is nil when there are none.
type Criteria struct {
	Service     string
	Accelerator string
	OS          string
	Intent      string
	Platform    string
	Nodes       int
	Extra       map[string]string
}

// CriteriaFromRecipe reads the top-level criteria mapping of recipe YAML. The
// input must be at most MaxRecipeBytes, hold exactly one YAML document whose top
// level is a mapping, and have no duplicate key in any mapping. A missing or null
// criteria means any value for every dimension. Values must be scalars (null
// reads as ""), kept as written; nodes must be an integer from 0 to MaxCount.
// Unknown keys go to Extra. A value may have at most 256 characters, an unknown
// key at most 64, and there may be at most 58 unknown keys, so the match fits the
// predicate schema.
func CriteriaFromRecipe(recipeYAML []byte) (Criteria, error) {
	root, err := decodeSingleDocument("recipe", recipeYAML, MaxRecipeBytes)
	if err != nil {
		return Criteria{}, err
	}
	if root.Kind != yaml.MappingNode {
		return Criteria{}, fmt.Errorf("recipe: line %d: the top level is %s, want a mapping", root.Line, kindName(root))
	}
	cn := mappingValue(root, "criteria")
	if cn == nil || isNull(cn) {
		return Criteria{}, nil
	}
	if cn.Kind != yaml.MappingNode {
		return Criteria{}, fmt.Errorf("recipe: line %d: criteria is %s, want a mapping", cn.Line, kindName(cn))
	}
	var c Criteria
	for i := 0; i+1 < len(cn.Content); i += 2 {
		kn, err := deref(cn.Content[i])
		if err != nil {
			return Criteria{}, fmt.Errorf("recipe: criteria: %w", err)
		}
		key := kn.Value
		vn, err := deref(cn.Content[i+1])
		if err != nil {
			return Criteria{}, fmt.Errorf("recipe: criteria key %s: %w", quote(key), err)
		}
		if vn.Kind != yaml.ScalarNode {
			return Criteria{}, fmt.Errorf("recipe: criteria key %s: line %d: the value is %s, want a scalar", quote(key), vn.Line, kindName(vn))
		}
		if key == DimNodes {
			n, err := nodesValue(vn)
			if err != nil {
				return Criteria{}, fmt.Errorf("recipe: criteria key %s: line %d: %w", quote(key), vn.Line, err)
			}
			c.Nodes = n
			continue
		}
		value := vn.Value
		if isNull(vn) {
			value = ""
		}
		if n := utf8.RuneCountInString(value); n > maxCriteriaValue {
			return Criteria{}, fmt.Errorf("recipe: criteria key %s: line %d: the value has %d characters, at most %d are allowed", quote(key), vn.Line, n, maxCriteriaValue)
		}
		switch key {
		case DimService:
			c.Service = value
		case DimAccelerator:
			c.Accelerator = value
		case DimOS:
			c.OS = value
		case DimIntent:
			c.Intent = value
		case DimPlatform:
			c.Platform = value
		default:
			if key == "" || utf8.RuneCountInString(key) > maxDimensionName {
				return Criteria{}, fmt.Errorf("recipe: criteria key %s (line %d): a key must have 1 to %d characters", quote(key), kn.Line, maxDimensionName)
			}
			if c.Extra == nil {
				c.Extra = map[string]string{}
			}
			c.Extra[key] = value
			if len(c.Extra) > maxExtraDimensions {
				return Criteria{}, fmt.Errorf("recipe: criteria key %s (line %d): more than %d unknown criteria keys", quote(key), kn.Line, maxExtraDimensions)
			}
		}
	}
	return c, nil
}

// nodesValue reads the criteria's nodes: null or an integer from 0 to MaxCount.
func nodesValue(n *yaml.Node) (int, error) {
	switch n.ShortTag() {
	case "!!null":
		return 0, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil && i >= 0 && i <= MaxCount {
			return int(i), nil
		}
	}
	return 0, fmt.Errorf("want an integer from 0 to %d, got %s", MaxCount, quote(n.Value))
}

// Match compares the recipe's criteria with the fingerprint under the current
// rules (see Rules.Match).
func Match(c Criteria, fp schema.Fingerprint) schema.CriteriaMatch { return Current.Match(c, fp) }

// Match compares the recipe's criteria with the fingerprint and returns one
// entry per dimension: service, accelerator, os, intent, platform, nodes, then
// the Extra keys sorted (an Extra key that names one of those six is skipped).
//
//   - A recipe value "" or "any" (any case) matches; RecipeRequires is the value
//     as written ("" is omitted).
//   - service, accelerator, os: no reading → unknown. A reading the fingerprint
//     did not recognise (it carries a note: multi-gpu, unknown-sku,
//     unrecognised-os) is mismatched under Current, with FingerprintProvides the
//     value or, when it is "", the note; under First an empty value counts as
//     not captured (unknown) and any other value is compared. Otherwise the
//     value is FingerprintProvides: equal ignoring case and surrounding space →
//     matched; a different service when the recipe asks for the opt-in-only
//     "generic" → not-inferable; otherwise mismatched.
//   - intent, platform: never inferable from a snapshot → not-inferable.
//   - nodes: 0 → matched (RecipeRequires omitted); otherwise the decimal count;
//     no nodeCount → unknown; equal to nodeCount → matched; else mismatched.
//   - Extra keys: not captured by a fingerprint → unknown.
//
// Matched is true when no dimension is mismatched and, under Current, none of
// service, accelerator and os is unknown: the evidence must show what the
// recipe asks for.
//
// Under AICR the match is AICR's (see aicrMatch).
func (r Rules) Match(c Criteria, fp schema.Fingerprint) schema.CriteriaMatch {
	if r == AICR {
		return aicrMatch(c, fp)
	}
	per := schema.DimensionMatches{
		r.matchValue(DimService, c.Service, dimensionReading(fp.Service), isOptInService),
		r.matchValue(DimAccelerator, c.Accelerator, dimensionReading(fp.Accelerator), nil),
		r.matchValue(DimOS, c.OS, osReading(fp.OS), nil),
		matchUninferable(DimIntent, c.Intent, schema.MatchNotInferable),
		matchUninferable(DimPlatform, c.Platform, schema.MatchNotInferable),
		matchNodes(c.Nodes, fp.NodeCount),
	}
	keys := make([]string, 0, len(c.Extra))
	for k := range c.Extra {
		switch k {
		case DimService, DimAccelerator, DimOS, DimIntent, DimPlatform, DimNodes:
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		per = append(per, matchUninferable(k, c.Extra[k], schema.MatchUnknown))
	}
	matched := true
	for _, d := range per {
		if d.Match == schema.MatchMismatched || (r == Current && d.Match == schema.MatchUnknown && MustBeShown(d.Dimension)) {
			matched = false
		}
	}
	return schema.CriteriaMatch{Matched: matched, PerDimension: per}
}

// MustBeShown reports whether a specific recipe value of the dimension passes
// only when the evidence shows it (service, accelerator, os): unknown fails the
// match under the current rules.
func MustBeShown(dim string) bool {
	return dim == DimService || dim == DimAccelerator || dim == DimOS
}

// isAny reports whether a recipe value means any value.
func isAny(v string) bool {
	v = strings.TrimSpace(v)
	return v == "" || strings.EqualFold(v, "any")
}

// isOptInService reports whether a service value is opt-in only: a cluster is
// never inferred to be one, so a difference is not a mismatch.
func isOptInService(v string) bool {
	return strings.EqualFold(strings.TrimSpace(v), "generic")
}

// reading is a fingerprint dimension as the match sees it: absent, or a value
// with the note that says it was not recognised.
type reading struct {
	present     bool
	value, note string
}

func dimensionReading(d *schema.Dimension) reading {
	if d == nil {
		return reading{}
	}
	return reading{present: true, value: d.Value, note: d.Note}
}

func osReading(d *schema.OSDimension) reading {
	if d == nil {
		return reading{}
	}
	return reading{present: true, value: d.Value, note: d.Note}
}

// matchValue matches a dimension the fingerprint can provide.
func (r Rules) matchValue(dim, want string, have reading, optIn func(string) bool) schema.DimensionMatch {
	m := schema.DimensionMatch{Dimension: dim, RecipeRequires: want, FingerprintProvides: have.value}
	recognised := have.note == "" && strings.TrimSpace(have.value) != ""
	if r == Current && have.present && !recognised && m.FingerprintProvides == "" {
		m.FingerprintProvides = have.note
	}
	switch {
	case isAny(want):
		m.Match = schema.MatchMatched
	case r == Current && !have.present, r == First && strings.TrimSpace(have.value) == "":
		m.Match = schema.MatchUnknown
	case r == Current && !recognised:
		m.Match = schema.MatchMismatched
	case strings.EqualFold(strings.TrimSpace(want), strings.TrimSpace(have.value)):
		m.Match = schema.MatchMatched
	case optIn != nil && optIn(want):
		m.Match = schema.MatchNotInferable
	default:
		m.Match = schema.MatchMismatched
	}
	return m
}

// matchUninferable matches a dimension no fingerprint provides: any → matched,
// otherwise the given outcome.
func matchUninferable(dim, want, outcome string) schema.DimensionMatch {
	m := schema.DimensionMatch{Dimension: dim, RecipeRequires: want, Match: outcome}
	if isAny(want) {
		m.Match = schema.MatchMatched
	}
	return m
}

func matchNodes(want int, have *schema.CountDimension) schema.DimensionMatch {
	m := schema.DimensionMatch{Dimension: DimNodes}
	if have != nil {
		m.FingerprintProvides = strconv.Itoa(have.Value)
	}
	switch {
	case want == 0:
		m.Match = schema.MatchMatched
		return m
	case have == nil:
		m.Match = schema.MatchUnknown
	case have.Value == want:
		m.Match = schema.MatchMatched
	default:
		m.Match = schema.MatchMismatched
	}
	m.RecipeRequires = strconv.Itoa(want)
	return m
}
