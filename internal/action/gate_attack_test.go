package action_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

// Adversarial review of the merge gate (issue 13), by a reviewer who had only
// the docs and the code. Each TestGateAttack… test marked FOUND failed on
// db20ef1 (the comment says what an attacker gained) and passes since the
// fix; the TestGateAttackDefence… ones confirm a defence held. Findings that
// no test of the binary can show are listed at the end of the file and
// answered in docs/action.md (threat model).

const stickyMarker = "<!-- aicr/verify-evidence: sticky report -->"

// latestStatus is the newest recipe-evidence status on sha (what branch
// protection reads), or nil.
func latestStatus(t *testing.T, srv *githubtest.Server, sha string) *githubtest.CommitStatus {
	t.Helper()
	var last *githubtest.CommitStatus
	for _, s := range statusOn(t, srv, sha) {
		if strings.EqualFold(s.Context, "recipe-evidence") {
			s := s
			last = &s
		}
	}
	return last
}

// invalidH100 is the h100 recipe with a bundle that is not an archive:
// invalid evidence, which the gate must never pass.
func invalidH100(t *testing.T) []githubtest.File {
	files := h100Files(t)
	files[1].Content = []byte("this is not a gzip'd tar: forged evidence\n")
	return files
}

// FOUND (high): GitHub lists at most 3,000 files of a PR. A fork PR that
// adds 3,000 innocuous files sorting before recipes/ hides its recipe and
// bundle from the gate: the report only gets a note ("recipes beyond the cap
// were not seen") and stage 2 sets recipe-evidence = success on the head.
// The attacker merges a recipe with forged (or no) evidence past the
// required check; the reviewer faces a 3,001-file diff.
func TestGateAttackTruncatedFileListPassesGate(t *testing.T) {
	head := sha('1')
	// Control: the invalid bundle alone fails the gate.
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 101, HeadSHA: head, HeadRef: "evil", BaseSHA: sha('b'), HeadRepo: "mallory/recipes"}, invalidH100(t))
	r := runAction(t, srv, workflowRunEvent(t, head, "mallory/recipes", "evil"), "workflow_run", map[string]string{"mode": "comment"})
	if st := latestStatus(t, srv, head); st == nil || st.State == "success" {
		t.Fatalf("control: the invalid bundle alone did not fail the gate: %+v\n%s", st, r.stdout)
	}

	// Attack: 3,000 filler files first (GitHub lists a PR's files in path
	// order; "a/…" sorts before "recipes/…"), then the forged evidence.
	var files []githubtest.File
	for i := range 3000 {
		files = append(files, githubtest.File{Path: fmt.Sprintf("a/filler-%04d.txt", i), Status: "added", Content: []byte("x\n")})
	}
	files = append(files, invalidH100(t)...)
	srv = newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 102, HeadSHA: head, HeadRef: "evil", BaseSHA: sha('b'), HeadRepo: "mallory/recipes"}, files)
	r = runAction(t, srv, workflowRunEvent(t, head, "mallory/recipes", "evil"), "workflow_run", map[string]string{"mode": "comment"})
	st := latestStatus(t, srv, head)
	if st == nil || st.State == "success" {
		t.Fatalf("a PR whose file list GitHub cut at 3,000 got recipe-evidence=%+v (verdict %q): the recipes beyond the cap were never verified, yet the required check passes\n%s",
			st, r.outputs["verdict"], r.stdout)
	}
}

// FOUND (medium): a commit status belongs to a commit, not to a PR, and
// the verdict depends on the PR's base (its diff). When two open PRs share
// one head (same repository, branch and SHA; GitHub allows it for two
// different bases, and anyone can open a PR from any fork's branch), stage 2
// finds two matches, warns and writes nothing, so whatever recipe-evidence
// status the commit already has stays. Here a PR from the head into a branch
// that already holds the recipe (no recipe in its diff) got success first;
// then the PR into main, whose diff holds the forged evidence, is mergeable
// with that success. (The same ambiguity lets a third party freeze any fork
// PR's gate by opening a second PR from its branch into another base.)
func TestGateAttackSecondPRFromSameHeadKeepsStaleSuccess(t *testing.T) {
	head := sha('2')
	srv := newServer(t)
	// PR into "staging": its diff has no recipe: success on the head.
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 111, HeadSHA: head, HeadRef: "feat", BaseSHA: sha('c'), BaseRef: "staging", HeadRepo: "mallory/recipes"},
		[]githubtest.File{{Path: "README.md", Status: "modified", Content: []byte("hello\n")}})
	r := runAction(t, srv, workflowRunEvent(t, head, "mallory/recipes", "feat"), "workflow_run", map[string]string{"mode": "comment"})
	if st := latestStatus(t, srv, head); st == nil || st.State != "success" {
		t.Fatalf("setup: %+v\n%s", st, r.stdout)
	}
	// The PR that matters: same head, into main, with forged evidence.
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 112, HeadSHA: head, HeadRef: "feat", BaseSHA: sha('b'), BaseRef: "main", HeadRepo: "mallory/recipes"}, invalidH100(t))
	r = runAction(t, srv, workflowRunEvent(t, head, "mallory/recipes", "feat"), "workflow_run", map[string]string{"mode": "comment"})
	if st := latestStatus(t, srv, head); st == nil || st.State == "success" {
		t.Fatalf("PR #112 (forged evidence into main) is judged by recipe-evidence=%+v, computed for PR #111's diff; stage 2 said: verdict %q\n%s",
			st, r.outputs["verdict"], r.stdout)
	}
}

// FOUND (medium, needs confirming on github.com): the policy and the
// pinned trusted root are read from GET /git/trees/<default branch NAME>.
// GitHub documents tree_sha as "the SHA1 value or ref (branch or tag) name";
// a name that is both a tag and a branch is ambiguous, and git resolves
// refs/tags/<name> before refs/heads/<name>. Anyone who may push a tag (a
// same-repository contributor, a release job; tags are outside branch
// protection and CODEOWNERS) can push a tag "main" whose tree carries a
// policy trusting their own signer, and both stages then read it. The fake
// keeps one namespace for tree-ish names, so this test checks the request
// itself: the settings must be read at a commit SHA resolved from
// refs/heads/<branch> (or at least at "heads/<branch>").
func TestGateAttackSettingsReadByAmbiguousRefName(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 121, HeadSHA: sha('3'), HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
	r := runAction(t, srv, workflowRunEvent(t, sha('3'), "forker/recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
	if r.outputs["status"] != "success" {
		t.Fatalf("setup: exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
	}
	hex40 := regexp.MustCompile(`/git/trees/([0-9a-f]{40}|heads/[^/?]+)$`)
	for _, q := range srv.Fake.Requests() {
		if !strings.Contains(q.Path, "/git/trees/") || strings.HasSuffix(q.Path, "/"+sha('3')) || strings.HasSuffix(q.Path, "/"+sha('b')) {
			continue
		}
		if !hex40.MatchString(q.Path) {
			t.Errorf("the settings (policy, trusted root) were read at %s %s: a bare ref name, which a tag of the same name can shadow", q.Method, q.Path)
		}
	}
}

// FOUND (low): with comment-author set (e.g. github-actions[bot], the
// account every workflow's GITHUB_TOKEN writes as), any comment of that
// account that merely CONTAINS the marker is adopted: another workflow that
// echoes a PR title or body (a title linter, a welcome bot) posts the
// marker on the attacker's behalf, and stage 2 then overwrites that
// workflow's comment, or, when it is the older one, keeps rewriting it
// while its own report is never created. The installation-token path
// requires the marker at the start or end; this path does not.
func TestGateAttackCommentAuthorAdoptsQuotedMarker(t *testing.T) {
	maint := githubtest.User{Login: "maint-bot-user", Type: "User"}
	for _, tc := range []struct {
		name   string
		opts   []githubtest.Option
		author githubtest.User
		inputs map[string]string
	}{
		// GITHUB_TOKEN with comment-author: github-actions[bot]: another
		// workflow's comment quoting the PR title.
		{"comment-author input", nil, githubtest.ActionsBot, map[string]string{"comment-author": "github-actions[bot]"}},
		// A PAT (GET /user answers): the same Contains rule; e.g. the
		// account's other automation, or a person replying with the raw
		// marker pasted in.
		{"PAT", []githubtest.Option{githubtest.WithUserToken(maint)}, maint, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tc.opts...)
			srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 131, HeadSHA: sha('4'), HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
			quoted := "PR title check: the title `fix " + stickyMarker + " stuff` is not Conventional Commits. Please rename the PR."
			other := srv.Fake.AddComment(e2eRepo, 131, tc.author, quoted)
			in := map[string]string{"mode": "comment"}
			for k, v := range tc.inputs {
				in[k] = v
			}
			r := runAction(t, srv, workflowRunEvent(t, sha('4'), "forker/recipes", "h100"), "workflow_run", in)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stdout)
			}
			for _, c := range srv.Fake.Comments(e2eRepo, 131) {
				if c.ID == other && c.Body != quoted {
					t.Fatalf("stage 2 overwrote a comment by %s that only quoted the marker:\n%.300s", tc.author.Login, c.Body)
				}
			}
		})
	}
}

// FOUND (low): with an installation token and no comment-author (the
// recommended setup), any Bot's comment that ENDS with the marker is taken
// for the sticky comment. Bots that end a comment with user text exist
// (quoting the PR title or a command); the attacker ends that text with the
// marker, and stage 2 edits the other bot's comment, which that bot (or the
// attacker through it) can later rewrite, e.g. into a fake "✅ Evidence
// verified" that the next stage-2 run does not replace because it keeps
// editing the oldest match.
func TestGateAttackAnyBotAdoptsForeignBotComment(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 141, HeadSHA: sha('5'), HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
	echo := "Thanks for the PR! You asked: please review " + stickyMarker
	other := srv.Fake.AddComment(e2eRepo, 141, githubtest.User{Login: "helper-bot[bot]", Type: "Bot"}, echo)
	r := runAction(t, srv, workflowRunEvent(t, sha('5'), "forker/recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	for _, c := range srv.Fake.Comments(e2eRepo, 141) {
		if c.ID == other && c.Body != echo {
			t.Fatalf("stage 2 (GITHUB_TOKEN) edited helper-bot[bot]'s comment, which only ended with the marker:\n%s", c.Body)
		}
	}
}

// recommendedFailOn is the fail-on of the documented stage 2 workflow.
func recommendedFailOn(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s+fail-on:\s*([a-z]+)`).FindSubmatch(example(t, "docs/workflows/stage2-gate.yml"))
	if m == nil {
		t.Fatal("docs/workflows/stage2-gate.yml sets no fail-on")
	}
	return string(m[1])
}

// FOUND (medium, fixed: stage 2 now recommends fail-on: missing): under
// fail-on: invalid, a PR that changes an existing recipe and deletes its
// evidence bundle is "missing", which does not fail: recipe-evidence is
// success. The required check that exists to make recipe changes carry
// verified evidence passes a recipe change with no evidence at all; only a
// reviewer reading the comment notices. The same PR that keeps the old
// (now mismatching) bundle is invalid and blocked, so deleting the evidence
// is the cheaper way through.
func TestGateAttackDeletingEvidencePassesGate(t *testing.T) {
	orig := h100Files(t)
	changed := append([]byte{}, orig[0].Content...)
	changed = append(changed, []byte("# tweaked without new evidence\n")...)
	srv := newServer(t)
	srv.Fake.SetTree(e2eRepo, sha('b'), []githubtest.TreeFile{{Path: orig[0].Path, Content: orig[0].Content}, {Path: orig[1].Path, Content: orig[1].Content}})
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 151, HeadSHA: sha('6'), HeadRef: "tweak", BaseSHA: sha('b'), HeadRepo: "mallory/recipes"}, []githubtest.File{
		{Path: orig[0].Path, Status: "modified", Content: changed},
		{Path: orig[1].Path, Status: "removed", Content: orig[1].Content},
	})
	r := runAction(t, srv, workflowRunEvent(t, sha('6'), "mallory/recipes", "tweak"), "workflow_run", map[string]string{"mode": "comment", "fail-on": recommendedFailOn(t)})
	if st := latestStatus(t, srv, sha('6')); st == nil || st.State == "success" {
		t.Fatalf("a recipe change that deletes its evidence got recipe-evidence=%+v under the recommended fail-on (verdict %q, missing %q)\n%s",
			st, r.outputs["verdict"], r.outputs["missing"], r.stdout)
	}
}

// FOUND (low): stage 2 checks the PR's head once, before verifying
// (which may take minutes: bundles up to 100 MB, TUF, retries), and writes
// the sticky comment at the end without looking again. A push that lands
// meanwhile gets the OLD head's verdict as the PR's one comment, standing
// over the new head until the new head's run rewrites it (and forever, if
// that run never writes: e.g. its stage 1 is cancelled or awaits
// approval). The commit status is not affected (it is set on the old SHA).
// The proxy below answers every PR read made after the first blob read with
// the new head, as GitHub would once the push landed.
func TestGateAttackHeadMovesDuringVerifyCommentShowsOldVerdict(t *testing.T) {
	oldHead, newHead := sha('7'), sha('8')
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 161, HeadSHA: oldHead, HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
	var (
		mu     sync.Mutex
		moved  bool
		writes []string
	)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		srv.Fake.ServeHTTP(rec, r)
		mu.Lock()
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/git/blobs/") {
			moved = true // the contributor pushes while stage 2 verifies
		}
		isMoved := moved
		if isMoved && (r.Method == http.MethodPost || r.Method == http.MethodPatch) && strings.Contains(r.URL.Path, "/comments") {
			writes = append(writes, r.Method+" "+r.URL.Path)
		}
		mu.Unlock()
		body := rec.Body.Bytes()
		if isMoved && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/pulls") {
			body = bytes.ReplaceAll(body, []byte(oldHead), []byte(newHead))
		}
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	}))
	defer proxy.Close()
	r := runActionWrapped(t, []string{"env", "GITHUB_API_URL=" + proxy.URL + srv.Fake.Prefix()}, srv,
		workflowRunEvent(t, oldHead, "forker/recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
	mu.Lock()
	defer mu.Unlock()
	if !moved {
		t.Fatalf("setup: no blob was read through the proxy\n%s", r.stdout)
	}
	if len(writes) > 0 {
		t.Fatalf("stage 2 wrote the sticky comment (%v) with head %s's verdict %q after the PR had moved on to %s, without checking the head again",
			writes, oldHead[:12], r.outputs["verdict"], newHead[:12])
	}
}

// ---- Defences that held (these pass) ----

// runOnTrunk runs stage 2 with the default branch renamed to "trunk",
// holding exactly trunk; "main" keeps what runAction puts there (the
// examples' settings, which trust the h100 bundle's signer).
func runOnTrunk(t *testing.T, srv *githubtest.Server, pr int, head string, inputs map[string]string, trunk []githubtest.TreeFile) run {
	t.Helper()
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: pr, HeadSHA: head, HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
	srv.Fake.SetDefaultBranch(e2eRepo, "trunk")
	srv.Fake.SetTree(e2eRepo, "trunk", trunk)
	in := map[string]string{"mode": "comment"}
	for k, v := range inputs {
		in[k] = v
	}
	return runAction(t, srv, workflowRunEvent(t, head, "forker/recipes", "h100"), "workflow_run", in)
}

// The settings follow a renamed default branch, and a default branch
// without a policy, or whose policy path is a symlink or a submodule, never
// yields success: the old branch's (trusting) policy is not used.
func TestGateAttackDefenceDefaultBranchSettings(t *testing.T) {
	root := example(t, "testdata/examples/trusted_root.json")
	trusting := example(t, "testdata/examples/policy.yaml")
	for _, tc := range []struct {
		name   string
		inputs map[string]string
		trunk  []githubtest.TreeFile
		want   string // the status state; "closed": anything but success
	}{
		{"renamed, trunk trusts the signer", nil, []githubtest.TreeFile{{Path: "trusted_root.json", Content: root}, {Path: "policy.yaml", Content: trusting}}, "success"},
		{"renamed, trunk trusts someone else", nil, []githubtest.TreeFile{{Path: "trusted_root.json", Content: root}, {Path: "policy.yaml", Content: policyTrusting("someone/else")}}, "failure"},
		{"no policy on trunk (default path)", map[string]string{"policy": ""}, []githubtest.TreeFile{{Path: "trusted_root.json", Content: root}}, "failure"},
		{"explicit policy missing on trunk", nil, []githubtest.TreeFile{{Path: "trusted_root.json", Content: root}}, "closed"},
		{"policy is a symlink", nil, []githubtest.TreeFile{{Path: "trusted_root.json", Content: root}, {Path: "p/policy.yaml", Content: trusting}, {Path: "policy.yaml", Mode: "120000", Content: []byte("p/policy.yaml")}}, "closed"},
		{"default policy path is a symlink", map[string]string{"policy": ""}, []githubtest.TreeFile{{Path: "trusted_root.json", Content: root}, {Path: "p/policy.yaml", Content: trusting}, {Path: "recipes/evidence/policy.yaml", Mode: "120000", Content: []byte("../../p/policy.yaml")}}, "closed"},
		{"policy is a submodule", nil, []githubtest.TreeFile{{Path: "trusted_root.json", Content: root}, {Path: "policy.yaml", Mode: "160000", SHA: sha('d')}}, "closed"},
		{"trusted root is a symlink", nil, []githubtest.TreeFile{{Path: "r/root.json", Content: root}, {Path: "trusted_root.json", Mode: "120000", Content: []byte("r/root.json")}, {Path: "policy.yaml", Content: trusting}}, "closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			r := runOnTrunk(t, srv, 171, sha('9'), tc.inputs, tc.trunk)
			st := latestStatus(t, srv, sha('9'))
			if tc.want == "closed" {
				// Fails closed: a non-success status, or an error (exit 3)
				// before any status. (Observed: failure, "1 undecided";
				// the docs promise exit 3 for a missing explicit path.)
				if (st == nil && r.code != 3) || (st != nil && st.State == "success") {
					t.Fatalf("status %+v, exit %d\n%s", st, r.code, r.stdout)
				}
				return
			}
			if st == nil || st.State != tc.want {
				t.Fatalf("status %+v, want %s (exit %d, outputs %v)\n%s", st, tc.want, r.code, r.outputs, r.stdout)
			}
		})
	}
}

// Stage 2 finds the PR whatever its branch name holds (query
// metacharacters git allows in a ref), matches the head owner
// case-insensitively as GitHub does, and ignores closed PRs.
func TestGateAttackDefenceFindsExactlyThePR(t *testing.T) {
	t.Run("branch with query metacharacters", func(t *testing.T) {
		branch := "feat/a&state=closed&head=mallory%3Aevil#frag+x=y"
		srv := newServer(t)
		// A decoy: mallory's PR of the same commit on branch "evil".
		srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 180, HeadSHA: sha('a'), HeadRef: "evil", BaseSHA: sha('b'), HeadRepo: "mallory/recipes"}, invalidH100(t))
		srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 181, HeadSHA: sha('a'), HeadRef: branch, BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
		r := runAction(t, srv, workflowRunEvent(t, sha('a'), "forker/recipes", branch), "workflow_run", map[string]string{"mode": "comment"})
		if r.outputs["status"] != "success" || len(stickyComments(srv, 181)) != 1 || len(srv.Fake.Comments(e2eRepo, 180)) != 0 {
			t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
		}
	})
	t.Run("owner in another case", func(t *testing.T) {
		srv := newServer(t)
		srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 182, HeadSHA: sha('c'), HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
		r := runAction(t, srv, workflowRunEvent(t, sha('c'), "Forker/Recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
		if r.outputs["status"] != "success" || len(stickyComments(srv, 182)) != 1 {
			t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
		}
	})
	t.Run("closed PR", func(t *testing.T) {
		srv := newServer(t)
		srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 183, HeadSHA: sha('d'), HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes", State: "closed"}, h100Files(t))
		r := runAction(t, srv, workflowRunEvent(t, sha('d'), "forker/recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
		if r.code != 0 || r.outputs["verdict"] != "skipped" || len(srv.Fake.Comments(e2eRepo, 183)) != 0 || len(statusOn(t, srv, sha('d'))) != 0 {
			t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
		}
	})
	t.Run("branch name differs only in case", func(t *testing.T) {
		srv := newServer(t)
		srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 184, HeadSHA: sha('e'), HeadRef: "H100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
		r := runAction(t, srv, workflowRunEvent(t, sha('e'), "forker/recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
		if r.outputs["verdict"] != "skipped" || len(statusOn(t, srv, sha('e'))) != 0 {
			t.Fatalf("exit %d outputs %v\n%s", r.code, r.outputs, r.stdout)
		}
	})
}

// DEFENCE (holds): the default branch's name goes into the URL path
// unescaped (go-github's GetTree formats it with %v), and git allows '#'
// and '%' in branch names: "trunk#2025" would become GET /git/trees/trunk,
// another branch anyone who may push controls. The client refuses such a
// tree-ish (?#%\ and spaces), so the gate fails closed instead of reading
// "trunk".
func TestGateAttackDefenceDefaultBranchNameWithHash(t *testing.T) {
	root := example(t, "testdata/examples/trusted_root.json")
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 191, HeadSHA: sha('f'), HeadRef: "h100", BaseSHA: sha('b'), HeadRepo: "forker/recipes"}, h100Files(t))
	srv.Fake.SetDefaultBranch(e2eRepo, "trunk#2025")
	srv.Fake.SetTree(e2eRepo, "trunk#2025", []githubtest.TreeFile{{Path: "trusted_root.json", Content: root}, {Path: "policy.yaml", Content: policyTrusting("someone/else")}})
	// The attacker's branch: trusts the h100 bundle's signer.
	srv.Fake.SetTree(e2eRepo, "trunk", []githubtest.TreeFile{{Path: "trusted_root.json", Content: root}, {Path: "policy.yaml", Content: example(t, "testdata/examples/policy.yaml")}})
	r := runAction(t, srv, workflowRunEvent(t, sha('f'), "forker/recipes", "h100"), "workflow_run", map[string]string{"mode": "comment"})
	for _, q := range srv.Fake.Requests() {
		if strings.Contains(q.Path, "/git/trees/trunk") && !strings.Contains(q.Path, "#") && !strings.Contains(q.Path, "%23") {
			t.Errorf("the settings were read at %s (query %q), not at the default branch trunk#2025", q.Path, q.Query)
		}
	}
	if st := latestStatus(t, srv, sha('f')); st != nil && st.State == "success" {
		t.Errorf("recipe-evidence=success under another branch's policy\n%s", r.stdout)
	}
}

// Findings of this review that no test of the binary can show (they are
// about GitHub's settings and events, not this code):
//
//   - A commit status's "source: GitHub Actions" is every workflow of the
//     repository. A same-repository branch PR runs its OWN workflows on
//     pull_request before any review, and may ask for statuses: write; such
//     a throwaway PR can post recipe-evidence=success on ANOTHER PR's head
//     SHA (one that changes no workflow, so no code-owner review is
//     triggered), after stage 2 posted failure (newest wins). CODEOWNERS
//     does not stop it: the forging PR is never merged. Fix: set the status
//     with a dedicated GitHub App's token (actions/create-github-app-token)
//     and require recipe-evidence from that App in the ruleset.
//   - Statuses are never recomputed when the policy on the default branch
//     changes (a signer removed after a key compromise) or when evidence
//     ages past maxAge: open PRs keep their success. Fix: re-run the gate
//     for open PRs on a push that changes the policy, or document it.
//   - GitHub keeps at most 1,000 statuses per SHA and context (OpenAPI,
//     "Create a commit status"); the fake does not enforce it. A PR author
//     can burn them with `edited` events (each title edit runs both
//     stages) while the head is green; later runs cannot set failure.
//   - A stage-1 run that awaits approval (first-time contributor) completes
//     with conclusion action_required, which the stage-2 `if` lets through:
//     the docs' "until stage 1 runs, the required status is absent" does
//     not hold (harmless: stage 2 executes nothing from the PR).
//   - Merge queues: nothing sets recipe-evidence on merge_group commits.
