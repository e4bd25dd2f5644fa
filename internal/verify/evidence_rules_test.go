package verify_test

// Regression cases for "passed means the evidence proves it" (issue 8,
// findings 3, 4 and 8): every bundle here is honestly built and signed, or
// resealed by a dishonest emitter, and each one verified as passed on 0bf2c80.

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/verify"
)

// The H100 example snapshot's GPU readings.
const (
	exampleGPUModel    = "model: NVIDIA H100 80GB HBM3"
	exampleGPUProducts = "gpu-products: NVIDIA-H100-80GB-HBM3"
)

// withGPUModel replaces the example snapshot's GPU.hardware.model reading
// (which the fingerprint reads before gpu-products) by model.
func withGPUModel(t *testing.T, snapshot []byte, model string) []byte {
	t.Helper()
	if !bytes.Contains(snapshot, []byte(exampleGPUModel)) {
		t.Fatalf("snapshot has no %q", exampleGPUModel)
	}
	return bytes.Replace(snapshot, []byte(exampleGPUModel), []byte("model: "+model), 1)
}

// withoutLine drops the line holding needle from a YAML document.
func withoutLine(t *testing.T, doc []byte, needle string) []byte {
	t.Helper()
	lines := strings.SplitAfter(string(doc), "\n")
	var out strings.Builder
	found := false
	for _, l := range lines {
		if strings.Contains(l, needle) {
			found = true
			continue
		}
		out.WriteString(l)
	}
	if !found {
		t.Fatalf("%q not found", needle)
	}
	return []byte(out.String())
}

// ctrfWithTests rewrites a CTRF report to hold the given statuses (tests named
// after the originals where there are enough), with an honest summary.
func ctrfWithTests(t *testing.T, report []byte, statuses ...string) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(report, &doc); err != nil {
		t.Fatal(err)
	}
	results := doc["results"].(map[string]any)
	old := results["tests"].([]any)
	tests := []any{}
	counts := map[string]int{}
	for i, s := range statuses {
		tc := map[string]any{"name": "extra-test", "duration": 1}
		if i < len(old) {
			tc = old[i].(map[string]any)
		}
		tc["status"] = s
		tests = append(tests, tc)
		counts[s]++
	}
	results["tests"] = tests
	sum := results["summary"].(map[string]any)
	for _, s := range []string{schema.CTRFPassed, schema.CTRFFailed, schema.CTRFSkipped, schema.CTRFPending, schema.CTRFOther} {
		sum[s] = counts[s]
	}
	sum["tests"] = len(tests)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// declareCheck adds a check to the deployment phase the H100 recipe declares.
func declareCheck(name string) func(t *testing.T, fx *tamperFixture, r *tamperRaw) {
	return func(t *testing.T, fx *tamperFixture, r *tamperRaw) {
		old := []byte("      - gpu-operator-ready\n")
		if !bytes.Contains(r.recipe, old) {
			t.Fatal("recipe does not declare gpu-operator-ready")
		}
		r.recipe = bytes.Replace(r.recipe, old, append(bytes.Clone(old), "      - "+name+"\n"...), 1)
	}
}

// missingCoverage asserts that the result's coverage of phase misses exactly check.
func missingCoverage(phase, check string) func(t *testing.T, res *verify.Result) {
	return func(t *testing.T, res *verify.Result) {
		for _, pc := range res.Coverage {
			if pc.Phase == phase {
				if !reflect.DeepEqual(pc.Missing, []string{check}) {
					t.Errorf("%s coverage misses %q, want [%q]", phase, pc.Missing, check)
				}
				return
			}
		}
		t.Errorf("no coverage for phase %s: %+v", phase, res.Coverage)
	}
}

func evidenceRuleCases() []tamperCase {
	honest := func(editRaw func(t *testing.T, fx *tamperFixture, r *tamperRaw), editIn func(t *testing.T, in *assemble.Inputs)) func(t *testing.T, fx *tamperFixture) map[string][]byte {
		return func(t *testing.T, fx *tamperFixture) map[string][]byte {
			in := fx.inputs(t, func(fx *tamperFixture, r *tamperRaw) {
				if editRaw != nil {
					editRaw(t, fx, r)
				}
			}, nil)
			if editIn != nil {
				editIn(t, &in)
			}
			return fx.mustBuildSigned(t, in, fx.a, sigstoretest.SignOptions{})
		}
	}
	gpu := func(model string) func(t *testing.T, fx *tamperFixture, r *tamperRaw) {
		return func(t *testing.T, fx *tamperFixture, r *tamperRaw) { r.snapshot = withGPUModel(t, r.snapshot, model) }
	}
	phaseCTRF := func(phase string, statuses ...string) func(t *testing.T, in *assemble.Inputs) {
		return func(t *testing.T, in *assemble.Inputs) {
			in.CTRF[phase] = ctrfWithTests(t, in.CTRF[phase], statuses...)
		}
	}
	return []tamperCase{
		// --- finding 3: evidence of nothing is not a pass ---
		{name: "every test of a phase skipped", files: honest(nil, phaseCTRF(schema.PhaseConformance, schema.CTRFSkipped, schema.CTRFSkipped, schema.CTRFSkipped)),
			verdict: verify.VerdictFailing, check: verify.CheckCTRF, detail: "conformance"},
		{name: "a phase report with no test", files: honest(nil, phaseCTRF(schema.PhaseDeployment)),
			verdict: verify.VerdictFailing, check: verify.CheckCTRF, detail: "deployment"},
		{name: "every test of every phase skipped", files: honest(nil, func(t *testing.T, in *assemble.Inputs) {
			for _, p := range schema.Phases() {
				in.CTRF[p] = ctrfWithTests(t, in.CTRF[p], schema.CTRFSkipped)
			}
		}), verdict: verify.VerdictFailing, check: verify.CheckCTRF, detail: "no test that passed"},
		{name: "a phase the recipe declares has no report", files: honest(nil, func(t *testing.T, in *assemble.Inputs) {
			delete(in.CTRF, schema.PhasePerformance)
		}), verdict: verify.VerdictFailing, check: verify.CheckCTRF, detail: "performance"},
		{name: "one passed test among skipped ones proves the phase", files: honest(nil, phaseCTRF(schema.PhaseConformance, schema.CTRFSkipped, schema.CTRFPassed, schema.CTRFSkipped)),
			verdict: verify.VerdictPassed},

		// --- finding 4: a specific accelerator, service or os must be shown ---
		{name: "H800 against accelerator h100", files: honest(gpu("NVIDIA H800"), nil),
			verdict: verify.VerdictFailing, check: verify.CheckFingerprint, detail: "accelerator"},
		{name: "A30 against accelerator h100", files: honest(gpu("NVIDIA A30"), nil),
			verdict: verify.VerdictFailing, check: verify.CheckFingerprint, detail: "accelerator"},
		{name: "H20 against accelerator h100", files: honest(gpu("NVIDIA H20"), nil),
			verdict: verify.VerdictFailing, check: verify.CheckFingerprint, detail: "accelerator"},
		{name: "RTX 6000 Ada against accelerator h100", files: honest(gpu("NVIDIA RTX 6000 Ada Generation"), nil),
			verdict: verify.VerdictFailing, check: verify.CheckFingerprint, detail: "accelerator"},
		{name: "a GPU no table knows against accelerator h100", files: honest(gpu("NVIDIA Q9000 Prototype"), nil),
			verdict: verify.VerdictFailing, check: verify.CheckFingerprint, detail: "accelerator"},
		{name: "mixed H100 and H200 cluster against accelerator h100", files: honest(gpu("NVIDIA H100 80GB HBM3, NVIDIA H200"), nil),
			verdict: verify.VerdictFailing, check: verify.CheckFingerprint, detail: "accelerator"},
		{name: "no accelerator reading against accelerator h100", files: honest(func(t *testing.T, fx *tamperFixture, r *tamperRaw) {
			r.snapshot = withoutLine(t, withoutLine(t, r.snapshot, exampleGPUModel), exampleGPUProducts)
		}, nil), verdict: verify.VerdictFailing, check: verify.CheckFingerprint, detail: "does not show the cluster's accelerator"},
		{name: "no service reading against service eks", files: honest(func(t *testing.T, fx *tamperFixture, r *tamperRaw) {
			r.snapshot = withoutLine(t, r.snapshot, "provider: eks")
		}, nil), verdict: verify.VerdictFailing, check: verify.CheckFingerprint, detail: "does not show the cluster's service"},
		{name: "an unrecognised OS against os ubuntu", files: honest(func(t *testing.T, fx *tamperFixture, r *tamperRaw) {
			r.snapshot = bytes.Replace(r.snapshot, []byte("ID: ubuntu"), []byte("ID: ubuntu-core"), 1)
		}, nil), verdict: verify.VerdictFailing, check: verify.CheckFingerprint, detail: "os"},
		// An older emitter counted an unknown SKU as unknown and the match as
		// matched. That claim is honest under the rules it was made with: the
		// bundle is not invalid, but the strict recomputation makes it failing.
		{name: "H800 claimed under the older rules is failing, not invalid", files: honest(gpu("NVIDIA H800"), func(t *testing.T, in *assemble.Inputs) {
			in.Fingerprint.Accelerator = &schema.Dimension{Source: "GPU.hardware.model", Note: "unknown-sku"}
			for i, d := range in.CriteriaMatch.PerDimension {
				if d.Dimension == "accelerator" {
					in.CriteriaMatch.PerDimension[i] = schema.DimensionMatch{Dimension: "accelerator", RecipeRequires: "h100", Match: schema.MatchUnknown}
				}
			}
			in.CriteriaMatch.Matched = true
		}), verdict: verify.VerdictFailing, check: verify.CheckFingerprint, detail: "accelerator"},
		// A claim that neither rule set gives stays invalid.
		{name: "H800 signed as an h100", files: honest(gpu("NVIDIA H800"), func(t *testing.T, in *assemble.Inputs) {
			in.Fingerprint.Accelerator = &schema.Dimension{Value: "h100", Source: "GPU.hardware.model"}
			for i, d := range in.CriteriaMatch.PerDimension {
				if d.Dimension == "accelerator" {
					in.CriteriaMatch.PerDimension[i] = schema.DimensionMatch{Dimension: "accelerator", RecipeRequires: "h100", FingerprintProvides: "h100", Match: schema.MatchMatched}
				}
			}
			in.CriteriaMatch.Matched = true
		}), verdict: verify.VerdictInvalid, check: verify.CheckFingerprint, detail: "contradicts snapshot.yaml"},

		// --- coverage of the checks the recipe declares ---
		{name: "every declared check has a test", verdict: verify.VerdictPassed, also: func(t *testing.T, res *verify.Result) {
			want := []schema.PhaseCoverage{
				{Phase: "deployment", Declared: []string{"operator-health", "gpu-operator-ready"}, Covered: []string{"operator-health", "gpu-operator-ready"}, Missing: []string{}},
				{Phase: "performance", Declared: []string{}, Covered: []string{}, Missing: []string{}},
				{Phase: "conformance", Declared: []string{"dra-support", "gang-scheduling"}, Covered: []string{"dra-support", "gang-scheduling"}, Missing: []string{}},
			}
			if !reflect.DeepEqual(res.Coverage, want) {
				t.Errorf("coverage %+v, want %+v", res.Coverage, want)
			}
		}},
		{name: "a declared check without a test is shown, not a verdict", files: honest(declareCheck("gpu-burn"), nil),
			verdict: verify.VerdictPassed, also: missingCoverage("deployment", "gpu-burn")},
		{name: "a declared check without a test fails when full coverage is required", files: honest(declareCheck("gpu-burn"), nil),
			config:  func(fx *tamperFixture, cfg *verify.Config) { cfg.RequireFullCoverage = true },
			verdict: verify.VerdictFailing, check: verify.CheckCTRF, detail: `deployment: "gpu-burn"`, also: missingCoverage("deployment", "gpu-burn")},
		{name: "a declared check whose test was skipped is not covered", files: honest(nil, phaseCTRF(schema.PhaseDeployment, schema.CTRFPassed, schema.CTRFSkipped, schema.CTRFPassed)),
			config:  func(fx *tamperFixture, cfg *verify.Config) { cfg.RequireFullCoverage = true },
			verdict: verify.VerdictFailing, check: verify.CheckCTRF, detail: "gpu-operator-ready", also: missingCoverage("deployment", "gpu-operator-ready")},
		{name: "full coverage required and given", config: func(fx *tamperFixture, cfg *verify.Config) { cfg.RequireFullCoverage = true },
			verdict: verify.VerdictPassed},
		{name: "recipe validation checks are not a list", files: honest(func(t *testing.T, fx *tamperFixture, r *tamperRaw) {
			r.recipe = bytes.Replace(r.recipe, []byte("    checks:\n      - operator-health\n      - gpu-operator-ready\n"), []byte("    checks: operator-health\n"), 1)
		}, nil), verdict: verify.VerdictInvalid, check: verify.CheckCTRF, detail: "validation.deployment.checks is not a list"},

		// --- finding 8: reserved names compare under case folding ---
		{name: "failing report stored as CTRF/performance.json", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := tamperClone(fx.base)
			files["CTRF/performance.json"] = ctrfWithTests(t, files[schema.CTRFPath(schema.PhasePerformance)], schema.CTRFFailed)
			delete(files, schema.CTRFPath(schema.PhasePerformance))
			fx.reseal(t, files, func(p *schema.Predicate) { delete(p.Phases, schema.PhasePerformance) })
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: "CTRF/performance.json"},
		{name: "extra file under Ctrf/", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := tamperClone(fx.base)
			files["Ctrf/notes.txt"] = []byte("hello\n")
			fx.reseal(t, files, nil)
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: "Ctrf/notes.txt"},
	}
}

// TestEvidenceRules runs the cases of findings 3, 4 and 8.
func TestEvidenceRules(t *testing.T) {
	fx := tamperSetup(t)
	for _, c := range evidenceRuleCases() {
		t.Run(c.name, func(t *testing.T) {
			res := c.run(t, fx)
			tamperAssert(t, res, c.verdict, c.check, c.detail)
			if c.also != nil {
				c.also(t, res)
			}
		})
	}
}
