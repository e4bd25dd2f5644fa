package schema

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// DeclaredPhase is one validation phase a recipe declares under its top-level
// validation mapping (format v1 §5), with the checks it lists.
type DeclaredPhase struct {
	Phase string
	// Checks are the names under validation.<phase>.checks, in order, each once.
	Checks []string
}

// PhaseCoverage says which of a phase's declared checks have a test of the
// same name that ran in the phase's CTRF report (format v1 §5).
type PhaseCoverage struct {
	Phase string `json:"phase"`
	// Declared are the checks the recipe declares for the phase.
	Declared []string `json:"declared"`
	// Covered are the declared checks with a test of that name that ran
	// (any status but skipped).
	Covered []string `json:"covered"`
	// Missing are the declared checks without one.
	Missing []string `json:"missing"`
}

// DeclaredPhases reads the top-level validation mapping of a recipe tree (a
// document node or its top-level mapping, as CanonicalRecipe.Root holds it) and
// returns the phases it declares, in run order: each of deployment,
// performance and conformance whose value is a mapping. A missing or null
// validation, or a null phase, declares nothing; other keys (readiness, which
// has no report) are ignored. validation must be a mapping, a phase a mapping
// or null, and checks a list of non-empty strings (null is none).
func DeclaredPhases(root *yaml.Node) ([]DeclaredPhase, error) {
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, errors.New("recipe: the top level is not a mapping")
	}
	v := yamlValue(root, "validation")
	if v == nil || yamlNull(v) {
		return nil, nil
	}
	if v.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("recipe: line %d: validation is not a mapping", v.Line)
	}
	var out []DeclaredPhase
	for _, phase := range Phases() {
		pn := yamlValue(v, phase)
		if pn == nil || yamlNull(pn) {
			continue
		}
		if pn.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("recipe: line %d: validation.%s is not a mapping", pn.Line, phase)
		}
		d := DeclaredPhase{Phase: phase}
		cn := yamlValue(pn, "checks")
		if cn != nil && !yamlNull(cn) {
			if cn.Kind != yaml.SequenceNode {
				return nil, fmt.Errorf("recipe: line %d: validation.%s.checks is not a list", cn.Line, phase)
			}
			seen := map[string]bool{}
			for i, c := range cn.Content {
				if c.Kind != yaml.ScalarNode || yamlNull(c) || c.Value == "" {
					return nil, fmt.Errorf("recipe: line %d: validation.%s.checks[%d] is not a non-empty string", c.Line, phase, i)
				}
				if !seen[c.Value] {
					seen[c.Value] = true
					d.Checks = append(d.Checks, c.Value)
				}
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// Coverage returns the coverage of each declared phase by its report; a phase
// without a report (nil or absent in reports) covers nothing.
func Coverage(declared []DeclaredPhase, reports map[string]*CTRFReport) []PhaseCoverage {
	out := make([]PhaseCoverage, 0, len(declared))
	for _, d := range declared {
		ran := map[string]bool{}
		if r := reports[d.Phase]; r != nil {
			for _, t := range r.Results.Tests {
				if t.Status != CTRFSkipped {
					ran[t.Name] = true
				}
			}
		}
		pc := PhaseCoverage{Phase: d.Phase, Declared: nonNil(d.Checks), Covered: []string{}, Missing: []string{}}
		for _, c := range d.Checks {
			if ran[c] {
				pc.Covered = append(pc.Covered, c)
			} else {
				pc.Missing = append(pc.Missing, c)
			}
		}
		out = append(out, pc)
	}
	return out
}

// EvidenceGaps returns one line per phase whose evidence proves nothing (format
// v1 §5), in run order: a phase the recipe declares without a report, and a
// report without a test that passed (no test, or skipped tests only). reports
// holds the parsed report of each phase in the bundle.
func EvidenceGaps(declared []DeclaredPhase, reports map[string]*CTRFReport) []string {
	isDeclared := map[string]bool{}
	for _, d := range declared {
		isDeclared[d.Phase] = true
	}
	var out []string
	for _, phase := range Phases() {
		r, ok := reports[phase]
		switch {
		case !ok || r == nil:
			if isDeclared[phase] {
				out = append(out, fmt.Sprintf("%s: the recipe declares this phase under validation, but the bundle has no %s", phase, CTRFPath(phase)))
			}
		case len(r.Results.Tests) == 0:
			out = append(out, fmt.Sprintf("%s: the report has no test that passed (no test at all)", phase))
		default:
			if c := CountCTRF(r); c.Passed == 0 {
				out = append(out, fmt.Sprintf("%s: the report has no test that passed (%d tests: %d skipped, %d failed, %d pending, %d other)", phase, c.Tests, c.Skipped, c.Failed, c.Pending, c.Other))
			}
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// yamlValue returns the value of key in mapping m, or nil.
func yamlValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func yamlNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }
