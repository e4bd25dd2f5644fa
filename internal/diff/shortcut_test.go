package diff

import (
	"context"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The planner's shortcut (decidedByChanges: the changed files alone decide
// the plan, so the head is not indexed) must give the plan the full index
// gives. These tests draw change sets from AICR's real recipe tree
// (../shared/testdata/aicr-upstream) with resolved recipes and bundles added,
// including decoys that claim another file's name, renames, deletions,
// bundles moved between folders and overlay edits, and compare both answers.

// shortcutHead is AICR's recipes/ tree plus resolved recipes (upstream's
// examples) under recipes/resolved/ and a bundle for some recipes.
func shortcutHead(t testing.TB) (MapTree, []string) {
	tree, examples := upstream(t)
	for p, b := range tree {
		if len(b) > 64<<10 {
			// CRD manifests: neither recipes nor anything the plan
			// follows, and parsing them would dominate each fuzz run.
			delete(tree, p)
		}
	}
	for _, n := range sortedNames(examples) {
		tree["recipes/resolved/"+n+".yaml"] = []byte(examples[n])
	}
	var names []string
	for _, p := range sortedNames(tree) {
		if isYAMLFile(p) && (strings.HasPrefix(p, "recipes/overlays/") || strings.HasPrefix(p, "recipes/resolved/")) {
			names = append(names, baseName(p))
		}
	}
	names = sortedUnique(names) // eks-training and kind are both an overlay and a resolved example
	for i, n := range names {
		switch {
		case i%3 != 2: // every third recipe has no bundle
			tree["recipes/evidence/"+n+"/evidence-bundle.tar.gz"] = []byte(bundle)
		case i%2 == 0: // half of those have AICR pointer files instead
			tree[pointerOf(n, 1)] = []byte(pointerBytes)
			tree[pointerOf(n, 2)] = []byte(pointerBytes)
		}
	}
	return tree, names
}

// pointerBytes stands for a pointer file: the planner never reads one.
const pointerBytes = "schemaVersion: 1.0.0\n"

// pointerOf is the path of AICR pointer file k of recipe name.
func pointerOf(name string, k byte) string {
	return fmt.Sprintf("recipes/evidence/%s/%032x/sha256-%064x.yaml", name, k, k)
}

// headPointer returns a pointer file of recipe name at the head, or "".
func (c *changeSet) headPointer(name string) string {
	for _, p := range sortedNames(c.head) {
		if strings.HasPrefix(p, "recipes/evidence/"+name+"/") && strings.HasSuffix(p, ".yaml") {
			return p
		}
	}
	return ""
}

// changeSet is a PR: the head tree after it, and its changed files.
type changeSet struct {
	head    MapTree
	changes []Change
	touched map[string]bool
}

func newChangeSet(base MapTree) *changeSet {
	head := MapTree{}
	for p, b := range base {
		head[p] = b
	}
	return &changeSet{head: head, touched: map[string]bool{}}
}

// put writes p at the head (added or modified).
func (c *changeSet) put(p, content string) {
	if c.touched[p] {
		return
	}
	c.touched[p] = true
	st := StatusAdded
	if _, ok := c.head[p]; ok {
		st = StatusModified
	}
	c.head[p] = []byte(content)
	c.changes = append(c.changes, Change{Path: p, Status: st})
}

// remove deletes p from the head.
func (c *changeSet) remove(p string) {
	if _, ok := c.head[p]; !ok || c.touched[p] {
		return
	}
	c.touched[p] = true
	delete(c.head, p)
	c.changes = append(c.changes, Change{Path: p, Status: StatusRemoved})
}

// rename moves from to to.
func (c *changeSet) rename(from, to string) {
	b, ok := c.head[from]
	if _, taken := c.head[to]; !ok || taken || from == to || c.touched[from] || c.touched[to] {
		return
	}
	c.touched[from], c.touched[to] = true, true
	delete(c.head, from)
	c.head[to] = b
	c.changes = append(c.changes, Change{Path: to, PreviousPath: from, Status: StatusRenamed})
}

func resolvedRecipe(name string) string {
	s := "kind: RecipeResult\napiVersion: aicr.run/v1alpha2\n"
	if name != "" {
		s += "metadata:\n  name: " + name + "\n"
	}
	return s + "criteria:\n  service: eks\n  accelerator: h100\n"
}

func overlayRecipe(name, base string) string {
	return "kind: RecipeMetadata\napiVersion: aicr.run/v1alpha2\nmetadata:\n  name: " + name + "\nspec:\n  base: " + base + "\n  criteria:\n    service: eks\n"
}

func bundleOf(name string) string { return "recipes/evidence/" + name + "/evidence-bundle.tar.gz" }

// applyOps turns fuzz bytes into a change set: each pair of bytes is one
// operation and its argument.
func applyOps(base MapTree, names []string, ops []byte) *changeSet {
	c := newChangeSet(base)
	pick := func(b byte) string { return names[int(b)%len(names)] }
	recipeOf := func(n string) string {
		for _, dir := range []string{"recipes/resolved/", "recipes/overlays/"} {
			if _, ok := c.head[dir+n+".yaml"]; ok {
				return dir + n + ".yaml"
			}
		}
		return ""
	}
	for i := 0; i+1 < len(ops) && i < 24; i += 2 {
		op, arg := ops[i]%20, ops[i+1]
		n, m := pick(arg), pick(arg/7+1)
		fresh := fmt.Sprintf("new-%d", arg%5)
		switch op {
		case 0: // a resolved recipe edited (a comment: the digest does not change)
			if p := recipeOf(n); strings.HasPrefix(p, "recipes/resolved/") {
				c.put(p, "# edited\n"+string(c.head[p]))
			}
		case 1: // a new resolved recipe, with its bundle
			c.put("recipes/resolved/"+fresh+".yaml", resolvedRecipe(""))
			c.put(bundleOf(fresh), bundle+"new")
		case 2: // a new resolved recipe without a bundle
			c.put("recipes/resolved/"+fresh+".yaml", resolvedRecipe(fresh))
		case 3: // a bundle added or replaced
			c.put(bundleOf(n), bundle+"changed")
		case 4: // a decoy resolved recipe claiming another file's name
			c.put(fmt.Sprintf("recipes/decoy-%d.yaml", arg%3), resolvedRecipe(n))
		case 5: // a decoy overlay claiming another file's name
			c.put(fmt.Sprintf("recipes/overlays/decoy-%d.yaml", arg%3), overlayRecipe(n, "eks"))
		case 6: // a recipe renamed
			if p := recipeOf(n); p != "" {
				c.rename(p, path.Dir(p)+"/"+fresh+".yaml")
			}
		case 7: // a recipe removed
			if p := recipeOf(n); p != "" {
				c.remove(p)
			}
		case 8: // a bundle removed
			c.remove(bundleOf(n))
		case 9: // a bundle moved to another recipe's folder (or a new one)
			if arg%2 == 0 {
				c.rename(bundleOf(n), bundleOf(fresh))
			} else {
				c.rename(bundleOf(n), bundleOf(m))
			}
		case 10: // an overlay edited
			if p := recipeOf(n); strings.HasPrefix(p, "recipes/overlays/") {
				c.put(p, string(c.head[p])+"# edited\n")
			}
		case 11: // a component values file edited
			c.put("recipes/components/gpu-operator/values.yaml", "driver:\n  version: edited\n")
		case 12: // a bundle off the conventional path
			c.put("recipes/evidence/"+n+"/nested/evidence-bundle.tar.gz", bundle)
		case 13: // a second resolved recipe file of the same name, elsewhere
			c.put("recipes/other/"+n+".yaml", resolvedRecipe(""))
		case 14: // a pointer file added
			c.put(pointerOf(n, arg), pointerBytes)
		case 15: // a pointer file edited (add-only)
			if p := c.headPointer(n); p != "" {
				c.put(p, pointerBytes+"# edited\n")
			}
		case 16: // a pointer file removed
			if p := c.headPointer(n); p != "" {
				c.remove(p)
			}
		case 19: // a pointer file moved to another recipe's folder
			if p := c.headPointer(n); p != "" {
				c.rename(p, pointerOf(m, arg))
			}
		case 17: // a pointer file for a recipe that does not exist, or off the layout
			if arg%2 == 0 {
				c.put(pointerOf(fresh, arg), pointerBytes)
			} else {
				c.put("recipes/evidence/"+n+"/sha256-"+fmt.Sprintf("%064x", arg)+".yaml", pointerBytes)
			}
		case 18: // a new resolved recipe with a pointer file, or a flat pending pointer
			if arg%2 == 0 {
				c.put("recipes/resolved/"+fresh+".yaml", resolvedRecipe(""))
				c.put(pointerOf(fresh, arg), pointerBytes)
			} else {
				c.put("recipes/evidence/"+n+".yaml", pointerBytes)
			}
		}
	}
	return c
}

// comparePlans plans c with the shortcut and with the full index, and fails
// when the answers differ. It reports whether the shortcut was taken, and
// the error both gave.
func comparePlans(t testing.TB, c *changeSet) (bool, error) {
	t.Helper()
	ctx := context.Background()
	fast, ferr := newPlan(ctx, c.changes, c.head, Config{}, false)
	full, err := newPlan(ctx, c.changes, c.head, Config{}, true)
	if (ferr == nil) != (err == nil) || (err != nil && ferr.Error() != err.Error()) {
		t.Fatalf("changes %v:\nshortcut error: %v\nfull-index error: %v", c.changes, ferr, err)
	}
	if err != nil {
		return false, err
	}
	a, b := exported(fast), exported(full)
	a.Notes, b.Notes = nil, nil // the full index may note unsafe head paths
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("changes %v:\nshortcut plan:\n%s\nfull plan:\n%s", c.changes, showPlan(a), showPlan(b))
	}
	for _, it := range full.Items {
		if err := full.CheckBundleRecipe(it, it.RecipeName); err != nil {
			t.Fatalf("item %+v: %v", it, err)
		}
	}
	return fast.byName == nil, nil
}

func TestPlanShortcutEqualsFullPlan(t *testing.T) {
	base, names := shortcutHead(t)
	idx := func(n string) byte {
		i := sort.SearchStrings(names, n)
		if i == len(names) || names[i] != n || i > 200 {
			t.Fatalf("no recipe %q in the upstream tree", n)
		}
		return byte(i)
	}
	eksTr, aksTr, h100 := idx("eks-training"), idx("aks-training"), idx("h100-eks-ubuntu-training")
	other := h100 + 7            // a second name: applyOps picks names[arg/7+1]
	unique := func(i int) bool { // one recipe file of that name
		_, overlay := base["recipes/overlays/"+names[i]+".yaml"]
		_, resolved := base["recipes/resolved/"+names[i]+".yaml"]
		return overlay != resolved
	}
	withPointer := byte(0) // a recipe with pointer files (and another one to move one to)
	for i := range names {
		if i%3 == 2 && i%2 == 0 && i < 200 && unique(i) && unique(i/7+1) {
			withPointer = byte(i)
			break
		}
	}
	tests := []struct {
		name     string
		ops      []byte
		shortcut bool   // the changed files alone decide the plan
		err      string // the error both plans give
	}{
		{"resolved recipe edited", []byte{0, eksTr}, true, ""},
		{"new resolved recipe with its bundle", []byte{1, 0}, true, ""},
		{"resolved recipe edited, its bundle replaced", []byte{0, aksTr, 3, aksTr}, true, ""},
		{"new resolved recipe without a bundle", []byte{2, 1}, true, ""},
		{"bundle replaced alone", []byte{3, h100}, false, ""},
		{"issue 8: decoy resolved recipe claims the replaced bundle's recipe", []byte{3, h100, 0, eksTr, 4, h100}, false, ""},
		{"decoy overlay claims a name", []byte{3, h100, 5, h100}, false,
			`plan: recipe name "h100-eks-ubuntu-training" is defined by more than one file at the PR head: "recipes/overlays/decoy-2.yaml" and "recipes/overlays/h100-eks-ubuntu-training.yaml"`},
		{"resolved recipe renamed", []byte{6, eksTr}, false, ""},
		{"recipe removed, bundle stays", []byte{7, eksTr}, false, ""},
		{"bundle removed", []byte{8, eksTr}, false, // the fixture's overlay and resolved example share the name: never silently pick one
			`plan: recipe name "eks-training" is defined by more than one file at the PR head: "recipes/overlays/eks-training.yaml" and "recipes/resolved/eks-training.yaml"`},
		{"bundle moved to a new folder", []byte{9, 0}, false, ""},
		{"bundle moved to another recipe's folder", []byte{9, other}, false, ""},
		{"overlay edited", []byte{10, h100}, false, ""},
		{"values file edited", []byte{11, 0}, false, ""},
		{"misplaced bundle with a resolved recipe", []byte{0, aksTr, 12, aksTr}, true, ""},
		{"two resolved recipes of one name, both changed", []byte{0, eksTr, 13, eksTr}, true,
			`plan: recipe name "eks-training" is defined by more than one file at the PR head: "recipes/resolved/eks-training.yaml" and "recipes/other/eks-training.yaml"`},
		{"a resolved recipe shadows an overlay's name", []byte{13, h100, 3, h100}, true, ""},
		{"new resolved recipe with its pointer", []byte{18, 0}, true, ""},
		{"resolved recipe edited, with a new pointer", []byte{0, eksTr, 14, eksTr}, true, ""},
		{"pointer added alone", []byte{14, h100}, false, ""},
		{"pointer edited", []byte{15, withPointer}, false, ""},
		{"pointer removed", []byte{16, withPointer}, true, ""}, // nothing to look up: flagged
		{"pointer moved to another recipe", []byte{19, withPointer}, false, ""},
		{"pointer for no recipe", []byte{17, 0}, false, ""},
		{"pointer off the layout", []byte{17, 1}, true, ""}, // an orphan by its path
		{"flat pending pointer", []byte{18, 1}, false, ""},
		{"overlay edited, its recipes have pointers", []byte{10, withPointer}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := comparePlans(t, applyOps(base, names, tc.ops))
			if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if err == nil && got != tc.shortcut {
				t.Fatalf("shortcut taken: %v, want %v", got, tc.shortcut)
			}
		})
	}
}

// FuzzPlanShortcut: for any change set drawn from the upstream tree, the
// shortcut and the full index give the same plan.
func FuzzPlanShortcut(f *testing.F) {
	base, names := shortcutHead(f)
	for _, s := range [][]byte{{0, 3}, {1, 0, 3, 1}, {4, 2, 3, 2, 0, 1}, {5, 7, 9, 1}, {6, 2, 7, 3, 8, 4}, {10, 5, 11, 0, 12, 2, 13, 4}, {14, 2, 15, 8, 16, 3, 17, 1, 18, 0, 19, 8}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		comparePlans(t, applyOps(base, names, ops))
	})
}
