package diff

import (
	"context"
	"strings"
	"testing"
)

// FuzzOverlay feeds arbitrary bytes as an overlay of the PR head to the
// overlay reader, the chain resolver, the merge and the comparison, and to
// the planner: nothing may panic, and errors stay on one line.
func FuzzOverlay(f *testing.F) {
	for _, p := range []string{leafPath, "recipes/overlays/eks.yaml", "recipes/overlays/base.yaml", "recipes/overlays/monitoring.yaml"} {
		f.Add([]byte(family[p]))
	}
	for _, s := range []string{
		"kind: RecipeMetadata\nmetadata: {name: h100-eks-training}\nspec: [1, 2]\n",
		"kind: RecipeMetadata\nmetadata: {name: h100-eks-training}\nspec: {base: h100-eks-training}\n",
		"kind: RecipeMetadata\nmetadata: {name: [x]}\nspec: {base: {a: b}}\n",
		"kind: RecipeMetadata\nspec:\n  criteria: {service: [eks]}\n  mixins: [{a: 1}]\n",
		"kind: RecipeMetadata\nspec:\n  componentRefs: [{name: gpu-operator, overrides: [1]}, {name: x, dependencyRefs: a}]\n",
		"kind: RecipeMetadata\nspec:\n  validation: {deployment: [a], performance: {checks: {a: 1}, constraints: [1]}}\n",
		"kind: RecipeMetadata\nspec:\n  constraints: [{name: a}, {value: b}, 3]\n",
		"kind: RecipeMetadata\nmetadata: {name: '../../x'}\nspec: {base: ../base, mixins: [../../m]}\n",
		"kind: RecipeResult\na: &x [*x]\n",
		"kind: RecipeMetadata\n<<: {a: 1}\n",
		"version https://git-lfs.github.com/spec/v1\n",
		"",
		"---\n---\n",
	} {
		f.Add([]byte(s))
	}
	bundleRecipe := canon(f, resolvedH100)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		tree := newTree(map[string]string{bH: bundle})
		tree[leafPath] = b
		d := parseDoc(leafPath, b)
		if d.err != nil && strings.ContainsAny(d.err.Error(), "\n\r") {
			t.Fatalf("multi-line error: %q", d.err)
		}
		cc, err := CheckRecipe(context.Background(), tree, leafPath, b, bundleRecipe, "")
		switch {
		case err != nil && strings.ContainsAny(err.Error(), "\n\r"):
			t.Fatalf("multi-line error: %q", err)
		case err == nil && cc.Match != (cc.DifferenceCount == 0):
			t.Fatalf("Match %v with %d differences", cc.Match, cc.DifferenceCount)
		case err == nil && strings.ContainsAny(cc.Summary, "\n\r"):
			t.Fatalf("multi-line summary: %q", cc.Summary)
		}
		if err == nil {
			for _, x := range cc.Differences {
				if strings.ContainsAny(x.Path+x.PRSays+x.BundleSays, "\n\r") {
					t.Fatalf("multi-line difference: %+v", x)
				}
			}
		}
		if _, err := NewPlan([]Change{mod(leafPath), mod(bH)}, tree, Config{}); err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("multi-line error: %q", err)
		}
	})
}
