package diff

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

const (
	bH     = "recipes/evidence/h100-eks-training/evidence-bundle.tar.gz"
	bK     = "recipes/evidence/kind-training/evidence-bundle.tar.gz"
	kindP  = "recipes/resolved/kind-training.yaml"
	baseP  = "recipes/overlays/base.yaml"
	eksP   = "recipes/overlays/eks.yaml"
	monP   = "recipes/overlays/monitoring.yaml"
	gkeP   = "recipes/overlays/gke.yaml"
	valTrP = "recipes/components/gpu-operator/values-training.yaml"
)

func mod(p string) Change { return Change{Path: p, Status: StatusModified} }
func add(p string) Change { return Change{Path: p, Status: StatusAdded} }
func del(p string) Change { return Change{Path: p, Status: StatusRemoved} }
func ren(from, to string) Change {
	return Change{Path: to, PreviousPath: from, Status: StatusRenamed}
}

// exported is the plan without its unexported state, for comparisons.
func exported(p *Plan) Plan {
	q := *p
	q.cfg, q.byName, q.broken, q.r, q.inputs = Config{}, nil, nil, nil, nil
	return q
}

func showPlan(p Plan) string {
	b, _ := json.MarshalIndent(p, "", "  ")
	return string(b)
}

func TestNewPlan(t *testing.T) {
	withMixin := edit(t, family[leafPath], "  base: eks\n", "  base: eks\n  mixins: [os-ubuntu]\n")
	const mixin = "kind: RecipeMixin\nmetadata:\n  name: os-ubuntu\nspec:\n  constraints:\n    - name: OS.release.ID\n      value: ubuntu\n"
	tests := []struct {
		name    string
		tree    map[string]string
		cfg     Config
		changes []Change
		want    Plan
	}{
		{
			name:    "recipe changed, bundle at the head",
			tree:    map[string]string{bH: bundle},
			changes: []Change{mod(leafPath)},
			want:    Plan{Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, RecipeChanged: true, Reason: "recipe modified"}}},
		},
		{
			name:    "recipe added without a bundle",
			changes: []Change{add(leafPath)},
			want:    Plan{Missing: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, RecipeChanged: true, Reason: "recipe added"}}},
		},
		{
			name:    "resolved recipe: named by its file",
			tree:    map[string]string{bK: bundle},
			changes: []Change{mod(kindP)},
			want:    Plan{Items: []Item{{RecipeName: "kind-training", RecipePath: kindP, BundlePath: bK, RecipeChanged: true, Reason: "recipe modified"}}},
		},
		{
			name:    "recipe and bundle changed together",
			tree:    map[string]string{bH: bundle},
			changes: []Change{add(bH), mod(leafPath)},
			want: Plan{Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, RecipeChanged: true, BundleChanged: true,
				Reason: "recipe modified; evidence bundle added"}}},
		},
		{
			name:    "bundle changed alone: verified against the recipe at the head",
			tree:    map[string]string{bH: bundle},
			changes: []Change{mod(bH)},
			want: Plan{Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, BundleChanged: true,
				Reason: "evidence bundle modified; verified against the recipe at the PR head, which this PR does not change"}}},
		},
		{
			name: "bundle changed alone: recipe found by metadata.name",
			tree: map[string]string{
				"recipes/overlays/custom-file.yaml":              "kind: RecipeMetadata\nmetadata:\n  name: custom\nspec:\n  base: eks\n",
				"recipes/evidence/custom/evidence-bundle.tar.gz": bundle,
			},
			changes: []Change{add("recipes/evidence/custom/evidence-bundle.tar.gz")},
			want: Plan{Items: []Item{{RecipeName: "custom", RecipePath: "recipes/overlays/custom-file.yaml", BundlePath: "recipes/evidence/custom/evidence-bundle.tar.gz", BundleChanged: true,
				Reason: "evidence bundle added; verified against the recipe at the PR head, which this PR does not change"}}},
		},
		{
			name:    "bundle changed alone, its recipe unreadable: verified (and failing) against it",
			tree:    map[string]string{bH: bundle, leafPath: "kind: RecipeMetadata\nkind: RecipeMetadata\n"},
			changes: []Change{mod(bH)},
			want: Plan{Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, BundleChanged: true,
				Reason: "evidence bundle modified; verified against the recipe at the PR head, which this PR does not change"}}},
		},
		{
			name:    "orphan bundle: no recipe of that name",
			tree:    map[string]string{"recipes/evidence/nothing/evidence-bundle.tar.gz": bundle},
			changes: []Change{add("recipes/evidence/nothing/evidence-bundle.tar.gz")},
			want: Plan{Orphans: []Item{{RecipeName: "nothing", BundlePath: "recipes/evidence/nothing/evidence-bundle.tar.gz", BundleChanged: true, NeedsBundleName: true,
				Reason: `evidence bundle added, but no recipe named "nothing" exists at the PR head`}}},
		},
		{
			name: "bundles off the conventional path",
			tree: map[string]string{
				"recipes/evidence/evidence-bundle.tar.gz":          bundle,
				"recipes/evidence/a/b/evidence-bundle.tar.gz":      bundle,
				"recipes/evidence/Bad_Name/evidence-bundle.tar.gz": bundle,
			},
			changes: []Change{add("recipes/evidence/evidence-bundle.tar.gz"), add("recipes/evidence/a/b/evidence-bundle.tar.gz"), add("recipes/evidence/Bad_Name/evidence-bundle.tar.gz")},
			want: Plan{Orphans: []Item{
				{BundlePath: "recipes/evidence/Bad_Name/evidence-bundle.tar.gz", BundleChanged: true, Reason: "a bundle that is not at recipes/evidence/<recipe-name>/evidence-bundle.tar.gz: it is never verified; move it"},
				{BundlePath: "recipes/evidence/a/b/evidence-bundle.tar.gz", BundleChanged: true, Reason: "a bundle that is not at recipes/evidence/<recipe-name>/evidence-bundle.tar.gz: it is never verified; move it"},
				{BundlePath: "recipes/evidence/evidence-bundle.tar.gz", BundleChanged: true, Reason: "a bundle that is not at recipes/evidence/<recipe-name>/evidence-bundle.tar.gz: it is never verified; move it"},
			}},
		},
		{
			name:    "renamed recipe: the new path, the old one mentioned",
			tree:    map[string]string{bH: bundle},
			changes: []Change{ren("recipes/overlays/old-h100.yaml", leafPath)},
			want: Plan{Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, PreviousPath: "recipes/overlays/old-h100.yaml", BundlePath: bH, RecipeChanged: true,
				Reason: "recipe renamed from recipes/overlays/old-h100.yaml"}}},
		},
		{
			name: "renamed recipe whose name changes: the old bundle is orphaned",
			tree: map[string]string{
				leafPath: "",
				bH:       bundle,
				"recipes/overlays/h100-eks-training-v2.yaml": edit(t, family[leafPath], "name: h100-eks-training", "name: h100-eks-training-v2"),
			},
			changes: []Change{ren(leafPath, "recipes/overlays/h100-eks-training-v2.yaml")},
			want: Plan{
				Missing: []Item{{RecipeName: "h100-eks-training-v2", RecipePath: "recipes/overlays/h100-eks-training-v2.yaml", PreviousPath: leafPath,
					BundlePath: "recipes/evidence/h100-eks-training-v2/evidence-bundle.tar.gz", RecipeChanged: true, Reason: "recipe renamed from " + leafPath}},
				Orphans: []Item{{RecipeName: "h100-eks-training", BundlePath: bH,
					Reason: "recipe renamed to recipes/overlays/h100-eks-training-v2.yaml (" + leafPath + "), but its evidence bundle remains"}},
			},
		},
		{
			name:    "recipe removed with its bundle",
			tree:    map[string]string{leafPath: ""},
			changes: []Change{del(leafPath), del(bH)},
			want: Plan{Removed: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, RecipeChanged: true, BundleChanged: true,
				Reason: "recipe removed, together with its evidence bundle"}}},
		},
		{
			name:    "recipe removed, its bundle left behind",
			tree:    map[string]string{leafPath: "", bH: bundle},
			changes: []Change{del(leafPath)},
			want: Plan{Orphans: []Item{{RecipeName: "h100-eks-training", BundlePath: bH,
				Reason: "recipe removed (" + leafPath + "), but its evidence bundle remains"}}},
		},
		{
			name:    "bundle removed, recipe kept",
			changes: []Change{del(bH)},
			want: Plan{Removed: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, BundleChanged: true,
				Reason: "evidence bundle removed: the recipe stays at the PR head without evidence"}}},
		},
		{
			name:    "base overlay changed: every recipe inheriting from it (R2)",
			tree:    map[string]string{bH: bundle},
			changes: []Change{mod(baseP)},
			want: Plan{
				Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, Reason: "inherits from base"}},
				Uncovered: []Item{
					{RecipeName: "base", RecipePath: baseP, BundlePath: "recipes/evidence/base/evidence-bundle.tar.gz", RecipeChanged: true,
						Reason: "recipe modified; no bundle of its own; 4 other recipe(s) apply it and are verified through their bundles"},
					{RecipeName: "gke", RecipePath: gkeP, BundlePath: "recipes/evidence/gke/evidence-bundle.tar.gz", Reason: "inherits from base"},
					{RecipeName: "monitoring", RecipePath: monP, BundlePath: "recipes/evidence/monitoring/evidence-bundle.tar.gz", Reason: "inherits from base"},
				},
			},
		},
		{
			name:    "intermediate overlay changed (R2)",
			tree:    map[string]string{bH: bundle},
			changes: []Change{mod(eksP)},
			want: Plan{
				Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, Reason: "inherits from eks"}},
				Uncovered: []Item{{RecipeName: "eks", RecipePath: eksP, BundlePath: "recipes/evidence/eks/evidence-bundle.tar.gz", RecipeChanged: true,
					Reason: "recipe modified; no bundle of its own; 1 other recipe(s) apply it and are verified through their bundles"}},
			},
		},
		{
			name:    "overlay that applies by criteria changed",
			tree:    map[string]string{bH: bundle},
			changes: []Change{mod(monP)},
			want: Plan{
				Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, Reason: "applies monitoring (its criteria match)"}},
				Uncovered: []Item{
					{RecipeName: "gke", RecipePath: gkeP, BundlePath: "recipes/evidence/gke/evidence-bundle.tar.gz", Reason: "applies monitoring (its criteria match)"},
					{RecipeName: "monitoring", RecipePath: monP, BundlePath: "recipes/evidence/monitoring/evidence-bundle.tar.gz", RecipeChanged: true,
						Reason: "recipe modified; no bundle of its own; 4 other recipe(s) apply it and are verified through their bundles"},
				},
			},
		},
		{
			name:    "values file changed (R3)",
			tree:    map[string]string{bH: bundle},
			changes: []Change{mod(valTrP)},
			want:    Plan{Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, Reason: "uses changed file " + valTrP}}},
		},
		{
			name:    "mixin changed",
			tree:    map[string]string{bH: bundle, leafPath: withMixin, "recipes/mixins/os-ubuntu.yaml": mixin},
			changes: []Change{mod("recipes/mixins/os-ubuntu.yaml")},
			want:    Plan{Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, Reason: "uses changed mixin os-ubuntu"}}},
		},
		{
			name:    "registry changed: noted, not followed",
			changes: []Change{mod("recipes/registry.yaml")},
			want: Plan{Ignored: []string{"recipes/registry.yaml"}, Notes: []string{
				"recipes/registry.yaml changed: AICR's component registry is not resolved here, so the recipes that use a changed registry entry are not found (upstream rule R5); verify them by changing their bundles"}},
		},
		{
			name:    "recipe stored in Git LFS",
			tree:    map[string]string{bH: bundle, leafPath: lfsPointer},
			changes: []Change{mod(leafPath)},
			want: Plan{
				Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, RecipeChanged: true,
					Reason: `recipe modified (it cannot be read: "recipes/overlays/h100-eks-training.yaml" is a Git LFS pointer, not the file itself: the content is not in the repository)`}},
				LFSPointers: []string{leafPath},
			},
		},
		{
			name:    "bundle stored in Git LFS",
			tree:    map[string]string{bH: lfsPointer},
			changes: []Change{mod(bH)},
			want: Plan{
				Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, BundleChanged: true,
					Reason: "evidence bundle modified; verified against the recipe at the PR head, which this PR does not change"}},
				LFSPointers: []string{bH},
			},
		},
		{
			name:    "policy, other evidence files and unrelated files",
			changes: []Change{mod("recipes/evidence/policy.yaml"), add("recipes/evidence/README.md"), mod("README.md"), mod("docs/a/b/c/d/e/f/g/h/i.md")},
			want:    Plan{PolicyChanged: true, Ignored: []string{"README.md", "docs/a/b/c/d/e/f/g/h/i.md", "recipes/evidence/README.md"}},
		},
		{
			name: "globs with ** and a custom evidence directory",
			tree: map[string]string{
				"catalog/x.yaml":                      "kind: RecipeResult\ncriteria: {service: eks}\n",
				"catalog/a/b/overlays/deep.yaml":      "kind: RecipeResult\ncriteria: {service: gke}\n",
				"evidence/deep/evidence-bundle.tgz":   bundle,
				"evidence/x/evidence-bundle.tgz":      bundle,
				"catalog/a/b/overlays/notes.txt":      "text",
				"catalog/a/b/overlays/more/deep.yaml": "kind: RecipeResult\n",
			},
			cfg:     Config{RecipeGlobs: []string{"catalog/**/overlays/*.yaml", "catalog/*.yaml"}, EvidenceDir: "/evidence/", BundleName: "evidence-bundle.tgz"},
			changes: []Change{mod("catalog/a/b/overlays/deep.yaml"), mod("catalog/x.yaml"), mod("catalog/a/b/overlays/notes.txt"), mod("catalog/a/b/overlays/more/deep.yaml"), mod(eksP)},
			want: Plan{
				Items: []Item{
					{RecipeName: "deep", RecipePath: "catalog/a/b/overlays/deep.yaml", BundlePath: "evidence/deep/evidence-bundle.tgz", RecipeChanged: true, Reason: "recipe modified"},
					{RecipeName: "x", RecipePath: "catalog/x.yaml", BundlePath: "evidence/x/evidence-bundle.tgz", RecipeChanged: true, Reason: "recipe modified"},
				},
				Ignored: []string{"catalog/a/b/overlays/more/deep.yaml", "catalog/a/b/overlays/notes.txt", eksP},
			},
		},
		{
			name:    "GitHub's other statuses",
			tree:    map[string]string{bH: bundle, bK: bundle},
			changes: []Change{{Path: leafPath, Status: "copied"}, {Path: kindP, Status: "changed"}, {Path: "x.md", Status: ""}},
			want: Plan{
				Items: []Item{
					{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH, RecipeChanged: true, Reason: "recipe added"},
					{RecipeName: "kind-training", RecipePath: kindP, BundlePath: bK, RecipeChanged: true, Reason: "recipe modified"},
				},
				Ignored: []string{"x.md"},
			},
		},
		{
			name:    "recipe whose name cannot name a bundle",
			tree:    map[string]string{"recipes/resolved/Big Cluster.yaml": "kind: RecipeResult\n"},
			changes: []Change{add("recipes/resolved/Big Cluster.yaml")},
			want: Plan{Missing: []Item{{RecipeName: "Big Cluster", RecipePath: "recipes/resolved/Big Cluster.yaml", RecipeChanged: true,
				Reason: `recipe added; "Big Cluster" is not a valid recipe name, so no bundle can be matched to it`}}},
		},
		{
			name:    "a base broken by the PR: the recipes inheriting from it are verified (and fail)",
			tree:    map[string]string{bH: bundle, eksP: edit(t, family[eksP], "  criteria:\n", "  base: [x]\n  criteria:\n")},
			changes: []Change{mod(eksP)},
			want: Plan{
				Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH,
					Reason: `its overlay chain does not resolve at the PR head: overlay "h100-eks-training": spec.base "eks": overlay "eks": "recipes/overlays/eks.yaml": spec.base is a list, want a string`}},
				Missing: []Item{{RecipeName: "eks", RecipePath: eksP, BundlePath: "recipes/evidence/eks/evidence-bundle.tar.gz", RecipeChanged: true,
					Reason: `recipe modified (it cannot be read: "recipes/overlays/eks.yaml": spec.base is a list, want a string)`}},
			},
		},
		{
			name:    "a removed base breaks the chains of recipes with bundles",
			tree:    map[string]string{eksP: "", bH: bundle},
			changes: []Change{del(eksP)},
			want: Plan{
				Items: []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: bH,
					Reason: `its overlay chain does not resolve at the PR head: overlay "h100-eks-training": spec.base "eks": no overlay "eks" in the PR head (no "recipes/overlays/eks.yaml", and no overlay in recipes/overlays/ has that metadata.name)`}},
				Removed: []Item{{RecipeName: "eks", RecipePath: eksP, RecipeChanged: true, Reason: "recipe removed"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree := newTree(tc.tree)
			p, err := NewPlan(tc.changes, tree, tc.cfg)
			if err != nil {
				t.Fatalf("NewPlan: %v", err)
			}
			if got := exported(p); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("plan:\n got %s\nwant %s", showPlan(got), showPlan(tc.want))
			}
			// Deterministic whatever the order of the changes.
			rng := rand.New(rand.NewSource(1))
			for i := 0; i < 5; i++ {
				shuffled := append([]Change(nil), tc.changes...)
				rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				q, err := NewPlan(shuffled, tree, tc.cfg)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(exported(q), tc.want) {
					t.Fatalf("order %v gives another plan: %s", shuffled, showPlan(exported(q)))
				}
			}
		})
	}
}

func TestNewPlanErrors(t *testing.T) {
	dup := map[string]string{
		"recipes/a/one.yaml":                          "kind: RecipeMetadata\nmetadata:\n  name: dup\n",
		"recipes/b/two.yaml":                          "kind: RecipeMetadata\nmetadata:\n  name: dup\n",
		"recipes/evidence/dup/evidence-bundle.tar.gz": bundle,
	}
	tests := []struct {
		name    string
		tree    Lister
		cfg     Config
		changes []Change
		want    string
	}{
		{"parent segment", nil, Config{}, []Change{add("recipes/../x.yaml")}, `plan: changed path "recipes/../x.yaml": path has a ".." segment`},
		{"absolute", nil, Config{}, []Change{mod("/etc/passwd")}, `plan: changed path "/etc/passwd": path is absolute`},
		{"backslash", nil, Config{}, []Change{add(`recipes\x.yaml`)}, `plan: changed path "recipes\\x.yaml": path has a backslash`},
		{"control character", nil, Config{}, []Change{add("recipes/a\x1b[31m.yaml")}, `plan: changed path "recipes/a\x1b[31m.yaml": path has control character U+001B at byte 9`},
		{"control character under the evidence folder", nil, Config{}, []Change{add("recipes/evidence/a\tb/notes.md")}, `plan: changed path "recipes/evidence/a\tb/notes.md": path has control character U+0009 at byte 18`},
		{"backslash read as a folder", nil, Config{}, []Change{add(`docs\..\recipes\x.yaml`)}, `plan: changed path "docs\\..\\recipes\\x.yaml": path has a backslash`},
		{"renamed from an unsafe recipe path", nil, Config{}, []Change{ren("recipes/x\x07.yaml", leafPath)}, `plan: changed path "recipes/x\a.yaml": path has control character U+0007 at byte 9`},
		{"empty segment", nil, Config{}, []Change{add("recipes//x.yaml")}, `plan: changed path "recipes//x.yaml": path has an empty segment`},
		{"dot segment", nil, Config{}, []Change{add("recipes/./x.yaml")}, `plan: changed path "recipes/./x.yaml": path has a "." segment`},
		{"not UTF-8", nil, Config{}, []Change{add("recipes/\xff.yaml")}, `plan: changed path "recipes/\xff.yaml": path is not valid UTF-8`},
		{"hostile previous path", nil, Config{}, []Change{ren("../../x.yaml", leafPath)}, `plan: changed path "../../x.yaml": path has a ".." segment`},
		{"too deep a recipe", nil, Config{}, []Change{add("recipes/a/b/c/d/e/f/g/x.yaml")}, `plan: changed path "recipes/a/b/c/d/e/f/g/x.yaml": path has 9 segments, the limit is 8`},
		{"head cannot be listed", listerOnly{newTree(nil)}, Config{}, []Change{mod(leafPath)}, "plan: the PR head tree cannot be listed (the Lister has no Files method): it is needed to find recipes by name and the recipes that inherit from a changed overlay"},
		{"two recipes of one name", newTree(dup), Config{}, []Change{mod("recipes/evidence/dup/evidence-bundle.tar.gz")}, `plan: recipe name "dup" is defined by more than one file at the PR head: "recipes/a/one.yaml" and "recipes/b/two.yaml"`},
		{"bad glob", nil, Config{RecipeGlobs: []string{"recipes/[a"}}, nil, `plan: recipe glob "recipes/[a": syntax error in pattern`},
		{"glob with ..", nil, Config{RecipeGlobs: []string{"../**/*.yaml"}}, nil, `plan: recipe glob "../**/*.yaml": pattern has a ".." segment`},
		{"evidence dir with ..", nil, Config{EvidenceDir: "recipes/../x"}, nil, `plan: evidence directory "recipes/../x": path has a ".." segment`},
		{"bundle name with a slash", nil, Config{BundleName: "a/b.tar.gz"}, nil, `plan: bundle name "a/b.tar.gz": a file name, not a path`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree := tc.tree
			if tree == nil {
				tree = newTree(nil)
			}
			p, err := NewPlan(tc.changes, tree, tc.cfg)
			if err == nil {
				t.Fatalf("want an error, got %s", showPlan(exported(p)))
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
		})
	}
}

// TestNewPlanUnsafePathsOutsideIgnored: paths git can hold that fail the path
// rules (a backslash, a control character, not UTF-8) never fail the plan
// outside the recipe and evidence folders: they are listed as ignored
// (issue 12).
func TestNewPlanUnsafePathsOutsideIgnored(t *testing.T) {
	unsafe := []string{`docs\a.md`, "docs/tab\there.md", "notes/\x1b[31mred.yaml", "docs/\xff.md", "recipes/notes\\x.md"}
	changes := []Change{mod(leafPath)}
	for _, p := range unsafe {
		changes = append(changes, add(p))
	}
	changes = append(changes, ren("old\\name.md", "docs/new.md"), del("img/\x7f.png"))
	p, err := NewPlan(changes, newTree(family), Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]string{}, unsafe...), "old\\name.md", "docs/new.md", "img/\x7f.png")
	want = sortedUnique(want)
	if !reflect.DeepEqual(p.Ignored, want) {
		t.Fatalf("ignored %q, want %q", p.Ignored, want)
	}
	if len(p.Items)+len(p.Missing) != 1 {
		t.Fatalf("the recipe change is lost: %s", showPlan(exported(p)))
	}
}

// TestNewPlanWithoutListing: a PR that touches no recipe and no evidence
// needs no listing of the head.
func TestNewPlanWithoutListing(t *testing.T) {
	p, err := NewPlan([]Change{mod("README.md"), mod("recipes/evidence/policy.yaml")}, listerOnly{newTree(nil)}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Plan{Ignored: []string{"README.md"}, PolicyChanged: true}); !reflect.DeepEqual(exported(p), want) {
		t.Fatalf("got %s", showPlan(exported(p)))
	}
}

func TestPlanResolve(t *testing.T) {
	const orphan = "recipes/evidence/h100-training-run-2/evidence-bundle.tar.gz"
	tree := newTree(map[string]string{orphan: bundle, "recipes/evidence/other/evidence-bundle.tar.gz": bundle})
	p, err := NewPlan([]Change{add(orphan), add("recipes/evidence/other/evidence-bundle.tar.gz")}, tree, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Orphans) != 2 || !p.Orphans[0].NeedsBundleName || len(p.Items) != 0 {
		t.Fatalf("got %s", showPlan(exported(p)))
	}
	// The caller read the bundle: it is evidence for h100-eks-training.
	if err := p.Resolve(orphan, "h100-eks-training"); err != nil {
		t.Fatal(err)
	}
	want := []Item{{RecipeName: "h100-eks-training", RecipePath: leafPath, BundlePath: orphan, BundleChanged: true,
		Reason: `evidence bundle changed; its directory names no recipe, so it is verified against recipe "h100-eks-training", the name inside the bundle (move it to ` + bH + ")"}}
	if !reflect.DeepEqual(p.Items, want) {
		t.Fatalf("Items:\n got %+v\nwant %+v", p.Items, want)
	}
	if len(p.Orphans) != 1 || p.Orphans[0].BundlePath != "recipes/evidence/other/evidence-bundle.tar.gz" {
		t.Fatalf("Orphans = %+v", p.Orphans)
	}
	if err := p.Resolve(orphan, "h100-eks-training"); err == nil {
		t.Error("resolving twice must fail")
	}
	// A name that does not exist either: it stays an orphan, settled.
	if err := p.Resolve("recipes/evidence/other/evidence-bundle.tar.gz", "no-such-recipe"); err != nil {
		t.Fatal(err)
	}
	o := p.Orphans[0]
	if o.NeedsBundleName || o.Reason != `evidence bundle added, but no recipe named "other" exists at the PR head; nor does "no-such-recipe", the recipe the bundle names` {
		t.Errorf("orphan = %+v", o)
	}
	if err := p.Resolve("recipes/evidence/other/evidence-bundle.tar.gz", "x"); err == nil || !strings.Contains(err.Error(), "not a bundle waiting for its recipe name") {
		t.Errorf("err = %v", err)
	}
}

func TestPlanResolveInvalidName(t *testing.T) {
	const orphan = "recipes/evidence/other/evidence-bundle.tar.gz"
	p, err := NewPlan([]Change{add(orphan)}, newTree(map[string]string{orphan: bundle}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Resolve(orphan, "../h100-eks-training"); err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 0 || len(p.Orphans) != 1 || !strings.HasSuffix(p.Orphans[0].Reason, `the bundle names recipe "../h100-eks-training", which is not a valid recipe name`) {
		t.Fatalf("got %s", showPlan(exported(p)))
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"recipes/**/*.yaml", "recipes/a.yaml", true},
		{"recipes/**/*.yaml", "recipes/overlays/a.yaml", true},
		{"recipes/**/*.yaml", "recipes/x/y/z/a.yaml", true},
		{"recipes/**/*.yaml", "recipes/a.yml", false},
		{"recipes/**/*.yaml", "other/recipes/a.yaml", false},
		{"recipes/**/*.yaml", "recipes", false},
		{"**/*.yaml", "a.yaml", true},
		{"**/*.yaml", "a/b/c.yaml", true},
		{"recipes/**", "recipes/a/b", true},
		{"a/**/b/**/c", "a/b/c", true},
		{"a/**/b/**/c", "a/x/b/y/z/c", true},
		{"a/**/b/**/c", "a/x/c", false},
		{"recipes/*.yaml", "recipes/x/a.yaml", false},
		{"recipes/[ab].yaml", "recipes/b.yaml", true},
		{"recipes/a**.yaml", "recipes/abc.yaml", true}, // "**" inside a segment is path.Match's "*"
		{"recipes/a**.yaml", "recipes/a/b.yaml", false},
		{"**/**/**/**/**/**/**/x", strings.Repeat("a/", 30) + "y", false},
	}
	for _, tc := range tests {
		if err := checkGlob(tc.glob); err != nil {
			t.Fatalf("%q: %v", tc.glob, err)
		}
		if got := matchGlob(tc.glob, tc.name); got != tc.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", tc.glob, tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{"", "/recipes/*.yaml", `recipes\*.yaml`, "recipes//*.yaml", "recipes/[", "../x"} {
		if checkGlob(bad) == nil {
			t.Errorf("checkGlob(%q) accepted", bad)
		}
	}
}

// Issue 8, finding 1: a resolved recipe is named by its file. One whose
// metadata.name claims another recipe's name is refused (reported, never
// named by that claim), so it cannot route another recipe's bundle.
func TestPlanResolvedRecipeClaimingAnotherName(t *testing.T) {
	decoy := "kind: RecipeResult\nmetadata:\n  name: kind-training\ncriteria:\n  service: kind\n"
	tree := newTree(map[string]string{bK: bundle, "recipes/decoy.yaml": decoy})
	p, err := NewPlan([]Change{mod(bK), add("recipes/decoy.yaml")}, tree, Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := exported(p)
	want := Plan{
		Items: []Item{{RecipeName: "kind-training", RecipePath: kindP, BundlePath: bK, BundleChanged: true,
			Reason: "evidence bundle modified; verified against the recipe at the PR head, which this PR does not change"}},
		Missing: []Item{{RecipeName: "decoy", RecipePath: "recipes/decoy.yaml", BundlePath: "recipes/evidence/decoy/evidence-bundle.tar.gz", RecipeChanged: true,
			Reason: `recipe added (it cannot be read: "recipes/decoy.yaml": metadata.name "kind-training" is not the file name "decoy": a resolved recipe (kind RecipeResult) is named by its file; remove metadata.name or make it the file name)`}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plan:\n%s\nwant:\n%s", showPlan(got), showPlan(want))
	}
}

// Two changed recipe files for one bundle: each would claim it, and only the
// first was checked against it.
func TestPlanTwoFilesClaimOneBundle(t *testing.T) {
	tree := newTree(map[string]string{bK: bundle, "recipes/other/kind-training.yaml": resolvedH100})
	_, err := NewPlan([]Change{mod(kindP), add("recipes/other/kind-training.yaml")}, tree, Config{})
	want := `plan: recipe name "kind-training" is defined by more than one file at the PR head: "recipes/resolved/kind-training.yaml" and "recipes/other/kind-training.yaml"`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
}

// CheckBundleRecipe holds every item to one rule: the bundle names the item's
// recipe and lies in that recipe's folder, also when Resolve routed it there.
func TestCheckBundleRecipe(t *testing.T) {
	orphan := "recipes/evidence/nothing/evidence-bundle.tar.gz"
	tree := newTree(map[string]string{orphan: bundle, bK: bundle})
	p, err := NewPlan([]Change{add(orphan), mod(bK)}, tree, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Resolve(orphan, "kind-training"); err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 2 {
		t.Fatalf("items: %s", showPlan(exported(p)))
	}
	var own, routed Item
	for _, it := range p.Items {
		if it.BundlePath == bK {
			own = it
		} else {
			routed = it
		}
	}
	for _, tc := range []struct {
		it   Item
		name string
		want string
	}{
		{own, "kind-training", ""},
		{own, "h100-eks-training", `the bundle is evidence for recipe "h100-eks-training", not "kind-training"`},
		{routed, "kind-training", `the bundle is evidence for recipe "kind-training" but lies at "recipes/evidence/nothing/evidence-bundle.tar.gz", not at "recipes/evidence/kind-training/evidence-bundle.tar.gz": move it`},
	} {
		err := p.CheckBundleRecipe(tc.it, tc.name)
		if (err == nil) != (tc.want == "") || (err != nil && err.Error() != tc.want) {
			t.Errorf("%s named %q: %v, want %q", tc.it.BundlePath, tc.name, err, tc.want)
		}
	}
}
