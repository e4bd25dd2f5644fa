package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/diff"
	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/pointercheck"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/statuspage"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// ModeSweep is the scheduled mode: verify the evidence of every recipe of the
// checked-out workspace, write the status page, and keep the one "Evidence
// status" issue up to date (docs/sweep.md).
const ModeSweep Mode = "sweep"

// DefaultSweepDir is where sweep mode keeps its state in the workspace: the
// cache (cache/), the last report (report.json) and the page (page/). The
// workflow restores and saves it with actions/cache.
const DefaultSweepDir = ".verify-evidence-sweep"

// IssueKeeper is what sweep mode needs from the API besides GitHub.
type IssueKeeper interface {
	KeepIssue(ctx context.Context, repo github.Repo, marker, title, label, body string, open bool, botLogin string) (int, github.IssueAction, error)
}

// Sweep runs sweep mode in workspace and returns the exit code. The signer
// policy and trust root are the workspace's (the scheduled run checks out
// the default branch: what maintainers merged).
func (r *Runner) Sweep(ctx context.Context, a *githubactions.Action, workspace, sha string) int {
	fail := func(msg string) int {
		a.Errorf("%s", Neutralize(msg))
		a.SetOutput("verdict", string(verify.VerdictError))
		return ExitError
	}
	dir, err := workspacePath(workspace, orDefault(a.GetInput("sweep-dir"), DefaultSweepDir))
	if err != nil {
		return fail("input sweep-dir: " + err.Error())
	}
	if err := checkSweepDir(dir); err != nil {
		return fail("input sweep-dir: " + err.Error())
	}
	if err := r.notCommitted(ctx, workspace, dir, sha); err != nil {
		return fail("input sweep-dir: " + err.Error())
	}
	cfg, err := r.sweepConfig(ctx, workspace)
	if err != nil {
		return fail(err.Error())
	}
	cfg.CacheDir = filepath.Join(dir, "cache")
	reportPath := filepath.Join(dir, statuspage.ReportFile)
	if _, err := os.Lstat(reportPath); err == nil {
		if cfg.Previous, err = sweep.ReadReport(reportPath); err != nil {
			a.Warningf("%s", Neutralize(err.Error()+": changes since the last sweep are not tracked this time"))
		}
	}
	rep, err := sweep.Run(ctx, cfg)
	if err != nil {
		return fail("sweep: " + err.Error())
	}
	if err := statuspage.WriteDir(filepath.Join(dir, "page"), rep); err != nil {
		return fail(err.Error())
	}
	var md bytes.Buffer
	if err := sweep.WriteMarkdown(&md, rep); err == nil && md.Len() <= comment.MaxSummaryBytes {
		a.AddStepSummary(md.String())
	} else {
		a.AddStepSummary(fmt.Sprintf("# Evidence status\n\n%d recipes: the report is too large for the job summary; see the status page.\n", rep.Counts.Recipes))
	}
	// The report is written last: it is the next run's "previous" report.
	var js bytes.Buffer
	if err := sweep.WriteJSON(&js, rep); err != nil || os.WriteFile(reportPath, js.Bytes(), 0o644) != nil {
		return fail("write " + reportPath)
	}
	code := ExitOK
	if r.In.Comment != CommentNever {
		code = r.keepIssue(ctx, a, rep)
	}
	c := rep.Counts
	worst := verify.VerdictPassed
	for _, row := range rep.Recipes {
		if row.Verdict != "" {
			worst = worst.Worse(row.Verdict)
		}
	}
	a.SetOutput("verdict", string(worst))
	for k, v := range map[string]int{"passed": c.Passed, "failing": c.Failing, "invalid": c.Invalid, "errors": c.Error, "missing": c.Missing, "expiring": c.Expiring} {
		a.SetOutput(k, strconv.Itoa(v))
	}
	a.SetOutput("report-json", OneLine(reportPath))
	a.SetOutput("page-dir", OneLine(filepath.Join(dir, "page")))
	a.Infof("%s", Neutralize(fmt.Sprintf("sweep: %d recipes: %d passed, %d failing, %d invalid, %d undecided, %d without evidence, %d expiring within 30 days (%d verified, %d from the cache)",
		c.Recipes, c.Passed, c.Failing, c.Invalid, c.Error, c.Missing, c.Expiring, rep.Cache.Misses, rep.Cache.Hits)))
	if code == ExitOK && r.In.FailOn.Fails(countsView{invalid: c.Invalid, errors: c.Error, failing: c.Failing, missing: c.Missing}) {
		code = ExitFailed
	}
	return code
}

// keepIssue writes the "Evidence status" issue.
func (r *Runner) keepIssue(ctx context.Context, a *githubactions.Action, rep *sweep.Report) int {
	k, ok := r.GH.(IssueKeeper)
	if !ok {
		a.Errorf("the GitHub client cannot write issues")
		return ExitError
	}
	body, open := sweep.IssueBody(rep, strings.TrimSpace(a.GetInput("status-page-url")))
	n, action, err := k.KeepIssue(ctx, r.Repo, sweep.IssueMarker, sweep.IssueTitle, sweep.IssueLabel, body, open, "")
	if err != nil {
		msg := err.Error()
		if github.IsForbidden(err) {
			msg += " (the workflow needs permissions: issues: write)"
		}
		a.Errorf("%s", Neutralize("evidence status issue: "+msg))
		return ExitError
	}
	if n != 0 {
		a.SetOutput("issue-number", strconv.Itoa(n))
	}
	a.Infof("evidence status issue: %s", action)
	return ExitOK
}

// sweepConfig builds the sweep's verifier from the inputs, reading the
// policy (the input, else recipes/evidence/policy.yaml when it exists) and
// the trust root from the workspace.
func (r *Runner) sweepConfig(ctx context.Context, workspace string) (sweep.Config, error) {
	cfg := sweep.Config{
		Root:            workspace,
		Layout:          diff.Config{RecipeGlobs: r.In.RecipePaths, EvidenceDir: r.In.EvidenceDir, PolicyPath: r.In.Policy},
		Verify:          verify.Config{MaxAge: r.In.MaxAge, IgnoreSCT: r.In.IgnoreSCT},
		VerifierVersion: sweep.VerifierVersion(r.Version),
		Registry:        pointercheck.Registry{PlainHTTP: r.In.PlainHTTP, Credential: r.registryCredential(), Timeout: PointerPullTimeout},
	}
	pol, err := policy.FromPins(r.In.Pins())
	if err != nil {
		return cfg, err
	}
	b, err := r.ReadFile(r.In.Policy, MaxPolicyBytes)
	switch {
	case err == nil:
		fp, err := policy.Parse(b)
		if err != nil {
			return cfg, fmt.Errorf("policy %s: %w", r.In.Policy, err)
		}
		pol = policy.Merge(pol, fp)
	case errors.Is(err, fs.ErrNotExist) && !r.In.PolicyExplicit:
	default:
		return cfg, fmt.Errorf("input policy: %w", err)
	}
	cfg.Verify.Policy = pol
	cfg.Verify.RequireFullCoverage = pol.RequiresFullCoverage()
	cfg.PolicyDigest = sweep.PolicyDigest(b, sweep.WithIgnoreSCT(r.In.Pins(), r.In.IgnoreSCT))
	if r.In.TrustedRoot != "" {
		b, err := r.ReadFile(r.In.TrustedRoot, MaxTrustBytes)
		if err != nil {
			cfg.Verify.TrustError = fmt.Errorf("%w: input trusted-root: %w", trust.ErrUnavailable, err)
		} else if root, err := trust.FromJSON(b); err != nil {
			return cfg, fmt.Errorf("input trusted-root %s: %w", r.In.TrustedRoot, err)
		} else {
			cfg.Verify.Trust = root
			cfg.TrustRootDigest, _ = sweep.TrustRootDigest(root)
		}
	} else if root, err := trust.FromTUF(ctx, ""); err != nil {
		cfg.Verify.TrustError = err
	} else {
		cfg.Verify.Trust = root
		cfg.TrustRootDigest, _ = sweep.TrustRootDigest(root)
	}
	return cfg, nil
}

// workspacePath resolves a workspace-relative folder, refusing an absolute
// path or one that leaves the workspace.
func workspacePath(workspace, p string) (string, error) {
	if filepath.IsAbs(p) || !filepath.IsLocal(p) {
		return "", fmt.Errorf("%q: want a path inside the workspace", p)
	}
	if strings.TrimSpace(p) == "" {
		return "", errors.New("empty")
	}
	return filepath.Join(workspace, p), nil
}

// checkSweepDir refuses a sweep folder (or its cache, page and report) that
// is a symbolic link or another kind of file than expected: the sweep writes
// there, and the checkout must not be able to redirect those writes.
func checkSweepDir(dir string) error {
	for _, p := range []struct {
		path string
		dir  bool
	}{{dir, true}, {filepath.Join(dir, "cache"), true}, {filepath.Join(dir, "page"), true},
		{filepath.Join(dir, "page", statuspage.BadgeDir), true}, {filepath.Join(dir, statuspage.ReportFile), false}} {
		fi, err := os.Lstat(p.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if (p.dir && !fi.IsDir()) || (!p.dir && !fi.Mode().IsRegular()) {
			return fmt.Errorf("%s is a %s, not a plain %s", p.path, fi.Mode().Type(), map[bool]string{true: "folder", false: "file"}[p.dir])
		}
	}
	return nil
}

// notCommitted makes sure the sweep folder is not part of the repository at
// the checked-out commit: its cache and last report are trusted, so they may
// only come from the workflow's own cache, never from a merged change. It
// reads the commit's tree through the API (the container has no git).
func (r *Runner) notCommitted(ctx context.Context, workspace, dir, sha string) error {
	rel, err := filepath.Rel(workspace, dir)
	if err != nil {
		return err
	}
	rel = filepath.ToSlash(rel)
	if sha == "" {
		return errors.New("GITHUB_SHA is not set: cannot check that the sweep folder is not committed")
	}
	tree, truncated, err := r.GH.Tree(ctx, r.Repo, sha)
	if err != nil {
		return fmt.Errorf("check that %s is not committed (tree of %s): %w", rel, sha, err)
	}
	if truncated {
		return fmt.Errorf("the tree of %s is too large to list: cannot check that %s is not committed", sha, rel)
	}
	for p := range tree {
		if p == rel || strings.HasPrefix(p, rel+"/") {
			return fmt.Errorf("%s is committed to the repository (%s): its cache and report would be trusted; remove it from the repository (the workflow keeps it with actions/cache)", rel, p)
		}
	}
	return nil
}
