package diff

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Status is the status of a changed file, as GitHub's "list pull request
// files" API reports it.
type Status string

// Statuses. GitHub also reports "copied" (read as added), and "changed"
// (mode only) and "unchanged" (read as modified); any other or empty status
// is read as modified, so that the file is verified rather than skipped.
const (
	StatusAdded    Status = "added"
	StatusModified Status = "modified"
	StatusRemoved  Status = "removed"
	StatusRenamed  Status = "renamed"
)

// Change is one changed file of the pull request.
type Change struct {
	Path string
	// PreviousPath is the path before a rename.
	PreviousPath string
	Status       Status
	BlobSHA      string
}

// Config says where recipes and evidence live. The zero value means the defaults.
type Config struct {
	// RecipeGlobs select the recipe files (default "recipes/**/*.yaml").
	// Segments match with path.Match; a "**" segment matches any number of
	// segments. Only .yaml and .yml files are read as recipes.
	RecipeGlobs []string
	// EvidenceDir holds the bundles (default "recipes/evidence") and AICR's
	// pointer files (<EvidenceDir>/<recipe>/<source>/sha256-<hex>.yaml, and
	// the flat <EvidenceDir>/<recipe>.yaml of an unsigned pending pointer).
	// Nothing under it is a recipe.
	EvidenceDir string
	// BundleName is the bundle's file name (default "evidence-bundle.tar.gz").
	BundleName string
	// PolicyPath is the signer policy (default <EvidenceDir>/policy.yaml). A
	// change to it sets Plan.PolicyChanged.
	PolicyPath string
}

// Defaults.
const (
	DefaultRecipeGlob  = "recipes/**/*.yaml"
	DefaultEvidenceDir = "recipes/evidence"
	DefaultBundleName  = "evidence-bundle.tar.gz"
	// DefaultPolicyName is the policy's file name in EvidenceDir; a flat
	// <EvidenceDir>/policy.yaml is never read as a pointer file.
	DefaultPolicyName = "policy.yaml"
)

// Item is one recipe/bundle pair of a plan.
type Item struct {
	// RecipeName is the recipe's name: metadata.name of an overlay, else the
	// file name without .yaml; for a bundle without a recipe, its directory name.
	RecipeName string `json:"recipeName"`
	// RecipePath is the recipe file at the PR head, "" when unknown.
	RecipePath string `json:"recipePath,omitempty"`
	// PreviousPath is the recipe's path before a rename in this PR.
	PreviousPath string `json:"previousPath,omitempty"`
	// BundlePath is <EvidenceDir>/<RecipeName>/<BundleName> (or where the
	// bundle was found); "" for a pointer item.
	BundlePath string `json:"bundlePath,omitempty"`
	// PointerPath is the AICR pointer file of a pointer item, which stands
	// for the bundle it pins (BundlePath is then "").
	PointerPath string `json:"pointerPath,omitempty"`
	// RecipeChanged and BundleChanged say which of the two this PR changes
	// (for a pointer item, BundleChanged: the pointer file).
	RecipeChanged bool `json:"recipeChanged,omitempty"`
	BundleChanged bool `json:"bundleChanged,omitempty"`
	// AddOnly, when set, says how this PR edits or deletes an existing
	// pointer file. Pointers are add-only: callers treat the item as invalid
	// whatever its verification finds (a modified pointer is still verified).
	AddOnly string `json:"addOnly,omitempty"`
	// NeedsBundleName marks an orphan bundle whose directory names no
	// recipe: the caller reads the recipe name inside the bundle and calls
	// [Plan.Resolve].
	NeedsBundleName bool `json:"needsBundleName,omitempty"`
	// Reason says why the item is in the plan, in words.
	Reason string `json:"reason"`
}

// Plan is what a pull request asks the verifier to check. Every list is
// sorted by recipe name, then bundle path, then recipe path.
type Plan struct {
	// Items: verify the bundle at BundlePath (or the pointer file at
	// PointerPath) against the recipe at RecipePath.
	Items []Item `json:"items,omitempty"`
	// Missing: a recipe changed, and the PR head has no bundle for it.
	Missing []Item `json:"missing,omitempty"`
	// Orphans: a bundle whose recipe does not exist at the PR head, or a
	// bundle not at <EvidenceDir>/<recipe>/<BundleName>. Never verified;
	// callers should treat them as invalid. Those with NeedsBundleName may be
	// rescued by [Plan.Resolve].
	Orphans []Item `json:"orphans,omitempty"`
	// Removed: a recipe or a bundle this PR deletes.
	Removed []Item `json:"removed,omitempty"`
	// RemovedPointers: pointer files this PR deletes or moves out of the
	// layout. Pointers are add-only: each carries AddOnly, and callers treat
	// it as invalid.
	RemovedPointers []Item `json:"removedPointers,omitempty"`
	// Uncovered: recipes this PR affects without changing them (they inherit
	// from, or apply, a changed overlay, mixin or file) that have no bundle
	// (intermediate overlays that others inherit from are left out: they are
	// covered through those), and changed overlays without a bundle of their
	// own that other recipes apply. Reported, not failures.
	Uncovered []Item `json:"uncovered,omitempty"`
	// LFSPointers are files of the plan that are Git LFS pointers: their
	// content is not in the repository, so they cannot be verified.
	LFSPointers []string `json:"lfsPointers,omitempty"`
	// Ignored are changed files that are neither recipes, nor bundles, nor
	// files that recipes use.
	Ignored []string `json:"ignored,omitempty"`
	// PolicyChanged: the PR changes the signer policy file.
	PolicyChanged bool `json:"policyChanged,omitempty"`
	// Notes are other things a reviewer should know, one sentence each.
	Notes []string `json:"notes,omitempty"`

	cfg    Config
	inputs map[string][]string // recipe path → files it uses that the PR changes
	byName map[string][]*doc   // readable recipes at the head by name
	broken map[string][]*doc   // unreadable recipe-glob files by name
	r      *resolver           // the head tree, with what was read of it
}

// normalize fills in the defaults and validates cfg.
func (cfg Config) normalize() (Config, error) {
	if len(cfg.RecipeGlobs) == 0 {
		cfg.RecipeGlobs = []string{DefaultRecipeGlob}
	}
	globs := make([]string, 0, len(cfg.RecipeGlobs))
	for _, g := range cfg.RecipeGlobs {
		g = strings.TrimSpace(g)
		if err := checkGlob(g); err != nil {
			return cfg, fmt.Errorf("recipe glob %q: %v", cut(g, 200), err)
		}
		globs = append(globs, g)
	}
	cfg.RecipeGlobs = globs
	cfg.EvidenceDir = strings.Trim(strings.TrimSpace(cfg.EvidenceDir), "/")
	if cfg.EvidenceDir == "" {
		cfg.EvidenceDir = DefaultEvidenceDir
	}
	if err := checkRepoPath("evidence directory", cfg.EvidenceDir); err != nil {
		return cfg, err
	}
	if cfg.BundleName == "" {
		cfg.BundleName = DefaultBundleName
	}
	if strings.Contains(cfg.BundleName, "/") {
		return cfg, fmt.Errorf("bundle name %s: a file name, not a path", qp(cfg.BundleName))
	}
	if err := checkRepoPath("bundle name", cfg.BundleName); err != nil {
		return cfg, err
	}
	cfg.PolicyPath = strings.Trim(strings.TrimSpace(cfg.PolicyPath), "/")
	if cfg.PolicyPath == "" {
		cfg.PolicyPath = cfg.EvidenceDir + "/" + DefaultPolicyName
	}
	if err := checkRepoPath("policy path", cfg.PolicyPath); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// BundlePath returns the conventional bundle path of a recipe,
// <EvidenceDir>/<name>/<BundleName>, or "" when name is not a valid recipe name.
func (cfg Config) BundlePath(name string) string {
	if !ValidRecipeName(name) {
		return ""
	}
	c, err := cfg.normalize()
	if err != nil {
		return ""
	}
	return c.EvidenceDir + "/" + name + "/" + c.BundleName
}

type fileClass int

const (
	classOther fileClass = iota
	classRecipe
	classBundle
	classMisplacedBundle
	classPolicy
	classEvidenceOther
	classPointer
	classMisplacedPointer
)

// classify says what a path is, and for a bundle, the recipe directory name.
// addAncestors adds dir and every folder above it, up to ".", to set.
func addAncestors(set map[string]bool, dir string) {
	for a := dir; ; a = path.Dir(a) {
		set[a] = true
		if a == "." || a == "/" {
			return
		}
	}
}

// underRecipeRoot reports whether p lies under the fixed leading folders of
// a recipe glob ("recipes" for recipes/**/*.yaml): where the files an
// overlay references live (AICR resolves them in its recipes data folder).
func (cfg Config) underRecipeRoot(p string) bool {
	for _, g := range cfg.RecipeGlobs {
		var root []string
		for _, seg := range strings.Split(g, "/") {
			if strings.ContainsAny(seg, "*?[{\\") {
				break
			}
			root = append(root, seg)
		}
		if len(root) == len(strings.Split(g, "/")) {
			root = root[:len(root)-1] // a literal file: its folder
		}
		if prefix := strings.Join(root, "/"); prefix == "" || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

// isRecipeFile reports whether p is a recipe file: matched by the recipe
// globs and not under EvidenceDir (what the plan watches and the resolver reads).
func (cfg Config) isRecipeFile(p string) bool {
	c, _ := cfg.classify(p)
	return c == classRecipe
}

// isFlatPointer says whether p is the flat pointer <EvidenceDir>/<recipe>.yaml
// (an unsigned, pending one), not <EvidenceDir>/<recipe>/<source>/<file>.
func (cfg Config) isFlatPointer(p string) bool {
	rel, ok := strings.CutPrefix(p, cfg.EvidenceDir+"/")
	return ok && !strings.Contains(rel, "/")
}

func (cfg Config) classify(p string) (fileClass, string) {
	if p == cfg.PolicyPath {
		return classPolicy, ""
	}
	if rel, ok := strings.CutPrefix(p, cfg.EvidenceDir+"/"); ok {
		segs := strings.Split(rel, "/")
		switch {
		case len(segs) == 2 && segs[1] == cfg.BundleName && ValidRecipeName(segs[0]):
			return classBundle, segs[0]
		case segs[len(segs)-1] == cfg.BundleName:
			return classMisplacedBundle, ""
		case !isYAMLFile(p):
		case len(segs) == 3:
			// <recipe>/<source>/sha256-<hex>.yaml: pointer.CheckPath
			// checks the rest when it is verified.
			return classPointer, segs[0]
		case len(segs) == 1 && baseName(segs[0]) != baseName(DefaultPolicyName):
			return classPointer, baseName(segs[0])
		case strings.HasPrefix(segs[len(segs)-1], "sha256-"):
			return classMisplacedPointer, ""
		}
		return classEvidenceOther, ""
	}
	if !isYAMLFile(p) {
		return classOther, ""
	}
	for _, g := range cfg.RecipeGlobs {
		if matchGlob(g, p) {
			return classRecipe, ""
		}
	}
	return classOther, ""
}

// gitPath reports whether git can hold p as a file's path: relative, with
// no empty, "." or ".." segment. A backslash, a control character, bytes
// that are not UTF-8 and any length are legal in git.
func gitPath(p string) bool {
	if p == "" || p[0] == '/' {
		return false
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// inScope reports whether a changed path that fails the path rules could be
// a file the plan needs: a recipe, a bundle, the policy or anything under
// EvidenceDir, as written or as a reader could take it (backslashes as
// slashes, "." and ".." resolved, control characters dropped). Other paths
// are ignored, whatever they hold.
func (cfg Config) inScope(p string) bool {
	slashed := strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(p, "\\", "/")), "/")
	stripped := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, slashed)
	for _, v := range []string{p, slashed, stripped} {
		if c, _ := cfg.classify(v); c != classOther {
			return true
		}
	}
	return false
}

func normStatus(s Status) Status {
	switch s {
	case StatusAdded, StatusModified, StatusRemoved, StatusRenamed:
		return s
	case "copied":
		return StatusAdded
	}
	return StatusModified
}

// NewPlan is NewPlanContext with context.Background().
func NewPlan(changes []Change, head Lister, cfg Config) (*Plan, error) {
	return NewPlanContext(context.Background(), changes, head, cfg)
}

type fileChange struct {
	path   string
	from   string // the path before a rename (a changed file)
	to     string // the path after a rename (a file gone)
	status Status
}

type planner struct {
	ctx  context.Context
	head Lister
	cfg  Config
	r    *resolver
	plan *Plan

	items     map[string]*Item // by bundle path
	missing   map[string]*Item // by recipe name
	removed   map[string]*Item // by recipe name (or path)
	uncovered map[string]*Item // by recipe name

	// fullIndex: index the head even when the changed files alone decide
	// the plan (the differential tests compare both answers).
	fullIndex bool
	// before: the overlays the PR modifies or removes, read at the base.
	before []*doc
	// otherChanged: changed YAML files that are not recipe files (a .yml,
	// a file outside the globs or under EvidenceDir): overlays may use them.
	otherChanged map[string]bool
	// pointers: the pointer files the PR adds, modifies or moves, by path.
	pointers map[string]pointerChange
}

// NewPlanContext builds the plan of a pull request from its changed files
// and the PR head tree. See the package documentation for the rules.
//
// Paths are the PR's, hence hostile: a changed path that git cannot hold
// (absolute, or with a ".." or "." or empty segment) fails the plan; one
// that git can hold but that fails the path rules (a backslash, a control
// character, invalid UTF-8, over 256 bytes or 8 segments) fails it only when
// it is, or could be read as, a recipe, a bundle, the policy or a file under
// EvidenceDir, and is listed in Plan.Ignored otherwise. The head must implement [Enumerator] when the PR touches recipes
// or evidence. The error is for those, for an invalid Config, for a recipe
// name two files define, and for failing reads of the head; problems with a
// recipe's content are reported in the plan (the item's Reason), and left to
// [CheckRecipe].
func NewPlanContext(ctx context.Context, changes []Change, head Lister, cfg Config) (*Plan, error) {
	return newPlan(ctx, changes, head, cfg, false)
}

// newPlan is NewPlanContext; fullIndex makes it list and read the whole head
// even when the changed files alone decide the plan.
func newPlan(ctx context.Context, changes []Change, head Lister, cfg Config, fullIndex bool) (*Plan, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	if head == nil {
		return nil, errors.New("plan: no PR head tree")
	}
	r := newResolver(ctx, head, cfg.isRecipeFile)
	pl := &planner{
		ctx: ctx, head: head, cfg: cfg, r: r,
		plan:  &Plan{cfg: cfg, r: r},
		items: map[string]*Item{}, missing: map[string]*Item{}, removed: map[string]*Item{}, uncovered: map[string]*Item{},
		fullIndex: fullIndex, otherChanged: map[string]bool{},
	}
	if err := pl.run(changes); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	return pl.plan, nil
}

type bundleChange struct {
	path, from string
	status     Status
}

// pointerChange is a pointer file the PR adds, modifies or moves into the
// layout; name is its <recipe> path segment (the flat file's name).
type pointerChange struct {
	path, from, name string
	status           Status
}

// addOnly is the add-only violation of a changed pointer, "" for one added
// (or moved in from a path that was no pointer).
func (pc pointerChange) addOnly() string {
	switch {
	case pc.status == StatusModified:
		return fmt.Sprintf("pointer files are add-only: this PR edits %s; add a new pointer instead", qp(pc.path))
	case pc.from != "":
		return fmt.Sprintf("pointer files are add-only: this PR moves %s to %s; add a new pointer instead", qp(pc.from), qp(pc.path))
	}
	return ""
}

func (pc pointerChange) reason() string {
	switch {
	case pc.from != "":
		return "pointer file moved from " + pc.from
	case pc.status == StatusModified:
		return "pointer file modified"
	}
	return "pointer file added"
}

func (pl *planner) run(changes []Change) error {
	p, cfg := pl.plan, pl.cfg
	var recipeFiles, removedFiles []fileChange
	bundles := map[string]bundleChange{}
	removedBundles := map[string]string{}
	pointers := map[string]pointerChange{} // by path
	var removedPointers []string

	// checked validates a changed path; ok=false: ignore it.
	checked := func(x string) (bool, error) {
		problem, _ := pathProblem(x)
		switch {
		case problem == "":
			return true, nil
		case !gitPath(x) || cfg.inScope(x):
			return false, fmt.Errorf("changed path %s: %s", qp(x), problem)
		}
		p.Ignored = append(p.Ignored, x)
		return false, nil
	}
	for _, c := range changes {
		st := normStatus(c.Status)
		ok, err := checked(c.Path)
		if err != nil {
			return err
		}
		from := ""
		if st == StatusRenamed {
			if c.PreviousPath == "" {
				st = StatusAdded
			} else {
				okFrom, err := checked(c.PreviousPath)
				if err != nil {
					return err
				}
				if okFrom {
					from = c.PreviousPath
				}
			}
		}
		// The side that is gone: a removed file, or the old path of a rename.
		gone := from
		if st == StatusRemoved && ok {
			gone = c.Path
		}
		if gone != "" {
			switch class, name := cfg.classify(gone); class {
			case classBundle:
				removedBundles[name] = gone
			case classPointer:
				// A pointer renamed to another pointer path is flagged on
				// its new path (one row).
				if to, _ := cfg.classify(c.Path); st != StatusRenamed || !ok || to != classPointer {
					removedPointers = append(removedPointers, gone)
				}
			case classRecipe:
				to := ""
				if st == StatusRenamed {
					to = c.Path
				}
				removedFiles = append(removedFiles, fileChange{path: gone, to: to, status: st})
			case classPolicy:
				p.PolicyChanged = true
			default:
				if st == StatusRemoved {
					p.Ignored = append(p.Ignored, gone)
				}
			}
		}
		if st == StatusRemoved || !ok {
			continue
		}
		switch class, name := cfg.classify(c.Path); class {
		case classBundle:
			bundles[name] = bundleChange{path: c.Path, from: from, status: st}
		case classMisplacedBundle:
			p.Orphans = append(p.Orphans, Item{BundlePath: c.Path, BundleChanged: true,
				Reason: fmt.Sprintf("a bundle that is not at %s/<recipe-name>/%s: it is never verified; move it", cfg.EvidenceDir, cfg.BundleName)})
		case classPointer:
			pc := pointerChange{path: c.Path, name: name, status: st}
			if from != "" {
				if fc, _ := cfg.classify(from); fc == classPointer {
					pc.from = from
				}
			}
			pointers[c.Path] = pc
		case classMisplacedPointer:
			p.Orphans = append(p.Orphans, Item{PointerPath: c.Path, BundleChanged: true,
				Reason: fmt.Sprintf("a pointer file that is not at %s/<recipe-name>/<source>/sha256-<hex>.yaml: it is never verified; move it", cfg.EvidenceDir)})
		case classPolicy:
			p.PolicyChanged = true
		case classRecipe:
			recipeFiles = append(recipeFiles, fileChange{path: c.Path, from: from, status: st})
		default:
			p.Ignored = append(p.Ignored, c.Path)
			if isYAMLFile(c.Path) && cfg.underRecipeRoot(c.Path) {
				// Not a recipe file, but an overlay may still name it as
				// a values or manifest file.
				pl.otherChanged[c.Path] = true
			}
		}
	}
	pl.pointers = pointers
	if len(recipeFiles)+len(removedFiles)+len(bundles)+len(removedBundles)+len(pl.otherChanged)+len(pointers)+len(removedPointers) > 0 {
		// Overlays the PR modifies or removes, as they were at the base: the
		// recipes they applied to by criteria then are affected even when they
		// no longer apply at the head.
		before, err := pl.baseOverlays(recipeFiles, removedFiles)
		if err != nil {
			return err
		}
		pl.before = before
		decided, err := pl.decidedByChanges(recipeFiles, removedFiles, bundles, removedBundles)
		if err != nil {
			return err
		}
		if pl.fullIndex || !decided {
			scope, err := pl.indexScope(recipeFiles, removedFiles, bundles, removedBundles)
			if err != nil {
				return err
			}
			if err := pl.index(scope); err != nil {
				return err
			}
		}
		if err := pl.recipes(recipeFiles, removedFiles); err != nil {
			return err
		}
		if err := pl.bundles(bundles, removedBundles, removedFiles); err != nil {
			return err
		}
		if err := pl.pointerFiles(removedPointers); err != nil {
			return err
		}
		pl.lfsBundles()
	}
	pl.finish()
	return nil
}

// decidedByChanges reports whether the changed files alone decide the plan,
// so that the head tree need not be listed nor every recipe at it read (the
// action's fast path, for a PR that adds or updates resolved recipes with
// their bundles). That holds when nothing is removed or renamed away, no
// modified file was an overlay at the base, every
// changed recipe-glob file is a readable resolved recipe (kind RecipeResult:
// nothing inherits from it or applies it), and every changed bundle is the
// bundle of one of those recipes, named by the rule the full plan uses
// ([doc.recipeName]). The full plan then never looks a name up in the index:
// each bundle's item is made by its recipe's change. The differential tests
// (FuzzPlanShortcut) check that both give the same plan.
func (pl *planner) decidedByChanges(recipeFiles, removedFiles []fileChange, bundles map[string]bundleChange, removedBundles map[string]string) (bool, error) {
	if len(removedFiles) > 0 || len(removedBundles) > 0 || len(pl.before) > 0 || len(pl.otherChanged) > 0 {
		return false, nil
	}
	names := map[string]bool{}
	for _, fc := range recipeFiles {
		d, err := pl.r.load(fc.path)
		if err != nil {
			return false, err
		}
		if d.err != nil || d.kind != kindResult {
			return false, nil
		}
		names[d.recipeName()] = true
	}
	for name := range bundles {
		if !names[name] {
			return false, nil
		}
	}
	for _, pc := range pl.pointers {
		if !names[pc.name] {
			return false, nil
		}
	}
	return true, nil
}

// indexScope says which directories of the head can hold a recipe the plan
// needs, when that is not every directory: it returns nil (index the whole
// head) when the PR changes or removes a bundle, or removes or renames a
// recipe file, since those are looked up by name anywhere. Otherwise the PR
// changes recipe-glob files only, and what they can affect is local: AICR
// resolves an overlay from its own directory (spec.base and criteria), its
// mixins from <parent>/mixins and its files relative to <parent>. So the
// scope is the directory of every changed overlay (or unreadable file), the
// overlay directories beside a changed mixin's mixins/, and, for any other
// changed file, the directories whose parent is one of its ancestors. The
// differential tests (FuzzPlanShortcut) check that this plan equals the
// full index's.
func (pl *planner) indexScope(recipeFiles, removedFiles []fileChange, bundles map[string]bundleChange, removedBundles map[string]string) (func(dir string) bool, error) {
	if pl.fullIndex || len(removedFiles)+len(bundles)+len(removedBundles)+len(pl.pointers) > 0 {
		return nil, nil
	}
	dirs, parents := map[string]bool{}, map[string]bool{}
	for _, fc := range recipeFiles {
		d, err := pl.r.load(fc.path)
		if err != nil {
			return nil, err
		}
		dir := path.Dir(fc.path)
		// The same classes recipes() uses: a recipe (readable or not), a
		// mixin, or a file recipes may use.
		ancestors := func() { addAncestors(parents, dir) }
		switch {
		case d.err != nil && d.kind == "":
			// Unreadable with no kind: an overlay, or a file overlays use
			// (a Helm template, a values file with merge keys).
			dirs[dir] = true
			ancestors()
		case d.err != nil && d.isRecipe(), d.err == nil && d.isRecipe():
			dirs[dir] = true
		case d.kind == kindMixin:
			// A mixin, which a file reference may name too.
			ancestors()
		default:
			ancestors()
		}
	}
	for f := range pl.otherChanged {
		addAncestors(parents, path.Dir(f))
	}
	return func(dir string) bool { return dirs[dir] || parents[path.Dir(dir)] }, nil
}

// index reads the recipe-glob files of the head tree in scope (every
// directory when scope is nil) and indexes recipes by name.
func (pl *planner) index(scope func(dir string) bool) error {
	files, err := pl.r.list()
	if errors.Is(err, errNotEnumerable) {
		return fmt.Errorf("%w: it is needed to find recipes by name and the recipes that inherit from a changed overlay", err)
	}
	if err != nil {
		return err
	}
	pl.plan.byName, pl.plan.broken = map[string][]*doc{}, map[string][]*doc{}
	for _, f := range files {
		if c, _ := pl.cfg.classify(f); c != classRecipe || (scope != nil && !scope(path.Dir(f))) {
			continue
		}
		d, err := pl.r.load(f)
		if err != nil {
			return err
		}
		switch {
		case d.err == nil && d.isRecipe():
			n := d.recipeName()
			pl.plan.byName[n] = append(pl.plan.byName[n], d)
		case d.err != nil && (d.kind == "" || d.isRecipe()):
			// Unreadable: found by name only when nothing else has it, so
			// that its item reports why it cannot be read.
			n := d.recipeName()
			pl.plan.broken[n] = append(pl.plan.broken[n], d)
		}
	}
	if len(pl.r.unsafe) > 0 {
		pl.plan.Notes = append(pl.plan.Notes, fmt.Sprintf("%d file(s) of the PR head have unsafe paths and were not read (first: %s)", len(pl.r.unsafe), qp(pl.r.unsafe[0])))
	}
	return nil
}

// lookupName finds the recipe called name at the head. A name that two
// readable files define is an error, whatever their kinds (an overlay's
// metadata.name, a resolved recipe's file name): AICR and this plan could pick
// different files, so the plan never picks one.
func (p *Plan) lookupName(name string) (*doc, error) {
	switch ds := p.byName[name]; len(ds) {
	case 0:
	case 1:
		return ds[0], nil
	default:
		return nil, fmt.Errorf("recipe name %q is defined by more than one file at the PR head: %s and %s", cut(name, 130), qp(ds[0].path), qp(ds[1].path))
	}
	if b := p.broken[name]; len(b) > 0 {
		return b[0], nil
	}
	return nil, nil
}

func joinReason(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || strings.Contains("; "+a+"; ", "; "+b+"; "):
		return a
	}
	return a + "; " + b
}

// addItem adds (or extends) the item of the bundle at bp. Two recipe files
// for one bundle are an error: each would claim the bundle as its evidence,
// and only one would be checked against it.
func (pl *planner) addItem(name, recipePath, prev, bp string, recipeChanged, bundleChanged bool, reason string) (*Item, error) {
	it := pl.items[bp]
	if it != nil && recipePath != "" && it.RecipePath != "" && it.RecipePath != recipePath {
		return nil, fmt.Errorf("recipe name %q is defined by more than one file at the PR head: %s and %s", name, qp(it.RecipePath), qp(recipePath))
	}
	if it == nil {
		it = &Item{RecipeName: name, RecipePath: recipePath, BundlePath: bp}
		pl.items[bp] = it
	}
	it.RecipeChanged = it.RecipeChanged || recipeChanged
	it.BundleChanged = it.BundleChanged || bundleChanged
	if prev != "" {
		it.PreviousPath = prev
	}
	it.Reason = joinReason(it.Reason, reason)
	return it, nil
}

// addPointer adds (or extends) the item of the pointer file at pp, as
// addItem does for a bundle.
func (pl *planner) addPointer(name, recipePath, prev, pp string, recipeChanged bool, reason string) (*Item, error) {
	it, err := pl.addItem(name, recipePath, prev, pp, recipeChanged, false, reason)
	if err != nil {
		return nil, err
	}
	it.BundlePath, it.PointerPath = "", pp
	return it, nil
}

// recipePointers adds an item for each pointer file of recipe name that the
// PR changes and, when it changes no signed-layout pointer
// (<recipe>/<source>/sha256-<hex>.yaml) and atHead is set, for each pointer
// file of it at the PR head: its evidence, verified against the recipe at
// the head like a bundle. A flat pointer (<recipe>.yaml) is an unsigned,
// pending one: it is new evidence of nothing, so it never spares the head's
// pointers that check. It returns how many items it added.
func (pl *planner) recipePointers(name, recipePath, prev string, recipeChanged bool, reason string, atHead bool) (int, error) {
	n, signed := 0, 0
	for _, pp := range sortedNames(pl.pointers) {
		if pl.pointers[pp].name != name {
			continue
		}
		if _, err := pl.addPointer(name, recipePath, prev, pp, recipeChanged, reason); err != nil {
			return 0, err
		}
		n++
		if !pl.cfg.isFlatPointer(pp) {
			signed++
		}
	}
	if signed > 0 || !atHead {
		return n, nil
	}
	files, err := pl.r.list()
	if errors.Is(err, errNotEnumerable) {
		return 0, fmt.Errorf("%w: it is needed to find the pointer files of recipe %q", err, name)
	}
	if err != nil {
		return 0, err
	}
	for _, f := range files {
		if c, pn := pl.cfg.classify(f); c != classPointer || pn != name {
			continue
		}
		if _, changed := pl.pointers[f]; changed {
			continue // added above
		}
		if _, err := pl.addPointer(name, recipePath, prev, f, recipeChanged, reason+"; its pointer file "+f+", which this PR does not change, is verified against it"); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// pointerFiles handles the pointer files the PR changes (each verified
// against its recipe at the PR head, R4) and those it removes (add-only).
func (pl *planner) pointerFiles(removed []string) error {
	p, cfg := pl.plan, pl.cfg
	for _, pp := range sortedNames(pl.pointers) {
		pc := pl.pointers[pp]
		reason := pc.reason()
		it := pl.items[pp]
		if it == nil && ValidRecipeName(pc.name) {
			d, err := p.lookupName(pc.name)
			if err != nil {
				return err
			}
			if d != nil {
				if it, err = pl.addPointer(pc.name, d.path, "", pp, false, ""); err != nil {
					return err
				}
				reason += "; verified against the recipe at the PR head, which this PR does not change"
			}
		}
		if it == nil {
			o := Item{RecipeName: oneLine(pc.name, 130), PointerPath: pp, BundleChanged: true, AddOnly: pc.addOnly()}
			if ValidRecipeName(pc.name) {
				o.Reason = fmt.Sprintf("%s, but no recipe named %q exists at the PR head", reason, pc.name)
			} else {
				o.Reason = fmt.Sprintf("%s, but %q is not a valid recipe name: a pointer lies at %s/<recipe-name>/<source>/sha256-<hex>.yaml", reason, cut(pc.name, 130), cfg.EvidenceDir)
			}
			p.Orphans = append(p.Orphans, o)
			continue
		}
		it.BundleChanged = true
		it.AddOnly = pc.addOnly()
		it.Reason = joinReason(it.Reason, reason)
	}
	for _, pp := range removed {
		_, name := cfg.classify(pp)
		p.RemovedPointers = append(p.RemovedPointers, Item{RecipeName: oneLine(name, 130), PointerPath: pp,
			AddOnly: fmt.Sprintf("pointer files are add-only: this PR deletes %s; add a new pointer instead", qp(pp)),
			Reason:  "pointer file removed"})
	}
	return nil
}

// AICRPointerPath is the path of a pointer file of the plan as AICR's layout
// writes it (EvidenceDir read as recipes/evidence), for pointer.CheckPath.
func (p *Plan) AICRPointerPath(pp string) string {
	if rel, ok := strings.CutPrefix(pp, p.cfg.EvidenceDir+"/"); ok {
		return "recipes/evidence/" + rel
	}
	return pp
}

func recipeReason(fc fileChange) string {
	switch fc.status {
	case StatusAdded:
		return "recipe added"
	case StatusRenamed:
		return "recipe renamed from " + fc.from
	}
	return "recipe modified"
}

// baseOverlays reads, at the PR's base, the recipe files the PR modifies or
// removes (the old path of a rename), and returns those that were overlays
// with a valid name. Without a [BaseReader] it returns none.
func (pl *planner) baseOverlays(recipeFiles, removedFiles []fileChange) ([]*doc, error) {
	var paths []string
	for _, fc := range recipeFiles {
		if fc.status == StatusModified {
			paths = append(paths, fc.path)
		}
	}
	for _, fc := range removedFiles {
		paths = append(paths, fc.path)
	}
	if len(paths) == 0 {
		return nil, nil
	}
	br, ok := pl.head.(BaseReader)
	if !ok {
		return nil, nil
	}
	var out []*doc
	for _, p := range paths {
		if err := pl.ctx.Err(); err != nil {
			return nil, &ReadError{Err: err}
		}
		b, err := br.ReadBase(pl.ctx, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return nil, &ReadError{Err: fmt.Errorf("%s at the base commit: %w", qp(p), err)}
		case len(b) > MaxRecipeBytes:
			continue // never applied: AICR's limit is the same
		}
		if err := pl.r.budget.parse(p, b); err != nil {
			return nil, err
		}
		d := parseDoc(p, b)
		d.slim()
		if d.err == nil && d.kind == kindMetadata && ValidRecipeName(d.recipeName()) {
			if err := pl.r.budget.keep(p, d.spec); err != nil {
				return nil, err
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// appliedBefore reports whether overlay b, as it was at the base, applied to
// the head overlay l (applied set a) by its criteria and does not apply now:
// AICR applies the overlays of l's directory whose criteria match l's.
func appliedBefore(b, l *doc, a *appliedSet) bool {
	if b.path == l.path || path.Dir(b.path) != path.Dir(l.path) || !criteriaMatch(criteriaOf(b.criteria), a.query) {
		return false
	}
	for _, c := range a.all() {
		if c.path == b.path {
			return false
		}
	}
	return true
}

// recipes handles the changed recipe files (R1) and what they affect (R2, R3).
func (pl *planner) recipes(recipeFiles, removedFiles []fileChange) error {
	p, cfg := pl.plan, pl.cfg
	changedPaths := map[string]bool{}
	changedNames := map[string]map[string]bool{} // names (and file names) of changed or removed overlays → their directories
	nameChanged := func(name, p string) {
		if changedNames[name] == nil {
			changedNames[name] = map[string]bool{}
		}
		changedNames[name][path.Dir(p)] = true
	}
	changedMixins := map[string]bool{} // paths
	support := map[string]bool{}       // changed files recipes may use
	used := map[string]bool{}
	var ownMissing []*Item

	for _, fc := range recipeFiles {
		d, err := pl.r.load(fc.path)
		if err != nil {
			return err
		}
		if d.lfs {
			p.LFSPointers = append(p.LFSPointers, fc.path)
		}
		switch {
		case d.err != nil && d.kind == "":
			// Unreadable, no kind: maybe an overlay (handled below), maybe
			// a file overlays use, which need not be YAML a recipe reader
			// accepts (a Helm template): both.
			if !d.lfs {
				support[fc.path] = true
			}
		case d.err != nil && d.isRecipe():
		case d.err == nil && d.isRecipe():
		case d.kind == kindMixin:
			changedMixins[fc.path] = true
			support[fc.path] = true
			continue
		default:
			support[fc.path] = true
			continue
		}
		name := d.recipeName()
		reason := recipeReason(fc)
		if d.err != nil {
			reason += " (it cannot be read: " + oneLine(d.err.Error(), 400) + ")"
		}
		changedPaths[fc.path] = true
		if d.kind == kindMetadata || d.kind == "" {
			nameChanged(name, fc.path)
			nameChanged(baseName(fc.path), fc.path)
		}
		bp := cfg.BundlePath(name)
		switch {
		case bp == "":
			p.Missing = append(p.Missing, Item{RecipeName: oneLine(name, 130), RecipePath: fc.path, PreviousPath: fc.from, RecipeChanged: true,
				Reason: reason + fmt.Sprintf("; %q is not a valid recipe name, so no bundle can be matched to it", cut(name, 130))})
		default:
			hasBundle := pl.head.Exists(bp)
			if hasBundle {
				if _, err := pl.addItem(name, fc.path, fc.from, bp, true, false, reason); err != nil {
					return err
				}
			}
			n, err := pl.recipePointers(name, fc.path, fc.from, true, reason, !hasBundle)
			if err != nil {
				return err
			}
			if !hasBundle && n == 0 {
				it := &Item{RecipeName: name, RecipePath: fc.path, PreviousPath: fc.from, BundlePath: bp, RecipeChanged: true, Reason: reason}
				ownMissing = append(ownMissing, it)
			}
		}
	}
	for _, fc := range removedFiles {
		n := baseName(fc.path)
		nameChanged(n, fc.path)
	}
	// An overlay the PR modifies may stop being one (another kind, another
	// metadata.name): recipes whose chain breaks at its old name are affected.
	for _, b := range pl.before {
		nameChanged(b.recipeName(), b.path)
		nameChanged(baseName(b.path), b.path)
	}

	// R2/R3: every overlay at the head that applies a changed overlay,
	// mixin or file.
	affected := map[*doc][]string{}
	appliers := map[string]int{}  // changed overlay path → number of other overlays applying it
	ancestor := map[string]bool{} // overlays other overlays inherit from
	var overlays []*doc
	for _, docs := range p.byName {
		for _, d := range docs {
			if d.kind == kindMetadata && ValidRecipeName(d.recipeName()) {
				overlays = append(overlays, d)
			}
		}
	}
	sort.Slice(overlays, func(i, j int) bool { return overlays[i].path < overlays[j].path })
	for f := range pl.otherChanged {
		support[f] = true
	}
	anyChange := len(changedNames)+len(changedMixins)+len(support)+len(pl.before) > 0
	for _, l := range overlays {
		if !anyChange {
			break
		}
		a, err := pl.r.applied(l)
		var rerr *ReadError
		if errors.As(err, &rerr) {
			// The head could not be read (API, budget): undecided, never
			// "this overlay is unaffected".
			return err
		}
		if err != nil {
			chain, _ := pl.r.chain(l)
			related := changedPaths[l.path]
			for _, c := range chain {
				related = related || changedPaths[c.path]
			}
			var cb *chainBreak
			// AICR resolves spec.base in the overlay's own directory.
			if errors.As(err, &cb) && changedNames[cb.at][path.Dir(l.path)] {
				related = true
			}
			if related {
				affected[l] = append(affected[l], "its overlay chain does not resolve at the PR head: "+oneLine(err.Error(), 300))
			}
			continue
		}
		for _, c := range a.chain[1:] {
			ancestor[c.path] = true
			if changedPaths[c.path] {
				affected[l] = append(affected[l], "inherits from "+c.recipeName())
				appliers[c.path]++
			}
		}
		for _, c := range a.extra {
			if changedPaths[c.path] {
				affected[l] = append(affected[l], "applies "+c.recipeName()+" (its criteria match)")
				appliers[c.path]++
			}
		}
		for _, b := range pl.before {
			if appliedBefore(b, l, a) {
				affected[l] = append(affected[l], "applied "+b.recipeName()+" by its criteria before this PR, which removes it or changes it")
			}
		}
		for _, m := range a.mixinNames() {
			// The mixin this overlay resolves (<parent>/mixins/<m>), not
			// one of that name elsewhere.
			for _, ext := range []string{".yaml", ".yml"} {
				if mp := path.Join(path.Dir(path.Dir(l.path)), "mixins", m+ext); changedMixins[mp] {
					affected[l] = append(affected[l], "uses changed mixin "+m)
					used[mp] = true
				}
			}
		}
		refs, err := pl.refs(l, a)
		if err != nil {
			return err
		}
		for _, f := range refs {
			if support[f] {
				affected[l] = append(affected[l], "uses changed file "+f)
				used[f] = true
				if p.inputs == nil {
					p.inputs = map[string][]string{}
				}
				p.inputs[l.path] = sortedUnique(append(p.inputs[l.path], f))
			}
		}
	}
	if len(pl.otherChanged) > 0 {
		kept := p.Ignored[:0]
		for _, f := range p.Ignored {
			if !used[f] {
				kept = append(kept, f)
			}
		}
		p.Ignored = kept
	}
	for f := range support {
		if used[f] || pl.otherChanged[f] {
			continue
		}
		p.Ignored = append(p.Ignored, f)
		if path.Base(f) == "registry.yaml" {
			p.Notes = append(p.Notes, fmt.Sprintf("%s changed: AICR's component registry is not resolved here, so the recipes that use a changed registry entry are not found (upstream rule R5); verify them by changing their bundles", f))
		}
	}
	for _, l := range overlays {
		reasons := affected[l]
		if len(reasons) == 0 {
			continue
		}
		reason := strings.Join(dedupe(reasons), "; ")
		name := l.recipeName()
		bp := cfg.BundlePath(name)
		if changedPaths[l.path] {
			// Its own change already put it in Items or Missing.
			for _, it := range pl.items {
				if it.RecipePath == l.path {
					it.Reason = joinReason(it.Reason, reason)
				}
			}
			for _, it := range ownMissing {
				if it.RecipePath == l.path {
					it.Reason = joinReason(it.Reason, reason)
				}
			}
			continue
		}
		hasBundle := bp != "" && pl.head.Exists(bp)
		if hasBundle {
			if _, err := pl.addItem(name, l.path, "", bp, false, false, reason); err != nil {
				return err
			}
		}
		n := 0
		if bp != "" {
			var err error
			if n, err = pl.recipePointers(name, l.path, "", false, reason, !hasBundle); err != nil {
				return err
			}
		}
		if !hasBundle && n == 0 && !ancestor[l.path] {
			// Intermediate overlays without evidence are covered through
			// the recipes that inherit from them.
			pl.uncovered[name] = &Item{RecipeName: name, RecipePath: l.path, BundlePath: bp, Reason: reason}
		}
	}
	for _, it := range ownMissing {
		if used[it.RecipePath] {
			// Not a recipe after all: a file the affected recipes use.
			continue
		}
		if n := appliers[it.RecipePath]; n > 0 {
			it.Reason = joinReason(it.Reason, fmt.Sprintf("no bundle of its own; %d other recipe(s) apply it and are verified through their bundles", n))
			pl.uncovered[it.RecipeName] = it
			continue
		}
		pl.missing[it.RecipeName] = it
	}
	return nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// refs returns the files an applied overlay set uses (componentRefs
// valuesFile, manifestFiles, preManifestFiles of the overlays and of their
// resolved mixins), as paths of the head tree: relative to the data
// directory, the parent of the overlays' directory.
func (pl *planner) refs(l *doc, a *appliedSet) ([]string, error) {
	docs := a.all()
	for _, m := range a.mixinNames() {
		// A mixin that cannot be found or parsed is CheckRecipe's to
		// report; one the head could not be read for is undecided.
		md, err := pl.r.mixin(path.Dir(l.path), m)
		var rerr *ReadError
		if errors.As(err, &rerr) {
			return nil, err
		}
		if err == nil && md != nil {
			docs = append(docs, md)
		}
	}
	var out []string
	for _, d := range docs {
		root := path.Dir(path.Dir(d.path))
		items, err := namedItems(mapGet(d.spec, "componentRefs"), "spec.componentRefs")
		if err != nil {
			continue // CheckRecipe reports it
		}
		for _, it := range items {
			var refs []string
			if s, ok := scalarValue(mapGet(it.node, "valuesFile")); ok {
				refs = append(refs, s)
			}
			for _, k := range []string{"manifestFiles", "preManifestFiles"} {
				if seq := mapGet(it.node, k); seq != nil && seq.Kind == yaml.SequenceNode {
					for _, x := range seq.Content {
						if s, ok := scalarValue(x); ok {
							refs = append(refs, s)
						}
					}
				}
			}
			for _, ref := range refs {
				if problem, _ := pathProblem(ref); problem != "" {
					continue
				}
				out = append(out, path.Join(root, ref))
			}
		}
	}
	return out, nil
}

// bundles handles changed and removed bundles (R4) and removed recipes.
func (pl *planner) bundles(bundles map[string]bundleChange, removedBundles map[string]string, removedFiles []fileChange) error {
	p, cfg := pl.plan, pl.cfg
	for _, name := range sortedNames(bundles) {
		bc := bundles[name]
		reason := "evidence bundle " + string(bc.status)
		if bc.from != "" {
			reason = "evidence bundle moved from " + bc.from
		}
		if it := pl.items[bc.path]; it != nil {
			it.BundleChanged = true
			it.Reason = joinReason(it.Reason, reason)
			continue
		}
		d, err := p.lookupName(name)
		if err != nil {
			return err
		}
		if d != nil {
			if _, err := pl.addItem(name, d.path, "", bc.path, false, true, reason+"; verified against the recipe at the PR head, which this PR does not change"); err != nil {
				return err
			}
			continue
		}
		p.Orphans = append(p.Orphans, Item{RecipeName: name, BundlePath: bc.path, BundleChanged: true, NeedsBundleName: true,
			Reason: fmt.Sprintf("%s, but no recipe named %q exists at the PR head", reason, name)})
	}
	for _, name := range sortedNames(removedBundles) {
		bp := removedBundles[name]
		if pl.head.Exists(bp) {
			continue
		}
		d, err := p.lookupName(name)
		if err != nil {
			return err
		}
		it := &Item{RecipeName: name, BundlePath: bp, BundleChanged: true}
		if d != nil {
			it.RecipePath = d.path
			it.Reason = "evidence bundle removed: the recipe stays at the PR head without evidence"
		} else {
			it.Reason = "evidence bundle removed, and no recipe named " + name + " exists at the PR head"
		}
		pl.removed[name] = it
	}
	orphanScan := false
	for _, fc := range removedFiles {
		name := baseName(fc.path)
		d, err := p.lookupName(name)
		if err != nil {
			return err
		}
		if d != nil {
			continue // the name still exists (the file moved, or another file defines it)
		}
		orphanScan = true
		reason := "recipe removed"
		if fc.to != "" {
			reason = "recipe renamed to " + fc.to
		}
		bp := cfg.BundlePath(name)
		if bp != "" && pl.head.Exists(bp) {
			p.Orphans = append(p.Orphans, Item{RecipeName: name, BundlePath: bp,
				Reason: fmt.Sprintf("%s (%s), but its evidence bundle remains", reason, fc.path)})
			continue
		}
		if fc.to != "" {
			// A renamed file: the recipe's item says so. Whether the old
			// name was a recipe name is unknown (its metadata.name is not
			// at the head).
			continue
		}
		it := pl.removed[name]
		if it == nil {
			it = &Item{RecipeName: name}
			pl.removed[name] = it
		}
		it.RecipePath, it.RecipeChanged = fc.path, true
		if it.BundlePath != "" {
			it.Reason = reason + ", together with its evidence bundle"
		} else {
			it.Reason = reason
		}
	}
	if orphanScan {
		// A removed overlay's metadata.name may differ from its file name:
		// report every bundle at the head whose recipe does not exist.
		files, err := pl.r.list()
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, o := range p.Orphans {
			known[o.BundlePath] = true
		}
		for _, f := range files {
			c, name := cfg.classify(f)
			if c != classBundle || known[f] || pl.items[f] != nil {
				continue
			}
			d, err := p.lookupName(name)
			if err != nil {
				return err
			}
			if d == nil {
				p.Orphans = append(p.Orphans, Item{RecipeName: name, BundlePath: f, BundleChanged: bundles[name].path == f,
					Reason: "no recipe named " + name + " exists at the PR head (this PR removes or renames recipes)"})
			}
		}
	}
	return nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lfsBundles reads the bundles of the items that are small enough to be Git
// LFS pointers (only when the head can tell sizes).
func (pl *planner) lfsBundles() {
	s, ok := pl.head.(Sizer)
	if !ok {
		return
	}
	for bp, it := range pl.items {
		if it.PointerPath != "" {
			continue // read and parsed as a pointer when verified
		}
		n, ok := s.Size(bp)
		if !ok || n >= maxLFSPointerBytes {
			continue
		}
		b, err := pl.head.Read(pl.ctx, bp)
		if err == nil && IsLFSPointer(b) {
			pl.plan.LFSPointers = append(pl.plan.LFSPointers, bp)
		}
	}
}

func (pl *planner) finish() {
	p := pl.plan
	for _, it := range pl.items {
		p.Items = append(p.Items, *it)
	}
	for _, it := range pl.missing {
		p.Missing = append(p.Missing, *it)
	}
	for _, it := range pl.removed {
		p.Removed = append(p.Removed, *it)
	}
	for _, it := range pl.uncovered {
		p.Uncovered = append(p.Uncovered, *it)
	}
	p.sort()
}

func (p *Plan) sort() {
	for _, l := range [][]Item{p.Items, p.Missing, p.Orphans, p.Removed, p.Uncovered, p.RemovedPointers} {
		sort.SliceStable(l, func(i, j int) bool {
			a, b := l[i], l[j]
			if a.RecipeName != b.RecipeName {
				return a.RecipeName < b.RecipeName
			}
			if a.BundlePath != b.BundlePath {
				return a.BundlePath < b.BundlePath
			}
			if a.PointerPath != b.PointerPath {
				return a.PointerPath < b.PointerPath
			}
			return a.RecipePath < b.RecipePath
		})
	}
	p.LFSPointers = sortedUnique(p.LFSPointers)
	p.Ignored = sortedUnique(p.Ignored)
}

func sortedUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// CheckBundleRecipe is the rule that ties a verified bundle to an item of the
// plan, the same for every item however it was planned: the recipe the bundle
// names (its Statement's recipe name, bundleRecipe) is the item's recipe, and
// the bundle lies at that recipe's bundle path. A bundle that [Plan.Resolve]
// routed to the recipe it names is verified against it, but fails here until
// it is moved to its recipe's folder.
func (p *Plan) CheckBundleRecipe(it Item, bundleRecipe string) error {
	if bundleRecipe != it.RecipeName {
		return fmt.Errorf("the bundle is evidence for recipe %q, not %q", cut(bundleRecipe, 130), it.RecipeName)
	}
	if it.PointerPath != "" {
		// A pointer lies in its recipe's folder (or is its flat file).
		if c, name := p.cfg.classify(it.PointerPath); c != classPointer || name != bundleRecipe {
			return fmt.Errorf("the pointer names evidence for recipe %q but lies at %s, not at %s/%s/<source>/sha256-<hex>.yaml: move it", cut(bundleRecipe, 130), qp(it.PointerPath), p.cfg.EvidenceDir, bundleRecipe)
		}
		return nil
	}
	if want := p.cfg.BundlePath(bundleRecipe); it.BundlePath != want {
		return fmt.Errorf("the bundle is evidence for recipe %q but lies at %s, not at %s: move it", cut(bundleRecipe, 130), qp(it.BundlePath), qp(want))
	}
	return nil
}

// ResolveOrphans routes every bundle waiting for its recipe name
// (NeedsBundleName) by the name claimedName reads inside it ("" when it
// names none or cannot be read: it stays an orphan) through [Plan.Resolve].
// It returns the recipes bundles were routed to, and the errors of those
// that could not be (a name two recipe files define).
func (p *Plan) ResolveOrphans(claimedName func(bundlePath string) string) (routed []string, errs []error) {
	var waiting []string
	for _, o := range p.Orphans {
		if o.NeedsBundleName {
			waiting = append(waiting, o.BundlePath)
		}
	}
	for _, bp := range waiting {
		name := claimedName(bp)
		if name == "" {
			continue
		}
		if err := p.Resolve(bp, name); err != nil {
			errs = append(errs, err)
			continue
		}
		for _, it := range p.Items {
			if it.BundlePath == bp {
				routed = append(routed, it.RecipeName)
			}
		}
	}
	return routed, errs
}

// Resolve settles an orphan bundle marked NeedsBundleName, whose directory
// names no recipe, once the caller has read the recipe name inside the
// bundle (the Statement's predicate.recipe.name). When a recipe of that name
// exists at the PR head, the bundle moves from Orphans to Items, to be
// verified against that recipe; otherwise it stays an orphan, with its
// Reason saying so. The error is for a bundlePath that is not such an orphan,
// and for a name two files define.
func (p *Plan) Resolve(bundlePath, recipeName string) error {
	idx := -1
	for i, o := range p.Orphans {
		if o.BundlePath == bundlePath && o.NeedsBundleName {
			idx = i
			break
		}
	}
	if idx < 0 {
		return fmt.Errorf("resolve: %s is not a bundle waiting for its recipe name", qp(bundlePath))
	}
	o := &p.Orphans[idx]
	o.NeedsBundleName = false
	if !ValidRecipeName(recipeName) {
		o.Reason = joinReason(o.Reason, fmt.Sprintf("the bundle names recipe %q, which is not a valid recipe name", cut(recipeName, 130)))
		return nil
	}
	d, err := p.lookupName(recipeName)
	if err != nil {
		return fmt.Errorf("resolve: %w", err)
	}
	if d == nil {
		o.Reason = joinReason(o.Reason, fmt.Sprintf("nor does %q, the recipe the bundle names", recipeName))
		return nil
	}
	it := *o
	it.RecipeName, it.RecipePath = recipeName, d.path
	it.Reason = fmt.Sprintf("evidence bundle changed; its directory names no recipe, so it is verified against recipe %q, the name inside the bundle (move it to %s)",
		recipeName, p.cfg.BundlePath(recipeName))
	p.Orphans = append(p.Orphans[:idx], p.Orphans[idx+1:]...)
	p.Items = append(p.Items, it)
	p.sort()
	return nil
}

// ChangedInputs returns a difference for each file that the recipe at
// recipePath uses (a componentRef's valuesFile, manifestFiles or
// preManifestFiles) and that this PR changes, when the PR does not also change
// the recipe's bundle. A bundle's recipe names such files by path only, never
// their content, so evidence made before the PR cannot show the changed file
// was used: the item needs new evidence. [Plan.CheckRecipe] includes them;
// callers that compare another way (a resolved-recipes folder) add them.
func (p *Plan) ChangedInputs(recipePath string) []Difference {
	files := p.inputs[recipePath]
	if len(files) == 0 {
		return nil
	}
	for _, it := range p.Items {
		if it.RecipePath == recipePath && it.BundleChanged {
			return nil
		}
	}
	out := make([]Difference, 0, len(files))
	for _, f := range files {
		out = append(out, Difference{Path: "(file) " + f,
			PRSays:     "changed by this PR, and this recipe uses it",
			BundleSays: "evidence that predates the change (the bundle names the file by path only): new evidence needed"})
	}
	return out
}

// addChangedInputs makes cc a mismatch for each of the recipe's changed inputs.
func (p *Plan) addChangedInputs(cc *CrossCheck, recipePath string) {
	ds := p.ChangedInputs(recipePath)
	if len(ds) == 0 {
		return
	}
	names := make([]string, 0, len(ds))
	for _, d := range ds {
		names = append(names, qp(strings.TrimPrefix(d.Path, "(file) ")))
	}
	room := max(MaxDifferences-len(cc.Differences), 0)
	cc.Differences = append(cc.Differences, ds[:min(len(ds), room)]...)
	cc.DifferenceCount += len(ds)
	cc.Match = false
	cc.Summary = oneLine(fmt.Sprintf("the PR changes %s, which this recipe uses; the evidence predates it: new evidence needed; %s", strings.Join(names, ", "), cc.Summary), 0)
}
