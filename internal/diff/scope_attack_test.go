package diff

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Adversarial review of the planner's read scoping (issue 12): change sets
// where the scoped plan (newPlan(..., false)) differs from the full index's
// (newPlan(..., true)), and change sets where both miss a recipe whose
// evidence the change affects (a false accept: the stale bundle keeps passing
// because it is never verified). Written by a reviewer who had only the docs
// and the code; every TestScopeAttack... failed on 0d5e2b2 and passes since
// the fixes (one scoped-only miss: a mixin used as a values file; the others
// missed by the full index too: read errors swallowed while resolving,
// unparsable support files taken for recipes, an overlay that stops being
// one, files the resolver followed but the plan did not watch, an overlay
// with an invalid name applying by criteria, chain breaks matched by name
// across directories).

var scopeGlobs = Config{RecipeGlobs: []string{"recipes/**/*.yaml", "other/**/*.yaml"}}

// attackPlans plans changes over head with the scoped planner and the full
// index; a BaseReader is added (the action always has one) from base.
func attackPlans(t *testing.T, base, head MapTree, changes []Change, cfg Config) (scoped, full *Plan, serr, ferr error) {
	t.Helper()
	tree := withBase{MapTree: head, base: base}
	scoped, serr = newPlan(context.Background(), changes, tree, cfg, false)
	full, ferr = newPlan(context.Background(), changes, tree, cfg, true)
	return
}

func samePlans(t *testing.T, scoped, full *Plan) {
	t.Helper()
	a, b := exported(scoped), exported(full)
	a.Notes, b.Notes = nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the scoped plan differs from the full index's\nscoped:\n%s\nfull:\n%s", showPlan(a), showPlan(b))
	}
}

// verifies reports whether p verifies the bundle of recipe name.
func verifies(p *Plan, name string) bool {
	for _, it := range p.Items {
		if it.RecipeName == name {
			return true
		}
	}
	return false
}

func cloneTree(m MapTree) MapTree {
	out := MapTree{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Finding 1 (divergence, false accept in the scoped plan). A changed file of
// kind RecipeMixin is scoped as a mixin only (the overlay directories beside
// its parent), but recipes() also treats it as a support file that overlays
// may use as a valuesFile/manifestFiles entry. A Helm values file that the PR
// edits and to which it adds a harmless top-level "kind: RecipeMixin" is then
// read from the wrong directories: the overlays that use it are never indexed.
// Attacker's gain: change the GPU driver version (or any value) of every recipe
// inheriting from base with no evidence re-verified; the full index catches it.
func TestScopeAttackValuesFileDeclaredMixin(t *testing.T) {
	base := scopeTree()
	head := cloneTree(base)
	vf := "recipes/components/gpu-operator/values.yaml"
	head[vf] = []byte("kind: RecipeMixin\ndriver:\n  version: 999\n")
	scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(vf)}, scopeGlobs)
	if serr != nil || ferr != nil {
		t.Fatalf("errors: scoped %v, full %v", serr, ferr)
	}
	if !verifies(full, "h100-eks-training") {
		t.Fatalf("precondition: the full index verifies h100-eks-training:\n%s", showPlan(exported(full)))
	}
	samePlans(t, scoped, full)
	if !verifies(scoped, "h100-eks-training") {
		t.Errorf("FALSE ACCEPT: the scoped plan does not verify h100-eks-training, whose base uses the changed %s", vf)
	}
}

// Finding 2 (both miss). An overlay that others name in spec.base is changed
// into something that is not an overlay (kind removed, or kind RecipeMixin),
// or keeps its file name but changes metadata.name. Its children's chains
// break at the old name; applied() fails, and the failure is "related" only
// when the name is in changedNames, which holds the new names of changed
// overlays only (a file that is no longer an overlay adds none, and an old
// metadata.name that differs from the file name is never added). The
// base-commit overlay (pl.before) is consulted only when applied() succeeds.
// Attacker's gain: every recipe below the changed overlay stops resolving at
// the head (AICR cannot build it) while its old bundle stays; the plan
// verifies nothing (kind change: the file is merely Ignored).
func TestScopeAttackOverlayStopsBeingOverlay(t *testing.T) {
	t.Run("kind removed", func(t *testing.T) {
		base := scopeTree()
		head := cloneTree(base)
		p := "recipes/overlays/eks.yaml"
		head[p] = []byte("# not an overlay any more\nnote: moved\n")
		scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(p)}, scopeGlobs)
		if serr != nil || ferr != nil {
			t.Fatalf("errors: scoped %v, full %v", serr, ferr)
		}
		samePlans(t, scoped, full)
		for _, n := range []string{"eks-training", "h100-eks-training"} {
			if !verifies(full, n) {
				t.Errorf("FALSE ACCEPT: %s inherited from overlay eks, which this PR turns into a non-overlay; it is not verified (plan:\n%s)", n, showPlan(exported(full)))
			}
		}
	})
	t.Run("kind RecipeMixin", func(t *testing.T) {
		base := scopeTree()
		head := cloneTree(base)
		p := "recipes/overlays/eks.yaml"
		head[p] = []byte("kind: RecipeMixin\nmetadata:\n  name: eks\nspec: {}\n")
		scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(p)}, scopeGlobs)
		if serr != nil || ferr != nil {
			t.Fatalf("errors: scoped %v, full %v", serr, ferr)
		}
		samePlans(t, scoped, full)
		if !verifies(full, "h100-eks-training") {
			t.Errorf("FALSE ACCEPT: h100-eks-training inherited from overlay eks, now a mixin; not verified (plan:\n%s)", showPlan(exported(full)))
		}
	})
	t.Run("metadata.name changed, file name kept", func(t *testing.T) {
		base := scopeTree()
		// At the base the overlay eks lives in cloud.yaml.
		base["recipes/overlays/cloud.yaml"] = base["recipes/overlays/eks.yaml"]
		delete(base, "recipes/overlays/eks.yaml")
		head := cloneTree(base)
		p := "recipes/overlays/cloud.yaml"
		head[p] = []byte("kind: RecipeMetadata\nmetadata:\n  name: eks-v2\nspec:\n  base: base\n")
		scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(p)}, scopeGlobs)
		if serr != nil || ferr != nil {
			t.Fatalf("errors: scoped %v, full %v", serr, ferr)
		}
		samePlans(t, scoped, full)
		if !verifies(full, "h100-eks-training") {
			t.Errorf("FALSE ACCEPT: h100-eks-training inherited from eks (cloud.yaml), renamed to eks-v2 by metadata.name; not verified (plan:\n%s)", showPlan(exported(full)))
		}
	})
}

// failingTree fails reads the way the action's head tree does when its blob
// budget (action.MaxBlobReads) is spent, or a read fails after its retries:
// fail(p) says which reads fail.
type failingTree struct {
	withBase
	fail func(p string, n int) bool
	n    int
}

func (f *failingTree) Read(ctx context.Context, p string) ([]byte, error) {
	f.n++
	if f.fail(p, f.n) {
		return nil, &TooLargeError{Detail: fmt.Sprintf("reading %q would take this run over 600 blob reads through the GitHub API", p)}
	}
	return f.MapTree.Read(ctx, p)
}

// Finding 3 (both miss; infrastructure errors swallowed). recipes() treats
// every error of r.applied(l) as "the chain does not resolve", and drops l
// unless its chain holds a changed file. applied() reads every YAML file of
// l's directory (dirDocs), including files that are not recipe-glob files
// (a .yml under the default glob), which index() never read. When such a read
// fails (the action's 600-blob budget is spent, a 5xx after retries), the
// plan silently drops every overlay that uses a changed values file or mixin,
// applies a changed overlay by criteria, or was applied by an overlay's old
// criteria, and returns no error: the PR is decided and passes.
// Attacker's gain: a PR that edits a values file and adds ~600 junk .yml
// files beside the overlays (each Ignored) verifies nothing.
func TestScopeAttackReadFailureSwallowed(t *testing.T) {
	base := scopeTree()
	head := cloneTree(base)
	vf := "recipes/components/gpu-operator/values.yaml"
	head[vf] = []byte("driver:\n  version: 999\n")
	changes := []Change{mod(vf)}
	for i := range 600 {
		p := fmt.Sprintf("recipes/overlays/junk-%03d.yml", i)
		head[p] = []byte("x: 1\n")
		changes = append(changes, add(p))
	}
	for _, fullIndex := range []bool{false, true} {
		tree := &failingTree{withBase: withBase{MapTree: head, base: base}, fail: func(p string, n int) bool { return n > 600 }}
		p, err := newPlan(context.Background(), changes, tree, Config{}, fullIndex)
		if err != nil {
			if !IsReadError(err) && !IsTooLarge(err) {
				t.Errorf("fullIndex=%v: error %v, want a read error (undecided)", fullIndex, err)
			}
			continue
		}
		if !verifies(p, "h100-eks-training") {
			t.Errorf("FALSE ACCEPT (fullIndex=%v): the blob budget ran out while resolving overlays, the error was swallowed, and the plan verifies nothing:\n%s", fullIndex, showPlan(exported(p)))
		}
	}
}

// Finding 4 (both miss). The resolver follows overlays and mixins that are
// not recipe-glob files: r.overlay and dirDocs accept .yml beside .yaml and
// ignore the glob, but classify() reads a changed file as a recipe only when
// it matches a recipe glob. So a changed eks.yml (an overlay others inherit
// from, under the default glob "recipes/**/*.yaml"), or a base.yaml excluded
// by a narrower glob, or a .yml values file, is Ignored.
// Attacker's gain: edit a parent overlay (or a values file) that every leaf
// resolves through, and no leaf is verified.
func TestScopeAttackNonGlobOverlayFollowed(t *testing.T) {
	t.Run(".yml parent overlay", func(t *testing.T) {
		base := scopeTree()
		base["recipes/overlays/eks.yml"] = base["recipes/overlays/eks.yaml"]
		delete(base, "recipes/overlays/eks.yaml")
		head := cloneTree(base)
		p := "recipes/overlays/eks.yml"
		head[p] = []byte("kind: RecipeMetadata\nmetadata:\n  name: eks\nspec:\n  base: base\n  componentRefs:\n    - name: gpu-operator\n      version: v0.0.1-evil\n")
		scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(p)}, Config{})
		if serr != nil || ferr != nil {
			t.Fatalf("errors: scoped %v, full %v", serr, ferr)
		}
		samePlans(t, scoped, full)
		// Fixed: the resolver follows only recipe files, what the plan
		// watches; eks.yml is neither (the chain of h100-eks-training does
		// not resolve, before or after the PR, and CheckRecipe says so).
		leaf := head["recipes/overlays/h100-eks-training.yaml"]
		d := parseDoc("recipes/overlays/h100-eks-training.yaml", leaf)
		cfg, _ := Config{}.normalize()
		r := newResolver(context.Background(), head, cfg.isRecipeFile)
		r.put(d)
		chain, _ := r.chain(d)
		for _, c := range chain {
			if c.path == p {
				t.Errorf("the resolver follows %s, which the plan does not watch (chain %v)", p, chain)
			}
		}
	})
	t.Run("parent overlay outside a narrower glob", func(t *testing.T) {
		base := scopeTree()
		head := cloneTree(base)
		p := "recipes/overlays/eks.yaml"
		head[p] = []byte("kind: RecipeMetadata\nmetadata:\n  name: eks\nspec:\n  base: base\n  componentRefs:\n    - name: gpu-operator\n      version: v0.0.1-evil\n")
		cfg := Config{RecipeGlobs: []string{"recipes/overlays/h100-*.yaml"}}
		scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(p)}, cfg)
		if serr != nil || ferr != nil {
			t.Fatalf("errors: scoped %v, full %v", serr, ferr)
		}
		samePlans(t, scoped, full)
		// Fixed: outside the globs, eks.yaml is not followed by the resolver
		// either: h100-eks-training's chain does not resolve (CheckRecipe
		// reports it), before and after this PR.
		if verifies(full, "h100-eks-training") {
			t.Logf("h100-eks-training verified: %s", showPlan(exported(full)))
		}
	})
	t.Run(".yml child of a changed overlay", func(t *testing.T) {
		base := scopeTree()
		base["recipes/overlays/h100-eks-training.yml"] = base["recipes/overlays/h100-eks-training.yaml"]
		delete(base, "recipes/overlays/h100-eks-training.yaml")
		head := cloneTree(base)
		p := "recipes/overlays/eks.yaml"
		head[p] = []byte("kind: RecipeMetadata\nmetadata:\n  name: eks\nspec:\n  base: base\n  componentRefs:\n    - name: gpu-operator\n      version: v0.0.1-evil\n")
		scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(p)}, Config{})
		if serr != nil || ferr != nil {
			t.Fatalf("errors: scoped %v, full %v", serr, ferr)
		}
		samePlans(t, scoped, full)
		// Fixed: h100-eks-training.yml is not a recipe file (the default
		// glob is *.yaml): neither the plan nor the resolver reads it.
	})
	t.Run("values file under the evidence directory", func(t *testing.T) {
		base := scopeTree()
		base["recipes/overlays/base.yaml"] = []byte(strings.Replace(string(base["recipes/overlays/base.yaml"]), "components/gpu-operator/values.yaml", "evidence/shared/gpu-values.yaml", 1))
		base["recipes/evidence/shared/gpu-values.yaml"] = []byte("driver:\n  version: 580\n")
		head := cloneTree(base)
		vf := "recipes/evidence/shared/gpu-values.yaml"
		head[vf] = []byte("driver:\n  version: 999\n")
		scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(vf)}, Config{})
		if serr != nil || ferr != nil {
			t.Fatalf("errors: scoped %v, full %v", serr, ferr)
		}
		samePlans(t, scoped, full)
		if !verifies(full, "h100-eks-training") {
			t.Errorf("FALSE ACCEPT: base's valuesFile %s (under evidence-dir) changed; h100-eks-training not verified:\n%s", vf, showPlan(exported(full)))
		}
	})
	t.Run(".yml values file", func(t *testing.T) {
		base := scopeTree()
		base["recipes/overlays/base.yaml"] = []byte(strings.Replace(string(base["recipes/overlays/base.yaml"]), "values.yaml", "values.yml", 1))
		base["recipes/components/gpu-operator/values.yml"] = []byte("driver:\n  version: 580\n")
		head := cloneTree(base)
		vf := "recipes/components/gpu-operator/values.yml"
		head[vf] = []byte("driver:\n  version: 999\n")
		scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(vf)}, Config{})
		if serr != nil || ferr != nil {
			t.Fatalf("errors: scoped %v, full %v", serr, ferr)
		}
		samePlans(t, scoped, full)
		if !verifies(full, "h100-eks-training") {
			t.Errorf("FALSE ACCEPT: base's valuesFile %s changed; h100-eks-training not verified:\n%s", vf, showPlan(exported(full)))
		}
	})
}

// Finding 5 (both miss, on AICR's real tree). A changed file that fails the
// strict parse (schema.Canonical: several documents, merge keys, duplicate
// keys, a Helm template) and has no readable kind is classed as an unreadable
// recipe (indexScope and recipes() both), never as a support file. AICR's
// manifestFiles are Helm templates with several documents
// (components/kgateway/manifests/inference-gateway.yaml), so an edit to one
// is reported as a recipe "inference-gateway" with no bundle (Missing, which
// passes under the default fail-on: invalid), and the overlays that use it are
// never told their evidence predates the change. Values files with merge keys
// ("<<: *defaults") are the same.
// Attacker's gain: change a manifest every inference recipe deploys; no
// inference recipe is verified.
func TestScopeAttackUnparsableSupportFile(t *testing.T) {
	t.Run("AICR manifest (Helm template, several documents)", func(t *testing.T) {
		base, _ := shortcutHead(t)
		head := cloneTree(base)
		mf := "recipes/components/kgateway/manifests/inference-gateway.yaml"
		if _, ok := head[mf]; !ok {
			t.Fatalf("no %s in the upstream tree", mf)
		}
		head[mf] = append(append([]byte(nil), head[mf]...), "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: evil\n"...)
		scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(mf)}, Config{})
		if serr != nil || ferr != nil {
			t.Fatalf("errors: scoped %v, full %v", serr, ferr)
		}
		samePlans(t, scoped, full)
		var users []string
		for _, it := range full.Items {
			if strings.Contains(it.RecipeName, "inference") && len(full.ChangedInputs(it.RecipePath)) > 0 {
				users = append(users, it.RecipeName)
			}
		}
		if len(users) == 0 {
			t.Errorf("FALSE ACCEPT: %s (manifestFiles of eks/aks/gke-cos/kind-inference) changed; no inference recipe is verified with it as a changed input:\n%s", mf, showPlan(exported(full)))
		}
	})
	t.Run("values file with a merge key", func(t *testing.T) {
		base := scopeTree()
		head := cloneTree(base)
		vf := "recipes/components/gpu-operator/values.yaml"
		head[vf] = []byte("defaults: &d\n  version: 999\ndriver:\n  <<: *d\n")
		scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(vf)}, scopeGlobs)
		if serr != nil || ferr != nil {
			t.Fatalf("errors: scoped %v, full %v", serr, ferr)
		}
		samePlans(t, scoped, full)
		if !verifies(full, "h100-eks-training") {
			t.Errorf("FALSE ACCEPT: base's valuesFile %s changed (now with a merge key); h100-eks-training not verified:\n%s", vf, showPlan(exported(full)))
		}
	})
}

// Finding 6 (divergence; the full index over-reports). A chain that breaks
// at a name is "related" to the PR when a changed overlay has that name,
// wherever it lives. An overlay in another directory whose spec.base names a
// missing overlay gets flagged by the full index when the PR changes an
// overlay of that name elsewhere, but is never indexed by the scoped plan.
// AICR resolves spec.base in the leaf's own directory, so the full index's
// item is a false positive; the plans still differ, contradicting "exactly
// the plan the full index makes" (and FuzzPlanShortcut would flag it).
// Placed in other/overlays instead, the stray (which applies to its siblings
// by criteria) makes every sibling "related", and the full index then fails
// on a recipe name defined in both roots while the scoped plan passes.
func TestScopeAttackChainBreakByNameElsewhere(t *testing.T) {
	base := scopeTree()
	base["recipes/overlays/gke.yaml"] = []byte("kind: RecipeMetadata\nmetadata:\n  name: gke\nspec:\n  base: base\n")
	base["other/strays/stray.yaml"] = []byte("kind: RecipeMetadata\nmetadata:\n  name: stray\nspec:\n  base: gke\n")
	base[bundleOf("stray")] = []byte(bundle)
	head := cloneTree(base)
	p := "recipes/overlays/gke.yaml"
	head[p] = []byte("kind: RecipeMetadata\nmetadata:\n  name: gke\nspec:\n  base: base\n  criteria:\n    service: gke\n")
	scoped, full, serr, ferr := attackPlans(t, base, head, []Change{mod(p)}, scopeGlobs)
	if serr != nil || ferr != nil {
		t.Fatalf("errors: scoped %v, full %v", serr, ferr)
	}
	samePlans(t, scoped, full)
	if verifies(full, "stray") {
		t.Errorf("the full index verifies other/strays/stray.yaml, whose chain resolves in its own directory and cannot depend on %s", p)
	}
}

// Finding 7 (both miss). A new overlay in an overlay directory whose
// criteria match every recipe there (a wildcard overlay) but whose
// metadata.name is not a valid recipe name (upper case, an underscore) is
// applied by AICR's criteria selection, yet applied() skips it with a note,
// so no recipe of the directory is affected; the overlay itself is only
// Missing ("not a valid recipe name"), which passes under the default
// fail-on: invalid.
// Attacker's gain: inject componentRefs into every recipe of the directory
// with no recipe's evidence re-verified.
func TestScopeAttackInvalidNameWildcardOverlay(t *testing.T) {
	base := scopeTree()
	head := cloneTree(base)
	p := "recipes/overlays/zz-inject.yaml"
	head[p] = []byte("kind: RecipeMetadata\nmetadata:\n  name: Zz_Inject\nspec:\n  criteria:\n    service: any\n  componentRefs:\n    - name: evil\n      version: v1\n")
	scoped, full, serr, ferr := attackPlans(t, base, head, []Change{add(p)}, scopeGlobs)
	if serr != nil || ferr != nil {
		t.Fatalf("errors: scoped %v, full %v", serr, ferr)
	}
	samePlans(t, scoped, full)
	if !verifies(full, "h100-eks-training") {
		t.Errorf("FALSE ACCEPT: %s applies by its criteria to every overlay of its directory; h100-eks-training not verified:\n%s", p, showPlan(exported(full)))
	}
}
