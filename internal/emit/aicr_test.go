package emit_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// aicrInputs are emit's flags for a recipe AICR resolved (`aicr recipe`) and
// a snapshot in AICR's shape, from ../shared/testdata/aicr-upstream-bundles:
// no --recipe-name, the CTRF reports of AICR's own v1-eks-minimal bundle, the
// BOM generated from the recipe.
func aicrInputs(t testing.TB, recipe, snapshot, out string) []string {
	t.Helper()
	up := testutil.SharedTestdata(t, "aicr-upstream-bundles")
	return []string{
		"--recipe", filepath.Join(up, "inputs", recipe),
		"--snapshot", filepath.Join(up, "inputs", snapshot),
		"--results", filepath.Join(up, "bundles", "v1-eks-minimal", "summary-bundle", "ctrf"),
		"--out", out, "--sign", "none", "--nvml", "off", "--attested-at", fixedAttestedAt,
	}
}

// upstreamRecipeName is the recipe name AICR's own tool gave the recipe, as
// its pointer file records it.
func upstreamRecipeName(t testing.TB, bundle string) string {
	t.Helper()
	b := readFile(t, filepath.Join(testutil.SharedTestdata(t, "aicr-upstream-bundles"), "bundles", bundle, "pointer.yaml"))
	p, err := pointer.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return p.Recipe
}

// TestRecipeNameAICRRule: a recipe AICR resolved has no metadata.name; emit
// names it as AICR does (criteria, then the selected profile), the name
// AICR's own pointer files carry, and says which rule named it.
func TestRecipeNameAICRRule(t *testing.T) {
	for _, tc := range []struct{ recipe, snapshot, bundle string }{
		{"recipe-h100-eks-ubuntu-training.yaml", "snapshot-eks-h100.yaml", "v1-eks-minimal"},
		{"recipe-h100-aks-ubuntu-training.yaml", "snapshot-aks-h100.yaml", "v2-aks-profile-minimal"},
	} {
		t.Run(tc.bundle, func(t *testing.T) {
			want := upstreamRecipeName(t, tc.bundle)
			data, stderr := mustEmit(t, aicrInputs(t, tc.recipe, tc.snapshot, outPath(t)), emit.Env{})
			subj, pred := predicateOf(t, bundleFiles(t, data))
			if pred.Recipe.Name != want || subj != "recipe:"+want {
				t.Errorf("recipe name %q (subject %q), want AICR's %q", pred.Recipe.Name, subj, want)
			}
			if line := "recipe name " + want + " (from AICR's rule: the criteria and selected profile)"; !strings.Contains(stderr, line) {
				t.Errorf("progress lacks %q:\n%s", line, stderr)
			}
		})
	}
}
