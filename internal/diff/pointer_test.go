package diff

import (
	"reflect"
	"testing"
)

// AICR's repository layout: pointer files under
// recipes/evidence/<recipe>/<source>/sha256-<hex>.yaml (and the flat
// recipes/evidence/<recipe>.yaml) are the recipe's evidence, planned like
// bundles; editing or deleting one breaks the add-only rule.
const (
	ptrH1   = "recipes/evidence/h100-eks-training/0123456789abcdef0123456789abcdef/sha256-1111111111111111111111111111111111111111111111111111111111111111.yaml"
	ptrH2   = "recipes/evidence/h100-eks-training/fedcba9876543210fedcba9876543210/sha256-2222222222222222222222222222222222222222222222222222222222222222.yaml"
	ptrFlat = "recipes/evidence/h100-eks-training.yaml"
	ptrNone = "recipes/evidence/nothing/0123456789abcdef0123456789abcdef/sha256-1111111111111111111111111111111111111111111111111111111111111111.yaml"
	ptrBody = "schemaVersion: 1.0.0\n"
)

func TestNewPlanPointers(t *testing.T) {
	const h = "h100-eks-training"
	const atHead = "; verified against the recipe at the PR head, which this PR does not change"
	tests := []struct {
		name    string
		tree    map[string]string
		cfg     Config
		changes []Change
		want    Plan
	}{
		{
			name:    "pointer added alone: verified against the recipe at the head",
			tree:    map[string]string{ptrH1: ptrBody},
			changes: []Change{add(ptrH1)},
			want: Plan{Items: []Item{{RecipeName: h, RecipePath: leafPath, PointerPath: ptrH1, BundleChanged: true,
				Reason: "pointer file added" + atHead}}},
		},
		{
			name:    "flat pending pointer added",
			tree:    map[string]string{ptrFlat: ptrBody},
			changes: []Change{add(ptrFlat)},
			want:    Plan{Items: []Item{{RecipeName: h, RecipePath: leafPath, PointerPath: ptrFlat, BundleChanged: true, Reason: "pointer file added" + atHead}}},
		},
		{
			name:    "recipe changed without a bundle: every pointer at the head is its evidence",
			tree:    map[string]string{ptrH1: ptrBody, ptrH2: ptrBody},
			changes: []Change{mod(leafPath)},
			want: Plan{Items: []Item{
				{RecipeName: h, RecipePath: leafPath, PointerPath: ptrH1, RecipeChanged: true, Reason: "recipe modified; its pointer file " + ptrH1 + ", which this PR does not change, is verified against it"},
				{RecipeName: h, RecipePath: leafPath, PointerPath: ptrH2, RecipeChanged: true, Reason: "recipe modified; its pointer file " + ptrH2 + ", which this PR does not change, is verified against it"},
			}},
		},
		{
			name:    "recipe changed with a new pointer: the older pointers are not its evidence",
			tree:    map[string]string{ptrH1: ptrBody, ptrH2: ptrBody},
			changes: []Change{mod(leafPath), add(ptrH2)},
			want: Plan{Items: []Item{{RecipeName: h, RecipePath: leafPath, PointerPath: ptrH2, RecipeChanged: true, BundleChanged: true,
				Reason: "recipe modified; pointer file added"}}},
		},
		{
			name:    "recipe changed with a bundle at the head and a new pointer: both verified",
			tree:    map[string]string{bH: bundle, ptrH1: ptrBody},
			changes: []Change{mod(leafPath), add(ptrH1)},
			want: Plan{Items: []Item{
				{RecipeName: h, RecipePath: leafPath, PointerPath: ptrH1, RecipeChanged: true, BundleChanged: true, Reason: "recipe modified; pointer file added"},
				{RecipeName: h, RecipePath: leafPath, BundlePath: bH, RecipeChanged: true, Reason: "recipe modified"},
			}},
		},
		{
			name:    "recipe changed without bundle or pointer: missing",
			tree:    map[string]string{ptrNone: ptrBody},
			changes: []Change{mod(leafPath)},
			want:    Plan{Missing: []Item{{RecipeName: h, RecipePath: leafPath, BundlePath: bH, RecipeChanged: true, Reason: "recipe modified"}}},
		},
		{
			name:    "pointer edited: verified, and flagged",
			tree:    map[string]string{ptrH1: ptrBody},
			changes: []Change{mod(ptrH1)},
			want: Plan{Items: []Item{{RecipeName: h, RecipePath: leafPath, PointerPath: ptrH1, BundleChanged: true,
				AddOnly: `pointer files are add-only: this PR edits "` + ptrH1 + `"; add a new pointer instead`,
				Reason:  "pointer file modified" + atHead}}},
		},
		{
			name:    "pointer moved to another pointer path: verified at its new path, and flagged",
			tree:    map[string]string{ptrH2: ptrBody},
			changes: []Change{ren(ptrH1, ptrH2)},
			want: Plan{Items: []Item{{RecipeName: h, RecipePath: leafPath, PointerPath: ptrH2, BundleChanged: true,
				AddOnly: `pointer files are add-only: this PR moves "` + ptrH1 + `" to "` + ptrH2 + `"; add a new pointer instead`,
				Reason:  "pointer file moved from " + ptrH1 + atHead}}},
		},
		{
			name:    "pointer deleted, or moved out of the layout: flagged",
			tree:    map[string]string{"docs/old.yaml": ptrBody},
			changes: []Change{del(ptrH1), ren(ptrH2, "docs/old.yaml")},
			want: Plan{
				RemovedPointers: []Item{
					{RecipeName: h, PointerPath: ptrH1, Reason: "pointer file removed", AddOnly: `pointer files are add-only: this PR deletes "` + ptrH1 + `"; add a new pointer instead`},
					{RecipeName: h, PointerPath: ptrH2, Reason: "pointer file removed", AddOnly: `pointer files are add-only: this PR deletes "` + ptrH2 + `"; add a new pointer instead`},
				},
				Ignored: []string{"docs/old.yaml"},
			},
		},
		{
			name: "pointers whose folder names no recipe, or no valid name, or off the layout: orphans",
			tree: map[string]string{ptrNone: ptrBody},
			changes: []Change{add(ptrNone), add("recipes/evidence/Bad_Name/0123456789abcdef0123456789abcdef/sha256-1.yaml"),
				add("recipes/evidence/h100-eks-training/sha256-1111111111111111111111111111111111111111111111111111111111111111.yaml")},
			want: Plan{Orphans: []Item{
				{PointerPath: "recipes/evidence/h100-eks-training/sha256-1111111111111111111111111111111111111111111111111111111111111111.yaml", BundleChanged: true,
					Reason: "a pointer file that is not at recipes/evidence/<recipe-name>/<source>/sha256-<hex>.yaml: it is never verified; move it"},
				{RecipeName: "Bad_Name", PointerPath: "recipes/evidence/Bad_Name/0123456789abcdef0123456789abcdef/sha256-1.yaml", BundleChanged: true,
					Reason: `pointer file added, but "Bad_Name" is not a valid recipe name: a pointer lies at recipes/evidence/<recipe-name>/<source>/sha256-<hex>.yaml`},
				{RecipeName: "nothing", PointerPath: ptrNone, BundleChanged: true, Reason: `pointer file added, but no recipe named "nothing" exists at the PR head`},
			}},
		},
		{
			name:    "the policy file and other YAML under the evidence folder are no pointers",
			cfg:     Config{PolicyPath: "settings/policy.yaml"},
			changes: []Change{add("recipes/evidence/policy.yaml"), add("recipes/evidence/h100-eks-training/notes.yaml")},
			want:    Plan{Ignored: []string{"recipes/evidence/h100-eks-training/notes.yaml", "recipes/evidence/policy.yaml"}},
		},
		{
			name:    "another evidence folder: the same layout under it",
			cfg:     Config{EvidenceDir: "evidence"},
			tree:    map[string]string{"evidence/h100-eks-training/0123456789abcdef0123456789abcdef/sha256-1.yaml": ptrBody},
			changes: []Change{mod(leafPath)},
			want: Plan{Items: []Item{{RecipeName: h, RecipePath: leafPath, PointerPath: "evidence/h100-eks-training/0123456789abcdef0123456789abcdef/sha256-1.yaml", RecipeChanged: true,
				Reason: "recipe modified; its pointer file evidence/h100-eks-training/0123456789abcdef0123456789abcdef/sha256-1.yaml, which this PR does not change, is verified against it"}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(tc.changes, newTree(tc.tree), tc.cfg)
			if err != nil {
				t.Fatalf("NewPlan: %v", err)
			}
			if got := exported(p); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("plan:\n got %s\nwant %s", showPlan(got), showPlan(tc.want))
			}
			for _, it := range p.Items {
				if err := p.CheckBundleRecipe(it, it.RecipeName); err != nil {
					t.Errorf("item %s: %v", it.PointerPath+it.BundlePath, err)
				}
			}
		})
	}
}

// A pointer item is held to the naming rule like a bundle: the evidence it
// pins names the item's recipe, and the pointer lies in that recipe's
// folder; AICRPointerPath maps another evidence folder onto AICR's layout.
func TestCheckBundleRecipePointer(t *testing.T) {
	p, err := NewPlan([]Change{add(ptrH1)}, newTree(map[string]string{ptrH1: ptrBody}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	it := p.Items[0]
	if err := p.CheckBundleRecipe(it, "kind-training"); err == nil || err.Error() != `the bundle is evidence for recipe "kind-training", not "h100-eks-training"` {
		t.Errorf("another recipe: %v", err)
	}
	moved := it
	moved.RecipeName, moved.PointerPath = "kind-training", ptrNone
	if err := p.CheckBundleRecipe(moved, "kind-training"); err == nil || err.Error() != `the pointer names evidence for recipe "kind-training" but lies at "`+ptrNone+`", not at recipes/evidence/kind-training/<source>/sha256-<hex>.yaml: move it` {
		t.Errorf("another folder: %v", err)
	}
	q, err := NewPlan(nil, newTree(nil), Config{EvidenceDir: "evidence"})
	if err != nil {
		t.Fatal(err)
	}
	if got := q.AICRPointerPath("evidence/a/b/c.yaml"); got != "recipes/evidence/a/b/c.yaml" {
		t.Errorf("AICRPointerPath: %q", got)
	}
}

// The sweep verifies bundles only: a recipe whose evidence is pointer files
// is missing there, with the reason, never an item without a bundle.
// The sweep verifies AICR pointer files: a recipe whose only evidence is
// pointers has an item per pointer, never "missing".
func TestSweepPlanPointerOnlyRecipe(t *testing.T) {
	p, err := NewSweepPlan(t.Context(), newTree(map[string]string{ptrH1: ptrBody, ptrH2: ptrBody, bK: bundle}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range p.Items {
		if it.RecipeName == "h100-eks-training" {
			if it.BundlePath != "" || it.RecipePath == "" {
				t.Errorf("item %+v", it)
			}
			got = append(got, it.PointerPath)
		}
	}
	if len(got) != 2 || got[0] != ptrH1 || got[1] != ptrH2 {
		t.Errorf("pointer items %q, want %q and %q", got, ptrH1, ptrH2)
	}
	for _, it := range p.Missing {
		if it.RecipeName == "h100-eks-training" {
			t.Errorf("missing %+v", it)
		}
	}
}

// A pointer file whose recipe is not in the tree is an orphan of the sweep.
func TestSweepPlanOrphanPointer(t *testing.T) {
	orphan := "recipes/evidence/no-such-recipe/0123456789abcdef0123456789abcdef/sha256-1111111111111111111111111111111111111111111111111111111111111111.yaml"
	p, err := NewSweepPlan(t.Context(), newTree(map[string]string{orphan: ptrBody}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Orphans) != 1 || p.Orphans[0].PointerPath != orphan {
		t.Errorf("orphans %+v, items %+v", p.Orphans, p.Items)
	}
	for _, it := range p.Items {
		if it.PointerPath == orphan {
			t.Errorf("orphan pointer planned as an item: %+v", it)
		}
	}
}
