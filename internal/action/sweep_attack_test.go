package action_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/github/githubtest"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/sweep/sweeptest"
	"github.com/aicr/verify-evidence/internal/testutil"
)

func readReport(t *testing.T, ws string) *sweep.Report {
	t.Helper()
	rep, err := sweep.ReadReport(filepath.Join(ws, ".verify-evidence-sweep", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func recipeOf(t *testing.T, rep *sweep.Report, name string) sweep.Recipe {
	t.Helper()
	for _, r := range rep.Recipes {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no %s in the report", name)
	return sweep.Recipe{}
}

func gitCommitAll(t *testing.T, dir string) {
	t.Helper()
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A", "-f"}, {"-c", "user.name=m", "-c", "user.email=m@example.com", "commit", "-q", "-m", "merge"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// FOUND (high): the sweep's state folder (DefaultSweepDir,
// ".verify-evidence-sweep": cache/, report.json, page/) lives INSIDE the
// checkout of the default branch, and actions/cache/restore only adds files
// over whatever the checkout already holds (and, on a cache miss — first run,
// eviction after 7 days, a new key prefix — restores nothing). So anything
// committed under .verify-evidence-sweep/ is read as trusted state. The
// cache "must only be written by trusted runs", but a file in a merged PR (or
// a push by anyone with write access, e.g. a compromised bot) writes it: the
// PR check never looks at that folder, and a JSON file in a dot-folder is
// easy to miss in review. Every part of the key is public (bundle sha256, the
// trust root's digest, the policy file's bytes and the pins, the verifier
// version of a released image), so the entry's file name is computable
// offline.
// An attacker gains: any bundle — here garbage bytes in place of the h100
// evidence — reported as "passed", signed by the trusted community signer,
// on the page, the badge and the issue (which then closes itself); the entry
// is then saved into the real cache and survives later runs.
// Fix: keep the sweep state outside the workspace (under RUNNER_TEMP, restored
// there by actions/cache), or refuse/remove a sweep-dir the checkout carries
// (git ls-files / the folder exists before the cache restore); optionally
// bind entries to the run (an HMAC with a per-repository secret).
func TestSweepAttackCommittedCacheForgesPassed(t *testing.T) {
	srv := newServer(t)
	srv.AddRepo(e2eRepo, false)
	// A genuine run produces a genuine entry for the passing h100 evidence.
	genuine := sweeptest.Checkout(t, false)
	if r := runSweepMode(t, srv, genuine, map[string]string{"comment": "never"}); r.code != 0 {
		t.Fatalf("genuine sweep: exit %d\n%s", r.code, r.stdout)
	}
	h100 := sweeptest.Examples[0]
	if v := recipeOf(t, readReport(t, genuine), h100).Verdict; v != "passed" {
		t.Fatalf("genuine h100: %s", v)
	}
	cacheDir := filepath.Join(genuine, ".verify-evidence-sweep", "cache")
	ents, _ := os.ReadDir(cacheDir)
	var entry map[string]any
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(cacheDir, e.Name()))
		var m map[string]any
		if json.Unmarshal(b, &m) == nil && bytes.Contains(b, []byte(`"passed"`)) && bytes.Contains(b, []byte(h100)) {
			entry = m
		}
	}
	if entry == nil {
		t.Fatal("no genuine h100 entry")
	}

	// The attacker's checkout: the h100 bundle is garbage, and a forged
	// entry for its digest is committed in the sweep folder.
	ws := sweeptest.Checkout(t, false)
	garbage := []byte("this is not an evidence bundle at all\n")
	sweeptest.Write(t, ws, "recipes/evidence/"+h100+"/evidence-bundle.tar.gz", garbage)
	sum := sha256.Sum256(garbage)
	k := entry["key"].(map[string]any)
	key := sweep.CacheKey{BundleDigest: "sha256:" + hex.EncodeToString(sum[:]), TrustRootDigest: k["trustRootDigest"].(string),
		PolicyDigest: k["policyDigest"].(string), VerifierVersion: k["verifierVersion"].(string)}
	entry["key"] = key
	kb, _ := json.Marshal(key)
	ks := sha256.Sum256(kb)
	forged, _ := json.Marshal(entry)
	entryPath := ".verify-evidence-sweep/cache/" + hex.EncodeToString(ks[:]) + ".json"
	sweeptest.Write(t, ws, entryPath, forged)
	gitCommitAll(t, ws)

	// Fixed: the repository at the checked-out commit holds the entry, and
	// the sweep refuses a committed state folder (exit 3, nothing reported).
	r := runSweepModeCommitted(t, srv, ws, map[string]string{"comment": "never"}, []string{entryPath})
	if r.code != 3 || !strings.Contains(r.stdout, "is committed to the repository") {
		t.Fatalf("a committed sweep folder was used: exit %d\n%s", r.code, r.stdout)
	}
	if _, err := os.Stat(filepath.Join(ws, ".verify-evidence-sweep", "report.json")); err == nil {
		got := recipeOf(t, readReport(t, ws), h100)
		if got.Verdict == "passed" {
			t.Fatalf("a garbage bundle is reported %s (cached %v, signers %+v) through a cache entry committed in the checkout (exit %d)",
				got.Verdict, got.Cached, got.Signers, r.code)
		}
	}
}

// FOUND (high): the action's sweep keys the cache with
// sweep.VerifierVersion(""): the main module's version and vcs.revision from
// the build info. The released image is built by the Dockerfile from a
// context without .git (.dockerignore) with -ldflags "-X main.version=…",
// so the build info has neither: every release's verifier version is
// "(devel)". Upgrading the action — e.g. to a release that fixes a verifier
// bug that let bad evidence pass — does not miss the cache: every cached
// "passed" is served again (only freshness is recomputed), night after
// night, since the cache is carried forward by actions/cache. The CLI passes
// its version; the action does not.
// An attacker gains: evidence that passed through a since-fixed verifier bug
// keeps passing on the page, badge and issue indefinitely.
// Fix: pass the binary's version (main.version, as the CLI does through
// cli.IO.Version) to the action Runner and into VerifierVersion, and refuse
// to cache when the version is empty or "(devel)" without a revision.
func TestSweepAttackReleasedImageVerifierVersionIsDevel(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "verify-evidence")
	// As the Dockerfile builds it: no VCS information, the release version by -ldflags.
	cmd := exec.Command("go", "build", "-buildvcs=false", "-ldflags", "-X main.version=v9.9.9", "-o", bin, ".")
	cmd.Dir = testutil.RepoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := newServer(t)
	srv.AddRepo(e2eRepo, false)
	ws := sweeptest.Checkout(t, false)
	for name, rel := range map[string]string{"trusted_root.json": "testdata/examples/trusted_root.json", "policy.yaml": "testdata/examples/policy.yaml"} {
		sweeptest.Write(t, ws, name, example(t, rel))
	}
	fc := t.TempDir()
	eventPath := filepath.Join(fc, "event.json")
	sweeptest.Write(t, fc, "event.json", []byte(`{"schedule":"17 3 * * *"}`))
	sweeptest.Write(t, fc, "output", nil)
	sweeptest.Write(t, fc, "summary", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	commitTree(t, srv, ws, nil)
	cmd = exec.CommandContext(ctx, bin, "action")
	cmd.Dir = ws
	cmd.Env = []string{
		"GITHUB_SHA=" + sweepSHA, "GITHUB_REF=refs/heads/main", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"GITHUB_ACTIONS=true", "CI=true", "GITHUB_EVENT_NAME=schedule", "GITHUB_EVENT_PATH=" + eventPath,
		"GITHUB_REPOSITORY=" + e2eRepo, "GITHUB_REPOSITORY_OWNER=acme", "GITHUB_API_URL=" + srv.URL(),
		"GITHUB_SERVER_URL=https://github.com", "GITHUB_RUN_ID=4343", "GITHUB_RUN_ATTEMPT=1", "GITHUB_WORKSPACE=" + ws,
		"GITHUB_OUTPUT=" + filepath.Join(fc, "output"), "GITHUB_STEP_SUMMARY=" + filepath.Join(fc, "summary"), "RUNNER_TEMP=" + t.TempDir(),
		"INPUT_GITHUB-TOKEN=ghs_test", "INPUT_TRUSTED-ROOT=trusted_root.json", "INPUT_POLICY=policy.yaml",
		"INPUT_RECIPE-PATHS=recipes/**/*.yaml", "INPUT_EVIDENCE-DIR=recipes/evidence",
		"INPUT_FAIL-ON=never", "INPUT_COMMENT=never", "INPUT_MODE=sweep", "INPUT_SWEEP-DIR=.verify-evidence-sweep",
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("action: %v\n%s", err, out)
	}
	rep := readReport(t, ws)
	if !strings.Contains(rep.VerifierVersion, "v9.9.9") {
		t.Fatalf("the released action keys its cache with verifier version %q, not its release v9.9.9: a new release reuses the old release's verdicts", rep.VerifierVersion)
	}
}

// FOUND (high): the page folder's files are written with os.WriteFile,
// which follows symbolic links, and checkSweepDir checks only the folders and
// <sweep-dir>/report.json, not page/index.html, page/report.json or
// page/badges/<recipe>.json. The sweep folder lives in the checkout (see
// TestSweepAttackCommittedCacheForgesPassed), so a committed symbolic link
// .verify-evidence-sweep/page/index.html -> <any path> makes the sweep write
// the page (with attacker-chosen strings from the report in it) to any file
// the action's user can write, outside the checkout: the runner's file
// commands, /github/home, the docker socket's neighbours, other workspace
// files that later steps run. Conversely, a committed link left in page/ is
// published by actions/upload-pages-artifact, whose tar dereferences links:
// any file readable on the runner ends up on the public Pages site.
// Fix: build the page in a fresh temporary folder and rename it into place
// (removing whatever page/ held), or open each file with O_NOFOLLOW|O_CREAT
// after removing what is there; check that no entry of page/ is a link.
func TestSweepAttackCommittedPageSymlinkWritesOutside(t *testing.T) {
	srv := newServer(t)
	srv.AddRepo(e2eRepo, false)
	ws := sweeptest.Checkout(t, false)
	outside := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(outside, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(ws, ".verify-evidence-sweep", "page", "badges"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ws, ".verify-evidence-sweep", "page", "index.html")); err != nil {
		t.Fatal(err)
	}
	gitCommitAll(t, ws)
	r := runSweepMode(t, srv, ws, map[string]string{"comment": "never"})
	if b, _ := os.ReadFile(outside); string(b) != "precious\n" {
		t.Fatalf("the sweep followed a committed link out of the checkout and wrote %d bytes of the page over %s (exit %d)", len(b), outside, r.code)
	}
}

// FOUND (low: whoever can push a branch can also dispatch a workflow of
// their own with issues: write; this is defence in depth and guards against
// a mistaken dispatch): mode sweep trusts the checkout as "what maintainers
// merged" (the policy and the trust root are read from it), but it never
// checks that the checkout IS the default branch. It refuses only
// pull_request, pull_request_target and workflow_run; workflow_dispatch (the
// documented workflow has it) can be started on any branch by anyone with
// write access — or by a compromised token/bot — and push, issues,
// issue_comment, release... events run it as well. A run on an unreviewed
// branch whose policy.yaml trusts any signer (or whose failing recipes are
// deleted) rewrites the one "Evidence status" issue with "All recipes pass"
// and closes it.
// An attacker with push access to any branch gains: the maintainers' alert
// silenced without a review, from content that was never merged.
// Fix: in sweep mode require GITHUB_REF == refs/heads/<default branch> (the
// event's repository.default_branch, or GET /repos) before writing the issue
// (or the page), or refuse events other than schedule/workflow_dispatch on
// the default branch.
func TestSweepAttackDispatchOnBranchClosesIssue(t *testing.T) {
	srv := newServer(t)
	srv.AddRepo(e2eRepo, false)
	status := srv.AddIssue(e2eRepo, githubtest.ActionsBot, "Evidence status",
		sweep.IssueMarker+"\nThe scheduled sweep found what needs a maintainer: h200-oke-ubuntu-inference failing\n")
	// The attacker's branch: the failing and the missing recipes deleted.
	ws := sweeptest.Checkout(t, false)
	for _, p := range []string{"recipes/h200-oke-ubuntu-inference.yaml", "recipes/evidence/h200-oke-ubuntu-inference", "recipes/b200-gke-cos-training.yaml"} {
		if err := os.RemoveAll(filepath.Join(ws, p)); err != nil {
			t.Fatal(err)
		}
	}
	for name, rel := range map[string]string{"trusted_root.json": "testdata/examples/trusted_root.json", "policy.yaml": "testdata/examples/policy.yaml"} {
		sweeptest.Write(t, ws, name, example(t, rel))
	}
	fc := t.TempDir()
	sweeptest.Write(t, fc, "event.json", []byte(`{"ref":"refs/heads/evil","repository":{"full_name":"acme/recipes","default_branch":"main"},"inputs":{}}`))
	sweeptest.Write(t, fc, "output", nil)
	sweeptest.Write(t, fc, "summary", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, actionBinary(t), "action")
	cmd.Dir = ws
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"GITHUB_ACTIONS=true", "CI=true", "GITHUB_EVENT_NAME=workflow_dispatch", "GITHUB_EVENT_PATH=" + filepath.Join(fc, "event.json"),
		"GITHUB_REF=refs/heads/evil", "GITHUB_REF_NAME=evil", "GITHUB_REF_TYPE=branch",
		"GITHUB_REPOSITORY=" + e2eRepo, "GITHUB_REPOSITORY_OWNER=acme", "GITHUB_API_URL=" + srv.URL(),
		"GITHUB_SERVER_URL=https://github.com", "GITHUB_RUN_ID=4344", "GITHUB_RUN_ATTEMPT=1", "GITHUB_WORKSPACE=" + ws,
		"GITHUB_OUTPUT=" + filepath.Join(fc, "output"), "GITHUB_STEP_SUMMARY=" + filepath.Join(fc, "summary"), "RUNNER_TEMP=" + t.TempDir(),
		"INPUT_GITHUB-TOKEN=ghs_test", "INPUT_TRUSTED-ROOT=trusted_root.json", "INPUT_POLICY=policy.yaml",
		"INPUT_RECIPE-PATHS=recipes/**/*.yaml", "INPUT_EVIDENCE-DIR=recipes/evidence",
		"INPUT_FAIL-ON=never", "INPUT_COMMENT=auto", "INPUT_MODE=sweep", "INPUT_SWEEP-DIR=.verify-evidence-sweep",
	}
	out, err := cmd.CombinedOutput()
	for _, is := range srv.Issues(e2eRepo) {
		if is.Number == status && (is.State != "open" || is.Edits != 0) {
			t.Fatalf("a sweep of the unmerged branch refs/heads/evil rewrote the Evidence status issue (now %s, %d edits): %q\n(err %v)\n%s",
				is.State, is.Edits, is.Body, err, out)
		}
	}
}
