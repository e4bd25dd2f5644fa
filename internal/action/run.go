package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Exit codes of the action mode.
const (
	ExitOK     = 0
	ExitFailed = 1 // the report fails under fail-on
	ExitError  = 3 // the action could not run (bad input, event, API)
)

// SoftMemoryLimit is the Go runtime's soft memory limit for an action run
// (unless GOMEMLIMIT sets one): the collector runs harder near it, so that the
// garbage of parsing large recipe files one after another does not pile up.
// What a run keeps is bounded by the planner (diff.MaxKeptNodes,
// diff.MaxParsedBytes); the target is a peak RSS of 256 MiB for any PR
// (scripts/bench-action-resources.sh).
const SoftMemoryLimit = 200 << 20

// NewGitHub builds the API client for a token and API base URL.
type NewGitHub func(token, apiURL string) (GitHub, error)

// Main runs the action with the runner's environment through a. It returns the
// process exit code.
// version is the binary's release (-X main.version), which keys the sweep's
// cache: a new release never serves an older one's cached verdicts.
func Main(ctx context.Context, a *githubactions.Action, newGH NewGitHub, version string) int {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(SoftMemoryLimit)
	}
	// fail ends a run that could not decide anything: an error, verdict=error.
	fail := func(msg string) int {
		a.Errorf("%s", Neutralize(msg))
		a.SetOutput("verdict", string(verify.VerdictError))
		return ExitError
	}
	in, err := ParseInputs(a.GetInput)
	if err != nil {
		return fail(err.Error())
	}
	a.AddMask(in.Token)
	gctx, err := a.Context()
	if err != nil || gctx == nil {
		return fail(fmt.Sprintf("read the GitHub Actions context: %v", err))
	}
	repo, err := github.ParseRepo(gctx.Repository)
	if err != nil {
		return fail(fmt.Sprintf("GITHUB_REPOSITORY: %v", err))
	}
	gh, err := newGH(in.Token, gctx.APIURL)
	if err != nil {
		return fail(fmt.Sprintf("GitHub client: %v", err))
	}
	runURL := ""
	if gctx.ServerURL != "" && gctx.RunID != 0 {
		runURL = fmt.Sprintf("%s/%s/actions/runs/%d", strings.TrimRight(gctx.ServerURL, "/"), gctx.Repository, gctx.RunID)
	}
	r := &Runner{In: in, GH: gh, Repo: repo, RunURL: runURL, Version: version,
		Log:      func(f string, args ...any) { a.Infof("%s", Neutralize(fmt.Sprintf(f, args...))) },
		ReadFile: workspaceReader(gctx.Workspace)}
	if in.Mode == ModeSweep { // sweep.go: no pull request, the whole checkout
		switch gctx.EventName {
		case "pull_request", "pull_request_target", "workflow_run":
			// The checkout would be a PR's (or nobody's): the sweep judges
			// the default branch, on schedule, dispatch or push.
			return fail(fmt.Sprintf("mode sweep runs on schedule, workflow_dispatch or push, not on %s", gctx.EventName))
		}
		// The sweep judges what maintainers merged: the default branch.
		branch, err := gh.DefaultBranch(ctx, repo)
		if err != nil {
			return fail(fmt.Sprintf("mode sweep: find the default branch: %v", err))
		}
		if gctx.Ref != "refs/heads/"+branch {
			return fail(fmt.Sprintf("mode sweep runs on the default branch (refs/heads/%s), not on %q: the issue and the page report what is merged", branch, gctx.Ref))
		}
		return r.Sweep(ctx, a, gctx.Workspace, gctx.SHA)
	}
	if gctx.EventName == "schedule" || gctx.EventName == "workflow_dispatch" {
		return fail(fmt.Sprintf("mode %s judges a pull request; on %s use mode: sweep", in.Mode, gctx.EventName))
	}
	target, err := r.target(ctx, gctx.EventName, gctx.Event)
	switch {
	case errors.Is(err, errNoPR), errors.Is(err, errStale):
		a.Noticef("%s", Neutralize(err.Error()))
		a.SetOutput("verdict", "skipped")
		return ExitOK
	case errors.Is(err, errNoMatch):
		// Visible: the one case stage 2 exists for must not end silently.
		a.Warningf("%s", Neutralize(err.Error()))
		a.SetOutput("verdict", "skipped")
		return ExitOK
	}
	var shared *sharedHeadError
	if errors.As(err, &shared) {
		r.setStatus(ctx, a, Target{Repo: repo, PR: &github.PullRequest{HeadSHA: shared.sha}}, github.StatusError, "several open PRs have this head: close all but one")
		return fail(err.Error())
	}
	if err != nil {
		return fail(err.Error())
	}
	r.Log("verifying recipe evidence of %s#%d at %s", repo, target.PR.Number, target.PR.HeadSHA)
	rep, err := r.Verify(ctx, target)
	if err != nil {
		// From here on the PR is known: whatever failed, the comment must
		// not keep an earlier head's verdict.
		return r.undecided(ctx, a, target, gctx.Workspace, err)
	}
	summary := comment.Render(rep, comment.MaxSummaryBytes)
	a.AddStepSummary(summary)
	annotate(a, rep)
	if in.ReportPath != "" {
		if err := WriteReportJSON(filepath.Join(gctx.Workspace, in.ReportPath), rep); err != nil {
			a.Warningf("write report-path: %v", err)
		}
	}
	commentID := r.postComment(ctx, a, target, rep)
	setOutputs(a, rep, commentID, in.ReportPath)
	state, desc := statusOf(in, rep)
	if !r.setStatus(ctx, a, target, state, desc) {
		return ExitError
	}
	a.Infof("%s", Neutralize(fmt.Sprintf("verdict %s: %d passed, %d failing, %d invalid, %d undecided, %d missing; %d GitHub API calls",
		rep.Verdict, rep.Counts.Passed, rep.Counts.Failing, rep.Counts.Invalid, rep.Counts.Errors, rep.Counts.Missing, gh.Calls())))
	if in.FailOn.Fails(countsView{invalid: rep.Counts.Invalid, errors: rep.Counts.Errors, failing: rep.Counts.Failing, missing: rep.Counts.Missing}) {
		return ExitFailed
	}
	return ExitOK
}

var errNoPR = errors.New("this event is not about a pull request: nothing to verify")

// errStale ends a run whose pull request moved on to another head since the
// event: a later run reports the new head, and this one must not.
var errStale = errors.New("the pull request moved on")

// target finds the pull request the run reports on. Under pull_request (mode
// verify) it is the event's PR, read again through the API, and the run stops
// when the PR's head is no longer the event's. Under workflow_run (mode
// comment, stage 2) it is re-derived from the run's head repository, branch
// and commit — never from an artifact, which the untrusted stage wrote, nor
// from the commit → pulls endpoint, which knows nothing of commits that exist
// only in a fork. Each mode runs on its own events only.
func (r *Runner) target(ctx context.Context, eventName string, event map[string]any) (Target, error) {
	switch eventName {
	case "pull_request", "pull_request_target":
		if r.In.Mode != ModeVerify {
			return Target{}, fmt.Errorf("mode %s runs on workflow_run (stage 2 of the fork-safe setup), not on %s: use mode: verify here", r.In.Mode, eventName)
		}
		pr, _ := event["pull_request"].(map[string]any)
		num, ok := pr["number"].(float64)
		if !ok {
			num, ok = event["number"].(float64)
		}
		if !ok || num <= 0 {
			return Target{}, fmt.Errorf("%s event has no pull request number", eventName)
		}
		head, _ := pr["head"].(map[string]any)
		eventSHA, _ := head["sha"].(string)
		if eventSHA == "" {
			return Target{}, fmt.Errorf("%s event has no pull_request.head.sha", eventName)
		}
		got, err := r.GH.PullRequest(ctx, r.Repo, int(num))
		if err != nil {
			return Target{}, fmt.Errorf("read PR #%d: %w", int(num), err)
		}
		if got.HeadSHA != eventSHA {
			return Target{}, fmt.Errorf("%w: PR #%d's head is %s, not the event's %s; the run of the new head reports", errStale, got.Number, got.HeadSHA, eventSHA)
		}
		return Target{Repo: r.Repo, PR: got}, nil
	case "workflow_run":
		if r.In.Mode != ModeComment {
			return Target{}, fmt.Errorf("mode %s runs on pull_request; on workflow_run (stage 2 of the fork-safe setup) use mode: comment", r.In.Mode)
		}
		run, _ := event["workflow_run"].(map[string]any)
		headSHA, _ := run["head_sha"].(string)
		headBranch, _ := run["head_branch"].(string)
		headRepo, _ := run["head_repository"].(map[string]any)
		headFull, _ := headRepo["full_name"].(string)
		owner, _ := headRepo["owner"].(map[string]any)
		headOwner, _ := owner["login"].(string)
		if headSHA == "" {
			return Target{}, errors.New("workflow_run event has no head_sha")
		}
		if headOwner == "" || headFull == "" || headBranch == "" {
			// Fail closed: without the head repository and branch, the PR
			// of this run cannot be found, nor a PR of the same commit from
			// another repository told apart.
			return Target{}, fmt.Errorf("workflow_run event lacks its head repository or branch (workflow_run.head_repository.full_name, .owner.login, workflow_run.head_branch): cannot tell which PR the run of %s was about; not commenting", headSHA)
		}
		prs, err := r.GH.OpenPullRequestsByHead(ctx, r.Repo, headOwner, headBranch)
		if err != nil {
			return Target{}, fmt.Errorf("find the PR of %s:%s: %w", headOwner, headBranch, err)
		}
		var match []github.PullRequest
		var movedOn []string
		for _, p := range prs {
			if !strings.EqualFold(p.HeadRepo.String(), headFull) || p.HeadRef != headBranch || p.State != "open" {
				continue
			}
			if p.HeadSHA != headSHA {
				movedOn = append(movedOn, fmt.Sprintf("#%d is at %s", p.Number, p.HeadSHA))
				continue
			}
			match = append(match, p)
		}
		switch {
		case len(match) == 1:
		case len(match) == 0 && len(movedOn) > 0:
			return Target{}, fmt.Errorf("%w: no open PR from %s:%s has head %s (%s); the run of the new head reports", errStale, headFull, headBranch, headSHA, strings.Join(movedOn, ", "))
		case len(match) > 1:
			// A status belongs to the commit, a verdict to a PR (its base,
			// its diff): with two PRs on one head, either verdict would
			// stand for the other. Fail closed on the commit.
			nums := make([]string, len(match))
			for i, m := range match {
				nums[i] = fmt.Sprintf("#%d", m.Number)
			}
			return Target{}, &sharedHeadError{sha: headSHA, prs: nums}
		default:
			return Target{}, fmt.Errorf("%w: no open PR from %s:%s has head %s", errNoMatch, headFull, headBranch, headSHA)
		}
		got, err := r.GH.PullRequest(ctx, r.Repo, match[0].Number)
		if err != nil {
			return Target{}, fmt.Errorf("read PR #%d: %w", match[0].Number, err)
		}
		if got.HeadSHA != headSHA || !strings.EqualFold(got.HeadRepo.String(), headFull) {
			return Target{}, fmt.Errorf("%w: PR #%d moved on to %s since the run of %s; the run of the new head reports", errStale, got.Number, got.HeadSHA, headSHA)
		}
		return Target{Repo: r.Repo, PR: got, Stage1URL: stage1URL(run)}, nil
	}
	return Target{}, fmt.Errorf("%w (event %q)", errNoPR, eventName)
}

// errNoMatch: stage 2 found no PR for the run it follows.
var errNoMatch = errors.New("no open pull request matches this run")

// sharedHeadError: several open PRs have the run's head commit.
type sharedHeadError struct {
	sha string
	prs []string
}

func (e *sharedHeadError) Error() string {
	return fmt.Sprintf("open PRs %s all have head %s: a commit status cannot judge them apart; close all but one (the status is set to error until then)", strings.Join(e.prs, ", "), e.sha)
}

// stage1URL is the page of the stage-1 run a workflow_run event reports
// (GitHub's own URL, checked to be https), or "".
func stage1URL(run map[string]any) string {
	u, _ := run["html_url"].(string)
	if !strings.HasPrefix(u, "https://") || strings.ContainsAny(u, " \t\r\n<>\"'`") {
		return ""
	}
	return u
}

// setStatus sets the commit status of mode comment on the PR's head: the
// check maintainers require, set only by stage 2, which runs from the default
// branch and cannot be changed by the PR. state is success, failure (the
// report fails under fail-on) or error (the head could not be verified).
// It reports false when the status could not be set (the run must then fail:
// the PR would otherwise wait for its required check without a word).
func (r *Runner) setStatus(ctx context.Context, a *githubactions.Action, t Target, state github.StatusState, desc string) bool {
	if r.In.Mode != ModeComment {
		return true
	}
	err := r.GH.CreateStatus(ctx, t.Repo, t.PR.HeadSHA, github.CommitStatus{State: state, Context: r.In.StatusContext, Description: desc, TargetURL: r.RunURL})
	switch {
	case err == nil:
		r.Log("commit status %s: %s on %s", r.In.StatusContext, state, t.PR.HeadSHA)
		a.SetOutput("status", string(state))
		return true
	case github.IsForbidden(err):
		a.Errorf("%s", Neutralize("could not set the commit status "+r.In.StatusContext+": the token needs statuses: write in this workflow: "+err.Error()))
	default:
		a.Errorf("%s", Neutralize("could not set the commit status "+r.In.StatusContext+": "+err.Error()))
	}
	return false
}

// statusOf is the commit status of a report under fail-on.
func statusOf(in Inputs, rep *comment.Report) (github.StatusState, string) {
	c := rep.Counts
	desc := fmt.Sprintf("%s: %d passed, %d failing, %d invalid, %d undecided, %d missing", rep.Verdict, c.Passed, c.Failing, c.Invalid, c.Errors, c.Missing)
	if len(rep.Rows) == 0 {
		desc = "no recipe evidence to verify in this PR"
	}
	if in.FailOn.Fails(countsView{invalid: c.Invalid, errors: c.Errors, failing: c.Failing, missing: c.Missing}) {
		return github.StatusFailure, desc + " (fails on " + string(in.FailOn) + ")"
	}
	return github.StatusSuccess, desc
}

// postComment keeps the sticky comment up to date; with a read-only token (fork
// PRs) it warns and leaves the job summary as the report.
func (r *Runner) postComment(ctx context.Context, a *githubactions.Action, t Target, rep *comment.Report) int64 {
	// Nothing to report under comment: auto: post nothing new, but do not
	// leave an earlier report standing as if it still applied.
	create := r.In.Comment != CommentAuto || len(rep.Rows) > 0 || len(rep.Notes) > 0
	return r.writeComment(ctx, a, t, comment.Render(rep, comment.MaxCommentChars), create)
}

// writeComment writes body to the sticky comment: it edits the existing one,
// and creates one only when create is set. It returns the comment's ID, or 0.
func (r *Runner) writeComment(ctx context.Context, a *githubactions.Action, t Target, body string, create bool) int64 {
	if r.In.Comment == CommentNever {
		return 0
	}
	// The PR may have moved on while this run verified: its comment must not
	// show this head's verdict (the run of the new head writes it).
	if now, err := r.GH.PullRequest(ctx, t.Repo, t.PR.Number); err == nil && now.HeadSHA != t.PR.HeadSHA {
		a.Noticef("%s", Neutralize(fmt.Sprintf("PR #%d moved on to %s while %s was verified: not commenting (the run of the new head does)", t.PR.Number, now.HeadSHA, t.PR.HeadSHA)))
		return 0
	} else if err != nil {
		a.Warningf("%s", Neutralize("could not re-read the PR before commenting: "+err.Error()))
		return 0
	}
	upsert := r.GH.UpsertStickyComment
	if !create {
		upsert = r.GH.UpdateStickyComment
	}
	id, act, err := upsert(ctx, t.Repo, t.PR.Number, comment.Marker, body, r.In.CommentAuthor)
	switch {
	case err == nil && id == 0:
		return 0
	case err == nil:
		r.Log("sticky comment %d %s", id, act)
		return id
	case github.IsForbidden(err):
		a.Warningf("%s", Neutralize("the token cannot comment on this PR (read-only, e.g. a fork PR): the report is in the job summary. Use the two-stage workflow_run setup (docs/action.md) to comment: "+err.Error()))
	default:
		a.Warningf("%s", Neutralize("could not update the PR comment: "+err.Error()))
	}
	return 0
}

// maxReasonRunes bounds the reason an undecided report shows.
const maxReasonRunes = 2000

// undecided ends a run that failed once the PR was known (the file list, the
// plan, the head tree could not be read): the head is reported as "could not
// verify head <sha>: <reason>" in the log, the job summary, the JSON report
// and the sticky comment, so that no earlier verdict stays over the new head.
// The comment is rewritten when it exists; a new one is posted only under
// comment: always. It returns ExitError.
func (r *Runner) undecided(ctx context.Context, a *githubactions.Action, t Target, workspace string, cause error) int {
	reason, n := cause.Error(), 0
	for i := range reason {
		if n == maxReasonRunes {
			reason = reason[:i] + "…"
			break
		}
		n++
	}
	line := fmt.Sprintf("could not verify head %s: %s", t.PR.HeadSHA, reason)
	a.Errorf("%s", Neutralize(line))
	body := UndecidedBody(t, r.RunURL, reason)
	a.AddStepSummary(body)
	if r.In.ReportPath != "" {
		rep := &comment.Report{Repository: t.Repo.String(), PR: t.PR.Number, HeadSHA: t.PR.HeadSHA, RunURL: r.RunURL,
			Verdict: verify.VerdictError, Rows: []comment.Row{}, Notes: []string{line}}
		if err := WriteReportJSON(filepath.Join(workspace, r.In.ReportPath), rep); err != nil {
			a.Warningf("write report-path: %v", err)
		}
		a.SetOutput("report-json", OneLine(r.In.ReportPath))
	}
	a.SetOutput("verdict", string(verify.VerdictError))
	if id := r.writeComment(ctx, a, t, body, r.In.Comment == CommentAlways); id != 0 {
		a.SetOutput("comment-id", strconv.FormatInt(id, 10))
	}
	r.setStatus(ctx, a, t, github.StatusError, "could not verify head "+t.PR.HeadSHA[:min(12, len(t.PR.HeadSHA))]+": see the run")
	a.Infof("verdict %s: could not decide; %d GitHub API calls", verify.VerdictError, r.GH.Calls())
	return ExitError
}

// UndecidedBody is the sticky comment (and job summary) of a run that could
// not verify the PR's head: "could not verify head <sha>: <reason>". Every
// untrusted string goes through comment.Text or comment.Code.
func UndecidedBody(t Target, runURL, reason string) string {
	var b strings.Builder
	b.WriteString(comment.Marker + "\n## Recipe evidence\n\n")
	b.WriteString("⏳ **Could not decide** — could not verify head " + comment.Code(t.PR.HeadSHA) + ": " + comment.Text(reason) + "\n\n")
	b.WriteString("No verdict stands for this head: an earlier report on this PR does not apply to it. Retrying the job may help when the cause is the API or the workflow; a path or a tree the action refuses needs a change to the PR.\n")
	b.WriteString("\n---\n<sub>Evidence informs review; it never merges anything by itself.")
	if runURL != "" {
		b.WriteString(" Full report: " + comment.Link("job summary", runURL) + ".")
	}
	b.WriteString("</sub>\n")
	return b.String()
}

// setOutputs writes single-line, sanitised outputs.
func setOutputs(a *githubactions.Action, rep *comment.Report, commentID int64, reportPath string) {
	a.SetOutput("verdict", string(rep.Verdict))
	a.SetOutput("passed", strconv.Itoa(rep.Counts.Passed))
	a.SetOutput("failing", strconv.Itoa(rep.Counts.Failing))
	a.SetOutput("invalid", strconv.Itoa(rep.Counts.Invalid))
	a.SetOutput("errors", strconv.Itoa(rep.Counts.Errors))
	a.SetOutput("missing", strconv.Itoa(rep.Counts.Missing))
	if commentID != 0 {
		a.SetOutput("comment-id", strconv.FormatInt(commentID, 10))
	}
	if reportPath != "" {
		a.SetOutput("report-json", OneLine(reportPath))
	}
}

// annotate adds at most 10 error and 10 warning annotations on the recipe files,
// then one notice with the count of the rest.
func annotate(a *githubactions.Action, rep *comment.Report) {
	const max = 10
	errs, warns, rest := 0, 0, 0
	for _, row := range rep.Rows {
		file := firstNonEmpty(row.RecipePath, row.BundlePath, row.PointerPath)
		msg := row.Detail
		if row.Result != nil && msg == "" {
			msg = row.Result.Summary
		}
		fields := map[string]string{"file": OneLine(file), "title": OneLine("evidence: " + row.Recipe)}
		pending := row.Outcome == comment.OutcomePending
		switch {
		case !pending && (row.Verdict == verify.VerdictInvalid || row.Verdict == verify.VerdictError):
			if errs == max {
				rest++
				continue
			}
			errs++
			a.WithFieldsMap(fields).Errorf("%s", Neutralize(fmt.Sprintf("%s evidence: %s", row.Verdict, msg)))
		case row.Verdict == verify.VerdictFailing || row.Outcome == comment.OutcomeMissing || pending:
			if warns == max {
				rest++
				continue
			}
			warns++
			a.WithFieldsMap(fields).Warningf("%s", Neutralize(fmt.Sprintf("%s: %s", rowWord(row), msg)))
		}
	}
	if rest > 0 {
		a.Noticef("%d more recipe finding(s) are not annotated; see the job summary", rest)
	}
}

func rowWord(row comment.Row) string {
	switch row.Outcome {
	case comment.OutcomeMissing:
		return "evidence missing"
	case comment.OutcomePending:
		return "evidence pending"
	}
	return string(row.Verdict) + " evidence"
}

// Neutralize makes untrusted text safe for the job log: one line, and no "::"
// that the runner could read as a workflow command.
func Neutralize(s string) string {
	s = strings.ReplaceAll(OneLine(s), "::", ":\u200b:")
	return strings.ReplaceAll(s, "##[", "#\u200b#[")
}

// OneLine replaces line breaks and other control characters by spaces.
func OneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
}

// workspaceReader reads input files relative to the workspace, bounded, refusing
// anything but a regular file inside it.
func workspaceReader(workspace string) func(string, int64) ([]byte, error) {
	return func(p string, limit int64) ([]byte, error) {
		if workspace == "" {
			workspace = "."
		}
		root, err := os.OpenRoot(workspace)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		rel := p
		if filepath.IsAbs(p) {
			if rel, err = filepath.Rel(workspace, p); err != nil {
				return nil, err
			}
		}
		f, err := root.Open(rel)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", p)
		}
		b, err := io.ReadAll(io.LimitReader(f, limit+1))
		if err != nil {
			return nil, err
		}
		if int64(len(b)) > limit {
			return nil, fmt.Errorf("%s is larger than %d bytes", p, limit)
		}
		return b, nil
	}
}

// readArchive reads an in-memory bundle with the default limits.
func readArchive(ctx context.Context, b []byte) (*archive.Contents, error) {
	return archive.Read(ctx, bytes.NewReader(b), archive.Limits{})
}
