package sweep

import (
	"context"
	"io"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/diff"
	"github.com/aicr/verify-evidence/internal/verify"
)

// orphanReader routes bundles whose folder names no recipe, as the PR check
// does: the recipe name inside the bundle (verify.ClaimedRecipeName, unsigned
// and only for routing) is given to diff.Plan.Resolve, which makes the bundle
// an item verified against that recipe (and invalid until it is moved to the
// recipe's folder) when the checkout has that recipe.
type orphanReader struct {
	co *checkout
	// resolved holds the recipe names that resolved orphans were routed to.
	resolved map[string]bool
}

func (o *orphanReader) resolve(ctx context.Context, plan *diff.Plan) {
	routed, _ := plan.ResolveOrphans(func(bp string) string { return o.claimedName(ctx, bp) })
	for _, name := range routed {
		if o.resolved == nil {
			o.resolved = map[string]bool{}
		}
		o.resolved[name] = true
	}
}

// claimedName reads the bundle at bp (bounded, as for verification) and
// returns the recipe name its Statement claims, or "".
func (o *orphanReader) claimedName(ctx context.Context, bp string) string {
	if size, _ := o.co.Size(bp); size > MaxBundleBytes {
		return ""
	}
	f, err := o.co.open(bp)
	if err != nil {
		return ""
	}
	defer f.Close()
	c, err := archive.Read(ctx, io.LimitReader(f, MaxBundleBytes), archive.Limits{})
	if err != nil {
		return ""
	}
	return verify.ClaimedRecipeName(c)
}
