package diff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/internal/schema"
)

// AICR document kinds.
const (
	kindMetadata = "RecipeMetadata" // an overlay (or base.yaml)
	kindResult   = "RecipeResult"   // a resolved recipe
	kindMixin    = "RecipeMixin"    // a mixin fragment (constraints and componentRefs)
)

// doc is one YAML file of the head tree, read strictly (schema.Canonical:
// duplicate keys, merge keys and multiple documents are errors).
type doc struct {
	path     string
	kind     string     // top-level kind, "" when absent
	name     string     // metadata.name, "" when absent
	top      *yaml.Node // the top-level mapping (canonical: keys sorted)
	spec     *yaml.Node // spec mapping of an overlay or mixin (an empty mapping when absent)
	base     string     // spec.base, "" when absent
	mixins   []string   // spec.mixins
	criteria *yaml.Node // spec.criteria mapping, or nil
	canon    *schema.CanonicalRecipe
	lfs      bool  // the file is a Git LFS pointer
	err      error // why the file cannot be used; kind and name may still be set
}

// parseDoc reads one file. Problems with the content are recorded in doc.err,
// never returned: the content is the PR's, and one bad file must not stop the
// planning of the others.
func parseDoc(p string, b []byte) *doc {
	d := &doc{path: p}
	if IsLFSPointer(b) {
		d.lfs = true
		d.err = fmt.Errorf("%s is a Git LFS pointer, not the file itself: the content is not in the repository", qp(p))
		return d
	}
	c, err := schema.Canonical(b)
	if err != nil {
		d.err = fmt.Errorf("%s: %v", qp(p), err)
		return d
	}
	d.canon, d.top = c, c.Root.Content[0]
	if k := mapGet(d.top, "kind"); k != nil {
		d.kind, _ = scalarValue(k)
	}
	if md := mapGet(d.top, "metadata"); md != nil {
		if md.Kind != yaml.MappingNode && !isNull(md) {
			d.err = fmt.Errorf("%s: metadata is %s, want a mapping", qp(p), kindName(md))
			return d
		}
		if n := mapGet(md, "name"); !isNull(n) {
			s, ok := scalarValue(n)
			if !ok {
				d.err = fmt.Errorf("%s: metadata.name is %s, want a string", qp(p), kindName(n))
				return d
			}
			d.name = s
		}
	}
	if d.kind == kindResult && d.name != "" && d.name != baseName(p) {
		// One name per recipe: a resolved recipe is named by its file
		// (AICR writes none in metadata.name); one that claims another
		// name there is refused, not named by either.
		d.err = fmt.Errorf("%s: metadata.name %q is not the file name %q: a resolved recipe (kind RecipeResult) is named by its file; remove metadata.name or make it the file name",
			qp(p), cut(d.name, 130), baseName(p))
		return d
	}
	if d.kind != kindMetadata && d.kind != kindMixin {
		return d
	}
	spec := mapGet(d.top, "spec")
	switch {
	case isNull(spec):
		spec = newMapping()
	case spec.Kind != yaml.MappingNode:
		d.err = fmt.Errorf("%s: spec is %s, want a mapping", qp(p), kindName(spec))
		return d
	}
	d.spec = spec
	if d.kind == kindMixin {
		return d
	}
	if n := mapGet(spec, "base"); !isNull(n) {
		s, ok := scalarValue(n)
		if !ok {
			d.err = fmt.Errorf("%s: spec.base is %s, want a string", qp(p), kindName(n))
			return d
		}
		d.base = s
	}
	if n := mapGet(spec, "mixins"); !isNull(n) {
		if n.Kind != yaml.SequenceNode {
			d.err = fmt.Errorf("%s: spec.mixins is %s, want a list", qp(p), kindName(n))
			return d
		}
		for i, m := range n.Content {
			s, ok := scalarValue(m)
			if !ok {
				d.err = fmt.Errorf("%s: spec.mixins[%d] is %s, want a string", qp(p), i, kindName(m))
				return d
			}
			d.mixins = append(d.mixins, s)
		}
	}
	if n := mapGet(spec, "criteria"); !isNull(n) {
		if n.Kind != yaml.MappingNode {
			d.err = fmt.Errorf("%s: spec.criteria is %s, want a mapping", qp(p), kindName(n))
			return d
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := n.Content[i+1]; v.Kind != yaml.ScalarNode {
				d.err = fmt.Errorf("%s: spec.criteria.%s is %s, want a scalar", qp(p), oneLine(n.Content[i].Value, 64), kindName(v))
				return d
			}
		}
		d.criteria = n
	}
	return d
}

// DocMemo is what a Lister may offer the planner: the kind and metadata.name
// of files it read well in an earlier run, by MemoKey (their path and
// bytes). The sweep keeps one in its cache, so that a warm sweep does not
// parse and canonicalize every unchanged recipe again. Only files whose
// planning needs nothing else are remembered: a resolved recipe (or any file
// that is not an overlay or a mixin) that parses, whose slim form (doc.slim)
// is its path, kind and name alone. It must only hold what RememberDoc gave
// it: the planner believes it.
type DocMemo interface {
	RecalledDoc(key string) (kind, name string, ok bool)
	RememberDoc(key, kind, name string)
}

// MemoKey is the key of the file at p with content b in a DocMemo.
func MemoKey(p string, b []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s\x00", len(p), p)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// parseSlim is parseDoc then slim, answered by head's DocMemo when it has
// one that knows the file.
func parseSlim(head Lister, p string, b []byte) *doc {
	m, ok := head.(DocMemo)
	if !ok {
		d := parseDoc(p, b)
		d.slim()
		return d
	}
	key := MemoKey(p, b)
	if kind, name, ok := m.RecalledDoc(key); ok && kind != kindMetadata && kind != kindMixin {
		return &doc{path: p, kind: kind, name: name}
	}
	d := parseDoc(p, b)
	d.slim()
	if d.err == nil && !d.lfs && d.kind != kindMetadata && d.kind != kindMixin {
		m.RememberDoc(key, d.kind, d.name)
	}
	return d
}

// recipeName is the name of the recipe the file defines, the one naming rule
// of the plan (and so of the action's fast path): metadata.name for an
// overlay (or a mixin), which is how AICR indexes them, else the file name
// without its extension. A resolved recipe whose metadata.name is not its
// file name is unreadable (parseDoc).
func (d *doc) recipeName() string {
	if (d.kind == kindMetadata || d.kind == kindMixin) && d.name != "" {
		return d.name
	}
	return baseName(d.path)
}

// isRecipe reports whether d is a recipe the action verifies evidence for.
func (d *doc) isRecipe() bool {
	return d.kind == kindMetadata || d.kind == kindResult
}

// normCriterion normalises one criteria value the way AICR matches them:
// case and surrounding space do not matter, and "" (unset) means "any"
// (upstream pitfall #5: an overlay's unset dimension and a resolved recipe's
// "any" are the same recipe). nodes: 0 means any.
func normCriterion(key, v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" || (key == "nodes" && v == "0") {
		return "any"
	}
	return v
}

// criteriaOf returns the normalised criteria of a mapping node (nil: none).
func criteriaOf(n *yaml.Node) map[string]string {
	out := map[string]string{}
	for i := 0; n != nil && i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		v, _ := scalarValue(n.Content[i+1])
		out[k] = normCriterion(k, v)
	}
	return out
}

// criteriaMatch is AICR's overlay selection (Criteria.Matches): an overlay
// whose criteria are "any" in a dimension matches every query there; an
// overlay that names a value matches only a query with that same value.
func criteriaMatch(overlay, query map[string]string) bool {
	for k, ov := range overlay {
		if ov == "any" {
			continue
		}
		qv, ok := query[k]
		if !ok || qv == "any" || qv != ov {
			return false
		}
	}
	return true
}

// errNotEnumerable: the Lister cannot list the head tree.
var errNotEnumerable = errors.New("the PR head tree cannot be listed (the Lister has no Files method)")

// missingOverlayError: no overlay of that name at the head.
type missingOverlayError struct {
	name, dir string
	scanned   bool // the directory was searched by metadata.name too
}

func (e *missingOverlayError) Error() string {
	where := path.Join(e.dir, e.name+".yaml")
	if e.scanned {
		return fmt.Sprintf("no overlay %q in the PR head (no %s, and no overlay in %s/ has that metadata.name)", e.name, qp(where), e.dir)
	}
	return fmt.Sprintf("no overlay %q in the PR head (no %s; other files were not searched because the head tree cannot be listed)", e.name, qp(where))
}

// chainBreak: a chain stops at overlay name at because it is missing or
// cannot be read.
type chainBreak struct {
	at  string
	err error
}

func (e *chainBreak) Error() string { return e.err.Error() }
func (e *chainBreak) Unwrap() error { return e.err }

// resolver reads and caches files of the head tree.
type resolver struct {
	ctx     context.Context
	head    Lister
	docs    map[string]*doc
	files   []string // regular files at the head with safe paths, sorted
	listed  bool
	listErr error
	unsafe  []string // head paths skipped because they fail the path rules
	reads   int
	budget  parseBudget
	// recipeFile filters the overlays and mixins read (see newResolver).
	recipeFile func(string) bool
}

// newResolver reads head; recipeFile says which files are recipe files (the
// plan's recipe globs): the only files it reads as overlays and mixins, so
// that what it follows is what the plan watches.
func newResolver(ctx context.Context, head Lister, recipeFile func(string) bool) *resolver {
	return &resolver{ctx: ctx, head: head, docs: map[string]*doc{}, recipeFile: recipeFile}
}

// list returns the files of the head tree (errNotEnumerable when unknown).
func (r *resolver) list() ([]string, error) {
	if r.listed {
		return r.files, r.listErr
	}
	r.listed = true
	e, ok := r.head.(Enumerator)
	if !ok {
		r.listErr = errNotEnumerable
		return nil, r.listErr
	}
	files, err := e.Files(r.ctx)
	if err != nil {
		r.listErr = &ReadError{Err: fmt.Errorf("list the PR head tree: %w", err)}
		return nil, r.listErr
	}
	for _, f := range files {
		if problem, tooLong := pathProblem(f); problem != "" && !tooLong {
			r.unsafe = append(r.unsafe, f)
			continue
		}
		r.files = append(r.files, f)
	}
	sort.Strings(r.files)
	return r.files, nil
}

// put records content that is already known (the PR's recipe given to CheckRecipe).
func (r *resolver) put(d *doc) { r.docs[d.path] = d }

// load reads and parses p. The error is an infrastructure failure (the
// Lister could not read the file, or the read budget is spent); problems
// with the content are in doc.err.
func (r *resolver) load(p string) (*doc, error) {
	if d, ok := r.docs[p]; ok {
		return d, nil
	}
	if err := r.ctx.Err(); err != nil {
		return nil, &ReadError{Err: err}
	}
	if r.reads >= MaxScannedFiles {
		return nil, &ReadError{Err: &TooLargeError{Detail: fmt.Sprintf("more than %d recipe files to read at the PR head", MaxScannedFiles)}}
	}
	r.reads++
	b, err := readBounded(r.ctx, r.head, p)
	var tl *tooLargeError
	if errors.As(err, &tl) {
		d := &doc{path: p, err: err}
		r.docs[p] = d
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	if err := r.budget.parse(p, b); err != nil {
		return nil, err
	}
	d := parseSlim(r.head, p, b)
	if err := r.budget.keep(p, d.spec); err != nil {
		return nil, err
	}
	r.docs[p] = d
	return d, nil
}

// dirDocs loads every YAML file directly in dir.
func (r *resolver) dirDocs(dir string) ([]*doc, error) {
	files, err := r.list()
	if err != nil {
		return nil, err
	}
	var out []*doc
	for _, f := range files {
		if path.Dir(f) != dir || !isYAMLFile(f) || !r.recipeFile(f) {
			continue
		}
		d, err := r.load(f)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// overlay finds the overlay called name for an overlay in dir: the one
// overlay of dir whose name (metadata.name, else its file name) is name. Two
// files of that name are an error, as AICR indexes overlays by metadata.name
// and could apply the other one. When dir cannot be listed, only
// dir/name.yaml (or .yml) is looked at.
func (r *resolver) overlay(dir, name string) (*doc, error) {
	if !ValidRecipeName(name) {
		return nil, fmt.Errorf("%q is not a valid overlay name", cut(name, 130))
	}
	var byFile *doc
	for _, ext := range []string{".yaml", ".yml"} {
		p := path.Join(dir, name+ext)
		if !r.recipeFile(p) || !r.head.Exists(p) {
			continue
		}
		d, err := r.load(p)
		if err != nil {
			return nil, err
		}
		if d.err != nil {
			return nil, fmt.Errorf("overlay %q: %v", name, d.err)
		}
		if d.kind == kindMetadata && d.recipeName() == name && byFile == nil {
			byFile = d
		}
	}
	docs, err := r.dirDocs(dir)
	if errors.Is(err, errNotEnumerable) {
		if byFile != nil {
			return byFile, nil
		}
		return nil, &missingOverlayError{name: name, dir: dir}
	}
	if err != nil {
		return nil, err
	}
	var found []*doc
	for _, d := range docs {
		if d.err == nil && d.kind == kindMetadata && d.recipeName() == name {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 0:
		return nil, &missingOverlayError{name: name, dir: dir, scanned: true}
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("overlay name %q is defined by more than one file: %s and %s", name, qp(found[0].path), qp(found[1].path))
}

// chain returns the inheritance chain of overlay leaf, leaf first: its
// spec.base, that overlay's spec.base, and so on. An overlay without
// spec.base inherits from the overlay named "base" (AICR's implicit root);
// when there is none, the chain ends there. An explicit spec.base that does
// not exist, a cycle, or a chain deeper than MaxChainDepth is an error; the
// chain read so far is returned with it.
func (r *resolver) chain(leaf *doc) ([]*doc, error) {
	if leaf.err != nil {
		return nil, leaf.err
	}
	chain := []*doc{leaf}
	seen := map[string]bool{leaf.path: true}
	dir := path.Dir(leaf.path)
	for cur := leaf; ; {
		next, implicit := cur.base, false
		if next == "" {
			if cur.recipeName() == "base" {
				return chain, nil
			}
			next, implicit = "base", true
		}
		if len(chain) >= MaxChainDepth {
			return chain, fmt.Errorf("overlay chain of %q is deeper than %d overlays", leaf.recipeName(), MaxChainDepth)
		}
		d, err := r.overlay(dir, next)
		if err != nil {
			var me *missingOverlayError
			if implicit && errors.As(err, &me) {
				return chain, nil
			}
			return chain, &chainBreak{at: next, err: fmt.Errorf("overlay %q: spec.base %q: %w", cur.recipeName(), next, err)}
		}
		if seen[d.path] {
			names := make([]string, 0, len(chain)+1)
			for _, c := range chain {
				names = append(names, c.recipeName())
			}
			names = append(names, d.recipeName())
			return chain, fmt.Errorf("overlay chain has a cycle: %s", strings.Join(names, " → "))
		}
		if d.err != nil {
			return chain, &chainBreak{at: next, err: fmt.Errorf("overlay %q: %v", next, d.err)}
		}
		seen[d.path] = true
		chain = append(chain, d)
		cur = d
	}
}

// appliedSet is what AICR applies when it resolves an overlay: the overlay's
// chain, and every other overlay of its directory whose criteria match the
// overlay's (with that overlay's chain).
type appliedSet struct {
	chain      []*doc            // leaf first
	extra      []*doc            // applied by criteria, not in chain; sorted by path
	query      map[string]string // the leaf's criteria (chain merged, leaf wins), normalised
	enumerated bool              // extra was looked for
	notes      []string
}

// applied computes the applied set of overlay leaf.
func (r *resolver) applied(leaf *doc) (*appliedSet, error) {
	chain, err := r.chain(leaf)
	if err != nil {
		return nil, err
	}
	a := &appliedSet{chain: chain, query: map[string]string{}}
	for i := len(chain) - 1; i >= 0; i-- {
		for k, v := range criteriaOf(chain[i].criteria) {
			a.query[k] = v
		}
	}
	docs, err := r.dirDocs(path.Dir(leaf.path))
	if errors.Is(err, errNotEnumerable) {
		return a, nil
	}
	if err != nil {
		return nil, err
	}
	a.enumerated = true
	in := map[string]bool{}
	for _, d := range chain {
		in[d.path] = true
	}
	for _, y := range docs {
		if in[y.path] {
			continue
		}
		if y.err != nil {
			if y.kind == "" || y.kind == kindMetadata {
				a.notes = append(a.notes, fmt.Sprintf("%s could not be read, so whether it applies by criteria is unknown: %v", qp(y.path), y.err))
			}
			continue
		}
		if y.kind != kindMetadata || !criteriaMatch(criteriaOf(y.criteria), a.query) {
			continue
		}
		if !ValidRecipeName(y.recipeName()) {
			// Applied all the same: skipping it would let an overlay with
			// an odd name change every recipe of its directory unseen.
			a.notes = append(a.notes, fmt.Sprintf("%s applies by its criteria although its name %q is not a valid overlay name", qp(y.path), cut(y.recipeName(), 130)))
		}
		ych, err := r.chain(y)
		if err != nil {
			return nil, fmt.Errorf("overlay %q applies to %q by its criteria, but: %w", y.recipeName(), leaf.recipeName(), err)
		}
		for _, c := range ych {
			if !in[c.path] {
				in[c.path] = true
				a.extra = append(a.extra, c)
			}
		}
	}
	sort.Slice(a.extra, func(i, j int) bool { return a.extra[i].path < a.extra[j].path })
	return a, nil
}

// all returns the chain and the extra overlays.
func (a *appliedSet) all() []*doc {
	return append(append([]*doc(nil), a.chain...), a.extra...)
}

// mixinNames returns the mixin names that the applied overlays declare
// (chain root first, then the extra overlays), without duplicates.
func (a *appliedSet) mixinNames() []string {
	var out []string
	seen := map[string]bool{}
	add := func(d *doc) {
		for _, m := range d.mixins {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	for i := len(a.chain) - 1; i >= 0; i-- {
		add(a.chain[i])
	}
	for _, d := range a.extra {
		add(d)
	}
	return out
}

// mixin finds mixin name for overlays in dir: <dir>/../mixins/<name>.yaml.
func (r *resolver) mixin(dir, name string) (*doc, error) {
	if !ValidRecipeName(name) {
		return nil, fmt.Errorf("%q is not a valid mixin name", cut(name, 130))
	}
	for _, ext := range []string{".yaml", ".yml"} {
		p := path.Join(path.Dir(dir), "mixins", name+ext)
		if !r.recipeFile(p) || !r.head.Exists(p) {
			continue
		}
		d, err := r.load(p)
		if err != nil {
			return nil, err
		}
		if d.err != nil {
			return nil, fmt.Errorf("mixin %q: %v", name, d.err)
		}
		if d.kind == kindMixin && d.recipeName() == name {
			return d, nil
		}
	}
	return nil, nil
}
