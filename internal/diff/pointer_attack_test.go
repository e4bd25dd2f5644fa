package diff

import (
	"strings"
	"testing"
)

// Adversarial review (R1) of the pointer planning: ways a PR could evade the
// add-only rule or get a pointer verified against the wrong recipe. Each
// test asserts the correct behaviour.

// pointerAttackPlan plans changes over a head tree holding the recipe
// h100-eks-training (leafPath, from newTree) and the given files.
func pointerAttackPlan(t *testing.T, tree map[string]string, changes ...Change) *Plan {
	t.Helper()
	p, err := NewPlan(changes, newTree(tree), Config{})
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return p
}

// removedPointer reports whether the plan flags pp as a removed pointer.
func removedPointer(p *Plan, pp string) bool {
	for _, it := range p.RemovedPointers {
		if it.PointerPath == pp && strings.Contains(it.AddOnly, "add-only") {
			return true
		}
	}
	return false
}

// Moving a pointer to a case variant of the evidence folder (a path that
// is no pointer on a case-sensitive host, the same file on a
// case-insensitive checkout) is a deletion: flagged.
func TestPointerAttackRenameToCaseVariantFolder(t *testing.T) {
	to := strings.Replace(ptrH1, "recipes/evidence/", "Recipes/Evidence/", 1)
	p := pointerAttackPlan(t, map[string]string{to: ptrBody}, ren(ptrH1, to))
	if !removedPointer(p, ptrH1) {
		t.Fatalf("a pointer moved to %s is not flagged: %s", to, showPlan(exported(p)))
	}
}

// Moving a pointer to a misplaced pointer path (one folder too shallow) is
// a deletion of the pointer and an orphan at the new path.
func TestPointerAttackRenameToMisplacedPath(t *testing.T) {
	to := "recipes/evidence/h100-eks-training/sha256-1111111111111111111111111111111111111111111111111111111111111111.yaml"
	p := pointerAttackPlan(t, map[string]string{to: ptrBody}, ren(ptrH1, to))
	if !removedPointer(p, ptrH1) {
		t.Fatalf("not flagged: %s", showPlan(exported(p)))
	}
	if len(p.Orphans) != 1 || p.Orphans[0].PointerPath != to {
		t.Errorf("orphans %+v", p.Orphans)
	}
}

// GitHub's "changed" status (a mode or type change: a pointer turned into a
// symlink or made executable) and "copied" are not a way around the rule:
// "changed" edits the pointer; "copied" adds one and is verified.
func TestPointerAttackTypeChangeStatus(t *testing.T) {
	p := pointerAttackPlan(t, map[string]string{ptrH1: ptrBody}, Change{Path: ptrH1, Status: "changed"})
	if len(p.Items) != 1 || p.Items[0].PointerPath != ptrH1 || !strings.Contains(p.Items[0].AddOnly, "this PR edits") {
		t.Fatalf("a type change of a pointer is not flagged: %s", showPlan(exported(p)))
	}
	p = pointerAttackPlan(t, map[string]string{ptrH1: ptrBody, ptrH2: ptrBody}, Change{Path: ptrH2, PreviousPath: ptrH1, Status: "copied"})
	if len(p.Items) != 1 || p.Items[0].PointerPath != ptrH2 || !p.Items[0].BundleChanged {
		t.Fatalf("a copied pointer is not verified: %s", showPlan(exported(p)))
	}
}

// Delete a pointer and add one with the same digest under another source
// folder in one PR: the deletion is flagged, the addition verified.
func TestPointerAttackDeleteAndReAdd(t *testing.T) {
	other := strings.Replace(ptrH1, "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210", 1)
	p := pointerAttackPlan(t, map[string]string{other: ptrBody}, del(ptrH1), add(other))
	if !removedPointer(p, ptrH1) {
		t.Fatalf("the deleted pointer is not flagged: %s", showPlan(exported(p)))
	}
	if len(p.Items) != 1 || p.Items[0].PointerPath != other {
		t.Errorf("items %s", showPlan(exported(p)))
	}
}

// A pointer in a folder that only looks like the recipe's (upper case, a
// Cyrillic letter, a trailing zero-width space, a full-width hyphen) is never
// verified against that recipe: an orphan, invalid.
func TestPointerAttackLookalikeRecipeFolder(t *testing.T) {
	for _, name := range []string{"H100-eks-training", "h100-\u0435ks-training", "h100-eks-training\u200b", "h100\uff0deks-training", "h100-eks-training "} {
		pp := strings.Replace(ptrH1, "/h100-eks-training/", "/"+name+"/", 1)
		p, err := NewPlan([]Change{add(pp)}, newTree(map[string]string{pp: ptrBody}), Config{})
		if err != nil {
			continue // refused outright: never verified
		}
		if len(p.Items) != 0 {
			t.Errorf("%q: a look-alike folder is verified as the recipe's: %s", name, showPlan(exported(p)))
		}
		if len(p.Orphans) != 1 {
			t.Errorf("%q: not an orphan: %s", name, showPlan(exported(p)))
		}
	}
}

// A PR that changes a recipe and adds only a pending (flat, unsigned)
// pointer for it: the pointers at the head, made for the recipe before the
// change, are still its evidence to check — a pending pointer names nothing,
// so it must not stand in for them (otherwise a stale-pointer "invalid"
// becomes a "missing" that passes under the default fail-on).
func TestPointerAttackPendingPointerHidesStalePointers(t *testing.T) {
	p := pointerAttackPlan(t, map[string]string{ptrH1: ptrBody, ptrFlat: ptrBody}, mod(leafPath), add(ptrFlat))
	seen := map[string]bool{}
	for _, it := range p.Items {
		seen[it.PointerPath] = true
	}
	if !seen[ptrH1] {
		t.Errorf("the head's pointer %s is not verified against the changed recipe once a pending pointer is added: %s", ptrH1, showPlan(exported(p)))
	}
}

// Held: a PR that adds both a pointer and a bundle for one recipe gets both
// verified — a passing pointer cannot hide a failing bundle, nor the
// reverse.
func TestPointerAttackPointerBesideBundle(t *testing.T) {
	p := pointerAttackPlan(t, map[string]string{ptrH1: ptrBody, bH: bundle}, add(ptrH1), add(bH))
	var gotPointer, gotBundle bool
	for _, it := range p.Items {
		gotPointer = gotPointer || it.PointerPath == ptrH1
		gotBundle = gotBundle || it.BundlePath == bH
	}
	if !gotPointer || !gotBundle {
		t.Fatalf("not both verified: %s", showPlan(exported(p)))
	}
}
