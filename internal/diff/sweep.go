package diff

import "context"

// NewSweepPlan is the plan that verifies every recipe of a tree, as a PR
// adding all of them with their bundles would be verified: each recipe with a
// bundle is an Item, each without one is Missing, each bundle without a
// recipe an Orphan. Only recipe files, bundles and the policy count as
// changed, so no recipe's inputs read as changed. head must be an Enumerator.
func NewSweepPlan(ctx context.Context, head Lister, cfg Config) (*Plan, error) {
	norm, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	en, ok := head.(Enumerator)
	if !ok {
		return nil, errNotEnumerable
	}
	files, err := en.Files(ctx)
	if err != nil {
		return nil, &ReadError{Err: err}
	}
	var changes []Change
	for _, p := range files {
		switch c, _ := norm.classify(p); c {
		case classRecipe, classBundle, classMisplacedBundle:
			changes = append(changes, Change{Path: p, Status: StatusAdded})
		}
	}
	p, err := NewPlanContext(ctx, changes, head, cfg)
	if err != nil {
		return nil, err
	}
	// The sweep verifies bundles only: a recipe whose evidence is AICR
	// pointer files is missing here (the PR flow verifies pointers).
	items := p.Items[:0]
	for _, it := range p.Items {
		if it.PointerPath == "" {
			items = append(items, it)
			continue
		}
		if len(p.Missing) == 0 || p.Missing[len(p.Missing)-1].RecipeName != it.RecipeName {
			p.Missing = append(p.Missing, Item{RecipeName: it.RecipeName, RecipePath: it.RecipePath, BundlePath: norm.BundlePath(it.RecipeName), RecipeChanged: true,
				Reason: "no bundle: its evidence is AICR pointer files, which the sweep does not verify"})
		}
	}
	p.Items = items
	p.sort()
	return p, nil
}
