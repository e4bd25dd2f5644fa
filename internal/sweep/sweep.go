// Package sweep verifies the evidence of every recipe in a checkout, with the
// one verifier (internal/verify) and the one planner (internal/diff) the PR
// check uses, and reports per recipe what holds today: verdict, signers,
// corroboration, age and expiry, fingerprint, phases and coverage.
//
// Verifications are cached by content (bundle, trust root, policy, verifier
// version): a bundle already verified under the same trust root and policy is
// not verified again; only its freshness is recomputed (verify.Refresh),
// since that is the one check that changes with time.
package sweep

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"path"
	"sort"
	"sync"
	"time"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/diff"
	"github.com/aicr/verify-evidence/internal/pointercheck"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/verify"
)

// DefaultConcurrency is how many bundles are verified at once by default.
const DefaultConcurrency = 4

// Config configures a sweep.
type Config struct {
	// Root is the checkout.
	Root string
	// Layout says where recipes and evidence live (the action's inputs).
	Layout diff.Config
	// Verify configures the verifier (trust root, policy, maximum age).
	Verify verify.Config
	// TrustRootDigest, PolicyDigest and VerifierVersion key the cache
	// together with each bundle's digest; see TrustRootDigest and PolicyDigest.
	TrustRootDigest string
	PolicyDigest    string
	VerifierVersion string
	// Concurrency bounds the bundles verified at once (0: DefaultConcurrency).
	Concurrency int
	// CacheDir holds cached verifications ("": no cache).
	CacheDir string
	// Now is the time the sweep judges freshness at (zero: time.Now).
	Now time.Time
	// Registry configures the pulls of the artifacts AICR pointer files pin
	// (plain-HTTP loopback registries, credentials, the timeout of one pull).
	Registry pointercheck.Registry
	// MaxPointerPulls bounds the artifacts one sweep pulls for pointer
	// files (0: DefaultMaxPointerPulls); a pointer beyond it is an error.
	MaxPointerPulls int
	// Previous is the last sweep's report (nil: none): each recipe's
	// VerdictSince and Change are tracked from it.
	Previous *Report
}

// Run sweeps the checkout. The error is for a checkout that cannot be
// listed or planned (no recipe can be judged); every problem with one recipe
// is in that recipe's row.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	now := cfg.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	vcfg := cfg.Verify
	vcfg.Now = func() time.Time { return now }
	v, err := verify.New(vcfg)
	if err != nil {
		return nil, err
	}
	co, err := openCheckout(ctx, cfg.Root)
	if err != nil {
		return nil, err
	}
	n := cfg.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	// Hash the bundles while the planner reads the recipes: the cache is
	// keyed by content, so every bundle is read whatever the cache holds.
	bundleCache := &cache{dir: cacheDir(cfg)}
	pre := prehash(ctx, co, cfg.Layout, n, bundleCache)
	memo := readDocMemo(bundleCache, cfg.VerifierVersion)
	plan, err := diff.NewSweepPlan(ctx, memoCheckout{co, memo}, cfg.Layout)
	if err != nil {
		pre.stop()
		return nil, fmt.Errorf("plan: %w", err)
	}
	memo.save(bundleCache)
	orphans := &orphanReader{co: co}
	orphans.resolve(ctx, plan)
	rep := &Report{
		ReportVersion: ReportVersion, GeneratedAt: now, VerifierVersion: cfg.VerifierVersion,
		TrustRootDigest: cfg.TrustRootDigest, PolicyDigest: cfg.PolicyDigest,
		MaxAgeDays: int(vcfg.MaxAge / (24 * time.Hour)),
	}
	s := &sweeper{cfg: cfg, v: v, now: now, maxAge: vcfg.MaxAge, co: co, plan: plan, cache: bundleCache,
		cacheable: vcfg.TrustError == nil}
	s.pre = pre
	maxPulls := cfg.MaxPointerPulls
	if maxPulls <= 0 {
		maxPulls = DefaultMaxPointerPulls
	}
	s.pulls = pointercheck.NewBudget(maxPulls, fmt.Sprintf("the sweep needs more than %d artifacts pulled for pointer files in one run (max-pointer-pulls); the cache keeps what was verified, so the next run pulls fewer", maxPulls))
	defer pre.stop()
	rows := make([]Recipe, len(plan.Items))
	// Verification runs n at a time; the cross-check with the recipe reuses
	// what planning read, and a Plan is not safe for concurrent use.
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var planMu sync.Mutex
	for i, it := range plan.Items {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			rows[i] = s.item(ctx, it, &planMu)
		}()
	}
	wg.Wait()
	corroborate(rows)
	rep.Recipes = append(rep.Recipes, rows...)
	for _, it := range plan.Missing {
		if orphans.resolved[it.RecipeName] {
			continue // its evidence is a resolved orphan's bundle, in Items: listed there (move it)
		}
		rep.Recipes = append(rep.Recipes, Recipe{Name: it.RecipeName, RecipePath: it.RecipePath, BundlePath: it.BundlePath,
			Outcome: comment.OutcomeMissing, Detail: "no evidence: no bundle at " + it.BundlePath})
	}
	for _, it := range plan.Orphans {
		detail := "a bundle whose recipe does not exist in the checkout: nothing to verify it against"
		if it.Reason != "" {
			detail = it.Reason
		}
		name := it.RecipeName
		if name == "" && it.BundlePath != "" {
			name = path.Base(path.Dir(it.BundlePath))
		}
		if name == "" && it.PointerPath != "" {
			name = it.PointerPath
		}
		rep.Recipes = append(rep.Recipes, Recipe{Name: name, BundlePath: it.BundlePath, PointerPath: it.PointerPath, Outcome: comment.OutcomeOrphan, Verdict: verify.VerdictInvalid, Detail: detail})
	}
	for _, p := range plan.LFSPointers {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s is a Git LFS pointer: the bundle itself is not in the checkout", p))
	}
	rep.Notes = append(rep.Notes, plan.Notes...)
	sort.SliceStable(rep.Recipes, func(i, j int) bool {
		if rep.Recipes[i].Name != rep.Recipes[j].Name {
			return rep.Recipes[i].Name < rep.Recipes[j].Name
		}
		if rep.Recipes[i].BundlePath != rep.Recipes[j].BundlePath {
			return rep.Recipes[i].BundlePath < rep.Recipes[j].BundlePath
		}
		return rep.Recipes[i].PointerPath < rep.Recipes[j].PointerPath
	})
	rep.Cache = Cache{Hits: s.hits, Misses: s.misses}
	track(rep, cfg.Previous)
	rep.tally()
	return rep, nil
}

type sweeper struct {
	cfg       Config
	v         *verify.Verifier
	now       time.Time
	maxAge    time.Duration
	co        *checkout
	plan      *diff.Plan
	cache     *cache
	cacheable bool

	pre *prehasher
	// pulls bounds the artifacts pulled for pointer files.
	pulls *pointercheck.Budget

	mu           sync.Mutex
	hits, misses int
}

// item verifies one recipe's bundle and cross-checks it with the recipe,
// with the rules of the PR check: the bundle must name the item's recipe and
// lie in its folder, and its recipe must be the checkout's.
func (s *sweeper) item(ctx context.Context, it diff.Item, planMu *sync.Mutex) Recipe {
	if it.PointerPath != "" {
		return s.pointerItem(ctx, it, planMu)
	}
	row := Recipe{Name: it.RecipeName, RecipePath: it.RecipePath, BundlePath: it.BundlePath, Outcome: comment.OutcomeVerified}
	recipeBytes, ok := s.readRecipe(ctx, it, &row)
	if !ok {
		return row
	}
	v, err := s.verifyBundle(ctx, it.BundlePath, &row, false)
	if err == nil && v.cached && !v.reusableCrossCheck(row.RecipeDigest) {
		if _, rerr := v.recipe(); rerr != nil {
			// A cache entry that does not hold together costs time, never
			// a verdict: verify again.
			row.Cached = false
			v, err = s.verifyBundle(ctx, it.BundlePath, &row, true)
		}
	}
	if err != nil {
		row.Outcome, row.Detail = comment.OutcomeUnreadable, err.Error()
		row.Verdict = verify.VerdictError
		var tl *tooLargeError
		if errors.As(err, &tl) || errors.Is(err, errLFS) {
			row.Verdict = verify.VerdictInvalid
		}
		return row
	}
	res := verify.Refresh(v.res, s.now, s.maxAge)
	row.Verdict, row.Detail = res.Verdict, res.Summary
	if res.Recipe != nil && res.Recipe.Name != "" {
		if err := s.plan.CheckBundleRecipe(it, res.Recipe.Name); err != nil {
			row.Verdict = row.Verdict.Worse(verify.VerdictInvalid)
			row.Detail = err.Error()
		}
	} else if res.Verdict == verify.VerdictPassed {
		row.Verdict, row.Detail = verify.VerdictInvalid, "the bundle names no recipe"
	}
	if recipeBytes != nil {
		s.applyCrossCheck(ctx, it, recipeBytes, v, planMu, &row)
	}
	if v.entry != nil && v.dirty {
		_ = s.cache.put(v.entry) // a cache that cannot be written costs time, never a verdict
	}
	fillFacts(&row, res, s.now, s.maxAge)
	return row
}

var errLFS = errors.New("the bundle is a Git LFS pointer, not a bundle: commit the archive itself")

// verification is a bundle's verification, fresh or from the cache.
type verification struct {
	res *verify.Result
	// canon is the bundle's canonical recipe; from the cache it is read
	// (recipe) only when a cross-check needs it.
	canon *schema.CanonicalRecipe
	// entry is what the cache holds or will hold (nil: not cacheable);
	// dirty: it must be written.
	entry  *cacheEntry
	dirty  bool
	cached bool
}

// reusableCrossCheck reports whether the entry holds a resolved cross-check
// with the recipe file of that digest (then the recipe is not needed).
func (v *verification) reusableCrossCheck(recipeDigest string) bool {
	if v.entry == nil {
		return false
	}
	m, ok := v.entry.CrossChecks[recipeDigest]
	return ok && m != nil && m.Kind == string(diff.KindResolved)
}

// recipe returns the bundle's canonical recipe; for a cached verification
// it is re-read from the entry and must be the one its result names.
func (v *verification) recipe() (*schema.CanonicalRecipe, error) {
	if v.canon != nil || !v.cached {
		return v.canon, nil
	}
	c, err := cachedRecipe(v.entry)
	v.canon = c
	return c, err
}

// verifyBundle returns the verification of the bundle at p, from the cache
// when its content was verified under the same trust root, policy and
// verifier version.
func (s *sweeper) verifyBundle(ctx context.Context, p string, row *Recipe, fresh bool) (*verification, error) {
	if size, _ := s.co.Size(p); size > MaxBundleBytes {
		return nil, &tooLargeError{path: p, limit: MaxBundleBytes}
	}
	digest, lfs, fromIndex, err := s.pre.get(p, s.digest)
	if err != nil {
		return nil, err
	}
	if lfs {
		return nil, errLFS
	}
	row.BundleDigest = digest
	key := CacheKey{BundleDigest: digest, TrustRootDigest: s.cfg.TrustRootDigest, PolicyDigest: s.cfg.PolicyDigest, VerifierVersion: s.cfg.VerifierVersion}
	if s.cacheable && !fresh {
		if e, ok := s.cache.get(key); ok {
			s.count(true)
			row.Cached = true
			return &verification{res: e.Result, entry: e, cached: true}, nil
		}
	}
	s.count(false)
	f, err := s.co.open(p)
	if err != nil {
		return nil, fmt.Errorf("could not read the bundle: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	res := s.v.Verify(ctx, io.TeeReader(io.LimitReader(f, MaxBundleBytes), h), verify.Options{Name: p})
	// The archive reader may stop before the end (trailing data is its to
	// judge); hash what is left so the digest covers the file verified.
	if _, err := io.Copy(h, io.LimitReader(f, MaxBundleBytes)); err != nil {
		return nil, fmt.Errorf("could not read the bundle: %w", err)
	}
	if got := hexDigest(h); got != digest {
		if !fromIndex {
			return nil, fmt.Errorf("the bundle changed while it was verified (sha256 %s, then %s)", digest, got)
		}
		// The index vouched for other content (a stale index): what was
		// verified is what counts.
		digest, row.BundleDigest = got, got
		key.BundleDigest = got
	}
	v := &verification{res: res, canon: res.CanonicalRecipe}
	if s.cacheable && res.Verdict != verify.VerdictError {
		v.entry, v.dirty = &cacheEntry{Key: key, Result: res}, true
		if res.CanonicalRecipe != nil {
			v.entry.CanonicalRecipe = res.CanonicalRecipe.Bytes
		}
	}
	return v, nil
}

func (s *sweeper) count(hit bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hit {
		s.hits++
	} else {
		s.misses++
	}
}

// digest returns the bundle file's sha256, and says whether it is a Git LFS
// pointer and whether the digest came from the git index (see digestKnown).
func (s *sweeper) digest(p string) (string, bool, bool, error) { return digestKnown(s.co, p, s.cache) }

// digestKnown returns the sha256 the cache records for the git object id
// the checkout's index vouches for, without reading the file (fromIndex),
// else hashes the file (recording its object id's sha256 in the cache).
func digestKnown(co *checkout, p string, c *cache) (digest string, lfs, fromIndex bool, err error) {
	if oid, ok := co.objectID(p); ok {
		if d, ok := c.blobDigest(oid); ok {
			return d, false, true, nil
		}
	}
	digest, oid, lfs, err := digestFile(co, p)
	if err == nil && oid != "" {
		_ = c.putBlobDigest(oid, digest) // a cache that cannot be written costs time, never a verdict
	}
	return digest, lfs, false, err
}

// digestFile hashes the bundle file, and says whether it is a Git LFS
// pointer; with a git index, it also returns the file's git object id.
func digestFile(co *checkout, p string) (digest, oid string, lfs bool, err error) {
	f, err := co.open(p)
	if err != nil {
		return "", "", false, fmt.Errorf("could not read the bundle: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", "", false, fmt.Errorf("could not read the bundle: %w", err)
	}
	h := sha256.New()
	var w io.Writer = h
	blob := co.index.blobHash(fi.Size())
	if blob != nil {
		w = io.MultiWriter(h, blob)
	}
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	_, _ = w.Write(head[:n])
	if diff.IsLFSPointer(head[:n]) {
		return "", "", true, nil
	}
	m, err := io.Copy(w, io.LimitReader(f, MaxBundleBytes))
	if err != nil {
		return "", "", false, fmt.Errorf("could not read the bundle: %w", err)
	}
	digest = hexDigest(h)
	if blob != nil && int64(n)+m == fi.Size() {
		oid = co.index.algo + ":" + hex.EncodeToString(blob.Sum(nil))
	}
	return digest, oid, false, nil
}

func hexDigest(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

// cachedRecipe re-reads the canonical recipe of a cached entry, and insists
// that it is the one the cached result names.
func cachedRecipe(e *cacheEntry) (*schema.CanonicalRecipe, error) {
	if e.CanonicalRecipe == nil {
		return nil, nil
	}
	c, err := schema.Canonical(e.CanonicalRecipe)
	if err != nil {
		return nil, err
	}
	if e.Result.Recipe == nil || c.Digest != e.Result.Recipe.Digest || !bytes.Equal(c.Bytes, e.CanonicalRecipe) {
		return nil, errors.New("cache entry: recipe does not match its result")
	}
	return c, nil
}

// applyCrossCheck cross-checks the checkout's recipe with the evidence's and
// records the outcome in the row.
func (s *sweeper) applyCrossCheck(ctx context.Context, it diff.Item, recipe []byte, v *verification, planMu *sync.Mutex, row *Recipe) {
	m, err := s.crossCheck(ctx, it, recipe, row.RecipeDigest, v, planMu)
	if err != nil {
		row.Match = &comment.RecipeMatch{Kind: "error", Summary: err.Error()}
		row.Verdict = row.Verdict.Worse(verify.VerdictError)
		row.Detail = fmt.Sprintf("could not decide the recipe ↔ bundle check (retrying may help): %v", err)
		return
	}
	row.Match = m
	if !m.Match {
		if row.Verdict.Worse(verify.VerdictInvalid) != row.Verdict {
			row.Detail = "the bundle's recipe is not the checkout's recipe: " + m.Summary
		}
		row.Verdict = row.Verdict.Worse(verify.VerdictInvalid)
	}
}

// crossCheck compares the checkout's recipe with the bundle's, as the PR
// check does (diff.Plan.CheckRecipe). The error is a failed read: undecided.
//
// A resolved recipe's cross-check is a comparison of two canonical digests,
// a function of the bundle (the cache key) and the recipe file's bytes
// (recipeDigest) alone: its outcome is kept in the bundle's cache entry and
// reused while the recipe file is unchanged and none of the files it uses
// changed. An overlay's cross-check depends on other files and always runs.
func (s *sweeper) crossCheck(ctx context.Context, it diff.Item, recipe []byte, recipeDigest string, v *verification, planMu *sync.Mutex) (*comment.RecipeMatch, error) {
	planMu.Lock()
	defer planMu.Unlock()
	reusable := len(s.plan.ChangedInputs(it.RecipePath)) == 0
	if reusable && v.reusableCrossCheck(recipeDigest) {
		return v.entry.CrossChecks[recipeDigest], nil
	}
	canon, err := v.recipe()
	if err != nil {
		return nil, fmt.Errorf("cache entry: %w", err)
	}
	if canon == nil {
		return &comment.RecipeMatch{Kind: "unreadable", Summary: "the bundle's recipe.yaml could not be read (see the checks)"}, nil
	}
	cc, err := s.plan.CheckRecipe(ctx, it.RecipePath, recipe, canon, "")
	if err != nil {
		if diff.IsReadError(err) && !diff.IsTooLarge(err) {
			return nil, err
		}
		return &comment.RecipeMatch{Kind: "error", Summary: err.Error()}, nil
	}
	m := &comment.RecipeMatch{Kind: string(cc.Kind), Match: cc.Match, Summary: cc.Summary}
	for _, d := range cc.Differences {
		m.Differences = append(m.Differences, comment.Difference{Path: d.Path, PRSays: d.PRSays, BundleSays: d.BundleSays, SetBy: d.SetBy})
	}
	if v.entry != nil && reusable && cc.Kind == diff.KindResolved {
		if v.entry.CrossChecks == nil || len(v.entry.CrossChecks) >= maxCachedCrossChecks {
			v.entry.CrossChecks = map[string]*comment.RecipeMatch{}
		}
		v.entry.CrossChecks[recipeDigest] = m
		v.dirty = true
	}
	return m, nil
}

// fillFacts copies what the verification established into the row.
func fillFacts(row *Recipe, res *verify.Result, now time.Time, maxAge time.Duration) {
	row.Checks = res.Checks
	row.Phases = res.Phases
	row.Coverage = res.Coverage
	if c, ok := res.Check(verify.CheckFingerprint); ok {
		row.Fingerprint = &c
	}
	if sig := res.Signature; sig != nil && sig.Verified {
		row.Signers = []Signer{{Identity: sig.Identity, Issuer: sig.Issuer, Class: sig.Class, Label: sig.Label, Source: sig.Source, Allowed: sig.Allowed}}
	}
	row.IndependentSigners = independentSigners(row.Signers)
	if res.AttestedAt != nil {
		at := res.AttestedAt.UTC()
		row.AttestedAt = &at
		age := int(math.Floor(now.Sub(at).Hours() / 24))
		row.AgeDays = &age
		if maxAge > 0 {
			exp := at.Add(maxAge)
			row.ExpiresAt = &exp
			// Whole days, rounded down: expired 12 hours ago is -1, never 0.
			left := int(math.Floor(exp.Sub(now).Hours() / 24))
			row.DaysLeft = &left
		}
	}
}

// independentSigners counts the trusted signers by source: two signatures
// from one workflow of one repository corroborate nothing.
func independentSigners(signers []Signer) int {
	seen := map[string]bool{}
	for _, s := range signers {
		if s.Allowed {
			seen[s.Source] = true
		}
	}
	return len(seen)
}

// cacheDir is where verifications are cached: none without a known verifier
// version (see VerifierVersion).
func cacheDir(cfg Config) string {
	if cfg.VerifierVersion == "" {
		return ""
	}
	return cfg.CacheDir
}

// readRecipe reads the item's recipe (nil when it has none) and records its
// digest in row; a failed read makes row undecided and returns false.
func (s *sweeper) readRecipe(ctx context.Context, it diff.Item, row *Recipe) ([]byte, bool) {
	if it.RecipePath == "" {
		return nil, true
	}
	b, err := s.co.Read(ctx, it.RecipePath)
	if err != nil {
		row.Outcome, row.Verdict, row.Detail = comment.OutcomeUnreadable, verify.VerdictError, fmt.Sprintf("could not read the recipe: %v", err)
		return nil, false
	}
	row.RecipeDigest = schema.SHA256Prefixed(b)
	return b, true
}
