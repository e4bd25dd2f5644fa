package diff

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// Tests against the real AICR overlay tree and resolved examples in
// ../shared/testdata/aicr-upstream (read in place, never copied here).

// upstream returns the upstream recipes/ tree as a head tree (paths
// "recipes/...") and the example resolved recipes by name.
func upstream(t testing.TB) (MapTree, map[string]string) {
	t.Helper()
	root := testutil.SharedTestdata(t, "aicr-upstream")
	tree := MapTree{}
	err := filepath.WalkDir(filepath.Join(root, "recipes"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		tree[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	examples := map[string]string{}
	for _, n := range []string{"eks-training", "aks-training"} {
		b, err := os.ReadFile(filepath.Join(root, "examples", "recipes", n+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		examples[n] = string(b)
	}
	return tree, examples
}

func upstreamCheck(t *testing.T, tree MapTree, overlay, bundleYAML string) *CrossCheck {
	t.Helper()
	p := "recipes/overlays/" + overlay + ".yaml"
	cc, err := CheckRecipe(context.Background(), tree, p, tree[p], canon(t, bundleYAML), "")
	if err != nil {
		t.Fatalf("CheckRecipe(%s): %v", p, err)
	}
	return cc
}

// TestUpstreamEKSTrainingExample checks examples/recipes/eks-training.yaml (a
// RecipeResult that applied base, eks, eks-training) against the overlay
// eks-training and its chain. They do not match, and none of the
// differences is legitimate: the example is a snapshot of an older catalog
// (metadata.version v0.26.7-next) that the overlays have moved past. Each
// row is checked here against the overlay files:
//
//   - monitoring-hpa (criteria intent: any, spec.base base) now applies to
//     every recipe, and brings the prometheus-adapter component;
//   - base.yaml now gives gpu-operator the dependencyRef
//     kube-prometheus-stack and the manifest dcgm-exporter.yaml, gives
//     nvsentinel the dependencyRef gpu-operator and version v1.1.0 (example:
//     v0.6.0), skyhook-operator version v0.14.0 (example: 0.14.0), and
//     declares k8s-ephemeral-storage-metrics and kai-scheduler;
//   - base.yaml now declares kube-prometheus-stack and nvidia-dra-driver-gpu
//     (eks.yaml adds overrides to both), and eks.yaml declares
//     aws-ebs-csi-driver and aws-efa and a conformance validation phase.
//
// SetBy names the overlay whose value PRSays shows (for a missing component,
// the one that set its version).
func TestUpstreamEKSTrainingExample(t *testing.T) {
	tree, ex := upstream(t)
	cc := upstreamCheck(t, tree, "eks-training", ex["eks-training"])
	want := []Difference{
		{Path: "metadata.appliedOverlays[monitoring-hpa]", PRSays: "applied (its criteria match)", BundleSays: "(absent)"},
		{Path: "componentRefs[name=gpu-operator].dependencyRefs[kube-prometheus-stack]", PRSays: "listed", BundleSays: "(absent)", SetBy: "base"},
		{Path: "componentRefs[name=gpu-operator].manifestFiles[components/gpu-operator/manifests/dcgm-exporter.yaml]", PRSays: "listed", BundleSays: "(absent)", SetBy: "base"},
		{Path: "componentRefs[name=nvsentinel].dependencyRefs[gpu-operator]", PRSays: "listed", BundleSays: "(absent)", SetBy: "base"},
		{Path: "componentRefs[name=nvsentinel].version", PRSays: "v1.1.0", BundleSays: "v0.6.0", SetBy: "base"},
		{Path: "componentRefs[name=skyhook-operator].version", PRSays: "v0.14.0", BundleSays: "0.14.0", SetBy: "base"},
		{Path: "componentRefs[name=kube-prometheus-stack]", PRSays: "version 82.8.0", BundleSays: "(absent)", SetBy: "base"},
		{Path: "componentRefs[name=k8s-ephemeral-storage-metrics]", PRSays: "version 1.19.2", BundleSays: "(absent)", SetBy: "base"},
		{Path: "componentRefs[name=nvidia-dra-driver-gpu]", PRSays: "version 25.12.0", BundleSays: "(absent)", SetBy: "base"},
		{Path: "componentRefs[name=kai-scheduler]", PRSays: "version v0.13.0", BundleSays: "(absent)", SetBy: "base"},
		{Path: "componentRefs[name=aws-ebs-csi-driver]", PRSays: "version 2.55.0", BundleSays: "(absent)", SetBy: "eks"},
		{Path: "componentRefs[name=aws-efa]", PRSays: "version v0.5.3", BundleSays: "(absent)", SetBy: "eks"},
		{Path: "componentRefs[name=prometheus-adapter]", PRSays: "version 5.3.0", BundleSays: "(absent)", SetBy: "monitoring-hpa"},
		{Path: "validation.conformance", PRSays: "(phase declared)", BundleSays: "(absent)", SetBy: "eks"},
	}
	if cc.Match || !reflect.DeepEqual(cc.Differences, want) {
		t.Fatalf("differences:\n got %s\nwant %s", fmtDiffs(cc.Differences), fmtDiffs(want))
	}
	if want := []string{"eks-training", "eks", "base"}; !reflect.DeepEqual(cc.Chain, want) {
		t.Errorf("Chain = %v", cc.Chain)
	}
	// criteria: the example's accelerator: any and os: any equal the
	// overlay's unset dimensions (upstream pitfall #5) — no row for them.
	for _, d := range cc.Differences {
		if strings.HasPrefix(d.Path, "criteria") {
			t.Errorf("criteria row %+v", d)
		}
	}
}

// aksFixed is examples/recipes/aks-training.yaml (resolved from
// h100-aks-ubuntu-training: its appliedOverlays run base, monitoring-hpa,
// aks, aks-training, h100-aks-training, h100-aks-ubuntu-training) with the
// four values in which the example is older than the overlay tree brought
// up to date, each as the overlay file states it.
func aksFixed(t *testing.T, example string) string {
	s := edit(t, example, "    version: v0.10.0\n", "    version: v1.1.0\n") // nvsentinel: base.yaml
	s = edit(t, s, "    version: v0.13.1\n", "    version: v0.14.0\n")       // skyhook-operator: base.yaml
	s = edit(t, s, "      cdi:\n        enabled: true\n", "")                // gpu-operator: h100-aks-training sets only gdrcopy now
	return edit(t, s, "  - name: nvidia-dra-driver-gpu\n", `  - name: network-operator
    namespace: nvidia-network-operator
    type: Helm
    source: https://helm.ngc.nvidia.com/nvidia
    version: "25.1.0"
    valuesFile: components/network-operator/values.yaml
    dependencyRefs:
      - cert-manager
  - name: nvidia-dra-driver-gpu
`) // network-operator: declared by aks.yaml
}

func TestUpstreamAKSTrainingExample(t *testing.T) {
	tree, ex := upstream(t)
	// As published: exactly the four values in which it is older.
	cc := upstreamCheck(t, tree, "h100-aks-ubuntu-training", ex["aks-training"])
	want := []Difference{
		{Path: "componentRefs[name=gpu-operator].overrides.cdi", PRSays: "(absent)", BundleSays: "(mapping of 1 keys)", SetBy: "h100-aks-training"},
		{Path: "componentRefs[name=nvsentinel].version", PRSays: "v1.1.0", BundleSays: "v0.10.0", SetBy: "base"},
		{Path: "componentRefs[name=skyhook-operator].version", PRSays: "v0.14.0", BundleSays: "v0.13.1", SetBy: "base"},
		{Path: "componentRefs[name=network-operator]", PRSays: "version 25.1.0", BundleSays: "(absent)", SetBy: "aks"},
	}
	if !reflect.DeepEqual(cc.Differences, want) {
		t.Fatalf("differences:\n got %s\nwant %s", fmtDiffs(cc.Differences), fmtDiffs(want))
	}

	// Brought up to date: a match, merged in the example's own order.
	cc = upstreamCheck(t, tree, "h100-aks-ubuntu-training", aksFixed(t, ex["aks-training"]))
	if !cc.Match {
		t.Fatalf("want a match, got %s", fmtDiffs(cc.Differences))
	}
	if want := []string{"base", "monitoring-hpa", "aks", "aks-training", "h100-aks-training", "h100-aks-ubuntu-training"}; !reflect.DeepEqual(cc.Applied, want) {
		t.Errorf("Applied = %v", cc.Applied)
	}
	if want := []string{"h100-aks-ubuntu-training", "h100-aks-training", "aks-training", "aks", "base"}; !reflect.DeepEqual(cc.Chain, want) {
		t.Errorf("Chain = %v", cc.Chain)
	}
	wantNC := []string{
		"componentRef fields no overlay sets, filled by AICR's registry: chart (9), manifestFiles (1), namespace (10)",
		"apiVersion, deploymentOrder, metadata.version (set by the resolver, not by the overlays)",
	}
	if !reflect.DeepEqual(cc.NotCompared, wantNC) {
		t.Errorf("NotCompared = %q", cc.NotCompared)
	}
	if !strings.Contains(cc.Summary, "matches the bundle's recipe on every value its 6 overlays set: 5 criteria, 4 constraints, 10 componentRefs, 3 validation phases") {
		t.Errorf("Summary = %q", cc.Summary)
	}

	// The same recipe checked as the wrong overlay: aks-training is more
	// general, so the h100 and ubuntu overlays the bundle applied do not
	// apply to it, and the criteria differ.
	cc = upstreamCheck(t, tree, "aks-training", aksFixed(t, ex["aks-training"]))
	var paths []string
	for _, d := range cc.Differences {
		paths = append(paths, d.Path)
	}
	for _, p := range []string{"metadata.appliedOverlays[h100-aks-training]", "metadata.appliedOverlays[h100-aks-ubuntu-training]", "criteria.accelerator", "criteria.os"} {
		if !contains(paths, p) {
			t.Errorf("checked as aks-training: no row %s in %q", p, paths)
		}
	}
}

// TestUpstreamMutations changes one value in a real overlay of the PR head
// and expects exactly that row.
func TestUpstreamMutations(t *testing.T) {
	tree, ex := upstream(t)
	fixed := aksFixed(t, ex["aks-training"])
	const leaf = "recipes/overlays/h100-aks-ubuntu-training.yaml"
	tests := []struct {
		name, file, old, new string
		want                 []Difference
	}{
		{"criteria value", leaf, "    os: ubuntu\n", "    os: rhel\n",
			[]Difference{{Path: "criteria.os", PRSays: "rhel", BundleSays: "ubuntu", SetBy: "h100-aks-ubuntu-training"}}},
		{"constraint value", leaf, `      value: ">= 6.8"`, `      value: ">= 6.11"`,
			[]Difference{{Path: "constraints[name=OS.sysctl./proc/sys/kernel/osrelease].value", PRSays: ">= 6.11", BundleSays: ">= 6.8", SetBy: "h100-aks-ubuntu-training"}}},
		{"component version in the base", "recipes/overlays/base.yaml", "      version: v1.17.2\n", "      version: v1.18.0\n",
			[]Difference{{Path: "componentRefs[name=cert-manager].version", PRSays: "v1.18.0", BundleSays: "v1.17.2", SetBy: "base"}}},
		{"component values file in an intermediate overlay", "recipes/overlays/aks-training.yaml", "values-aks-training.yaml", "values-aks-training-v2.yaml",
			[]Difference{{Path: "componentRefs[name=gpu-operator].valuesFile", PRSays: "components/gpu-operator/values-aks-training-v2.yaml", BundleSays: "components/gpu-operator/values-aks-training.yaml", SetBy: "aks-training"}}},
		{"validation threshold", leaf, `          value: ">= 100"`, `          value: ">= 300"`,
			[]Difference{{Path: "validation.performance.constraints[name=nccl-all-reduce-bw].value", PRSays: ">= 300", BundleSays: ">= 100", SetBy: "h100-aks-ubuntu-training"}}},
		{"validation check dropped", leaf, "        - gang-scheduling\n", "",
			[]Difference{{Path: "validation.conformance.checks[gang-scheduling]", PRSays: "(absent)", BundleSays: "listed"}}},
		{"component added by a wildcard overlay", "recipes/overlays/monitoring-hpa.yaml", "      version: 5.3.0\n", "      version: 5.4.0\n",
			[]Difference{{Path: "componentRefs[name=prometheus-adapter].version", PRSays: "5.4.0", BundleSays: "5.3.0", SetBy: "monitoring-hpa"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mutated := MapTree{}
			for p, b := range tree {
				mutated[p] = b
			}
			mutated[tc.file] = []byte(edit(t, string(tree[tc.file]), tc.old, tc.new))
			cc := upstreamCheck(t, mutated, "h100-aks-ubuntu-training", fixed)
			if !reflect.DeepEqual(cc.Differences, tc.want) {
				t.Fatalf("differences:\n got %s\nwant %s", fmtDiffs(cc.Differences), fmtDiffs(tc.want))
			}
		})
	}
}

func TestUpstreamChainErrors(t *testing.T) {
	tree, ex := upstream(t)
	tests := []struct {
		name, file, old, new, want string
	}{
		{"cycle", "recipes/overlays/aks.yaml", "\nspec:\n", "\nspec:\n  base: h100-aks-ubuntu-training\n",
			"overlay chain has a cycle: h100-aks-ubuntu-training → h100-aks-training → aks-training → aks → h100-aks-ubuntu-training"},
		{"missing base", "recipes/overlays/aks-training.yaml", "  base: aks\n", "  base: aks-v2\n",
			`overlay "aks-training": spec.base "aks-v2": no overlay "aks-v2" in the PR head (no "recipes/overlays/aks-v2.yaml", and no overlay in recipes/overlays/ has that metadata.name)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mutated := MapTree{}
			for p, b := range tree {
				mutated[p] = b
			}
			mutated[tc.file] = []byte(edit(t, string(tree[tc.file]), tc.old, tc.new))
			const leaf = "recipes/overlays/h100-aks-ubuntu-training.yaml"
			_, err := CheckRecipe(context.Background(), mutated, leaf, mutated[leaf], canon(t, ex["aks-training"]), "")
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestUpstreamResolvedRecipe: a RecipeResult in the PR is compared exactly.
func TestUpstreamResolvedRecipe(t *testing.T) {
	_, ex := upstream(t)
	const p = "recipes/resolved/eks-training.yaml"
	tree := MapTree{p: []byte(ex["eks-training"])}
	bundleRecipe, err := schema.Canonical([]byte(ex["eks-training"]))
	if err != nil {
		t.Fatal(err)
	}
	cc, err := CheckRecipe(context.Background(), tree, p, tree[p], bundleRecipe, "")
	if err != nil || cc.Kind != KindResolved || !cc.Match {
		t.Fatalf("got %+v, %v", cc, err)
	}
	changed := edit(t, ex["eks-training"], "    version: v25.10.1\n", "    version: v25.10.2\n")
	cc, err = CheckRecipe(context.Background(), tree, p, tree[p], canon(t, changed), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []Difference{{Path: "componentRefs[name=gpu-operator].version", PRSays: "v25.10.1", BundleSays: "v25.10.2"}}
	if cc.Match || !reflect.DeepEqual(cc.Differences, want) {
		t.Fatalf("got %s", fmtDiffs(cc.Differences))
	}
}

// TestUpstreamPlan: a change to base.yaml (or to eks.yaml) puts every recipe
// with a bundle that inherits from it in the plan (upstream rule R2).
func TestUpstreamPlan(t *testing.T) {
	tree, _ := upstream(t)
	for _, n := range []string{"h100-eks-ubuntu-training", "gb200-eks-ubuntu-training", "h100-aks-ubuntu-training"} {
		tree["recipes/evidence/"+n+"/evidence-bundle.tar.gz"] = []byte(bundle)
	}
	items := func(p *Plan) map[string]string {
		out := map[string]string{}
		for _, it := range p.Items {
			out[it.RecipeName] = it.Reason
		}
		return out
	}
	p, err := NewPlan([]Change{mod("recipes/overlays/base.yaml")}, tree, Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"h100-eks-ubuntu-training":  "inherits from base",
		"gb200-eks-ubuntu-training": "inherits from base",
		"h100-aks-ubuntu-training":  "inherits from base",
	}
	if got := items(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("Items = %v", got)
	}
	var uncovered []string
	for _, it := range p.Uncovered {
		uncovered = append(uncovered, it.RecipeName)
	}
	// Intermediate overlays (eks, aks-training, ...) are covered through
	// the recipes that inherit from them; leaves without evidence are listed.
	for _, n := range []string{"eks", "eks-training", "aks", "h100-eks-training"} {
		if contains(uncovered, n) {
			t.Errorf("intermediate overlay %s listed as uncovered", n)
		}
	}
	for _, n := range []string{"base", "h100-kind-training", "h100-gke-cos-training-kubeflow"} {
		if !contains(uncovered, n) {
			t.Errorf("%s not in Uncovered %v", n, uncovered)
		}
	}
	if len(p.Missing)+len(p.Orphans)+len(p.Removed) != 0 {
		t.Errorf("plan: %s", showPlan(exported(p)))
	}

	p, err = NewPlan([]Change{mod("recipes/overlays/eks.yaml")}, tree, Config{})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{
		"h100-eks-ubuntu-training":  "inherits from eks",
		"gb200-eks-ubuntu-training": "inherits from eks",
	}
	if got := items(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("Items = %v", got)
	}
}
