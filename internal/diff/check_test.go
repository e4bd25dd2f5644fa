package diff

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const leafPath = "recipes/overlays/h100-eks-training.yaml"

func checkLeaf(t *testing.T, tree Lister, bundleYAML string) *CrossCheck {
	t.Helper()
	var pr []byte
	switch l := tree.(type) {
	case MapTree:
		pr = l[leafPath]
	case listerOnly:
		pr = l.t[leafPath]
	}
	cc, err := CheckRecipe(context.Background(), tree, leafPath, pr, canon(t, bundleYAML), "")
	if err != nil {
		t.Fatalf("CheckRecipe: %v", err)
	}
	return cc
}

func TestCheckOverlayMatch(t *testing.T) {
	cc := checkLeaf(t, newTree(nil), resolvedH100)
	if !cc.Match || cc.DifferenceCount != 0 || len(cc.Differences) != 0 {
		t.Fatalf("want a match, got %d differences: %+v", cc.DifferenceCount, cc.Differences)
	}
	if cc.Kind != KindOverlay {
		t.Errorf("Kind = %q", cc.Kind)
	}
	if want := []string{"h100-eks-training", "eks", "base"}; !reflect.DeepEqual(cc.Chain, want) {
		t.Errorf("Chain = %v, want %v", cc.Chain, want)
	}
	// Merge order: the bundle's appliedOverlays order, consistent with inheritance.
	if want := []string{"base", "monitoring", "eks", "h100-eks-training"}; !reflect.DeepEqual(cc.Applied, want) {
		t.Errorf("Applied = %v, want %v", cc.Applied, want)
	}
	wantNC := []string{
		"componentRef fields no overlay sets, filled by AICR's registry: chart (2), namespace (4)",
		"apiVersion, deploymentOrder, metadata.version (set by the resolver, not by the overlays)",
	}
	if !reflect.DeepEqual(cc.NotCompared, wantNC) {
		t.Errorf("NotCompared = %q, want %q", cc.NotCompared, wantNC)
	}
	wantSummary := "overlay h100-eks-training (chain base → eks → h100-eks-training; applied by criteria: monitoring) matches the bundle's recipe on every value its 4 overlays set: 5 criteria, 2 constraints, 4 componentRefs, 3 validation phases; not compared: " + strings.Join(wantNC, "; ")
	if cc.Summary != wantSummary {
		t.Errorf("Summary:\n got %s\nwant %s", cc.Summary, wantSummary)
	}
}

// TestCheckOverlayCriteriaAny: unset and "any" are one value, and case and
// spaces do not matter (upstream pitfall #5).
func TestCheckOverlayCriteriaAny(t *testing.T) {
	b := edit(t, resolvedH100, "  os: any\n  platform: any\n", "")
	b = edit(t, b, "accelerator: h100", "accelerator: ' H100'")
	if cc := checkLeaf(t, newTree(nil), b); !cc.Match {
		t.Fatalf("want a match, got %+v", cc.Differences)
	}
	// The overlay says any explicitly, the bundle leaves it out.
	tree := newTree(map[string]string{leafPath: edit(t, family[leafPath], "    intent: training\n", "    intent: training\n    os: any\n")})
	if cc := checkLeaf(t, tree, edit(t, resolvedH100, "  os: any\n", "")); !cc.Match {
		t.Fatalf("want a match, got %+v", cc.Differences)
	}
}

func TestCheckOverlayDifferences(t *testing.T) {
	r := resolvedH100
	tests := []struct {
		name   string
		tree   map[string]string // changes to the head tree
		bundle func(t *testing.T) string
		want   []Difference
	}{
		{
			name:   "criteria value",
			bundle: func(t *testing.T) string { return edit(t, r, "accelerator: h100", "accelerator: h200") },
			want:   []Difference{{Path: "criteria.accelerator", PRSays: "h100", BundleSays: "h200", SetBy: "h100-eks-training"}},
		},
		{
			name:   "criteria the overlays leave unset",
			bundle: func(t *testing.T) string { return edit(t, r, "  os: any", "  os: ubuntu") },
			want:   []Difference{{Path: "criteria.os", PRSays: "any (not set)", BundleSays: "ubuntu"}},
		},
		{
			name: "criteria changed in the PR's overlay",
			tree: map[string]string{leafPath: edit(t, family[leafPath], "intent: training", "intent: inference")},
			bundle: func(t *testing.T) string {
				return r
			},
			want: []Difference{{Path: "criteria.intent", PRSays: "inference", BundleSays: "training", SetBy: "h100-eks-training"}},
		},
		{
			name:   "constraint value",
			bundle: func(t *testing.T) string { return edit(t, r, "value: '>= 1.30'", "value: '>= 1.29'") },
			want:   []Difference{{Path: "constraints[name=K8s.server.version].value", PRSays: ">= 1.30", BundleSays: ">= 1.29", SetBy: "h100-eks-training"}},
		},
		{
			name: "constraint value changed in an ancestor is overridden by the leaf",
			tree: map[string]string{"recipes/overlays/eks.yaml": edit(t, family["recipes/overlays/eks.yaml"], `">= 1.28"`, `">= 1.99"`)},
			bundle: func(t *testing.T) string {
				return r
			},
			want: nil,
		},
		{
			name: "constraint the bundle lacks",
			bundle: func(t *testing.T) string {
				return edit(t, r, "  - name: OS.release.ID\n    value: ubuntu\n", "")
			},
			want: []Difference{{Path: "constraints[name=OS.release.ID]", PRSays: "ubuntu", BundleSays: "(absent)", SetBy: "h100-eks-training"}},
		},
		{
			name: "constraint only the bundle has",
			bundle: func(t *testing.T) string {
				return edit(t, r, "constraints:\n", "constraints:\n  - name: OS.release.VERSION_ID\n    value: \"24.04\"\n")
			},
			want: []Difference{{Path: "constraints[name=OS.release.VERSION_ID]", PRSays: "(absent)", BundleSays: "24.04"}},
		},
		{
			name: "constraint field only the bundle has",
			bundle: func(t *testing.T) string {
				return edit(t, r, "    value: ubuntu\n", "    value: ubuntu\n    severity: warning\n")
			},
			want: []Difference{{Path: "constraints[name=OS.release.ID].severity", PRSays: "(absent)", BundleSays: "warning", SetBy: "h100-eks-training"}},
		},
		{
			name:   "component version from the base",
			bundle: func(t *testing.T) string { return edit(t, r, "version: v1.17.2", "version: v1.18.0") },
			want:   []Difference{{Path: "componentRefs[name=cert-manager].version", PRSays: "v1.17.2", BundleSays: "v1.18.0", SetBy: "base"}},
		},
		{
			name: "component version changed in the PR's base",
			tree: map[string]string{"recipes/overlays/base.yaml": edit(t, family["recipes/overlays/base.yaml"], "version: v25.10.1", "version: v25.10.2")},
			bundle: func(t *testing.T) string {
				return r
			},
			want: []Difference{{Path: "componentRefs[name=gpu-operator].version", PRSays: "v25.10.2", BundleSays: "v25.10.1", SetBy: "base"}},
		},
		{
			name: "field the leaf overrides",
			bundle: func(t *testing.T) string {
				return edit(t, r, "valuesFile: components/gpu-operator/values-training.yaml", "valuesFile: components/gpu-operator/values.yaml")
			},
			want: []Difference{{Path: "componentRefs[name=gpu-operator].valuesFile", PRSays: "components/gpu-operator/values-training.yaml", BundleSays: "components/gpu-operator/values.yaml", SetBy: "h100-eks-training"}},
		},
		{
			name:   "overrides are deep-merged: the value eks sets",
			bundle: func(t *testing.T) string { return edit(t, r, `version: "580"`, `version: "570"`) },
			want:   []Difference{{Path: "componentRefs[name=gpu-operator].overrides.driver.version", PRSays: `"580"`, BundleSays: `"570"`, SetBy: "eks"}},
		},
		{
			name:   "overrides keep their types",
			bundle: func(t *testing.T) string { return edit(t, r, `version: "580"`, `version: 580`) },
			want:   []Difference{{Path: "componentRefs[name=gpu-operator].overrides.driver.version", PRSays: `"580"`, BundleSays: "580", SetBy: "eks"}},
		},
		{
			name:   "overrides: a key the base sets and the bundle lacks",
			bundle: func(t *testing.T) string { return edit(t, r, "        enabled: true\n", "") },
			want:   []Difference{{Path: "componentRefs[name=gpu-operator].overrides.driver.enabled", PRSays: "true", BundleSays: "(absent)", SetBy: "eks"}},
		},
		{
			name:   "dependencyRefs are merged additively",
			bundle: func(t *testing.T) string { return edit(t, r, "      - kube-prometheus-stack\n", "") },
			want:   []Difference{{Path: "componentRefs[name=gpu-operator].dependencyRefs[kube-prometheus-stack]", PRSays: "listed", BundleSays: "(absent)", SetBy: "eks"}},
		},
		{
			name: "component the bundle lacks",
			bundle: func(t *testing.T) string {
				return edit(t, r, "  - name: aws-efa\n    namespace: aws-efa\n    type: Helm\n    version: v0.5.3\n", "")
			},
			want: []Difference{{Path: "componentRefs[name=aws-efa]", PRSays: "version v0.5.3", BundleSays: "(absent)", SetBy: "eks"}},
		},
		{
			name: "component only the bundle has",
			bundle: func(t *testing.T) string {
				return edit(t, r, "componentRefs:\n", "componentRefs:\n  - name: extra\n    version: \"1\"\n")
			},
			want: []Difference{{Path: "componentRefs[name=extra]", PRSays: "(absent)", BundleSays: "version 1"}},
		},
		{
			name: "component field only the bundle has, not from the registry",
			bundle: func(t *testing.T) string {
				return edit(t, r, "    chart: cert-manager\n", "    chart: cert-manager\n    cleanup: true\n")
			},
			want: []Difference{{Path: "componentRefs[name=cert-manager].cleanup", PRSays: "(absent)", BundleSays: "true", SetBy: "base"}},
		},
		{
			name:   "validation check the bundle lacks",
			bundle: func(t *testing.T) string { return edit(t, r, "      - expected-resources\n", "") },
			want:   []Difference{{Path: "validation.deployment.checks[expected-resources]", PRSays: "listed", BundleSays: "(absent)", SetBy: "eks"}},
		},
		{
			name: "validation check only the bundle has",
			bundle: func(t *testing.T) string {
				return edit(t, r, "      - platform-health\n", "      - platform-health\n      - dra-support\n")
			},
			want: []Difference{{Path: "validation.conformance.checks[dra-support]", PRSays: "(absent)", BundleSays: "listed"}},
		},
		{
			name:   "validation phase constraint",
			bundle: func(t *testing.T) string { return edit(t, r, "value: '>= 300'", "value: '>= 100'") },
			want:   []Difference{{Path: "validation.performance.constraints[name=nccl-all-reduce-bw].value", PRSays: ">= 300", BundleSays: ">= 100", SetBy: "h100-eks-training"}},
		},
		{
			name: "validation phase the bundle lacks",
			bundle: func(t *testing.T) string {
				return edit(t, r, "  conformance:\n    checks:\n      - platform-health\n", "")
			},
			want: []Difference{{Path: "validation.conformance", PRSays: "(phase declared)", BundleSays: "(absent)", SetBy: "eks"}},
		},
		{
			name: "an explicit empty checks list clears the inherited checks",
			tree: map[string]string{leafPath: edit(t, family[leafPath], "  validation:\n", "  validation:\n    deployment:\n      checks: []\n")},
			bundle: func(t *testing.T) string {
				return r
			},
			want: []Difference{
				{Path: "validation.deployment.checks[operator-health]", PRSays: "(absent)", BundleSays: "listed", SetBy: "h100-eks-training"},
				{Path: "validation.deployment.checks[expected-resources]", PRSays: "(absent)", BundleSays: "listed", SetBy: "h100-eks-training"},
			},
		},
		{
			name:   "appliedOverlays without an overlay that applies by criteria",
			bundle: func(t *testing.T) string { return edit(t, r, "    - monitoring\n", "") },
			want:   []Difference{{Path: "metadata.appliedOverlays[monitoring]", PRSays: "applied (its criteria match)", BundleSays: "(absent)"}},
		},
		{
			name:   "appliedOverlays without the leaf",
			bundle: func(t *testing.T) string { return edit(t, r, "    - h100-eks-training\n", "") },
			want:   []Difference{{Path: "metadata.appliedOverlays[h100-eks-training]", PRSays: "applied (the recipe itself)", BundleSays: "(absent)"}},
		},
		{
			name:   "appliedOverlays with an overlay whose criteria do not match",
			bundle: func(t *testing.T) string { return edit(t, r, "    - eks\n", "    - eks\n    - gke\n") },
			want: []Difference{{Path: "metadata.appliedOverlays[gke]",
				PRSays:     "(does not apply: its criteria {service=gke} do not match the recipe's {accelerator=h100, intent=training, service=eks})",
				BundleSays: "applied"}},
		},
		{
			name:   "appliedOverlays with an overlay the head does not have",
			bundle: func(t *testing.T) string { return edit(t, r, "    - eks\n", "    - eks\n    - eks-secret\n") },
			want:   []Difference{{Path: "metadata.appliedOverlays[eks-secret]", PRSays: "(no such overlay at the PR head)", BundleSays: "applied"}},
		},
		{
			name: "appliedOverlays in an order that breaks inheritance",
			bundle: func(t *testing.T) string {
				return edit(t, r, "    - eks\n    - h100-eks-training\n", "    - h100-eks-training\n    - eks\n")
			},
			want: []Difference{{Path: "metadata.appliedOverlays", PRSays: "order base, eks, h100-eks-training", BundleSays: "order base, monitoring, h100-eks-training, eks"}},
		},
		{
			name: "appliedOverlays absent",
			bundle: func(t *testing.T) string {
				return edit(t, r, "  appliedOverlays:\n    - base\n    - monitoring\n    - eks\n    - h100-eks-training\n", "")
			},
			want: []Difference{{Path: "metadata.appliedOverlays", PRSays: "base, eks, h100-eks-training", BundleSays: "(absent)"}},
		},
		{
			name: "excludedOverlays names an overlay that applies",
			bundle: func(t *testing.T) string {
				return edit(t, r, "  version: v1.0.0\n", "  version: v1.0.0\n  excludedOverlays:\n    - name: monitoring\n      reason: constraint-failed\n")
			},
			want: []Difference{{Path: "metadata.excludedOverlays[monitoring]", PRSays: "applies", BundleSays: "excluded by the resolver"}},
		},
		{
			name:   "bundle recipe is not resolved",
			bundle: func(t *testing.T) string { return edit(t, r, "kind: RecipeResult", "kind: RecipeMetadata") },
			want:   []Difference{{Path: "kind", PRSays: "RecipeResult (the overlay, resolved)", BundleSays: "RecipeMetadata"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cc := checkLeaf(t, newTree(tc.tree), tc.bundle(t))
			if !reflect.DeepEqual(cc.Differences, tc.want) {
				t.Fatalf("differences:\n got %s\nwant %s", fmtDiffs(cc.Differences), fmtDiffs(tc.want))
			}
			if cc.Match != (len(tc.want) == 0) || cc.DifferenceCount != len(tc.want) {
				t.Errorf("Match = %v, DifferenceCount = %d", cc.Match, cc.DifferenceCount)
			}
			if len(tc.want) > 0 && !strings.Contains(cc.Summary, fmt.Sprintf(": %d difference", len(tc.want))) {
				t.Errorf("Summary = %q", cc.Summary)
			}
		})
	}
}

func fmtDiffs(ds []Difference) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "\n  {%q, %q, %q, %q}", d.Path, d.PRSays, d.BundleSays, d.SetBy)
	}
	return b.String()
}

func TestCheckOverlayMixins(t *testing.T) {
	mixin := `kind: RecipeMixin
apiVersion: aicr.run/v1
metadata:
  name: os-ubuntu
spec:
  constraints:
    - name: OS.release.VERSION_ID
      value: "24.04"
  componentRefs:
    - name: gpu-operator
      dependencyRefs: [nfd]
`
	withMixin := edit(t, family[leafPath], "  base: eks\n", "  base: eks\n  mixins: [os-ubuntu]\n")
	tree := newTree(map[string]string{leafPath: withMixin, "recipes/mixins/os-ubuntu.yaml": mixin})
	resolved := edit(t, resolvedH100, "constraints:\n", "constraints:\n  - name: OS.release.VERSION_ID\n    value: \"24.04\"\n")
	resolved = edit(t, resolved, "      - kube-prometheus-stack\n", "      - kube-prometheus-stack\n      - nfd\n")

	cc := checkLeaf(t, tree, resolved)
	if !cc.Match {
		t.Fatalf("want a match, got %s", fmtDiffs(cc.Differences))
	}
	if got := cc.Applied[len(cc.Applied)-1]; got != "mixin os-ubuntu" {
		t.Errorf("Applied = %v", cc.Applied)
	}
	cc = checkLeaf(t, tree, resolvedH100)
	want := []Difference{
		{Path: "constraints[name=OS.release.VERSION_ID]", PRSays: "24.04", BundleSays: "(absent)", SetBy: "os-ubuntu"},
		{Path: "componentRefs[name=gpu-operator].dependencyRefs[nfd]", PRSays: "listed", BundleSays: "(absent)", SetBy: "os-ubuntu"},
	}
	if !reflect.DeepEqual(cc.Differences, want) {
		t.Fatalf("got %s\nwant %s", fmtDiffs(cc.Differences), fmtDiffs(want))
	}

	// A mixin that is not at the head is a difference (AICR cannot resolve
	// the recipe), and what only the bundle has is still judged strictly.
	unresolved := newTree(map[string]string{leafPath: edit(t, family[leafPath], "  base: eks\n", "  base: eks\n  mixins: [gpu-tuning]\n")})
	cc = checkLeaf(t, unresolved, resolvedH100)
	want = []Difference{{Path: "spec.mixins[gpu-tuning]", PRSays: `(no such mixin at the PR head: no "recipes/mixins/gpu-tuning.yaml")`, BundleSays: "(not comparable)"}}
	if cc.Match || !reflect.DeepEqual(cc.Differences, want) {
		t.Fatalf("got %s\nwant %s", fmtDiffs(cc.Differences), fmtDiffs(want))
	}
	cc = checkLeaf(t, unresolved, resolved)
	if cc.Match || cc.DifferenceCount != 3 {
		t.Fatalf("got %s", fmtDiffs(cc.Differences))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCheckOverlayWithoutEnumerator: a head that cannot be listed still
// resolves the chain by file name; overlays that apply by criteria are
// taken from the bundle's list when they do apply.
func TestCheckOverlayWithoutEnumerator(t *testing.T) {
	tree := listerOnly{newTree(nil)}
	cc := checkLeaf(t, tree, resolvedH100)
	if !cc.Match {
		t.Fatalf("want a match, got %s", fmtDiffs(cc.Differences))
	}
	if !contains(cc.NotCompared, "overlays that apply by criteria were not looked for (the PR head tree cannot be listed); those the bundle names were checked") {
		t.Errorf("NotCompared = %q", cc.NotCompared)
	}
	cc = checkLeaf(t, tree, edit(t, resolvedH100, "    - eks\n", "    - eks\n    - gke\n"))
	if len(cc.Differences) != 1 || cc.Differences[0].Path != "metadata.appliedOverlays[gke]" {
		t.Fatalf("got %s", fmtDiffs(cc.Differences))
	}
}

func TestCheckOverlayErrors(t *testing.T) {
	deep := map[string]string{}
	for i := 0; i < 40; i++ {
		base := fmt.Sprintf("  base: o%d\n", i+1)
		deep[fmt.Sprintf("recipes/overlays/o%d.yaml", i)] = fmt.Sprintf("kind: RecipeMetadata\nmetadata:\n  name: o%d\nspec:\n%s", i, base)
	}
	tests := []struct {
		name  string
		tree  map[string]string
		leaf  string // the PR's recipe path (default leafPath)
		pr    string // the PR's recipe bytes (default the tree's)
		wants []string
	}{
		{
			name:  "cycle",
			tree:  map[string]string{"recipes/overlays/base.yaml": edit(t, family["recipes/overlays/base.yaml"], "spec:\n", "spec:\n  base: h100-eks-training\n")},
			wants: []string{"overlay chain has a cycle: h100-eks-training → eks → base → h100-eks-training"},
		},
		{
			name:  "missing base",
			tree:  map[string]string{leafPath: edit(t, family[leafPath], "base: eks", "base: eks-gone")},
			wants: []string{`overlay "h100-eks-training": spec.base "eks-gone": no overlay "eks-gone" in the PR head`, `recipes/overlays/eks-gone.yaml`},
		},
		{
			name:  "base that is a path",
			tree:  map[string]string{leafPath: edit(t, family[leafPath], "base: eks", "base: ../../etc/passwd")},
			wants: []string{`spec.base "../../etc/passwd": "../../etc/passwd" is not a valid overlay name`},
		},
		{
			name:  "chain too deep",
			tree:  deep,
			leaf:  "recipes/overlays/o0.yaml",
			wants: []string{`overlay chain of "o0" is deeper than 32 overlays`},
		},
		{
			name:  "duplicate key in the PR's recipe",
			pr:    edit(t, family[leafPath], "  base: eks\n", "  base: eks\n  base: base\n"),
			wants: []string{`"recipes/overlays/h100-eks-training.yaml": recipe: duplicate key "base"`},
		},
		{
			name:  "duplicate key in an ancestor",
			tree:  map[string]string{"recipes/overlays/eks.yaml": edit(t, family["recipes/overlays/eks.yaml"], "    service: eks\n", "    service: eks\n    service: gke\n")},
			wants: []string{`overlay "eks": "recipes/overlays/eks.yaml": recipe: duplicate key "service"`},
		},
		{
			name:  "ancestor with a malformed componentRefs",
			tree:  map[string]string{"recipes/overlays/eks.yaml": edit(t, family["recipes/overlays/eks.yaml"], "    - name: aws-efa\n      type: Helm\n", "    - type: Helm\n")},
			wants: []string{`overlay "eks" (recipes/overlays/eks.yaml): spec.componentRefs[1] has no name`},
		},
		{
			name:  "LFS pointer",
			pr:    lfsPointer,
			wants: []string{"is a Git LFS pointer"},
		},
		{
			name:  "too large",
			pr:    "kind: RecipeResult\nx: " + strings.Repeat("a", MaxRecipeBytes) + "\n",
			wants: []string{"over the 1048576-byte limit"},
		},
		{
			name:  "unknown kind",
			pr:    "kind: Secret\nmetadata:\n  name: x\n",
			wants: []string{`kind "Secret", want RecipeResult or RecipeMetadata`},
		},
		{
			name:  "overlay name that cannot name a recipe",
			pr:    edit(t, family[leafPath], "name: h100-eks-training", "name: \"H100 EKS\\ntraining\""),
			wants: []string{`overlay name "H100 EKS\ntraining" is not a valid recipe name`},
		},
		{
			name:  "hostile recipe path",
			leaf:  "recipes/../../etc/passwd",
			pr:    family[leafPath],
			wants: []string{`recipe path "recipes/../../etc/passwd": path has a ".." segment`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree := newTree(tc.tree)
			p := tc.leaf
			if p == "" {
				p = leafPath
			}
			pr := []byte(tc.pr)
			if tc.pr == "" {
				pr = tree[p]
			}
			cc, err := CheckRecipe(context.Background(), tree, p, pr, canon(t, resolvedH100), "")
			if err == nil {
				t.Fatalf("want an error, got %+v", cc)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// TestCheckOverlayImplicitBase: without base.yaml the chain ends at the last
// overlay without spec.base; an explicit missing base is still an error.
func TestCheckOverlayImplicitBase(t *testing.T) {
	tree := newTree(map[string]string{"recipes/overlays/base.yaml": "", "recipes/overlays/monitoring.yaml": ""})
	b := edit(t, resolvedH100, "    - base\n    - monitoring\n", "")
	cc := checkLeaf(t, tree, b)
	if want := []string{"h100-eks-training", "eks"}; !reflect.DeepEqual(cc.Chain, want) {
		t.Fatalf("Chain = %v, want %v", cc.Chain, want)
	}
	// base.yaml declared cert-manager and parts of gpu-operator: without it
	// the bundle holds what the chain does not set. gpu-operator's type and
	// version are not among the differences: AICR's registry may fill them.
	wantPaths := []string{
		"componentRefs[name=gpu-operator].dependencyRefs[cert-manager]",
		"componentRefs[name=gpu-operator].overrides.driver.enabled",
		"componentRefs[name=cert-manager]",
		"componentRefs[name=prometheus-adapter]",
		"validation.deployment.checks[operator-health]",
	}
	var got []string
	for _, d := range cc.Differences {
		got = append(got, d.Path)
	}
	if !reflect.DeepEqual(got, wantPaths) {
		t.Fatalf("paths:\n got %q\nwant %q", got, wantPaths)
	}
}

func TestCheckResolved(t *testing.T) {
	const p = "recipes/resolved/kind-training.yaml"
	tree := newTree(nil)
	// The same recipe, written differently: comments, key order, indentation.
	same := "# resolved\ncriteria:\n    intent: training # why\n    service: kind\nkind: RecipeResult\ncomponentRefs:\n    - version: v1.17.2\n      name: cert-manager\napiVersion: aicr.run/v1\n"
	cc, err := CheckRecipe(context.Background(), tree, p, tree[p], canon(t, same), "")
	if err != nil {
		t.Fatal(err)
	}
	if cc.Kind != KindResolved || !cc.Match || len(cc.Differences) != 0 {
		t.Fatalf("want a resolved match, got %+v", cc)
	}
	if !strings.HasPrefix(cc.Summary, "the canonical digest of the PR's recipe recipes/resolved/kind-training.yaml equals the bundle's recipe digest (sha256:") {
		t.Errorf("Summary = %q", cc.Summary)
	}

	tests := []struct {
		bundle string
		want   []Difference
	}{
		{edit(t, same, "v1.17.2", "v1.18.0"), []Difference{{Path: "componentRefs[name=cert-manager].version", PRSays: "v1.17.2", BundleSays: "v1.18.0"}}},
		{edit(t, same, "v1.17.2", `"v1.17.2"`), []Difference{{Path: "componentRefs[name=cert-manager].version", PRSays: "v1.17.2", BundleSays: `"v1.17.2"`}}},
		{edit(t, same, "intent: training", "intent: inference"), []Difference{{Path: "criteria.intent", PRSays: "training", BundleSays: "inference"}}},
		{edit(t, same, "criteria:\n    intent: training # why\n    service: kind", "criteria: {intent: training, service: kind}"), []Difference{{Path: "criteria", PRSays: "(block style)", BundleSays: "(flow style)"}}},
		{same + "deploymentOrder: [cert-manager]\n", []Difference{{Path: "deploymentOrder", PRSays: "(absent)", BundleSays: "[cert-manager]"}}},
	}
	for i, tc := range tests {
		cc, err := CheckRecipe(context.Background(), tree, p, tree[p], canon(t, tc.bundle), "")
		if err != nil {
			t.Fatal(err)
		}
		if cc.Match || !reflect.DeepEqual(cc.Differences, tc.want) {
			t.Errorf("%d: got match=%v %s\nwant %s", i, cc.Match, fmtDiffs(cc.Differences), fmtDiffs(tc.want))
		}
		if !strings.Contains(cc.Summary, "differs from the bundle's") {
			t.Errorf("%d: Summary = %q", i, cc.Summary)
		}
	}
}

func TestCheckResolvedDir(t *testing.T) {
	tree := newTree(map[string]string{"out/resolved/h100-eks-training.yaml": resolvedH100})
	cc, err := CheckRecipe(context.Background(), tree, leafPath, tree[leafPath], canon(t, resolvedH100), "out/resolved/")
	if err != nil {
		t.Fatal(err)
	}
	if cc.Kind != KindResolvedDir || !cc.Match {
		t.Fatalf("got %+v", cc)
	}
	cc, err = CheckRecipe(context.Background(), tree, leafPath, tree[leafPath], canon(t, edit(t, resolvedH100, "version: v1.0.0", "version: v1.0.1")), "out/resolved")
	if err != nil {
		t.Fatal(err)
	}
	want := []Difference{{Path: "metadata.version", PRSays: "v1.0.0", BundleSays: "v1.0.1"}}
	if cc.Kind != KindResolvedDir || cc.Match || !reflect.DeepEqual(cc.Differences, want) {
		t.Fatalf("got %+v", cc)
	}
	// No resolved file for this recipe: the overlay check.
	cc, err = CheckRecipe(context.Background(), tree, leafPath, tree[leafPath], canon(t, resolvedH100), "out/other")
	if err != nil || cc.Kind != KindOverlay || !cc.Match {
		t.Fatalf("got %+v, %v", cc, err)
	}
	if _, err := CheckRecipe(context.Background(), tree, leafPath, tree[leafPath], canon(t, resolvedH100), "../out"); err == nil {
		t.Fatal("a resolved directory with .. must be refused")
	}
}

func TestNodes(t *testing.T) {
	a := canon(t, "list:\n  - name: a\n    v: 1\n  - name: b\n    v: 2\nplain: [x, y]\n'a.b': 1\n")
	tests := []struct {
		b    string
		want []Difference
	}{
		{"list:\n  - name: a\n    v: 1\n  - name: b\n    v: 3\nplain: [x, y]\n'a.b': 1\n",
			[]Difference{{Path: "list[name=b].v", PRSays: "2", BundleSays: "3"}}},
		{"list:\n  - name: b\n    v: 2\n  - name: a\n    v: 1\nplain: [x, y]\n'a.b': 1\n",
			[]Difference{{Path: "list", PRSays: "order: a, b", BundleSays: "order: b, a"}}},
		{"list:\n  - name: a\n    v: 1\nplain: [x, z, w]\n'a.b': 1\n",
			[]Difference{{Path: "list[name=b]", PRSays: "(mapping of 2 keys)", BundleSays: "(absent)"},
				{Path: "plain[1]", PRSays: "y", BundleSays: "z"}, {Path: "plain[2]", PRSays: "(absent)", BundleSays: "w"}}},
		{"list:\n  - name: a\n    v: 1\n  - name: b\n    v: 2\nplain: [x, y]\n'a.b': '1'\n",
			[]Difference{{Path: `["a.b"]`, PRSays: "1", BundleSays: `"1"`}}},
	}
	for i, tc := range tests {
		got, total := Nodes(a.Root, canon(t, tc.b).Root)
		if total != len(tc.want) || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d: got %s\nwant %s", i, fmtDiffs(got), fmtDiffs(tc.want))
		}
	}
	// Bounded: at most MaxDifferences rows, all counted.
	var x, y strings.Builder
	for i := 0; i < 80; i++ {
		fmt.Fprintf(&x, "k%d: a\n", i)
		fmt.Fprintf(&y, "k%d: b\n", i)
	}
	got, total := Nodes(canon(t, x.String()).Root, canon(t, y.String()).Root)
	if len(got) != MaxDifferences || total != 80 {
		t.Errorf("got %d rows of %d", len(got), total)
	}
}

// countingTree counts the reads of a tree.
type countingTree struct {
	MapTree
	reads int
}

func (c *countingTree) Read(ctx context.Context, p string) ([]byte, error) {
	c.reads++
	return c.MapTree.Read(ctx, p)
}

// TestPlanCheckRecipe: checking the items of a plan reuses what planning read.
func TestPlanCheckRecipe(t *testing.T) {
	tree := &countingTree{MapTree: newTree(map[string]string{bH: bundle})}
	p, err := NewPlan([]Change{mod("recipes/overlays/base.yaml")}, tree, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].RecipePath != leafPath {
		t.Fatalf("plan: %s", showPlan(exported(p)))
	}
	planned := tree.reads
	cc, err := p.CheckRecipe(context.Background(), leafPath, tree.MapTree[leafPath], canon(t, resolvedH100), "")
	if err != nil || !cc.Match {
		t.Fatalf("got %+v, %v", cc, err)
	}
	if tree.reads != planned {
		t.Errorf("the cross-check read %d more files", tree.reads-planned)
	}
	// Standalone, the same check reads the overlays itself.
	cc2, err := CheckRecipe(context.Background(), tree, leafPath, tree.MapTree[leafPath], canon(t, resolvedH100), "")
	if err != nil || !reflect.DeepEqual(cc, cc2) {
		t.Fatalf("standalone check differs: %+v, %v", cc2, err)
	}
	if tree.reads == planned {
		t.Error("the standalone check read nothing")
	}
}

func TestNoHeadAndCanceled(t *testing.T) {
	if _, err := NewPlan([]Change{mod(leafPath)}, nil, Config{}); err == nil {
		t.Error("NewPlan without a head")
	}
	if _, err := CheckRecipe(context.Background(), nil, leafPath, []byte(family[leafPath]), canon(t, resolvedH100), ""); err == nil {
		t.Error("CheckRecipe without a head")
	}
	if _, err := CheckRecipe(context.Background(), newTree(nil), leafPath, []byte(family[leafPath]), nil, ""); err == nil {
		t.Error("CheckRecipe without a bundle recipe")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewPlanContext(ctx, []Change{mod(leafPath)}, newTree(nil), Config{}); !errors.Is(err, context.Canceled) {
		t.Errorf("NewPlanContext after cancel: %v", err)
	}
	if _, err := CheckRecipe(ctx, newTree(nil), leafPath, []byte(family[leafPath]), canon(t, resolvedH100), ""); !errors.Is(err, context.Canceled) {
		t.Errorf("CheckRecipe after cancel: %v", err)
	}
}
