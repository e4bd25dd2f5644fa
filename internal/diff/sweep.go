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
	return NewPlanContext(ctx, changes, head, cfg)
}
