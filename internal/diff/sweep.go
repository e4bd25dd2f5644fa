package diff

import "context"

// NewSweepPlan is the plan that verifies every recipe of a tree, as a PR
// adding all of them with their evidence would be verified: each bundle and
// each AICR pointer file of a recipe is an Item, each recipe without either is
// Missing, each bundle or pointer without a recipe an Orphan. Only recipe files, bundles and the policy count as
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
		case classRecipe, classBundle, classMisplacedBundle, classPointer, classMisplacedPointer:
			changes = append(changes, Change{Path: p, Status: StatusAdded})
		}
	}
	p, err := NewPlanContext(ctx, changes, head, cfg)
	if err != nil {
		return nil, err
	}
	return p, nil
}
