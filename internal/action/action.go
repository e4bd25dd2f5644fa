package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/diff"
	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/pointercheck"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// GitHub is what the action needs from the GitHub REST API.
type GitHub interface {
	PullRequest(ctx context.Context, repo github.Repo, number int) (*github.PullRequest, error)
	PullRequestFiles(ctx context.Context, repo github.Repo, number int) (*github.FileList, error)
	Blob(ctx context.Context, repo github.Repo, sha string, maxBytes int64) ([]byte, error)
	Tree(ctx context.Context, repo github.Repo, treeish string) (map[string]github.TreeEntry, bool, error)
	OpenPullRequestsByHead(ctx context.Context, repo github.Repo, headOwner, headBranch string) ([]github.PullRequest, error)
	DefaultBranch(ctx context.Context, repo github.Repo) (string, error)
	BranchHead(ctx context.Context, repo github.Repo, branch string) (string, error)
	CreateStatus(ctx context.Context, repo github.Repo, sha string, s github.CommitStatus) error
	UpsertStickyComment(ctx context.Context, repo github.Repo, number int, marker, body, botLogin string) (int64, github.CommentAction, error)
	UpdateStickyComment(ctx context.Context, repo github.Repo, number int, marker, body, botLogin string) (int64, github.CommentAction, error)
	Calls() int
}

// Limits on what the action reads from a PR.
const (
	MaxBundleBytes = 100 << 20 // GitHub's blob API serves at most 100 MB
	MaxRecipeBytes = schema.MaxRecipeBytes
	MaxPolicyBytes = policy.MaxPolicyBytes
	MaxTrustBytes  = trust.MaxTrustedRootBytes
)

// Bounds of the blobs one run reads through the API (head and base trees
// together): a PR whose plan needs more is "too large to verify" (verdict
// error), not verified in part. GITHUB_TOKEN allows 1,000 requests an hour
// per repository.
const (
	MaxBlobReads = 600
	MaxBlobBytes = 1 << 30
)

// blobBudget counts the blob reads of one run.
type blobBudget struct {
	reads int
	bytes int64
}

func (b *blobBudget) take(p string, limit int64) error {
	if b.reads >= MaxBlobReads {
		return &diff.TooLargeError{Detail: fmt.Sprintf("reading %q would take this run over %d blob reads through the GitHub API", p, MaxBlobReads)}
	}
	if b.bytes+min(limit, MaxBundleBytes) > MaxBlobBytes {
		return &diff.TooLargeError{Detail: fmt.Sprintf("reading %q could take this run over %d MiB of blobs read through the GitHub API", p, MaxBlobBytes>>20)}
	}
	b.reads++
	return nil
}

// Target is the pull request the action reports on.
type Target struct {
	Repo github.Repo
	PR   *github.PullRequest
	// Stage1URL is the stage-1 run a workflow_run event follows ("" otherwise).
	Stage1URL string
}

// Runner carries one run of the action.
type Runner struct {
	In     Inputs
	GH     GitHub
	Repo   github.Repo
	RunURL string
	// Log receives progress lines; untrusted text in them is neutralised by the caller.
	Log func(format string, args ...any)
	// ReadFile reads a workspace file (resolved-recipes-dir).
	ReadFile func(path string, limit int64) ([]byte, error)

	// Version is the binary's release ("" when unknown).
	Version string

	// settings is the tip of the default branch, where the policy and the
	// pinned trusted root are read (loaded on first use).
	settings *headTree
	// pointerPulls bounds the artifacts pulled for pointer files in this run.
	pointerPulls *pointercheck.Budget
}

// headTree answers questions about the PR head from the changed-file list first
// and the Git tree only when needed (one call, cached), reading blobs through the API.
type headTree struct {
	// label names the tree in messages ("the PR head" when empty).
	label   string
	ctx     context.Context
	gh      GitHub
	repo    github.Repo
	headSHA string
	changed map[string]github.ChangedFile
	tree    map[string]github.TreeEntry
	treeErr error
	loaded  bool
	// blobs caches what was read, by blob SHA: planning and verification
	// read the same recipes.
	blobs map[string][]byte
	// base is the tree at the PR's base commit (diff.BaseReader).
	base *headTree
	// budget bounds the blob reads of the run (shared with base; nil: none).
	budget *blobBudget
}

var _ diff.BaseReader = (*headTree)(nil)

// ReadBase implements diff.BaseReader: a recipe file at the PR's base commit.
// The planner reads only the overlays the PR modifies or removes (one tree
// listing and one blob each).
func (h *headTree) ReadBase(ctx context.Context, p string) ([]byte, error) {
	if h.base == nil {
		return nil, errors.New("the PR's base commit is unknown")
	}
	return h.base.read(ctx, p, MaxRecipeBytes)
}

// Files implements diff.Enumerator: every regular file at the PR head. The
// planner calls it only when the changed files alone do not decide the plan
// (diff's fast path), so a PR of resolved recipes with their bundles costs no
// tree listing.
func (h *headTree) Files(ctx context.Context) ([]string, error) {
	h.loadTree()
	if h.treeErr != nil {
		return nil, h.treeErr
	}
	out := make([]string, 0, len(h.tree))
	for p, e := range h.tree {
		if e.Type == "blob" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Size implements diff.Sizer from the tree listing.
func (h *headTree) Size(p string) (int64, bool) {
	if _, ok := h.changed[p]; ok && !h.loaded {
		return 0, false
	}
	h.loadTree()
	e, ok := h.tree[p]
	if !ok || e.Type != "blob" {
		return 0, false
	}
	return e.Size, true
}

func (h *headTree) loadTree() {
	if h.loaded {
		return
	}
	h.loaded = true
	tree, truncated, err := h.gh.Tree(h.ctx, h.repo, h.headSHA)
	if err == nil && truncated {
		err = fmt.Errorf("the tree of %s is too large for the Git trees API (truncated)", h.name())
	}
	h.tree, h.treeErr = tree, err
}

// blobSHA returns the blob of path at the PR head, or "" when it does not exist there.
func (h *headTree) blobSHA(p string) (string, error) {
	if f, ok := h.changed[p]; ok {
		if f.Status == github.FileStatus("removed") {
			return "", nil
		}
		return f.BlobSHA, nil
	}
	h.loadTree()
	if h.treeErr != nil {
		return "", h.treeErr
	}
	e, ok := h.tree[p]
	if !ok {
		return "", nil
	}
	if e.Type != "blob" || e.Mode == "120000" || e.Mode == "160000" {
		return "", fmt.Errorf("%s at %s is %w (mode %s)", p, h.name(), errNotRegular, e.Mode)
	}
	return e.BlobSHA, nil
}

// name is the tree's label in messages.
func (h *headTree) name() string {
	if h.label == "" {
		return "the PR head"
	}
	return h.label
}

// Exists implements diff.Lister.
func (h *headTree) Exists(p string) bool {
	sha, err := h.blobSHA(p)
	return err == nil && sha != ""
}

// Read implements diff.Lister with bounded reads.
func (h *headTree) Read(ctx context.Context, p string) ([]byte, error) {
	return h.read(ctx, p, MaxRecipeBytes)
}

func (h *headTree) read(ctx context.Context, p string, limit int64) ([]byte, error) {
	sha, err := h.blobSHA(p)
	if err != nil {
		return nil, err
	}
	if sha == "" {
		return nil, fmt.Errorf("%s: %w", p, os.ErrNotExist)
	}
	if b, ok := h.blobs[sha]; ok {
		if int64(len(b)) > limit {
			return nil, fmt.Errorf("%s: larger than %d bytes", p, limit)
		}
		return b, nil
	}
	if h.budget != nil {
		if err := h.budget.take(p, limit); err != nil {
			return nil, err
		}
	}
	b, err := h.gh.Blob(ctx, h.repo, sha, limit)
	if err != nil {
		return nil, err
	}
	if h.budget != nil {
		h.budget.bytes += int64(len(b))
	}
	if len(b) > MaxRecipeBytes {
		return b, nil // a bundle: read once, never kept for the run
	}
	if h.blobs == nil {
		h.blobs = map[string][]byte{}
	}
	h.blobs[sha] = b
	return b, nil
}

// Verify runs the whole verification of a PR and returns the report.
func (r *Runner) Verify(ctx context.Context, t Target) (*comment.Report, error) {
	rep := &comment.Report{Repository: t.Repo.String(), PR: t.PR.Number, HeadSHA: t.PR.HeadSHA, RunURL: r.RunURL}
	if t.Stage1URL != "" {
		rep.Notes = append(rep.Notes, "this report was re-verified from the default branch after stage 1 (advisory): "+t.Stage1URL)
	}
	files, err := r.GH.PullRequestFiles(ctx, t.Repo, t.PR.Number)
	if err != nil {
		return nil, fmt.Errorf("list the PR's files: %w", err)
	}
	if files.Truncated {
		// Files beyond GitHub's cap are never seen: verifying the rest would
		// let a PR hide recipes behind 3,000 other files.
		return nil, &diff.TooLargeError{Detail: fmt.Sprintf("the PR changes more files than GitHub's API lists (%d returned, the cap is %d): recipes beyond the cap cannot be seen; split the PR", len(files.Files), github.MaxListedFiles)}
	}
	budget := &blobBudget{}
	head := &headTree{ctx: ctx, gh: r.GH, repo: t.Repo, headSHA: t.PR.HeadSHA, changed: map[string]github.ChangedFile{}, budget: budget,
		base: &headTree{ctx: ctx, gh: r.GH, repo: t.Repo, headSHA: t.PR.BaseSHA, budget: budget}}
	var changes []diff.Change
	workflows := 0
	for _, f := range files.Files {
		if strings.HasPrefix(f.Path, ".github/workflows/") || strings.HasPrefix(f.PreviousPath, ".github/workflows/") {
			workflows++
		}
		head.changed[f.Path] = f
		changes = append(changes, diff.Change{Path: f.Path, PreviousPath: f.PreviousPath, Status: diff.Status(f.Status), BlobSHA: f.BlobSHA})
	}
	plan, err := diff.NewPlanContext(ctx, changes, head, diff.Config{RecipeGlobs: r.In.RecipePaths, EvidenceDir: r.In.EvidenceDir, PolicyPath: r.In.Policy})
	if err != nil {
		return nil, err // "plan: …"
	}
	r.resolveOrphans(ctx, head, plan)
	v, verr := r.verifier(ctx, t)
	if verr != nil && !errors.Is(verr, errSettingsUnreadable) && len(plan.Items) > 0 {
		// A setting that is wrong (missing, unparsable) is the workflow's
		// or the default branch's to fix, not a verdict on the evidence.
		return nil, fmt.Errorf("settings: %w", verr)
	}
	for _, it := range plan.Items {
		rep.Rows = append(rep.Rows, r.verifyItem(ctx, head, plan, v, verr, it))
	}
	for _, it := range plan.Uncovered {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s has no evidence bundle but this PR affects it (%s)", firstNonEmpty(it.RecipeName, it.RecipePath), it.Reason))
	}
	if workflows > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("this PR changes workflow files (%d under .github/workflows/): checks that run from the PR's own workflows (stage 1) can be rewritten by it; only the commit status set from the default branch (stage 2) judges it, and a code owner should review the workflow change", workflows))
	}
	if plan.PolicyChanged {
		rep.Notes = append(rep.Notes, "this PR changes the signer policy; it is not used to judge this PR (the policy is read from the tip of the default branch)")
	}
	rep.Notes = append(rep.Notes, plan.Notes...)
	for _, it := range plan.Missing {
		rep.Rows = append(rep.Rows, comment.Row{Recipe: it.RecipeName, RecipePath: it.RecipePath, BundlePath: it.BundlePath, Reason: it.Reason,
			Outcome: comment.OutcomeMissing, Verdict: verify.VerdictPassed,
			Detail: fmt.Sprintf("the recipe changed but the PR head has no bundle at %s", it.BundlePath)})
	}
	for _, it := range plan.Orphans {
		detail := "a bundle whose recipe does not exist at the PR head: nothing to verify it against"
		if it.Reason != "" {
			detail = it.Reason
		}
		if it.AddOnly != "" {
			detail = joinDetail(it.AddOnly, detail)
		}
		rep.Rows = append(rep.Rows, comment.Row{Recipe: firstNonEmpty(it.RecipeName, path.Base(path.Dir(firstNonEmpty(it.BundlePath, it.PointerPath)))), BundlePath: it.BundlePath,
			PointerPath: it.PointerPath, AddOnly: it.AddOnly, Outcome: comment.OutcomeOrphan, Verdict: verify.VerdictInvalid, Detail: detail})
	}
	for _, it := range plan.RemovedPointers {
		rep.Rows = append(rep.Rows, removedPointerRow(it))
	}
	for _, p := range plan.LFSPointers {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s is a Git LFS pointer: the bundle itself is not in the repository and cannot be verified through the API; commit the bundle without LFS", p))
	}
	for _, it := range plan.Removed {
		rep.Notes = append(rep.Notes, fmt.Sprintf("removed: %s", firstNonEmpty(it.RecipePath, it.BundlePath)))
	}
	sort.SliceStable(rep.Rows, func(i, j int) bool { return rep.Rows[i].Recipe < rep.Rows[j].Recipe })
	rep.Tally()
	return rep, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// verifier builds the verifier once per run. The signer policy and the pinned
// trusted root are read through the API at the tip of the repository's
// default branch, never from the PR nor from the workspace: a PR can change
// neither the signers it is judged by nor the base branch they are read from
// (the author chooses the base, and may retarget it).
func (r *Runner) verifier(ctx context.Context, t Target) (*verify.Verifier, error) {
	cfg := verify.Config{MaxAge: r.In.MaxAge, IgnoreSCT: r.In.IgnoreSCT}
	if r.In.TrustedRoot != "" {
		b, err := r.settingsFile(ctx, t, r.In.TrustedRoot, MaxTrustBytes)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("input trusted-root: %w", err)
		case err != nil:
			cfg.TrustError = fmt.Errorf("%w: input trusted-root: %w", trust.ErrUnavailable, err)
		default:
			tr, err := trust.FromJSON(b)
			if err != nil {
				return nil, fmt.Errorf("input trusted-root %s: %w", r.In.TrustedRoot, err)
			}
			cfg.Trust = tr
		}
	} else {
		tr, err := trust.FromTUF(ctx, "")
		cfg.Trust, cfg.TrustError = tr, err
	}
	pol, err := policy.FromPins(r.In.Pins())
	if err != nil {
		return nil, err
	}
	b, err := r.settingsFile(ctx, t, r.In.Policy, MaxPolicyBytes)
	switch {
	case errors.Is(err, os.ErrNotExist) && !r.In.PolicyExplicit:
		// No policy yet: only the input pins are trusted.
	case err != nil:
		return nil, fmt.Errorf("input policy: %w", err)
	default:
		fp, err := policy.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("policy %s on the default branch: %w", r.In.Policy, err)
		}
		pol = policy.Merge(pol, fp)
	}
	cfg.Policy = pol
	cfg.RequireFullCoverage = pol.RequiresFullCoverage()
	return verify.New(cfg)
}

// settingsFile reads file p at the tip of the default branch through the API.
// A file that is not there is an error wrapping os.ErrNotExist.
func (r *Runner) settingsFile(ctx context.Context, t Target, p string, limit int64) ([]byte, error) {
	if r.settings == nil {
		branch, err := r.GH.DefaultBranch(ctx, t.Repo)
		if err != nil {
			return nil, fmt.Errorf("%w: find the default branch: %w", errSettingsUnreadable, err)
		}
		// Read at the branch's commit, never at the bare name, which a tag
		// of the same name would win.
		sha, err := r.GH.BranchHead(ctx, t.Repo, branch)
		if err != nil {
			return nil, fmt.Errorf("%w: find the tip of the default branch %q: %w", errSettingsUnreadable, branch, err)
		}
		r.settings = &headTree{label: "the tip of the default branch " + strconv.Quote(branch), ctx: ctx, gh: r.GH, repo: t.Repo, headSHA: sha}
	}
	b, err := r.settings.read(ctx, p, limit)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%s is not on %s: %w", p, r.settings.name(), os.ErrNotExist)
	case err != nil && !errors.Is(err, errNotRegular):
		return nil, fmt.Errorf("%w: %w", errSettingsUnreadable, err)
	}
	return b, err
}

// errNotRegular: a path that is a symlink, a submodule or a directory.
var errNotRegular = errors.New("not a regular file")

// errSettingsUnreadable: the settings could not be read through the API (an
// infrastructure failure, as opposed to a setting that is wrong).
var errSettingsUnreadable = errors.New("could not read the settings")

// verifyItem fetches one bundle and its recipe from the PR head and verifies them.
func (r *Runner) verifyItem(ctx context.Context, head *headTree, plan *diff.Plan, v *verify.Verifier, verr error, it diff.Item) comment.Row {
	row := comment.Row{Recipe: it.RecipeName, RecipePath: it.RecipePath, BundlePath: it.BundlePath, PointerPath: it.PointerPath, AddOnly: it.AddOnly, Reason: it.Reason, Outcome: comment.OutcomeVerified}
	if verr != nil {
		row.Outcome, row.Verdict, row.Detail = comment.OutcomeUnreadable, verify.VerdictError, verr.Error()
		if it.AddOnly != "" {
			row.Verdict, row.Detail = verify.VerdictInvalid, it.AddOnly+"; "+verr.Error()
		}
		return row
	}
	if it.PointerPath != "" {
		return r.verifyPointer(ctx, head, plan, v, it, row)
	}
	bundle, err := head.read(ctx, it.BundlePath, MaxBundleBytes)
	if err != nil {
		row.Outcome, row.Detail = comment.OutcomeUnreadable, fmt.Sprintf("could not fetch the bundle: %v", err)
		row.Verdict = verify.VerdictError
		if github.IsTooLarge(err) {
			row.Verdict = verify.VerdictInvalid
		}
		return row
	}
	if diff.IsLFSPointer(bundle) {
		row.Outcome, row.Verdict = comment.OutcomeUnreadable, verify.VerdictInvalid
		row.Detail = "the bundle is a Git LFS pointer, not a bundle: commit the archive itself"
		return row
	}
	var prRecipe []byte
	if it.RecipePath != "" {
		prRecipe, err = head.Read(ctx, it.RecipePath)
		if err != nil {
			row.Outcome, row.Verdict, row.Detail = comment.OutcomeUnreadable, verify.VerdictError, fmt.Sprintf("could not fetch the recipe: %v", err)
			return row
		}
	}
	res := v.Verify(ctx, bytes.NewReader(bundle), verify.Options{Name: it.BundlePath})
	row.Result, row.Verdict = res, res.Verdict
	// The bundle must name this item's recipe and lie in its folder, for
	// every item, however the plan found it.
	if res.Recipe != nil && res.Recipe.Name != "" {
		if err := plan.CheckBundleRecipe(it, res.Recipe.Name); err != nil {
			row.Verdict = row.Verdict.Worse(verify.VerdictInvalid)
			row.Detail = err.Error()
		}
	} else if res.Verdict == verify.VerdictPassed {
		row.Verdict = verify.VerdictInvalid
		row.Detail = "the bundle names no recipe"
	}
	if prRecipe != nil {
		r.applyCrossCheck(ctx, plan, it, prRecipe, res, &row)
	}
	return row
}

// applyCrossCheck compares the PR's recipe with the evidence's (bundle or
// pointer) and folds the outcome into row: a mismatch is invalid, a failed
// read (not the PR's doing) could not be decided.
func (r *Runner) applyCrossCheck(ctx context.Context, plan *diff.Plan, it diff.Item, prRecipe []byte, res *verify.Result, row *comment.Row) {
	m, err := r.crossCheck(ctx, plan, it, prRecipe, res.CanonicalRecipe)
	if err != nil {
		row.Match = &comment.RecipeMatch{Kind: "error", Summary: err.Error()}
		row.Verdict = row.Verdict.Worse(verify.VerdictError)
		row.Detail = fmt.Sprintf("could not decide the recipe ↔ bundle check (retrying may help): %v", err)
		return
	}
	row.Match = m
	if m != nil && !m.Match {
		row.Verdict = row.Verdict.Worse(verify.VerdictInvalid)
	}
}

// crossCheck compares the PR's recipe with the bundle's. The error is an
// infrastructure failure (a read of the workspace or the PR head failed):
// the item is undecided, not invalid. Content the PR controls that cannot be
// compared (malformed YAML, a broken chain) is a mismatch.
func (r *Runner) crossCheck(ctx context.Context, plan *diff.Plan, it diff.Item, prRecipe []byte, canon *schema.CanonicalRecipe) (*comment.RecipeMatch, error) {
	if canon == nil {
		return &comment.RecipeMatch{Kind: "unreadable", Summary: "the bundle's recipe.yaml could not be read (see the checks)"}, nil
	}
	m, err := r.resolvedCheck(it, canon)
	if err != nil {
		return nil, err
	}
	if m != nil {
		// The resolved recipe also names the files it uses by path only.
		for _, d := range plan.ChangedInputs(it.RecipePath) {
			m.Match = false
			m.Differences = append(m.Differences, comment.Difference{Path: d.Path, PRSays: d.PRSays, BundleSays: d.BundleSays})
		}
		return m, nil
	}
	cc, err := plan.CheckRecipe(ctx, it.RecipePath, prRecipe, canon, "")
	if err != nil {
		if diff.IsReadError(err) && !github.IsTooLarge(err) {
			return nil, err
		}
		return &comment.RecipeMatch{Kind: "error", Summary: err.Error()}, nil
	}
	m = &comment.RecipeMatch{Kind: string(cc.Kind), Match: cc.Match, Summary: cc.Summary}
	for _, d := range cc.Differences {
		m.Differences = append(m.Differences, comment.Difference{Path: d.Path, PRSays: d.PRSays, BundleSays: d.BundleSays, SetBy: d.SetBy})
	}
	return m, nil
}

// resolvedCheck compares the bundle's recipe with a recipe an earlier workflow
// step resolved with AICR's own resolver into resolved-recipes-dir. That folder
// is read from the workflow's workspace, never from the PR: a PR must not be
// able to supply the resolved recipe its bundle is compared with.
//
// A file that cannot be read (I/O, permissions, the folder not made) is the
// workflow's failure, not the PR's: the error makes the item undecided. A
// file that reads but does not parse is compared as a mismatch.
func (r *Runner) resolvedCheck(it diff.Item, bundleRecipe *schema.CanonicalRecipe) (*comment.RecipeMatch, error) {
	if r.In.ResolvedRecipesDir == "" {
		return nil, nil
	}
	p := path.Join(r.In.ResolvedRecipesDir, it.RecipeName+".yaml")
	b, err := r.ReadFile(p, MaxRecipeBytes)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolved-recipes-dir: read %q: %w", p, err)
	}
	want, err := schema.Canonical(b)
	if err != nil {
		return &comment.RecipeMatch{Kind: "resolved-dir", Summary: err.Error()}, nil
	}
	m := &comment.RecipeMatch{Kind: "resolved-dir", Match: want.Digest == bundleRecipe.Digest}
	if m.Match {
		m.Summary = "the bundle's recipe is the recipe AICR resolved (sha256 " + want.Digest[:12] + "…)"
		return m, nil
	}
	diffs, total := diff.Nodes(want.Root, bundleRecipe.Root)
	m.Summary = fmt.Sprintf("the bundle's recipe differs from the recipe AICR resolved in %d place(s)", total)
	for _, d := range diffs {
		m.Differences = append(m.Differences, comment.Difference{Path: d.Path, PRSays: d.PRSays, BundleSays: d.BundleSays})
	}
	return m, nil
}

// resolveOrphans reads the recipe name inside bundles whose folder names no
// recipe, so the plan can verify them against that recipe.
func (r *Runner) resolveOrphans(ctx context.Context, head *headTree, plan *diff.Plan) {
	_, errs := plan.ResolveOrphans(func(bp string) string {
		b, err := head.read(ctx, bp, MaxBundleBytes)
		if err != nil {
			return ""
		}
		c, err := readArchive(ctx, b)
		if err != nil {
			return ""
		}
		return verify.ClaimedRecipeName(c)
	})
	for _, err := range errs {
		r.Log("%v", err)
	}
}

// WriteReportJSON writes the report for the two-stage flow.
func WriteReportJSON(p string, rep *comment.Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(path.Dir(p), 0o755); err != nil && path.Dir(p) != "." {
		return err
	}
	return os.WriteFile(p, append(b, '\n'), 0o644)
}
