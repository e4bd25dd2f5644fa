package schema

// Canonical recipe digest, bundle format v1 §3.
//
// The canonical form of a recipe is defined by this file. Every rule below is
// part of the published format; the doc comments are quoted by the spec.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxRecipeBytes is the largest recipe the recipeCanonicalizer accepts.
//
// The limit applies twice: to the input, and to the canonical bytes it
// produces (which can be longer than the input: 4-space indentation, expanded
// aliases, block style). Because the canonical bytes are themselves an input
// when a verifier re-canonicalizes the bundle's recipe.yaml, a canonical form
// longer than MaxRecipeBytes is rejected rather than produced.
const MaxRecipeBytes = 1 << 20

// MaxRecipeDepth is the deepest nesting of collections the recipeCanonicalizer
// accepts. The top-level mapping is at depth 1, a mapping or sequence inside
// it at depth 2, and so on; scalars do not add a level. Depth is measured
// after alias expansion.
const MaxRecipeDepth = 100

// MaxRecipeNodes is the largest number of nodes (scalars, mappings,
// sequences; every mapping key counts) that the canonical tree may hold after
// alias expansion. It stops "billion laughs" alias bombs before anything is
// emitted, and bounds the emission itself: yaml.v3's emitter keeps every
// event of a document (about 1 KiB of memory per node), so 200,000 nodes
// cost some 200 MiB, transiently. Real recipes hold hundreds to a few
// thousand; a canonical form of 1 MiB holds at most a few hundred thousand.
const MaxRecipeNodes = 200_000

// Sentinel errors of the recipeCanonicalizer. Every error returned by
// CanonicalizeRecipe, RecipeDigest and Canonical is a *RecipeError whose
// Unwrap yields exactly one of these (and the underlying yaml.v3 error, if
// any), so callers classify failures with errors.Is.
var (
	// ErrRecipeTooLarge: the input, the alias-expanded tree or the canonical
	// bytes exceed MaxRecipeBytes or MaxRecipeNodes.
	ErrRecipeTooLarge = errors.New("recipe too large")
	// ErrRecipeTooDeep: collections are nested deeper than MaxRecipeDepth.
	ErrRecipeTooDeep = errors.New("recipe nested too deeply")
	// ErrRecipeSyntax: the input is not well-formed YAML (as yaml.v3 parses
	// it), e.g. bad indentation, an unknown alias, invalid UTF-8.
	ErrRecipeSyntax = errors.New("invalid YAML")
	// ErrEmptyRecipe: the input holds no document (empty, whitespace or
	// comments only), or its single document is empty.
	ErrEmptyRecipe = errors.New("empty document")
	// ErrMultipleDocuments: the input holds more than one YAML document.
	ErrMultipleDocuments = errors.New("multiple YAML documents")
	// ErrRecipeNotMapping: the top-level node of the document is not a mapping.
	ErrRecipeNotMapping = errors.New("top-level node is not a mapping")
	// ErrDuplicateKey: a mapping holds two keys with the same scalar value.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrComplexKey: a mapping key is a mapping or a sequence.
	ErrComplexKey = errors.New("non-scalar mapping key")
	// ErrMergeKey: a mapping holds a YAML merge key (`<<`).
	ErrMergeKey = errors.New("merge key")
	// ErrKeyTag: a mapping key's tag makes its value differ from its text.
	ErrKeyTag = errors.New("mapping key that is not a plain string")
	// ErrRecursiveAlias: an alias refers to a node that contains it.
	ErrRecursiveAlias = errors.New("recursive alias")
	// ErrRecipeUnstable: yaml.v3 cannot re-emit the recipe faithfully, i.e.
	// parsing the canonical bytes back does not give the same tree, or
	// canonicalizing them again does not give the same bytes.
	ErrRecipeUnstable = errors.New("no stable canonical form")
)

// RecipeError is the error type of the recipeCanonicalizer. Its message is one line,
// "recipe: " followed by Msg.
type RecipeError struct {
	// Err is the sentinel that classifies the failure (ErrDuplicateKey, …).
	Err error
	// Line is the 1-based line of the offending node in the input, or 0 when
	// the failure is not tied to one node.
	Line int
	// Msg is the human-readable detail, without the "recipe: " prefix.
	Msg string
	// Cause is the underlying yaml.v3 error, or nil.
	Cause error
}

// Error returns "recipe: " followed by the detail, on one line (line breaks
// inside the detail are escaped).
func (e *RecipeError) Error() string { return "recipe: " + recipeOneLine(e.Msg) }

// recipeOneLine escapes the characters that YAML and terminals treat as line
// breaks, so that every error message stays on one line.
func recipeOneLine(s string) string {
	const breaks = "\r\n\u0085\u2028\u2029"
	if !strings.ContainsAny(s, breaks) {
		return s
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`, "\u0085", `\u0085`, "\u2028", `\u2028`, "\u2029", `\u2029`).Replace(s)
}

// Unwrap returns the sentinel and, when present, the underlying yaml.v3 error.
func (e *RecipeError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

func recipeErr(sentinel error, line int, format string, args ...any) *RecipeError {
	return &RecipeError{Err: sentinel, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// CanonicalRecipe is a recipe in canonical form.
type CanonicalRecipe struct {
	// Bytes are the canonical bytes (what a bundle's recipe.yaml holds).
	Bytes []byte
	// Digest is the lowercase hex sha256 of Bytes, without a "sha256:" prefix.
	Digest string
	// Root is the yaml.v3 tree parsed back from Bytes: a DocumentNode whose
	// only child is the top-level mapping. Its keys are sorted, it holds no
	// comments, anchors or aliases, and its line numbers refer to Bytes.
	// yaml.Marshal(Root) reproduces Bytes. Each call returns a fresh tree that
	// the caller may modify.
	Root *yaml.Node
}

// CanonicalizeRecipe returns the canonical bytes of a YAML recipe (format v1 §3).
//
// The canonical form is defined as follows.
//
//  1. Size: the input must be at most MaxRecipeBytes bytes.
//  2. Exactly one document: the input is parsed with yaml.v3
//     (go.yaml.in/yaml/v3) into a node tree. Input without a document
//     (empty, whitespace, comments only) and a single empty document (e.g.
//     "---\n" or "---\n...\n") are ErrEmptyRecipe. More than one document is
//     ErrMultipleDocuments, including a trailing "---" that starts an empty
//     second document. An explicit "---" before the one document and a
//     "..." after it are allowed and do not change the canonical bytes;
//     neither do directives (%YAML 1.1, %TAG), which are not emitted (a
//     %TAG handle is resolved, and the tag written verbatim, !<…>). The
//     input is UTF-8 (a leading byte order mark is ignored) or UTF-16 with a
//     byte order mark, as yaml.v3 reads it.
//  3. The top-level node must be a mapping (ErrRecipeNotMapping).
//  4. Comments: head, line and foot comments are dropped everywhere.
//  5. Anchors and aliases: every alias is replaced by a copy of the node it
//     refers to (the latest anchor of that name before the alias), and
//     anchors are dropped, so the canonical bytes contain neither and do
//     not depend on anchor names. An alias inside the node it refers to is
//     ErrRecursiveAlias. After expansion the tree may hold at most
//     MaxRecipeNodes nodes and MaxRecipeDepth levels of collections
//     (ErrRecipeTooLarge, ErrRecipeTooDeep).
//  6. Mapping keys must be scalars (after alias expansion); a mapping or
//     sequence used as a key is ErrComplexKey. A merge key — a key tagged
//     !!merge, which includes a plain `<<` — is ErrMergeKey, because merging
//     would change the meaning of the recipe; a quoted "<<" is an ordinary
//     string key. A key with an explicit tag other than !!str, or a plain
//     key that resolves to a type beyond str, int, bool, float and null, is
//     ErrKeyTag: its decoded value would differ from its text.
//  7. Sorting: the pairs of every mapping are sorted by the key's scalar
//     value, compared byte by byte (Go string order), whatever the key's
//     style or tag.
//  8. Duplicates: two keys of one mapping whose scalar values are equal byte
//     for byte are ErrDuplicateKey, even if they differ in quoting style or
//     tag (`a`, "a", 'a' and !!str a are the same key; so are `1` and "1").
//     Keys spelled differently are different keys even where YAML would
//     resolve them to the same value (`1` and `0x1`, `~` and `null`).
//  9. Scalars and collections keep their style (plain, single- or
//     double-quoted, literal |, folded >, flow or block) and their explicit
//     tags, as yaml.v3 records them; "1.33" and 1.33 are different recipes.
//     The style is kept, not the spelling: yaml.v3 re-writes escapes in
//     double-quoted scalars ("\u00e9" becomes "é", "\u2028" becomes "\L")
//     and re-indents block scalars. Long lines are not folded.
//  10. Emit: the tree is written with the yaml.v3 encoder at its default
//     settings (yaml.NewEncoder, 4-space indent, no "---", no "..."):
//     UTF-8 without byte order mark, LF line ends, a final newline. The
//     result must be at most MaxRecipeBytes bytes (ErrRecipeTooLarge).
//  11. Round trip: the emitted bytes are parsed again; they must give the same
//     tree (node kinds, resolved tags and scalar values) and, emitted again,
//     the same bytes. Otherwise the recipe is ErrRecipeUnstable. This makes
//     canonicalization idempotent by construction:
//     CanonicalizeRecipe(CanonicalizeRecipe(x)) == CanonicalizeRecipe(x),
//     and it rejects the few inputs whose meaning yaml.v3 cannot re-emit
//     (e.g. an empty plain null inside a flow mapping, which yaml.v3 writes
//     as an empty quoted string).
//
// Errors are *RecipeError values; see the Err* sentinels.
func CanonicalizeRecipe(yamlBytes []byte) ([]byte, error) {
	c, err := Canonical(yamlBytes)
	if err != nil {
		return nil, err
	}
	return c.Bytes, nil
}

// RecipeDigest returns the lowercase hex sha256 of the canonical bytes
// (CanonicalizeRecipe), the digest that names a recipe in format v1. Unlike
// AICR's recipe-evidence/v3 digest, it does not drop metadata.version.
func RecipeDigest(yamlBytes []byte) (string, error) {
	c, err := Canonical(yamlBytes)
	if err != nil {
		return "", err
	}
	return c.Digest, nil
}

// Canonical canonicalizes a YAML recipe (see CanonicalizeRecipe for the rules)
// and returns the canonical bytes, their digest and the canonical tree.
func Canonical(yamlBytes []byte) (*CanonicalRecipe, error) {
	if len(yamlBytes) > MaxRecipeBytes {
		return nil, recipeErr(ErrRecipeTooLarge, 0, "input is %d bytes, over the %d-byte limit", len(yamlBytes), MaxRecipeBytes)
	}
	doc, err := parseRecipeDocument(yamlBytes)
	if err != nil {
		return nil, err
	}
	root, err := canonicalRecipeTree(doc)
	if err != nil {
		return nil, err
	}
	out, err := emitCanonicalRecipe(root)
	if err != nil {
		return nil, err
	}

	// Round trip: the canonical bytes must parse back to the same tree and
	// re-emit to the same bytes.
	doc2, err := parseRecipeDocument(out)
	if err != nil {
		return nil, recipeUnstable(err, "yaml.v3 cannot parse its own canonical output")
	}
	if err := recipeSameTree(root, doc2.Content[0]); err != nil {
		return nil, err
	}
	out2, err := emitCanonicalRecipe(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc2.Content[0]}})
	if err != nil {
		return nil, recipeUnstable(err, "yaml.v3 cannot re-emit its own canonical output")
	}
	if !bytes.Equal(out, out2) {
		return nil, recipeErr(ErrRecipeUnstable, 0, "%v: canonicalizing the canonical bytes again gives different bytes", ErrRecipeUnstable)
	}
	sum := sha256.Sum256(out)
	return &CanonicalRecipe{Bytes: out, Digest: hex.EncodeToString(sum[:]), Root: doc2}, nil
}

func recipeUnstable(err error, what string) error {
	var re *RecipeError
	if errors.As(err, &re) {
		return &RecipeError{Err: ErrRecipeUnstable, Line: 0, Msg: fmt.Sprintf("%v: %s: %s", ErrRecipeUnstable, what, re.Msg), Cause: re.Cause}
	}
	return &RecipeError{Err: ErrRecipeUnstable, Msg: fmt.Sprintf("%v: %s: %v", ErrRecipeUnstable, what, err), Cause: err}
}

// parseRecipeDocument parses b with yaml.v3 and returns its only document node,
// which holds exactly one child that is not an empty scalar.
func parseRecipeDocument(b []byte) (doc *yaml.Node, err error) {
	defer func() {
		// yaml.v3 reports its own errors as values; anything it panics with
		// is a library bug on hostile input, reported here as a syntax error
		// rather than crashing the caller.
		if p := recover(); p != nil {
			doc, err = nil, recipeErr(ErrRecipeSyntax, 0, "%v: yaml.v3 failed: %v", ErrRecipeSyntax, p)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	count := 0
	for {
		var n yaml.Node
		derr := dec.Decode(&n)
		if errors.Is(derr, io.EOF) {
			break
		}
		if derr != nil {
			return nil, &RecipeError{Err: ErrRecipeSyntax, Msg: derr.Error(), Cause: derr}
		}
		count++
		if count == 1 {
			doc = &n
		}
	}
	switch {
	case count == 0:
		return nil, recipeErr(ErrEmptyRecipe, 0, "%v: no YAML document (input is empty or holds only comments)", ErrEmptyRecipe)
	case count > 1:
		return nil, recipeErr(ErrMultipleDocuments, 0, "%d YAML documents, want exactly 1", count)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, recipeErr(ErrRecipeSyntax, doc.Line, "%v: unexpected yaml.v3 document shape", ErrRecipeSyntax)
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.Value == "" && top.Tag == "!!null" && top.Style&yaml.TaggedStyle == 0 {
		return nil, recipeErr(ErrEmptyRecipe, top.Line, "%v", ErrEmptyRecipe)
	}
	return doc, nil
}

// canonBuilt is one node of the canonical tree together with its size after alias
// expansion. Subtrees reached through aliases are shared, not copied: the
// canonical tree is a DAG whose expansion is what gets emitted, so memory
// stays proportional to the input while nodes and height count the expansion.
type canonBuilt struct {
	node   *yaml.Node
	nodes  int // nodes in the expanded subtree
	height int // collection levels in the subtree (0 for a scalar)
}

type recipeCanonicalizer struct {
	done    map[*yaml.Node]canonBuilt // anchored nodes already canonicalized
	pending map[*yaml.Node]bool       // anchored nodes being canonicalized
}

// canonicalRecipeTree returns the canonical top-level node of doc: comments
// dropped, aliases expanded (shared), keys checked and sorted.
func canonicalRecipeTree(doc *yaml.Node) (*yaml.Node, error) {
	c := &recipeCanonicalizer{done: map[*yaml.Node]canonBuilt{}, pending: map[*yaml.Node]bool{}}
	top := doc.Content[0]
	b, err := c.build(top, 1)
	if err != nil {
		return nil, err
	}
	if b.node.Kind != yaml.MappingNode {
		return nil, recipeErr(ErrRecipeNotMapping, top.Line, "top-level node is %s, want a mapping", recipeKindName(b.node))
	}
	return b.node, nil
}

// build canonicalizes n, found at collection depth depth (the depth n has if
// it is a collection).
func (c *recipeCanonicalizer) build(n *yaml.Node, depth int) (canonBuilt, error) {
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		if target == nil {
			return canonBuilt{}, recipeErr(ErrRecipeSyntax, n.Line, "%v: alias %q at line %d has no anchor", ErrRecipeSyntax, "*"+n.Value, n.Line)
		}
		if c.pending[target] {
			return canonBuilt{}, recipeErr(ErrRecursiveAlias, n.Line, "%v %q at line %d", ErrRecursiveAlias, "*"+n.Value, n.Line)
		}
		b, ok := c.done[target]
		if !ok {
			// An alias always follows its anchor, so the target is done
			// unless it is pending; build it anyway, defensively.
			var err error
			if b, err = c.build(target, depth); err != nil {
				return canonBuilt{}, err
			}
		}
		if depth-1+b.height > MaxRecipeDepth {
			return canonBuilt{}, recipeErr(ErrRecipeTooDeep, n.Line, "%v: alias %q at line %d nests collections deeper than %d levels", ErrRecipeTooDeep, "*"+n.Value, n.Line, MaxRecipeDepth)
		}
		return b, nil
	}
	if n.Anchor != "" {
		if b, ok := c.done[n]; ok {
			return b, nil
		}
		c.pending[n] = true
		defer delete(c.pending, n)
	}
	b, err := c.buildNode(n, depth)
	if err != nil {
		return canonBuilt{}, err
	}
	if n.Anchor != "" {
		c.done[n] = b
	}
	return b, nil
}

func (c *recipeCanonicalizer) buildNode(n *yaml.Node, depth int) (canonBuilt, error) {
	// The copy keeps kind, style, tag, value and position; it drops the
	// anchor and the head, line and foot comments.
	out := &yaml.Node{Kind: n.Kind, Style: n.Style, Tag: n.Tag, Value: n.Value, Line: n.Line, Column: n.Column}
	switch n.Kind {
	case yaml.ScalarNode:
		return canonBuilt{node: out, nodes: 1}, nil
	case yaml.SequenceNode, yaml.MappingNode:
	default:
		return canonBuilt{}, recipeErr(ErrRecipeSyntax, n.Line, "%v: unexpected yaml.v3 node kind %d at line %d", ErrRecipeSyntax, n.Kind, n.Line)
	}
	if depth > MaxRecipeDepth {
		return canonBuilt{}, recipeErr(ErrRecipeTooDeep, n.Line, "%v: collections nested deeper than %d levels at line %d", ErrRecipeTooDeep, MaxRecipeDepth, n.Line)
	}
	res := canonBuilt{node: out, nodes: 1, height: 1}
	children := make([]*yaml.Node, 0, len(n.Content))
	for _, child := range n.Content {
		b, err := c.build(child, depth+1)
		if err != nil {
			return canonBuilt{}, err
		}
		res.nodes += b.nodes
		if res.nodes > MaxRecipeNodes {
			return canonBuilt{}, recipeErr(ErrRecipeTooLarge, n.Line, "%v: more than %d nodes after alias expansion (collection at line %d)", ErrRecipeTooLarge, MaxRecipeNodes, n.Line)
		}
		res.height = max(res.height, b.height+1)
		children = append(children, b.node)
	}
	if n.Kind == yaml.MappingNode {
		if len(children)%2 != 0 {
			return canonBuilt{}, recipeErr(ErrRecipeSyntax, n.Line, "%v: mapping at line %d has an odd number of nodes", ErrRecipeSyntax, n.Line)
		}
		var err error
		if children, err = sortRecipeMapping(n, children); err != nil {
			return canonBuilt{}, err
		}
	}
	out.Content = children
	return res, nil
}

// CheckKeyTag refuses a scalar mapping key whose value a YAML decoder would
// read as something other than its text: an explicit tag other than !!str
// (`!!binary Y3JpdGVyaWE=:` decodes to "criteria"), or a plain key that resolves
// to a type beyond the core scalars (a timestamp). Readers that look keys up by
// their text, and every other reader, then see the same keys.
func CheckKeyTag(k *yaml.Node) error {
	tag := k.ShortTag()
	switch {
	case k.Style&yaml.TaggedStyle != 0 && tag != "!!str":
		return fmt.Errorf("%v: key %s has the tag %s", ErrKeyTag, recipeQuoteKey(k.Value), recipeQuoteKey(k.Tag))
	case tag != "!!str" && tag != "!!int" && tag != "!!bool" && tag != "!!float" && tag != "!!null" && tag != "!!merge":
		return fmt.Errorf("%v: key %s reads as %s", ErrKeyTag, recipeQuoteKey(k.Value), tag)
	}
	return nil
}

// sortRecipeMapping checks the keys of mapping orig, whose canonical children are
// kv (key, value, key, value, …), and returns kv with its pairs sorted by key.
func sortRecipeMapping(orig *yaml.Node, kv []*yaml.Node) ([]*yaml.Node, error) {
	type pair struct {
		key, value *yaml.Node
		line       int // line of the key as written (the alias, for an alias key)
	}
	pairs := make([]pair, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, line := kv[i], orig.Content[i].Line
		switch {
		case k.Kind != yaml.ScalarNode:
			return nil, recipeErr(ErrComplexKey, line, "%v (%s) at line %d", ErrComplexKey, recipeKindName(k), line)
		case k.Tag == "!!merge":
			return nil, recipeErr(ErrMergeKey, line, "%v %q at line %d is not allowed", ErrMergeKey, k.Value, line)
		}
		if err := CheckKeyTag(k); err != nil {
			return nil, recipeErr(ErrKeyTag, line, "%v at line %d", err, line)
		}
		pairs = append(pairs, pair{key: k, value: kv[i+1], line: line})
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].key.Value < pairs[j].key.Value })
	out := make([]*yaml.Node, 0, len(kv))
	for i, p := range pairs {
		if i > 0 && pairs[i-1].key.Value == p.key.Value {
			// The sort is stable, so pairs[i-1] is the earlier one in the input.
			return nil, recipeErr(ErrDuplicateKey, p.line, "%v %s at line %d (first at line %d)", ErrDuplicateKey, recipeQuoteKey(p.key.Value), p.line, pairs[i-1].line)
		}
		out = append(out, p.key, p.value)
	}
	return out, nil
}

// recipeQuoteKey quotes a key for an error message, shortened to stay on one line.
func recipeQuoteKey(s string) string {
	const maxKey = 64
	if len(s) > maxKey {
		cut := maxKey
		for cut > 0 && !recipeIsRuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q…", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

func recipeIsRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func recipeKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		return fmt.Sprintf("a scalar tagged %q", n.Tag)
	default:
		return fmt.Sprintf("a node of kind %d", n.Kind)
	}
}

// recipeCappedWriter collects at most limit bytes and fails beyond, so that the
// emitter stops early on a tree whose expansion is too large.
type recipeCappedWriter struct {
	buf   bytes.Buffer
	limit int
	over  bool
}

func (w *recipeCappedWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.limit {
		w.over = true
		return 0, fmt.Errorf("canonical output over %d bytes", w.limit)
	}
	return w.buf.Write(p)
}

// emitCanonicalRecipe writes top with the yaml.v3 encoder at its default settings.
func emitCanonicalRecipe(top *yaml.Node) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, recipeErr(ErrRecipeUnstable, 0, "%v: yaml.v3 failed to emit: %v", ErrRecipeUnstable, p)
		}
	}()
	doc := top
	if top.Kind != yaml.DocumentNode {
		doc = &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{top}}
	}
	w := &recipeCappedWriter{limit: MaxRecipeBytes}
	enc := yaml.NewEncoder(w)
	eerr := enc.Encode(doc)
	if eerr == nil {
		eerr = enc.Close()
	}
	if eerr != nil {
		if w.over {
			return nil, recipeErr(ErrRecipeTooLarge, 0, "%v: canonical form is over the %d-byte limit", ErrRecipeTooLarge, MaxRecipeBytes)
		}
		return nil, &RecipeError{Err: ErrRecipeUnstable, Msg: fmt.Sprintf("%v: yaml.v3 cannot emit the recipe: %v", ErrRecipeUnstable, eerr), Cause: eerr}
	}
	return w.buf.Bytes(), nil
}

// recipeSameTree reports whether the canonical tree want (a DAG) and the tree got
// parsed back from the canonical bytes have the same node kinds, resolved
// tags and scalar values.
func recipeSameTree(want, got *yaml.Node) error {
	if want.Kind != got.Kind || want.Tag != got.Tag || want.Value != got.Value || len(want.Content) != len(got.Content) {
		return recipeErr(ErrRecipeUnstable, want.Line,
			"%v: the node at line %d does not survive a yaml.v3 round trip: %s with value %q reads back as %s with value %q",
			ErrRecipeUnstable, want.Line, recipeKindName(want), want.Value, recipeKindName(got), got.Value)
	}
	for i := range want.Content {
		if err := recipeSameTree(want.Content[i], got.Content[i]); err != nil {
			return err
		}
	}
	return nil
}
