package action_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// The gate maintainers require is the commit status stage 2 sets from the
// default branch (mode comment, workflow_run). These tests run the action
// binary as the runner does, against the fake GitHub API, which behaves like
// GitHub for fork commits (commit -> pulls answers []).

// workflowRunEvent is the workflow_run event stage 2 receives after stage 1
// ran for a PR whose head is sha on headRepo's branch.
func workflowRunEvent(t *testing.T, sha, headRepo, branch string) []byte {
	t.Helper()
	owner, _, _ := strings.Cut(headRepo, "/")
	ev := map[string]any{
		"action": "completed",
		"workflow_run": map[string]any{
			"id": 777, "name": "recipe evidence (verify)", "event": "pull_request", "status": "completed", "conclusion": "success",
			"head_sha": sha, "head_branch": branch, "html_url": "https://github.com/" + e2eRepo + "/actions/runs/777",
			"head_repository": map[string]any{"full_name": headRepo, "owner": map[string]any{"login": owner}},
			// GitHub leaves pull_requests empty for fork PRs; a spoofed
			// number must never be used anyway.
			"pull_requests": []any{map[string]any{"number": 999}},
		},
		"repository": map[string]any{"full_name": e2eRepo, "default_branch": "main"},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signedH100 returns the example h100 recipe and a bundle of it signed by
// identity (an Actions workflow of repo) on inst.
func signedH100(t *testing.T, inst *sigstoretest.Instance, repo string) []githubtest.File {
	t.Helper()
	name := "h100-eks-ubuntu-training"
	in, err := assemble.LoadInputs(filepath.Join(testutil.RepoRoot(t), "testdata/examples/inputs/"+name), name)
	if err != nil {
		t.Fatal(err)
	}
	in.AttestedAt, in.AICRVersion = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), "v0.18.0"
	b, err := assemble.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	id := sigstoretest.GitHubActionsIdentity(repo, ".github/workflows/evidence.yml", "refs/heads/main", sha('c'), 1)
	if b.Attestation, err = inst.SignStatement(context.Background(), b.Statement, sigstoretest.SignOptions{Identity: id, Time: time.Date(2026, 11, 20, 9, 1, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return []githubtest.File{
		{Path: recipeFile(name), Status: "added", Content: in.Recipe},
		{Path: bundleFile(name), Status: "added", Content: buf.Bytes()},
	}
}

func newInstance(t *testing.T) (*sigstoretest.Instance, []byte) {
	t.Helper()
	inst, err := sigstoretest.New(sigstoretest.Options{Name: "gate", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := inst.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	return inst, tr
}

// policyTrusting is a policy whose only community signer is repo's evidence workflow.
func policyTrusting(repo string) []byte {
	esc := strings.ReplaceAll(strings.ReplaceAll(repo, ".", `\.`), "-", `\-`)
	return []byte("schemaVersion: \"1.0\"\ncommunity:\n  - label: " + strings.ReplaceAll(repo, "/", "-") +
		"\n    issuer: https://token.actions.githubusercontent.com\n    identityPattern: ^https://github\\.com/" + esc +
		"/\\.github/workflows/evidence\\.yml@refs/heads/main$\n")
}

func statusOn(t *testing.T, srv *githubtest.Server, sha string) []githubtest.CommitStatus {
	t.Helper()
	return srv.Fake.Statuses(e2eRepo, sha)
}

// A fork PR: stage 2 finds it by the run's head repository and branch (the
// commit -> pulls endpoint knows nothing of fork-only commits), comments,
// and sets the required status on the PR's head.
func TestGateForkPRGetsCommentAndStatus(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 21, HeadSHA: sha('9'), HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
	r := runAction(t, srv, workflowRunEvent(t, sha('9'), "forker/recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
	if r.code != 0 || r.outputs["verdict"] != "passed" || r.outputs["status"] != "success" {
		t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	if cs := stickyComments(srv, 21); len(cs) != 1 {
		t.Fatalf("want one comment on the fork PR #21, got %+v", srv.Fake.Comments(e2eRepo, 21))
	}
	if len(srv.Fake.Comments(e2eRepo, 999)) != 0 {
		t.Fatal("commented on the PR number the event payload claimed")
	}
	st := statusOn(t, srv, sha('9'))
	if len(st) != 1 || st[0].State != "success" || st[0].Context != "recipe-evidence" || !strings.HasPrefix(st[0].TargetURL, "https://github.com/"+e2eRepo+"/actions/runs/") {
		t.Fatalf("statuses on the head: %+v", st)
	}
	if !strings.Contains(stickyComments(srv, 21)[0].Body, "actions/runs/777") {
		t.Error("the comment does not link the stage-1 run")
	}

	// The same run claimed by another head repository (same branch name,
	// same commit) finds no PR: a visible warning, nothing written.
	before := len(srv.Fake.Comments(e2eRepo, 21))
	r = runAction(t, srv, workflowRunEvent(t, sha('9'), "mallory/recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
	if r.code != 0 || r.outputs["verdict"] != "skipped" || !strings.Contains(r.stdout, "::warning::") {
		t.Fatalf("spoofed head repository: exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	if len(srv.Fake.Comments(e2eRepo, 21)) != before || len(statusOn(t, srv, sha('9'))) != 1 {
		t.Fatal("a run of another head repository wrote to the PR")
	}
}

// A PR cannot change the status that judges it: it edits the stage-1
// workflow (trust every identity, never fail) and brings a bundle signed by
// its own workflow. Stage 2 runs from the default branch with the default
// branch's policy and sets failure; the PR's workflow edit is noted.
func TestGateWorkflowEditCannotChangeStatus(t *testing.T) {
	inst, tr := newInstance(t)
	files := signedH100(t, inst, "mallory/evidence")
	files = append(files, githubtest.File{Path: ".github/workflows/recipe-evidence-verify.yml", Status: "modified",
		Content: []byte("on: pull_request\njobs:\n  v:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: aicr/verify-evidence@v1\n        with:\n          certificate-oidc-issuer: https://token.actions.githubusercontent.com\n          certificate-identity-regexp: ^.*$\n          fail-on: never\n")})
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 40, HeadSHA: sha('4'), HeadRef: "evil", BaseSHA: sha('b'), HeadRepo: "mallory/recipes"}, files)
	settings := map[string][]byte{"trusted_root.json": tr, "recipes/evidence/policy.yaml": policyTrusting("acme-gpu/recipe-evidence")}
	r := runAction(t, srv, workflowRunEvent(t, sha('4'), "mallory/recipes", "evil"), "workflow_run",
		map[string]string{"mode": "comment", "policy": "", "fail-on": "invalid"}, settings)
	if r.outputs["verdict"] != "invalid" || r.outputs["status"] != "failure" {
		t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	st := statusOn(t, srv, sha('4'))
	if len(st) != 1 || st[0].State != "failure" {
		t.Fatalf("statuses: %+v", st)
	}
	cs := stickyComments(srv, 40)
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "changes workflow files") {
		t.Fatalf("the comment does not flag the workflow change: %+v", cs)
	}
}

// A PR cannot choose the policy that judges it by choosing (or retargeting)
// its base branch: the policy is read at the tip of the default branch.
func TestGateRetargetedBaseCannotChoosePolicy(t *testing.T) {
	inst, tr := newInstance(t)
	files := signedH100(t, inst, "mallory/evidence")
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 41, HeadSHA: sha('5'), HeadRef: "evil", BaseSHA: sha('p'), BaseRef: "mallory-friendly", HeadRepo: "mallory/recipes"}, files)
	// The base branch the author picked trusts the author.
	srv.Fake.SetTree(e2eRepo, sha('p'), []githubtest.TreeFile{{Path: "recipes/evidence/policy.yaml", Content: policyTrusting("mallory/evidence")}})
	settings := map[string][]byte{"trusted_root.json": tr, "recipes/evidence/policy.yaml": policyTrusting("acme-gpu/recipe-evidence")}
	r := runAction(t, srv, workflowRunEvent(t, sha('5'), "mallory/recipes", "evil"), "workflow_run", map[string]string{"mode": "comment", "policy": ""}, settings)
	if r.outputs["verdict"] != "invalid" || r.outputs["status"] != "failure" {
		t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	// Control: the same bundle passes when the default branch trusts it, so
	// the failure above is the policy's doing.
	srv2 := newServer(t)
	srv2.Fake.AddPR(e2eRepo, githubtest.PR{Number: 41, HeadSHA: sha('5'), HeadRef: "evil", BaseSHA: sha('p'), BaseRef: "mallory-friendly", HeadRepo: "mallory/recipes"}, files)
	settings["recipes/evidence/policy.yaml"] = policyTrusting("mallory/evidence")
	r = runAction(t, srv2, workflowRunEvent(t, sha('5'), "mallory/recipes", "evil"), "workflow_run", map[string]string{"mode": "comment", "policy": ""}, settings)
	if r.outputs["verdict"] != "passed" || r.outputs["status"] != "success" {
		t.Fatalf("control: exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
}

// A re-run of stage 2 for an old head reports nothing: the PR moved on, and
// neither its comment nor its new head's status may show the old head's verdict.
func TestGateRerunOnOldHeadReportsNothing(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 22, HeadSHA: sha('6'), HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
	r := runAction(t, srv, workflowRunEvent(t, sha('3'), "forker/recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
	if r.code != 0 || r.outputs["verdict"] != "skipped" {
		t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	if len(srv.Fake.Comments(e2eRepo, 22)) != 0 || len(statusOn(t, srv, sha('6'))) != 0 || len(statusOn(t, srv, sha('3'))) != 0 {
		t.Fatal("a run of an old head wrote a comment or a status")
	}
	// Stage 1 likewise: the event's head is not the PR's any more.
	r = runAction(t, srv, prEvent(t, srv, 22, sha('3'), "forker/recipes"), "pull_request", nil)
	if r.code != 0 || r.outputs["verdict"] != "skipped" || len(srv.Fake.Comments(e2eRepo, 22)) != 0 {
		t.Fatalf("pull_request for an old head: exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
}

// Each mode runs on its own events: stage 2's settings on a pull_request
// event (or stage 1's on workflow_run) is a configuration error.
func TestGateModeIsEnforced(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 23, HeadSHA: sha('7'), HeadRef: "h100", BaseSHA: sha('b')}, h100Files(t))
	r := runAction(t, srv, prEvent(t, srv, 23, sha('7'), ""), "pull_request", map[string]string{"mode": "comment"})
	if r.code != 3 || !strings.Contains(r.stdout, "mode comment runs on workflow_run") {
		t.Fatalf("mode comment on pull_request: exit %d\n%s", r.code, r.stdout)
	}
	r = runAction(t, srv, workflowRunEvent(t, sha('7'), e2eRepo, "h100"), "workflow_run", map[string]string{"mode": "verify"})
	if r.code != 3 || !strings.Contains(r.stdout, "use mode: comment") {
		t.Fatalf("mode verify on workflow_run: exit %d\n%s", r.code, r.stdout)
	}
	if len(srv.Fake.Comments(e2eRepo, 23)) != 0 || len(statusOn(t, srv, sha('7'))) != 0 {
		t.Fatal("a misconfigured run wrote to the PR")
	}
}

// An App's installation token (not GITHUB_TOKEN) keeps one sticky comment:
// the author is derived from the token, not assumed to be github-actions[bot].
func TestGateAppTokenKeepsOneStickyComment(t *testing.T) {
	app := githubtest.User{Login: "aicr-evidence[bot]", Type: "Bot"}
	srv := newServer(t, githubtest.WithInstallationBot(app))
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 24, HeadSHA: sha('8'), HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
	for range 2 {
		r := runAction(t, srv, workflowRunEvent(t, sha('8'), "forker/recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
		if r.code != 0 || r.outputs["verdict"] != "passed" {
			t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
		}
	}
	cs := stickyComments(srv, 24)
	if len(cs) != 1 || cs[0].User.Login != app.Login {
		t.Fatalf("want one comment by %s, got %+v", app.Login, cs)
	}
}

// Stage 2 fails closed on a token without statuses: write: the run errors,
// visibly, instead of leaving the PR without its required status silently.
func TestGateStatusWithoutPermissionIsAnError(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 25, HeadSHA: sha('a'), HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
	srv.Fake.InjectFault(githubtest.Fault{Endpoint: githubtest.EndpointCreateStatus, Status: 403, Times: 1, Message: "Resource not accessible by integration"})
	r := runAction(t, srv, workflowRunEvent(t, sha('a'), "forker/recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
	if r.code != 3 || !strings.Contains(r.stdout, "statuses: write") {
		t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
}

// One source of settings: the policy on the default branch can set maxAge,
// which tightens the workflow's max-age input (here 0, disabled) for both
// stages alike.
func TestGatePolicyMaxAgeTightensInput(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 26, HeadSHA: sha('e'), HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
	strict := append(example(t, "testdata/examples/policy.yaml"), []byte("maxAge: 1d\n")...)
	r := runAction(t, srv, workflowRunEvent(t, sha('e'), "forker/recipes", "h100"), "workflow_run",
		map[string]string{"mode": "comment", "max-age": "0", "fail-on": "failing"}, map[string][]byte{"policy.yaml": strict})
	if r.outputs["verdict"] == "passed" || r.outputs["status"] != "failure" {
		t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	if cs := stickyComments(srv, 26); len(cs) != 1 || !strings.Contains(cs[0].Body, "maximum age") {
		t.Fatalf("the comment does not give the age limit: %+v", cs)
	}
}
