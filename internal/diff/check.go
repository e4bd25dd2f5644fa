package diff

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/internal/schema"
)

// Kind says how CheckRecipe compared the PR's recipe with the bundle's.
type Kind string

// Kinds of cross-check.
const (
	// KindResolved: the PR's recipe is a resolved recipe (kind RecipeResult);
	// its canonical digest must equal the bundle's.
	KindResolved Kind = "resolved"
	// KindOverlay: the PR's recipe is an overlay (kind RecipeMetadata); its
	// chain is resolved in the PR head and every value the overlays set must
	// be what the bundle's recipe holds.
	KindOverlay Kind = "overlay"
	// KindResolvedDir: a workflow step resolved the recipe with AICR's own
	// resolver into <resolvedDir>/<recipe-name>.yaml; its canonical digest
	// must equal the bundle's.
	KindResolvedDir Kind = "resolved-dir"
)

// CrossCheck is the outcome of comparing a recipe at the PR head with the
// recipe inside a bundle.
type CrossCheck struct {
	Kind Kind `json:"kind"`
	// Match: no difference.
	Match bool `json:"match"`
	// Summary says in one line what was compared, the outcome, and what was
	// not compared.
	Summary string `json:"summary"`
	// Differences lists at most MaxDifferences differences, in a stable order.
	Differences []Difference `json:"differences,omitempty"`
	// DifferenceCount is the number of differences found (Differences may hold fewer).
	DifferenceCount int `json:"differenceCount"`
	// Chain is the overlay's inheritance chain, leaf first (KindOverlay).
	Chain []string `json:"chain,omitempty"`
	// Applied is every overlay merged, in merge order (KindOverlay): the
	// chain, root first, and the overlays that apply by criteria.
	Applied []string `json:"applied,omitempty"`
	// NotCompared lists what the check did not compare, one phrase each.
	NotCompared []string `json:"notCompared,omitempty"`
}

// CheckRecipe compares the recipe at recipePath in the PR head (prRecipe, its
// bytes) with a bundle's canonical recipe.
//
//   - A resolved recipe (kind RecipeResult): its canonical digest must equal
//     the bundle's (KindResolved); differences are listed by path.
//   - An overlay, with resolvedDir set and <resolvedDir>/<recipe-name>.yaml
//     present in head (a workflow step ran AICR's resolver): that file's
//     canonical digest must equal the bundle's (KindResolvedDir).
//     resolvedDir is the operator's; head must not let the PR provide that
//     file.
//   - An overlay (kind RecipeMetadata): its chain is resolved in head
//     (spec.base names, the implicit root "base", overlays of the same
//     directory whose criteria match, mixins), merged the way AICR merges it,
//     and every value the overlays set (criteria, constraints, componentRefs,
//     validation) must be what the bundle's recipe holds; the bundle's
//     metadata.appliedOverlays must name the leaf and the overlays that apply
//     (KindOverlay). Values filled in by AICR's registry, deploymentOrder and
//     metadata.version are not compared, and Summary says so.
//
// The error is for what makes the comparison impossible: an unreadable or
// malformed recipe (strict YAML: duplicate keys are errors), a recipe over
// MaxRecipeBytes, an overlay chain with a cycle, a missing base or more than
// MaxChainDepth overlays, or a failing read of the head. It is one line and
// names the file.
func CheckRecipe(ctx context.Context, head Lister, recipePath string, prRecipe []byte, bundleRecipe *schema.CanonicalRecipe, resolvedDir string) (*CrossCheck, error) {
	if head == nil {
		return nil, errors.New("cross-check: no PR head tree")
	}
	cfg, err := Config{}.normalize()
	if err != nil {
		return nil, err
	}
	return checkRecipe(newResolver(ctx, head, cfg.isRecipeFile), recipePath, prRecipe, bundleRecipe, resolvedDir)
}

// CheckRecipe is [CheckRecipe] against the plan's head tree, reusing what
// planning already read of it (the overlays of every directory), so that
// checking many recipes does not read the same overlays again. The files the
// recipe uses that the PR changes without changing its bundle are
// differences ([Plan.ChangedInputs]). A Plan is not safe for concurrent use.
func (p *Plan) CheckRecipe(ctx context.Context, recipePath string, prRecipe []byte, bundleRecipe *schema.CanonicalRecipe, resolvedDir string) (*CrossCheck, error) {
	if p.r == nil {
		return nil, errors.New("cross-check: the plan has no PR head tree")
	}
	p.r.ctx = ctx
	cc, err := checkRecipe(p.r, recipePath, prRecipe, bundleRecipe, resolvedDir)
	if err != nil {
		return nil, err
	}
	p.addChangedInputs(cc, recipePath)
	return cc, nil
}

func checkRecipe(r *resolver, recipePath string, prRecipe []byte, bundleRecipe *schema.CanonicalRecipe, resolvedDir string) (*CrossCheck, error) {
	if bundleRecipe == nil || bundleRecipe.Root == nil || len(bundleRecipe.Root.Content) != 1 {
		return nil, errors.New("cross-check: no bundle recipe to compare with")
	}
	if err := checkRepoPath("recipe path", recipePath); err != nil {
		return nil, err
	}
	if len(prRecipe) > MaxRecipeBytes {
		return nil, &tooLargeError{path: recipePath, size: int64(len(prRecipe))}
	}
	d := parseDoc(recipePath, prRecipe)
	if d.err != nil {
		return nil, d.err
	}
	if d.kind != kindMetadata && d.kind != kindResult {
		return nil, fmt.Errorf("%s: kind %q, want RecipeResult or RecipeMetadata", qp(recipePath), cut(d.kind, 64))
	}
	if d.kind == kindResult {
		return resolvedCheck(KindResolved, d.canon, bundleRecipe, "the PR's recipe "+recipePath), nil
	}
	if !ValidRecipeName(d.recipeName()) {
		return nil, fmt.Errorf("%s: overlay name %q is not a valid recipe name", qp(recipePath), cut(d.recipeName(), 130))
	}
	if resolvedDir != "" {
		cc, err := checkResolvedDir(r, resolvedDir, d.recipeName(), bundleRecipe)
		if err != nil || cc != nil {
			return cc, err
		}
	}
	return checkOverlay(r, d, bundleRecipe.Root.Content[0])
}

// checkResolvedDir compares <dir>/<name>.yaml, when present, with the bundle.
func checkResolvedDir(r *resolver, dir, name string, bundle *schema.CanonicalRecipe) (*CrossCheck, error) {
	dir = strings.Trim(dir, "/")
	if err := checkRepoPath("resolved recipes directory", dir); err != nil {
		return nil, err
	}
	if !ValidRecipeName(name) {
		return nil, nil
	}
	p := path.Join(dir, name+".yaml")
	if !r.head.Exists(p) {
		return nil, nil
	}
	b, err := readBounded(r.ctx, r.head, p)
	if err != nil {
		return nil, err
	}
	rd := parseDoc(p, b)
	if rd.err != nil {
		return nil, rd.err
	}
	return resolvedCheck(KindResolvedDir, rd.canon, bundle, "the recipe resolved by the workflow ("+p+")"), nil
}

func shortDigest(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

// resolvedCheck compares two resolved recipes exactly.
func resolvedCheck(kind Kind, pr, bundle *schema.CanonicalRecipe, what string) *CrossCheck {
	cc := &CrossCheck{Kind: kind, Match: pr.Digest == bundle.Digest}
	if cc.Match {
		cc.Summary = fmt.Sprintf("the canonical digest of %s equals the bundle's recipe digest (sha256:%s…)", oneLine(what, 300), shortDigest(pr.Digest))
		return cc
	}
	cc.Differences, cc.DifferenceCount = Nodes(pr.Root, bundle.Root)
	if cc.DifferenceCount == 0 {
		// Cannot happen for canonical trees (the bytes follow from the
		// tree), but never report a mismatch without a row.
		cc.Differences = []Difference{{Path: "(document)", PRSays: "sha256:" + shortDigest(pr.Digest) + "…", BundleSays: "sha256:" + shortDigest(bundle.Digest) + "…"}}
		cc.DifferenceCount = 1
	}
	cc.Summary = fmt.Sprintf("the canonical digest of %s (sha256:%s…) differs from the bundle's (sha256:%s…): %s",
		oneLine(what, 300), shortDigest(pr.Digest), shortDigest(bundle.Digest), countDifferences(cc.DifferenceCount))
	return cc
}

func countDifferences(n int) string {
	s := fmt.Sprintf("%d differences", n)
	if n == 1 {
		s = "1 difference"
	}
	if n > MaxDifferences {
		s += fmt.Sprintf(" (the first %d listed)", MaxDifferences)
	}
	return s
}

// topKeysCompared are the top-level keys of a resolved recipe the overlay
// check compares (metadata only in part).
var topKeysCompared = map[string]bool{"kind": true, "criteria": true, "constraints": true, "componentRefs": true, "validation": true, "metadata": true}

// checkOverlay resolves overlay leaf in head and compares it with the bundle's recipe.
func checkOverlay(r *resolver, leaf *doc, btop *yaml.Node) (*CrossCheck, error) {
	r.put(leaf)
	a, err := r.applied(leaf)
	if err != nil {
		return nil, err
	}
	cc := &CrossCheck{Kind: KindOverlay}
	for _, c := range a.chain {
		cc.Chain = append(cc.Chain, c.recipeName())
	}
	col := &collector{}
	var notCompared []string

	if k, _ := scalarValue(mapGet(btop, "kind")); k != kindResult {
		col.add(Difference{Path: "kind", PRSays: "RecipeResult (the overlay, resolved)", BundleSays: describe(mapGet(btop, "kind"))})
		return finishOverlay(cc, col, leaf, a, nil, 0, nil), nil
	}
	order, err := appliedOverlays(r, a, btop, col)
	if err != nil {
		return nil, err
	}
	inChain := map[string]bool{}
	for _, c := range a.chain {
		inChain[c.path] = true
	}
	m := newModel()
	for _, d := range order {
		if err := m.apply(d, inChain[d.path]); err != nil {
			return nil, err
		}
		cc.Applied = append(cc.Applied, d.recipeName())
	}
	for _, name := range a.mixinNames() {
		md, err := r.mixin(path.Dir(leaf.path), name)
		if err != nil {
			return nil, err
		}
		if md == nil {
			// AICR cannot resolve such a recipe: a difference, never a
			// reason to accept what only the bundle has.
			col.add(Difference{Path: "spec.mixins[" + oneLine(name, 64) + "]",
				PRSays:     fmt.Sprintf("(no such mixin at the PR head: no %s)", qp(path.Join(path.Dir(path.Dir(leaf.path)), "mixins", name+".yaml"))),
				BundleSays: "(not comparable)"})
			continue
		}
		if err := m.apply(md, false); err != nil {
			return nil, err
		}
		cc.Applied = append(cc.Applied, "mixin "+name)
	}

	cp := newComparison(col, true)
	cp.criteria(m, mapGet(btop, "criteria"))
	cp.namedList("constraints", m.constraints, mapGet(btop, "constraints"), cp.strict, cp.constraint)
	cp.namedList("componentRefs", m.components, mapGet(btop, "componentRefs"), cp.strict, cp.component)
	cp.validation(m, mapGet(btop, "validation"))

	if len(cp.registry) > 0 {
		var parts []string
		for _, k := range sortedKeysInt(cp.registry) {
			parts = append(parts, fmt.Sprintf("%s (%d)", k, cp.registry[k]))
		}
		notCompared = append(notCompared, "componentRef fields no overlay sets, filled by AICR's registry: "+strings.Join(parts, ", "))
	}
	if len(m.profiles) > 0 {
		notCompared = append(notCompared, "spec.profile not resolved (declared by "+strings.Join(m.profiles, ", ")+")")
	}
	if !a.enumerated {
		notCompared = append(notCompared, "overlays that apply by criteria were not looked for (the PR head tree cannot be listed); those the bundle names were checked")
	}
	notCompared = append(notCompared, a.notes...)
	var topRest, mdRest []string
	for _, k := range mapKeys(btop) {
		if !topKeysCompared[k] {
			topRest = append(topRest, k)
		}
	}
	for _, k := range mapKeys(mapGet(btop, "metadata")) {
		if k != "appliedOverlays" && k != "excludedOverlays" {
			mdRest = append(mdRest, "metadata."+k)
		}
	}
	if rest := append(topRest, mdRest...); len(rest) > 0 {
		const maxShown = 10
		shown := make([]string, 0, maxShown)
		for _, k := range rest[:min(len(rest), maxShown)] {
			shown = append(shown, oneLine(k, 64))
		}
		if len(rest) > maxShown {
			shown = append(shown, fmt.Sprintf("and %d more", len(rest)-maxShown))
		}
		notCompared = append(notCompared, strings.Join(shown, ", ")+" (set by the resolver, not by the overlays)")
	}
	return finishOverlay(cc, col, leaf, a, cp, len(order), notCompared), nil
}

func finishOverlay(cc *CrossCheck, col *collector, leaf *doc, a *appliedSet, cp *comparison, merged int, notCompared []string) *CrossCheck {
	cc.Differences, cc.DifferenceCount = col.diffs, col.total
	cc.Match = col.total == 0
	cc.NotCompared = notCompared
	rootFirst := make([]string, 0, len(a.chain))
	for i := len(a.chain) - 1; i >= 0; i-- {
		rootFirst = append(rootFirst, a.chain[i].recipeName())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "overlay %s (chain %s", leaf.recipeName(), strings.Join(rootFirst, " → "))
	if len(a.extra) > 0 {
		var names []string
		for _, d := range a.extra {
			names = append(names, d.recipeName())
		}
		fmt.Fprintf(&b, "; applied by criteria: %s", strings.Join(names, ", "))
	}
	b.WriteString(")")
	switch {
	case cp == nil:
		fmt.Fprintf(&b, ": %s from the bundle's recipe, which is not a resolved recipe", countDifferences(cc.DifferenceCount))
	case cc.Match:
		fmt.Fprintf(&b, " matches the bundle's recipe on every value its %d overlays set: %d criteria, %d constraints, %d componentRefs, %d validation phases",
			merged, cp.counts.criteria, cp.counts.constraints, cp.counts.components, cp.counts.phases)
	default:
		fmt.Fprintf(&b, ": %s from the bundle's recipe", countDifferences(cc.DifferenceCount))
	}
	if len(notCompared) > 0 {
		fmt.Fprintf(&b, "; not compared: %s", strings.Join(notCompared, "; "))
	}
	cc.Summary = oneLine(b.String(), 0)
	return cc
}

func sortedKeysInt(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// bundleOverlayNames reads metadata.appliedOverlays or excludedOverlays: a
// list of names (excludedOverlays items may be {name, reason} mappings).
func bundleOverlayNames(n *yaml.Node) ([]string, bool) {
	if isNull(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		return nil, false
	}
	var out []string
	for _, it := range n.Content {
		if it.Kind == yaml.MappingNode {
			it = mapGet(it, "name")
		}
		s, ok := scalarValue(it)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// appliedOverlays checks the bundle's metadata.appliedOverlays against the
// overlays that apply at the head, and returns the merge order: the
// bundle's order where it is consistent with inheritance, else base-first by
// depth and name.
func appliedOverlays(r *resolver, a *appliedSet, btop *yaml.Node, col *collector) ([]*doc, error) {
	md := mapGet(btop, "metadata")
	const p = "metadata.appliedOverlays"
	leafName := a.chain[0].recipeName()
	listed, ok := bundleOverlayNames(mapGet(md, "appliedOverlays"))
	rootFirst := func() string {
		var s []string
		for i := len(a.chain) - 1; i >= 0; i-- {
			s = append(s, a.chain[i].recipeName())
		}
		return strings.Join(s, ", ")
	}
	if !ok {
		col.add(Difference{Path: p, PRSays: oneLine(rootFirst(), 200), BundleSays: describe(mapGet(md, "appliedOverlays"))})
	}
	inList := map[string]bool{}
	for _, n := range listed {
		inList[n] = true
	}
	dir := path.Dir(a.chain[0].path)

	// Overlays the bundle applied that the head does not apply.
	expectedByName := map[string]*doc{}
	for _, d := range a.all() {
		expectedByName[d.recipeName()] = d
	}
	for _, n := range listed {
		if expectedByName[n] != nil {
			continue
		}
		d, err := r.overlay(dir, n)
		var me *missingOverlayError
		switch {
		case errors.As(err, &me):
			col.add(Difference{Path: p + "[" + oneLine(n, 64) + "]", PRSays: "(no such overlay at the PR head)", BundleSays: "applied"})
			continue
		case err != nil && !ValidRecipeName(n):
			col.add(Difference{Path: p + "[" + oneLine(n, 64) + "]", PRSays: "(not an overlay name)", BundleSays: "applied"})
			continue
		case err != nil:
			return nil, err
		}
		if !a.enumerated && criteriaMatch(criteriaOf(d.criteria), a.query) {
			// Not looked for (no listing): the bundle names it and it does apply.
			ch, err := r.chain(d)
			if err != nil {
				return nil, fmt.Errorf("overlay %q applies to %q by its criteria, but: %w", n, leafName, err)
			}
			for _, c := range ch {
				if expectedByName[c.recipeName()] == nil {
					expectedByName[c.recipeName()] = c
					a.extra = append(a.extra, c)
				}
			}
			continue
		}
		col.add(Difference{Path: p + "[" + oneLine(n, 64) + "]", PRSays: "(does not apply: its criteria " + criteriaString(d.criteria) + " do not match the recipe's " + queryString(a.query) + ")", BundleSays: "applied"})
	}
	sort.Slice(a.extra, func(i, j int) bool { return a.extra[i].path < a.extra[j].path })

	// Overlays that apply at the head and that the bundle did not apply.
	if ok {
		for i := len(a.chain) - 1; i >= 0; i-- {
			if n := a.chain[i].recipeName(); !inList[n] {
				what := "inherited"
				if i == 0 {
					what = "the recipe itself"
				}
				col.add(Difference{Path: p + "[" + n + "]", PRSays: "applied (" + what + ")", BundleSays: "(absent)"})
			}
		}
		for _, d := range a.extra {
			if n := d.recipeName(); !inList[n] {
				col.add(Difference{Path: p + "[" + n + "]", PRSays: "applied (its criteria match)", BundleSays: "(absent)"})
			}
		}
	}
	if excluded, ok := bundleOverlayNames(mapGet(md, "excludedOverlays")); ok {
		for _, n := range excluded {
			if expectedByName[n] != nil {
				col.add(Difference{Path: "metadata.excludedOverlays[" + oneLine(n, 64) + "]", PRSays: "applies", BundleSays: "excluded by the resolver"})
			}
		}
	}

	// Merge order.
	depth := map[string]int{}
	var all []*doc
	for _, d := range a.all() {
		ch, err := r.chain(d)
		if err != nil {
			return nil, err
		}
		depth[d.path] = len(ch) - 1
		all = append(all, d)
	}
	fallback := append([]*doc(nil), all...)
	sort.SliceStable(fallback, func(i, j int) bool {
		if depth[fallback[i].path] != depth[fallback[j].path] {
			return depth[fallback[i].path] < depth[fallback[j].path]
		}
		return fallback[i].recipeName() < fallback[j].recipeName()
	})
	if !ok {
		return fallback, nil
	}
	var order []*doc
	placed := map[string]bool{}
	for _, n := range listed {
		if d := expectedByName[n]; d != nil && !placed[d.path] {
			placed[d.path] = true
			order = append(order, d)
		}
	}
	for _, d := range fallback {
		if !placed[d.path] {
			placed[d.path] = true
			order = append(order, d)
		}
	}
	// Each overlay must come after its ancestors.
	pos := map[string]int{}
	for i, d := range order {
		pos[d.path] = i
	}
	for _, d := range order {
		ch, _ := r.chain(d)
		for _, anc := range ch[1:] {
			if pos[anc.path] > pos[d.path] {
				col.add(Difference{Path: p, PRSays: "order " + oneLine(rootFirst(), 200), BundleSays: "order " + oneLine(strings.Join(listed, ", "), 200)})
				return fallback, nil
			}
		}
	}
	return order, nil
}

func criteriaString(n *yaml.Node) string {
	c := criteriaOf(n)
	if len(c) == 0 {
		return "{}"
	}
	return queryString(c)
}

func queryString(q map[string]string) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+q[k])
	}
	return oneLine("{"+strings.Join(parts, ", ")+"}", 200)
}
