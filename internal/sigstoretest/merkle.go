package sigstoretest

import (
	"github.com/transparency-dev/merkle/rfc6962"
)

// rekorTree is the state of the fake Rekor log: an append-only RFC 6962
// Merkle tree plus the entries that are real (not dummies), by UUID.
// It is guarded by Instance.mu.
type rekorTree struct {
	leafHashes [][]byte           // RFC 6962 leaf hashes, by log index
	entries    map[string]*record // by hex leaf hash
}

// record is one real log entry.
type record struct {
	index      int64
	body       []byte // canonicalized entry body, the leaf data
	integrated int64  // integrated time, Unix seconds
}

func (t *rekorTree) appendDummy(data []byte) {
	t.leafHashes = append(t.leafHashes, rfc6962.DefaultHasher.HashLeaf(data))
}

func (t *rekorTree) size() int64 { return int64(len(t.leafHashes)) }

// root returns the Merkle tree hash of the whole tree (RFC 6962 §2.1).
func (t *rekorTree) root() []byte { return subtreeHash(t.leafHashes) }

// inclusionProof returns the audit path of leaf index in the whole tree
// (RFC 6962 §2.1.1), from the leaf up.
func (t *rekorTree) inclusionProof(index int64) [][]byte {
	return auditPath(int(index), t.leafHashes)
}

// subtreeHash is MTH over the given leaf hashes, which must not be empty.
func subtreeHash(leaves [][]byte) []byte {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := splitPoint(len(leaves))
	return rfc6962.DefaultHasher.HashChildren(subtreeHash(leaves[:k]), subtreeHash(leaves[k:]))
}

// auditPath is PATH(m, D[n]) over the given leaf hashes.
func auditPath(m int, leaves [][]byte) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := splitPoint(len(leaves))
	if m < k {
		return append(auditPath(m, leaves[:k]), subtreeHash(leaves[k:]))
	}
	return append(auditPath(m-k, leaves[k:]), subtreeHash(leaves[:k]))
}

// splitPoint is the largest power of two smaller than n (n > 1).
func splitPoint(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}
