package verify_test

// Second reviewer's attacks on the verdict rules (declared phases, criteria,
// CTRF). Every bundle is built honestly by assemble (the fingerprint and the
// criteria match computed the way an emitter computes them) and signed with
// the trusted identity: a dishonest contributor can produce each of them.
// Each test asserts the CORRECT behaviour, so it fails while the attack works.

import (
	"bytes"
	"encoding/base64"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/verify"
)

// aicrView decodes a recipe the way AICR (a Go program unmarshalling into
// typed fields with yaml.v3) reads it: a !!binary key decodes to its bytes.
type aicrView struct {
	Criteria   map[string]string         `yaml:"criteria"`
	Validation map[string]map[string]any `yaml:"validation"`
}

func aicrRead(t *testing.T, recipe []byte) aicrView {
	t.Helper()
	var v aicrView
	if err := yaml.Unmarshal(recipe, &v); err != nil {
		t.Fatalf("AICR-style decode: %v", err)
	}
	return v
}

func replaceOnce(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%q not found", old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func attack2Verify(t *testing.T, fx *tamperFixture, editRaw func(r *tamperRaw), editIn func(in *assemble.Inputs)) (*verify.Result, []byte) {
	t.Helper()
	var recipe []byte
	in := fx.inputs(t, func(fx *tamperFixture, r *tamperRaw) {
		editRaw(r)
		recipe = r.recipe
	}, editIn)
	files := fx.mustBuildSigned(t, in, fx.a, sigstoretest.SignOptions{})
	return fx.verifier.Verify(t.Context(), bytes.NewReader(tamperPack(t, files)), verify.Options{Name: t.Name()}), recipe
}

// attack2Forged builds what a dishonest emitter would sign when the honest
// emitter refuses the recipe: the base bundle whose recipe.yaml has the key
// path (from the top) renamed to a !!binary key of the same meaning, written
// the way the canonicalizer of format §3 writes it (pairs sorted by key text,
// yaml.v3's default encoder), the phase drop (if any) removed, the criteria
// match claimed as a reader that misses a !!binary criteria key computes it,
// resealed and signed (subject = sha256 of the new recipe bytes).
func attack2Forged(t *testing.T, fx *tamperFixture, path []string, edit func(value *yaml.Node), drop string) (*verify.Result, []byte) {
	t.Helper()
	files := tamperClone(fx.base)
	var doc yaml.Node
	if err := yaml.Unmarshal(files[schema.FileRecipe], &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Content[0]
	for i, name := range path {
		var key, value *yaml.Node
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == name {
				key, value = m.Content[j], m.Content[j+1]
			}
		}
		if key == nil {
			t.Fatalf("recipe has no %s", strings.Join(path[:i+1], "."))
		}
		if i < len(path)-1 {
			m = value
			continue
		}
		key.Tag, key.Style, key.Value = "!!binary", yaml.TaggedStyle, base64.StdEncoding.EncodeToString([]byte(name))
		if edit != nil {
			edit(value)
		}
		pairs := make([][2]*yaml.Node, 0, len(m.Content)/2)
		for j := 0; j+1 < len(m.Content); j += 2 {
			pairs = append(pairs, [2]*yaml.Node{m.Content[j], m.Content[j+1]})
		}
		sort.SliceStable(pairs, func(a, b int) bool { return pairs[a][0].Value < pairs[b][0].Value })
		m.Content = m.Content[:0]
		for _, p := range pairs {
			m.Content = append(m.Content, p[0], p[1])
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(doc.Content[0]); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	recipe := buf.Bytes()
	files[schema.FileRecipe] = recipe
	if drop != "" {
		delete(files, schema.CTRFPath(drop))
	}
	fp, err := fingerprint.Compute(files[schema.FileSnapshot])
	if err != nil {
		t.Fatal(err)
	}
	fx.reseal(t, files, func(p *schema.Predicate) {
		p.Recipe.Digest = strings.TrimPrefix(schema.SHA256Prefixed(recipe), "sha256:")
		if drop != "" {
			delete(p.Phases, drop)
		}
		if path[0] == "criteria" {
			p.CriteriaMatch = fingerprint.Match(fingerprint.Criteria{}, fp)
		}
	})
	return fx.verifier.Verify(t.Context(), bytes.NewReader(tamperPack(t, files)), verify.Options{Name: t.Name()}), recipe
}

// TestAttack2BinaryCriteriaKey — BROKEN at the time of writing.
// Attack: the bundle's recipe.yaml spells its top-level key `criteria` as
// `!!binary Y3JpdGVyaWE=` (base64 of "criteria") and requires accelerator
// gb200; the cluster is an H100. AICR, decoding the recipe with yaml.v3 into
// its types, reads criteria.accelerator = gb200; the verifier looks for a
// key whose raw text is "criteria", finds none, treats every dimension as
// "any", and the criteria "match". A resolved recipe (kind RecipeResult) at
// the PR head with the same bytes passes the action's digest cross-check.
// Correct: not passed (a key that is not a plain string is refused, or the
// key is read by its decoded value and the gb200 requirement fails).
func TestAttack2BinaryCriteriaKey(t *testing.T) {
	fx := tamperSetup(t)
	res, recipe := attack2Forged(t, fx, []string{"criteria"}, func(criteria *yaml.Node) {
		for j := 0; j+1 < len(criteria.Content); j += 2 {
			if criteria.Content[j].Value == "accelerator" {
				criteria.Content[j+1].Value = "gb200"
			}
		}
	}, "")
	if got := aicrRead(t, recipe).Criteria["accelerator"]; got != "gb200" {
		t.Fatalf("AICR reads accelerator %q, want gb200 (the premise of the attack)", got)
	}
	if res.Verdict == verify.VerdictPassed {
		t.Errorf("an H100 bundle for a recipe AICR reads as accelerator gb200 passed:\n%s", tamperDescribe(res))
	}
}

// TestAttack2BinaryValidationKey — BROKEN at the time of writing.
// Attack: the recipe's top-level `validation` key is written `!!binary
// dmFsaWRhdGlvbg==`; AICR reads all three phases, the verifier reads none,
// so "every phase the recipe declares needs a report" is not enforced: the
// bundle drops its conformance report (its conformance tests failed) and
// passes.
// Correct: not passed.
func TestAttack2BinaryValidationKey(t *testing.T) {
	fx := tamperSetup(t)
	res, recipe := attack2Forged(t, fx, []string{"validation"}, nil, schema.PhaseConformance)
	if _, ok := aicrRead(t, recipe).Validation["conformance"]; !ok {
		t.Fatal("AICR does not read validation.conformance (the premise of the attack)")
	}
	if res.Verdict == verify.VerdictPassed {
		t.Errorf("a bundle without the conformance report AICR's recipe declares passed:\n%s", tamperDescribe(res))
	}
}

// TestAttack2BinaryPhaseKey — BROKEN at the time of writing.
// Attack: the same trick one level down: `validation: {!!binary
// Y29uZm9ybWFuY2U=: {checks: [...]}}` declares the conformance phase for
// AICR but not for the verifier (DeclaredPhases compares raw key text).
// Correct: not passed.
func TestAttack2BinaryPhaseKey(t *testing.T) {
	fx := tamperSetup(t)
	res, recipe := attack2Forged(t, fx, []string{"validation", "conformance"}, nil, schema.PhaseConformance)
	if _, ok := aicrRead(t, recipe).Validation["conformance"]; !ok {
		t.Fatal("AICR does not read validation.conformance (the premise of the attack)")
	}
	if res.Verdict == verify.VerdictPassed {
		t.Errorf("a bundle without the conformance report AICR's recipe declares passed:\n%s", tamperDescribe(res))
	}
}

// TestAttack2AliasedValidation — blocked.
// Attack: the validation mapping (or a phase) given through an anchor and an
// alias, hoping the reader sees an alias node, not a mapping. Canonical
// expands aliases, so the phase is declared and its missing report fails.
func TestAttack2AliasedValidation(t *testing.T) {
	fx := tamperSetup(t)
	res, _ := attack2Verify(t, fx, func(r *tamperRaw) {
		r.recipe = replaceOnce(t, r.recipe, "  conformance:\n    checks:\n", "  conformance: &conf\n    checks:\n")
		r.recipe = append(r.recipe, []byte("x-copy: *conf\n")...)
		r.recipe = replaceOnce(t, r.recipe, "\nvalidation:\n", "\nvalidation: &val\n")
		delete(r.ctrf, schema.PhaseConformance)
	}, nil)
	if res.Verdict == verify.VerdictPassed {
		t.Errorf("passed:\n%s", tamperDescribe(res))
	}
}

// TestAttack2FlowStyleQuotedPhase — blocked.
// Attack: the phase declared in flow style with a quoted key
// (`"conformance": {checks: [dra-support]}`); the reader compares key text,
// so the phase is declared and its missing report fails.
func TestAttack2FlowStyleQuotedPhase(t *testing.T) {
	fx := tamperSetup(t)
	res, _ := attack2Verify(t, fx, func(r *tamperRaw) {
		r.recipe = replaceOnce(t, r.recipe, "  conformance:\n    checks:\n      - dra-support\n      - gang-scheduling\n", "  \"conformance\": {checks: [dra-support, gang-scheduling]}\n")
		delete(r.ctrf, schema.PhaseConformance)
	}, nil)
	if res.Verdict == verify.VerdictPassed {
		t.Errorf("passed:\n%s", tamperDescribe(res))
	}
}

// TestAttack2MergeKeyValidation — blocked.
// Attack: the phases pulled in with a YAML merge key (`validation: {<<:
// *phases}`), which AICR's yaml.v3 honours and a raw key reader would miss.
// Canonical refuses merge keys: the bundle is not passed.
func TestAttack2MergeKeyValidation(t *testing.T) {
	fx := tamperSetup(t)
	recipe := replaceOnce(t, fx.h100.recipe, "\nvalidation:\n", "\nx-phases: &phases\n")
	recipe = append(recipe, []byte("validation:\n  <<: *phases\n")...)
	in := fx.inputs(t, nil, func(in *assemble.Inputs) {
		in.Recipe = recipe
		delete(in.CTRF, schema.PhaseConformance)
	})
	files, err := fx.buildSigned(in, fx.a, sigstoretest.SignOptions{})
	if err != nil {
		return // the emitter itself refuses it: blocked
	}
	res := fx.verifier.Verify(t.Context(), bytes.NewReader(tamperPack(t, files)), verify.Options{Name: t.Name()})
	if res.Verdict == verify.VerdictPassed {
		t.Errorf("passed:\n%s", tamperDescribe(res))
	}
}

// TestAttack2CyrillicAccelerator — blocked.
// Attack: the recipe requires accelerator "һ100" (Cyrillic һ), hoping it is
// folded to h100 somewhere and matches an H100 cluster, or the other way
// round. The value is compared exactly: a mismatch, so not passed.
func TestAttack2CyrillicAccelerator(t *testing.T) {
	fx := tamperSetup(t)
	res, _ := attack2Verify(t, fx, func(r *tamperRaw) {
		r.recipe = replaceOnce(t, r.recipe, "accelerator: h100\n", "accelerator: \u04bb100\n")
	}, nil)
	if res.Verdict == verify.VerdictPassed {
		t.Errorf("passed:\n%s", tamperDescribe(res))
	}
}

// TestAttack2EmptyNamePassedTest — blocked by design (coverage is reported,
// and enforced with full coverage required).
// Attack: the conformance report's only test is a passed test with an empty
// name, which satisfies "at least one passed test" while none of the
// declared checks (dra-support, gang-scheduling) ran. With full coverage
// required the bundle is failing.
func TestAttack2EmptyNamePassedTest(t *testing.T) {
	fx := tamperSetup(t)
	in := fx.inputs(t, nil, func(in *assemble.Inputs) {
		rep := ctrfWithTests(t, in.CTRF[schema.PhaseConformance], schema.CTRFPassed)
		in.CTRF[schema.PhaseConformance] = replaceOnce(t, rep, `"name": "dra-support"`, `"name": ""`)
	})
	files := fx.mustBuildSigned(t, in, fx.a, sigstoretest.SignOptions{})
	cfg := fx.config()
	cfg.RequireFullCoverage = true
	v, err := verify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := v.Verify(t.Context(), bytes.NewReader(tamperPack(t, files)), verify.Options{Name: t.Name()})
	if res.Verdict == verify.VerdictPassed {
		t.Errorf("passed with full coverage required:\n%s", tamperDescribe(res))
	}
}
