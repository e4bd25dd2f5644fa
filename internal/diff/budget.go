package diff

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Bounds of the parse work and memory of one plan, with the cross-checks
// made through it: a PR of many large recipe files must not exhaust the
// runner. Exceeding one is a [*TooLargeError], wrapped in a [*ReadError]: the
// plan (or the item) is undecided, never passed nor invalid.
const (
	// MaxParsedBytes is the most recipe-file bytes parsed in one run.
	MaxParsedBytes = 64 << 20
	// MaxKeptNodes is the most YAML nodes of overlay and mixin specs kept
	// for the run (about 300 bytes each in memory). Other files keep no tree.
	MaxKeptNodes = 250_000
	// MaxDocNodes bounds the YAML nodes of one recipe file, estimated from
	// its bytes before it is parsed (parsing costs some 1 KiB of memory per
	// node, transiently): a file estimated over it is not parsed.
	MaxDocNodes = 200_000
)

// TooLargeError: the PR head needs more work than the bounds of one run allow
// ([MaxParsedBytes], [MaxKeptNodes], [MaxScannedFiles]); nothing is decided.
type TooLargeError struct{ Detail string }

func (e *TooLargeError) Error() string { return "too large to verify: " + e.Detail }

// IsTooLarge reports whether err is (or wraps) a [*TooLargeError].
func IsTooLarge(err error) bool {
	var tl *TooLargeError
	return errors.As(err, &tl)
}

// parseBudget counts the parse work of one run.
type parseBudget struct {
	parsed int64 // bytes parsed
	kept   int   // nodes kept
}

func (b *parseBudget) parse(p string, content []byte) error {
	n := len(content)
	if est := estimateNodes(content); est > MaxDocNodes {
		return &ReadError{Err: &TooLargeError{Detail: fmt.Sprintf("%s has about %d YAML nodes, over the %d parsed of one file", qp(p), est, MaxDocNodes)}}
	}
	if b.parsed+int64(n) > MaxParsedBytes {
		return &ReadError{Err: &TooLargeError{Detail: fmt.Sprintf("parsing %s would take the recipe files read at the PR head over %d MiB", qp(p), MaxParsedBytes>>20)}}
	}
	b.parsed += int64(n)
	return nil
}

func (b *parseBudget) keep(p string, n *yaml.Node) error {
	c := countNodes(n)
	if b.kept+c > MaxKeptNodes {
		return &ReadError{Err: &TooLargeError{Detail: fmt.Sprintf("%s would take the overlay and mixin specs kept for the PR head over %d YAML nodes", qp(p), MaxKeptNodes)}}
	}
	b.kept += c
	return nil
}

// estimateNodes estimates, from above for ordinary YAML, the nodes a file
// parses to: each node but the first follows a ':' (a mapping value, and its
// key), a ',', a '-', a '[' or '{', a '?' or a line break. Aliases are not
// counted here: schema.Canonical refuses a tree that expands to more than
// schema.MaxRecipeNodes (the same bound as MaxDocNodes) before emitting it.
func estimateNodes(b []byte) int {
	n := 1
	for _, c := range b {
		switch c {
		case ':':
			n += 2
		case ',', '-', '[', '{', '?', '\n':
			n++
		}
	}
	return n
}

// countNodes counts the nodes of a tree (canonical: no aliases).
func countNodes(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, x := range n.Content {
		c += countNodes(x)
	}
	return c
}

// slim drops what the plan never reads again: the canonical form and the
// top-level tree. Overlays and mixins keep their spec (merges and file
// references); other files keep no tree (a resolved recipe is parsed again,
// from its bytes, when it is cross-checked).
func (d *doc) slim() {
	d.canon, d.top = nil, nil
	if d.kind != kindMetadata && d.kind != kindMixin {
		d.spec, d.criteria = nil, nil
	}
}
