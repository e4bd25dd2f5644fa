package emit_test

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/verify"
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

// TestAICRSnapshotMinimised: a snapshot in AICR's `aicr snapshot` shape
// (NodeTopology label subtype "<value>|<node>,…", node names in metadata)
// is minimised so that no node name survives anywhere in the bundle, while
// the label subtype stays in AICR's shape with ordinals; AICR's fingerprint
// rules recompute, from the published snapshot, the same GPU node count as
// from the raw one and nothing that contradicts the signed claim; and the
// bundle inspects as passed.
func TestAICRSnapshotMinimised(t *testing.T) {
	up := testutil.SharedTestdata(t, "aicr-upstream-bundles")
	rawSnap := readFile(t, filepath.Join(up, "inputs", "snapshot-eks-h100.yaml"))
	data, _ := mustEmit(t, aicrInputs(t, "recipe-h100-eks-ubuntu-training.yaml", "snapshot-eks-h100.yaml", outPath(t)), emit.Env{})
	files := bundleFiles(t, data)
	shipped := snapshotOf(t, files)
	labels := subtype(shipped, "NodeTopology", "label")
	want := map[string]any{
		"nvidia.com/gpu.product":        "NVIDIA-H100-80GB-HBM3|#1,#2",
		"topology.kubernetes.io/region": "us-west-2|#1,#2,#3",
	}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("NodeTopology.label = %v, want %v", labels, want)
	}

	// No node name of the input, in any form, anywhere in the archive.
	names := regexp.MustCompile(`ip-10-0-[0-9-]+(\.us-west-2\.compute\.internal)?`).FindAllString(string(rawSnap), -1)
	if len(names) < 3 {
		t.Fatalf("the input names %d nodes; the test needs them", len(names))
	}
	tarBytes := rawTar(t, data)
	for _, n := range append(names, "compute.internal", "source-node") {
		if bytes.Contains(tarBytes, []byte(n)) {
			t.Errorf("the minimal bundle contains %q", n)
		}
	}

	raw, err := fingerprint.AICR.Compute(rawSnap)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fingerprint.AICR.Compute(files[schema.FileSnapshot])
	if err != nil {
		t.Fatal(err)
	}
	if got.GPUNodeCount == nil || raw.GPUNodeCount == nil || got.GPUNodeCount.Value != raw.GPUNodeCount.Value || got.Region == nil || got.Region.Value != "us-west-2" {
		t.Errorf("AICR's rules on the published snapshot: gpuNodeCount %+v region %+v; on the raw one %+v", got.GPUNodeCount, got.Region, raw.GPUNodeCount)
	}
	_, pred := predicateOf(t, files)
	crit, err := fingerprint.CriteriaFromRecipe(files[schema.FileRecipe])
	if err != nil {
		t.Fatal(err)
	}
	if j := fingerprint.JudgeAICRClaim(pred.Fingerprint, pred.CriteriaMatch, got, fingerprint.AICR.Match(crit, got)); len(j.Contradictions) > 0 {
		t.Errorf("AICR's rules contradict the signed claim: %v", j.Contradictions)
	}
	res := inspectBytes(t, data)
	if res.Verdict != verify.VerdictPassed {
		t.Errorf("inspect: %s", describe(res))
	}
}

func inspectBytes(t testing.TB, data []byte) *verify.Result {
	t.Helper()
	v, err := verify.New(verify.Config{MaxAge: 0})
	if err != nil {
		t.Fatal(err)
	}
	return v.Inspect(context.Background(), bytes.NewReader(data), verify.Options{Name: "evidence-bundle.tar.gz"})
}
