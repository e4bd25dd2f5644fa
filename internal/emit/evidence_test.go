package emit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/emit"
)

// TestEmitWarnsWhenTheEvidenceWillBeFailing: the emitter computes the
// verifier's new facts (issue 8, findings 3 and 4) and says, even with --quiet,
// why the bundle it wrote will not verify as passed.
func TestEmitWarnsWhenTheEvidenceWillBeFailing(t *testing.T) {
	in := copyInputs(t, h100Example)
	// An H800 cluster against the h100 recipe ...
	snap := strings.Replace(string(readFile(t, in.snapshot)), "model: NVIDIA H100 80GB HBM3", "model: NVIDIA H800", 1)
	snap = strings.Replace(snap, "gpu-products: NVIDIA-H100-80GB-HBM3", "gpu-products: NVIDIA-H800", 1)
	writeFile(t, in.snapshot, []byte(snap))
	// ... a declared check without a test, and a declared phase without a report.
	rec := strings.Replace(string(readFile(t, in.recipe)), "      - gpu-operator-ready\n", "      - gpu-operator-ready\n      - gpu-burn\n", 1)
	writeFile(t, in.recipe, []byte(rec))
	if err := os.Remove(filepath.Join(in.results, "performance.json")); err != nil {
		t.Fatal(err)
	}
	_, stderr := mustEmit(t, in.args(outPath(t), "--quiet"), emit.Env{})
	for _, want := range []string{
		`emit: warning: the bundle will be failing: criteria accelerator: the recipe requires h100, the cluster shows "h800"`,
		"emit: warning: the bundle will be failing: performance: the recipe declares this phase under validation, but the bundle has no ctrf/performance.json",
		"emit: warning: deployment: declared checks without a test (failing where full coverage is required): gpu-burn",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
}

// TestEmitNoWarningForGoodEvidence: the H100 example proves what it claims.
func TestEmitNoWarningForGoodEvidence(t *testing.T) {
	in := copyInputs(t, h100Example)
	if _, stderr := mustEmit(t, in.args(outPath(t)), emit.Env{}); strings.Contains(stderr, "warning") {
		t.Errorf("stderr warns about good evidence:\n%s", stderr)
	}
}

// TestEmitRefusesMalformedValidation: a validation block the verifier refuses
// is refused before any work.
func TestEmitRefusesMalformedValidation(t *testing.T) {
	in := copyInputs(t, h100Example)
	rec := strings.Replace(string(readFile(t, in.recipe)), "validation:\n  deployment:\n", "validation:\n  deployment: [a]\n  x:\n", 1)
	writeFile(t, in.recipe, []byte(rec))
	res := runEmit(t, in.args(outPath(t)), emit.Env{})
	if res.err == nil || !strings.Contains(res.err.Error(), "validation.deployment is not a mapping") {
		t.Fatalf("emit error %v, want validation.deployment is not a mapping", res.err)
	}
}
