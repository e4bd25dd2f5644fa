package sweep_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/sweep/sweeptest"
	"github.com/aicr/verify-evidence/internal/verify"
)

func run(t *testing.T, cfg sweep.Config) *sweep.Report {
	t.Helper()
	rep, err := sweep.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func byName(t *testing.T, rep *sweep.Report, name string) sweep.Recipe {
	t.Helper()
	for _, r := range rep.Recipes {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no recipe %q in the report: %+v", name, rep.Recipes)
	return sweep.Recipe{}
}

// The examples pass with what a maintainer needs to know about them; a recipe
// without a bundle is listed as without evidence.
func TestSweepExamples(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	rep := run(t, sweeptest.Config(t, dir))
	// The second example is genuine evidence of a failed test: failing.
	want := sweep.Counts{Recipes: 3, Passed: 1, Failing: 1, Missing: 1}
	if rep.Counts != want {
		t.Fatalf("counts %+v, want %+v", rep.Counts, want)
	}
	for i, name := range sweeptest.Examples {
		r := byName(t, rep, name)
		if want := []verify.Verdict{verify.VerdictPassed, verify.VerdictFailing}[i]; r.Verdict != want || r.Outcome != comment.OutcomeVerified {
			t.Errorf("%s: %s %s: %s", name, r.Outcome, r.Verdict, r.Detail)
		}
		if len(r.Signers) != 1 || r.Signers[0].Class != "community" || r.Signers[0].Label != "acme-gpu-lab" || !r.Signers[0].Allowed || r.IndependentSigners != 1 {
			t.Errorf("%s: signers %+v, independent %d", name, r.Signers, r.IndependentSigners)
		}
		if r.AttestedAt == nil || r.ExpiresAt == nil || !r.ExpiresAt.Equal(r.AttestedAt.Add(365*24*time.Hour)) {
			t.Errorf("%s: attested %v, expires %v", name, r.AttestedAt, r.ExpiresAt)
		} else if wantLeft := int(r.ExpiresAt.Sub(sweeptest.Now).Hours() / 24); *r.DaysLeft != wantLeft || *r.AgeDays != int(sweeptest.Now.Sub(*r.AttestedAt).Hours()/24) {
			t.Errorf("%s: days left %d (want %d), age %d", name, *r.DaysLeft, wantLeft, *r.AgeDays)
		}
		if r.Fingerprint == nil || r.Fingerprint.Status != verify.StatusPassed || len(r.Fingerprint.Rows) == 0 {
			t.Errorf("%s: fingerprint %+v", name, r.Fingerprint)
		}
		if len(r.Phases) != 3 || len(r.Coverage) == 0 || r.Match == nil || !r.Match.Match {
			t.Errorf("%s: phases %+v coverage %+v match %+v", name, r.Phases, r.Coverage, r.Match)
		}
		if !strings.HasPrefix(r.BundleDigest, "sha256:") || !strings.HasPrefix(r.RecipeDigest, "sha256:") {
			t.Errorf("%s: digests %q %q", name, r.BundleDigest, r.RecipeDigest)
		}
	}
	m := byName(t, rep, "b200-gke-cos-training")
	if m.Outcome != comment.OutcomeMissing || m.Verdict != "" {
		t.Errorf("recipe without a bundle: %+v", m)
	}
}

// With a cache, a second sweep verifies nothing again and reports the same;
// time still passes (freshness is recomputed); a new policy or trust root
// or verifier version verifies again.
func TestSweepCache(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	cfg := sweeptest.Config(t, dir)
	cfg.CacheDir = t.TempDir()
	first := run(t, cfg)
	if first.Counts.Passed != 1 || first.Counts.Failing != 1 {
		t.Fatalf("first sweep: %+v", first.Counts)
	}
	if first.Cache != (sweep.Cache{Misses: 2}) {
		t.Fatalf("first sweep: cache %+v", first.Cache)
	}
	second := run(t, cfg)
	if second.Cache != (sweep.Cache{Hits: 2}) {
		t.Fatalf("second sweep: cache %+v", second.Cache)
	}
	for i := range first.Recipes {
		a, b := first.Recipes[i], second.Recipes[i]
		b.Cached = false
		var ja, jb bytes.Buffer
		_ = sweep.WriteJSON(&ja, &sweep.Report{Recipes: []sweep.Recipe{a}})
		_ = sweep.WriteJSON(&jb, &sweep.Report{Recipes: []sweep.Recipe{b}})
		if ja.String() != jb.String() {
			t.Errorf("%s: cached result differs:\n%s\n%s", a.Name, ja.String(), jb.String())
		}
	}
	// A year and a half later: the cache still answers, and the evidence is stale.
	later := cfg
	later.Now = sweeptest.Now.AddDate(1, 6, 0)
	old := run(t, later)
	if old.Cache.Hits != 2 || old.Counts.Failing != 2 {
		t.Fatalf("later sweep: cache %+v counts %+v", old.Cache, old.Counts)
	}
	r := byName(t, old, sweeptest.Examples[0])
	if !strings.Contains(r.Detail, "older than the maximum age") || *r.DaysLeft >= 0 {
		t.Errorf("stale evidence: %s (days left %d)", r.Detail, *r.DaysLeft)
	}
	for _, change := range []func(*sweep.Config){
		func(c *sweep.Config) { c.PolicyDigest = "sha256:other" },
		func(c *sweep.Config) { c.TrustRootDigest = "sha256:other" },
		func(c *sweep.Config) { c.VerifierVersion = "v2" },
	} {
		c := cfg
		change(&c)
		if got := run(t, c).Cache; got != (sweep.Cache{Misses: 2}) {
			t.Errorf("changed key: cache %+v, want every bundle verified again", got)
		}
	}
	// A corrupt or foreign cache entry is a miss, never a verdict.
	entries, _ := os.ReadDir(cfg.CacheDir)
	for _, e := range entries {
		if err := os.WriteFile(filepath.Join(cfg.CacheDir, e.Name()), []byte(`{"key":{},"result":{"verdict":"passed"}}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := run(t, cfg); got.Cache.Hits != 0 || got.Counts.Passed != 1 {
		t.Errorf("corrupt cache: %+v %+v", got.Cache, got.Counts)
	}
}

// A recipe changed after its evidence was made fails the cross-check, also
// when the bundle's verification comes from the cache.
func TestSweepRecipeChanged(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	cfg := sweeptest.Config(t, dir)
	cfg.CacheDir = t.TempDir()
	run(t, cfg)
	p := filepath.Join(dir, "recipes", sweeptest.Examples[0]+".yaml")
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, bytes.Replace(b, []byte("nodes: 0"), []byte("nodes: 8"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := run(t, cfg)
	r := byName(t, rep, sweeptest.Examples[0])
	if r.Verdict != verify.VerdictInvalid || r.Match == nil || r.Match.Match || !r.Cached {
		t.Errorf("changed recipe: %s %s (match %+v, cached %v)", r.Verdict, r.Detail, r.Match, r.Cached)
	}
}

// Symbolic links are not followed: a linked bundle is no bundle, a linked
// folder is not entered.
func TestSweepIgnoresSymlinks(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	outside := t.TempDir()
	name := sweeptest.Examples[0]
	bundle := filepath.Join(dir, "recipes", "evidence", name, "evidence-bundle.tar.gz")
	if err := os.Rename(bundle, filepath.Join(outside, "b.tar.gz")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "b.tar.gz"), bundle); err != nil {
		t.Fatal(err)
	}
	sweeptest.Write(t, outside, "linked.yaml", []byte("kind: RecipeResult\n"))
	if err := os.Symlink(outside, filepath.Join(dir, "recipes", "linked")); err != nil {
		t.Fatal(err)
	}
	rep := run(t, sweeptest.Config(t, dir))
	if r := byName(t, rep, name); r.Outcome != comment.OutcomeMissing {
		t.Errorf("symlinked bundle: %+v", r)
	}
	for _, r := range rep.Recipes {
		if strings.Contains(r.RecipePath, "linked") {
			t.Errorf("a recipe behind a linked folder was read: %+v", r)
		}
	}
}

// Hostile names and contents reach the Markdown report only escaped, and
// the bundles that carry them are invalid, never passed.
func TestSweepHostileMarkdown(t *testing.T) {
	dir := sweeptest.Checkout(t, true)
	rep := run(t, sweeptest.Config(t, dir))
	if rep.Counts.Invalid != 2 || rep.Counts.Passed != 1 {
		t.Fatalf("counts %+v: %+v", rep.Counts, rep.Recipes)
	}
	if r := byName(t, rep, sweeptest.HostileDir); r.Outcome != comment.OutcomeOrphan {
		t.Errorf("hostile folder: %+v", r)
	}
	var md bytes.Buffer
	if err := sweep.WriteMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<img", "<script"} {
		if strings.Contains(md.String(), bad) {
			t.Errorf("Markdown report carries %q unescaped:\n%s", bad, md.String())
		}
	}
	if !strings.Contains(md.String(), "&#60;img src=x onerror=") {
		t.Errorf("the hostile name is not shown escaped:\n%s", md.String())
	}
}

// A cache entry whose recipe does not hold together is verified again, never
// a verdict; a resolved recipe's cross-check is reused from the entry only
// for the same recipe file.
func TestSweepCacheEntryRecipe(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	cfg := sweeptest.Config(t, dir)
	cfg.CacheDir = t.TempDir()
	run(t, cfg)
	entries, _ := os.ReadDir(cfg.CacheDir)
	entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return e.Name() == "recipes.json" }) // the planner's memo
	if len(entries) != 2 {
		t.Fatalf("%d cache entries", len(entries))
	}
	for _, e := range entries {
		p := filepath.Join(cfg.CacheDir, e.Name())
		b, _ := os.ReadFile(p)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if cc, ok := m["crossChecks"].(map[string]any); !ok || len(cc) != 1 {
			t.Errorf("%s: cross-checks %v", e.Name(), m["crossChecks"])
		}
		// Another recipe than the result names, and no cross-check to reuse.
		delete(m, "crossChecks")
		m["canonicalRecipe"] = base64.StdEncoding.EncodeToString([]byte("kind: RecipeResult\n"))
		b, _ = json.Marshal(m)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep := run(t, cfg)
	if rep.Counts.Passed != 1 || rep.Counts.Failing != 1 || rep.Cache.Hits != 2 {
		t.Fatalf("broken entries: %+v %+v", rep.Counts, rep.Cache)
	}
	for _, r := range rep.Recipes {
		if r.Cached {
			t.Errorf("%s: a broken entry was used", r.Name)
		}
	}
}

// A bundle whose folder names no recipe is routed by the recipe name inside
// it, as in the PR check (verify.ClaimedRecipeName, diff.Plan.Resolve): it is
// verified and cross-checked against that recipe and is invalid until moved,
// and the recipe is not also listed as without evidence. A bundle naming a
// recipe the checkout lacks stays an orphan that says so.
func TestSweepOrphanResolvedByName(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	misplaced := "recipes/evidence/misplaced/evidence-bundle.tar.gz"
	if err := os.Rename(filepath.Join(dir, "recipes/evidence", sweeptest.Examples[1]), filepath.Join(dir, "recipes/evidence/misplaced")); err != nil {
		t.Fatal(err)
	}
	// The first example's recipe is gone; its bundle moves to a folder naming no recipe.
	if err := os.Remove(filepath.Join(dir, "recipes", sweeptest.Examples[0]+".yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "recipes/evidence", sweeptest.Examples[0]), filepath.Join(dir, "recipes/evidence/gone")); err != nil {
		t.Fatal(err)
	}
	rep := run(t, sweeptest.Config(t, dir))
	var rows []string
	for _, r := range rep.Recipes {
		rows = append(rows, r.Name+" "+string(r.Outcome)+" "+string(r.Verdict)+" "+r.BundlePath)
	}
	want := []string{
		"b200-gke-cos-training missing  recipes/evidence/b200-gke-cos-training/evidence-bundle.tar.gz",
		"gone orphan invalid recipes/evidence/gone/evidence-bundle.tar.gz",
		sweeptest.Examples[1] + " verified invalid " + misplaced,
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	r := byName(t, rep, sweeptest.Examples[1])
	if r.RecipePath != "recipes/"+sweeptest.Examples[1]+".yaml" || !strings.Contains(r.Detail, "move it") || r.Match == nil || !r.Match.Match || len(r.Signers) != 1 {
		t.Errorf("resolved orphan: recipe %s, detail %q, match %+v, signers %+v", r.RecipePath, r.Detail, r.Match, r.Signers)
	}
	if g := byName(t, rep, "gone"); !strings.Contains(g.Detail, `"`+sweeptest.Examples[0]+`", the recipe the bundle names`) {
		t.Errorf("orphan naming an absent recipe: %q", g.Detail)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// In a git checkout, a warm sweep does not read the bundles that git's index
// vouches for: their sha256 comes from the cache's record for their object
// id. Swapping the two records proves it (each recipe then gets the other's
// verification, and is invalid: that bundle names the other recipe). A
// bundle written after the index is hashed again, whatever the cache says.
func TestSweepGitIndex(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	// Past the clock tick the files were written in: not racily clean.
	time.Sleep(50 * time.Millisecond)
	git(t, dir, "init", "-q")
	git(t, dir, "add", "-A")
	cfg := sweeptest.Config(t, dir)
	cfg.CacheDir = t.TempDir()
	first := run(t, cfg)
	digest := map[string]string{}
	blob := map[string]string{}
	for _, name := range sweeptest.Examples {
		r := byName(t, first, name)
		digest[name] = r.BundleDigest
		oid := strings.TrimSpace(git(t, dir, "hash-object", r.BundlePath))
		blob[name] = filepath.Join(cfg.CacheDir, "blobs", "sha1-"+oid)
		if b, err := os.ReadFile(blob[name]); err != nil || string(b) != r.BundleDigest+"\n" {
			t.Fatalf("%s: blob record %q (%v), want %s", name, b, err, r.BundleDigest)
		}
	}
	a, b := sweeptest.Examples[0], sweeptest.Examples[1]
	if err := os.WriteFile(blob[a], []byte(digest[b]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob[b], []byte(digest[a]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := run(t, cfg)
	for _, x := range [][2]string{{a, b}, {b, a}} {
		r := byName(t, second, x[0])
		if r.BundleDigest != digest[x[1]] || !r.Cached || r.Verdict != verify.VerdictInvalid || !strings.Contains(r.Detail, x[1]) {
			t.Errorf("%s: digest %s cached %v %s: %s (want the swapped record, %s's)", x[0], r.BundleDigest, r.Cached, r.Verdict, r.Detail, x[1])
		}
	}
	// Rewritten after the index: its stat data are not the index's.
	p := filepath.Join(dir, "recipes", "evidence", a, "evidence-bundle.tar.gz")
	same, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, same, 0o644); err != nil {
		t.Fatal(err)
	}
	third := run(t, cfg)
	if r := byName(t, third, a); r.BundleDigest != digest[a] || r.Verdict != verify.VerdictPassed {
		t.Errorf("%s rewritten: digest %s %s: %s, want its own digest and passed", a, r.BundleDigest, r.Verdict, r.Detail)
	}
	if r := byName(t, third, b); r.BundleDigest != digest[a] {
		t.Errorf("%s untouched: digest %s, want the (swapped) record", b, r.BundleDigest)
	}
}

// The cache keeps the planner's memo of the recipes it read well
// (recipes.json): a warm sweep reports the same without parsing them again,
// and a recipe edited since is read again (the memo is by content), here
// into one with a duplicate key, which no memo may hide.
func TestSweepDocMemo(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	cfg := sweeptest.Config(t, dir)
	cfg.CacheDir = t.TempDir()
	first := run(t, cfg)
	memo, err := os.ReadFile(filepath.Join(cfg.CacheDir, "recipes.json"))
	if err != nil || !bytes.Contains(memo, []byte(`"verifierVersion":"test"`)) || bytes.Count(memo, []byte(`"kind":"RecipeResult"`)) != 3 {
		t.Fatalf("memo (%v): %s", err, memo)
	}
	var a, b bytes.Buffer
	_ = sweep.WriteJSON(&a, first)
	second := run(t, cfg)
	for i := range second.Recipes {
		second.Recipes[i].Cached = false
	}
	second.Cache = first.Cache
	_ = sweep.WriteJSON(&b, second)
	if a.String() != b.String() {
		t.Errorf("warm sweep with the memo differs:\n%s\n%s", a.String(), b.String())
	}
	p := filepath.Join(dir, "recipes", sweeptest.Examples[0]+".yaml")
	recipe, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append([]byte("kind: RecipeResult\n"), recipe...), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := run(t, cfg)
	for _, r := range rep.Recipes {
		if r.Name == sweeptest.Examples[0] && r.Verdict == verify.VerdictPassed {
			t.Errorf("a recipe with a duplicate key passed: %+v", r)
		}
	}
	if !strings.Contains(fmtReport(rep), "duplicate key") {
		t.Errorf("the duplicate key is not reported: %s", fmtReport(rep))
	}
}

func fmtReport(rep *sweep.Report) string {
	var b bytes.Buffer
	_ = sweep.WriteJSON(&b, rep)
	return b.String()
}
