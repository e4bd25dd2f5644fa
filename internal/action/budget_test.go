package action

import (
	"testing"

	"github.com/aicr/verify-evidence/internal/diff"
)

// The run's blob reads are bounded: past the bound, a read is "too large to
// verify" (diff.TooLargeError), which makes the plan or the item undecided.
func TestBlobBudget(t *testing.T) {
	var b blobBudget
	for i := 0; i < MaxBlobReads; i++ {
		if err := b.take("recipes/a.yaml", MaxRecipeBytes); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if err := b.take("recipes/a.yaml", MaxRecipeBytes); !diff.IsTooLarge(err) {
		t.Fatalf("read %d: err = %v, want too large to verify", MaxBlobReads+1, err)
	}
	b = blobBudget{bytes: MaxBlobBytes - MaxBundleBytes + 1}
	if err := b.take("recipes/evidence/a/evidence-bundle.tar.gz", MaxBundleBytes); !diff.IsTooLarge(err) {
		t.Fatalf("bytes: err = %v, want too large to verify", err)
	}
}
