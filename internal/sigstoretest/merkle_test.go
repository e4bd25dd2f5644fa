package sigstoretest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// TestMerkleAgainstReference checks the tree hash against transparency-dev's
// compact ranges and every audit path against its inclusion verifier.
func TestMerkleAgainstReference(t *testing.T) {
	hasher := rfc6962.DefaultHasher
	factory := compact.RangeFactory{Hash: hasher.HashChildren}
	var tree rekorTree
	rng := factory.NewEmptyRange(0)
	for n := 1; n <= 40; n++ {
		tree.appendDummy(fmt.Appendf(nil, "leaf %d", n))
		if err := rng.Append(tree.leafHashes[n-1], nil); err != nil {
			t.Fatal(err)
		}
		want, err := rng.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		got := tree.root()
		if !bytes.Equal(got, want) {
			t.Fatalf("size %d: root %x, want %x", n, got, want)
		}
		for m := range n {
			path := tree.inclusionProof(int64(m))
			if err := proof.VerifyInclusion(hasher, uint64(m), uint64(n), tree.leafHashes[m], path, got); err != nil {
				t.Fatalf("size %d, index %d: %v", n, m, err)
			}
		}
	}
}
