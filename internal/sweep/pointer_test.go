package sweep_test

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/oci/ocitest"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/pointercheck"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/sweep/sweeptest"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// The shipped AICR pointers name this registry (README of the AICR test data).
const (
	aicrRegistry = "127.0.0.1:5000"
	aicrRecipe   = "h100-eks-ubuntu-training"
	aicrSigned   = "sha256:addd96562f556d03ae587b8397601b879fff3bbc8586970e5b6273ef46db4026"
)

// countingRegistry serves the shipped OCI layout at the address the pointers
// name, through a proxy that counts the requests, in front of a real
// registry on another loopback port. stop closes the proxy: the registry the
// pointers name is down.
func countingRegistry(t *testing.T) (requests *atomic.Int64, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	backend := l.Addr().String()
	_ = l.Close()
	ocitest.Start(t, backend)
	ocitest.PushLayout(t, testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence"), backend, "aicr-evidence")
	front := ocitest.Listen(t, aicrRegistry)
	requests = new(atomic.Int64)
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: backend})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		proxy.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(front) }()
	stop = func() { _ = srv.Close() }
	t.Cleanup(stop)
	return requests, stop
}

// aicrCheckout is a checkout in AICR's layout: the shipped recipe and the
// pointer files of the bundles named, at the paths their content gives.
func aicrCheckout(t *testing.T, bundles ...string) (dir string, pointers []string) {
	t.Helper()
	dir = t.TempDir()
	recipe, err := os.ReadFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/inputs/recipe-"+aicrRecipe+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sweeptest.Write(t, dir, "recipes/"+aicrRecipe+".yaml", recipe)
	for _, b := range bundles {
		body, err := os.ReadFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/"+b+"/pointer.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := pointer.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		sweeptest.Write(t, dir, p.Path(), body)
		pointers = append(pointers, p.Path())
	}
	return dir, pointers
}

// aicrConfig trusts the test Sigstore's signer of the shipped signed bundle,
// with the SCT opt-out that instance needs (ignoreSCT) and the registry the
// pointers name over plain HTTP.
func aicrConfig(t *testing.T, dir string, ignoreSCT bool) sweep.Config {
	t.Helper()
	b, err := os.ReadFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trust.FromJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	td, err := sweep.TrustRootDigest(tr)
	if err != nil {
		t.Fatal(err)
	}
	pins := policy.Pins{Class: policy.ClassActionInputs, Issuers: []string{"https://oidc.fake-sigstore.invalid"},
		IdentityRegexps: []string{`^https://github\.com/fake-org/fake-aicr/\.github/workflows/evidence-publish\.yaml@refs/heads/main$`}}
	pol, err := policy.FromPins(pins)
	if err != nil {
		t.Fatal(err)
	}
	return sweep.Config{
		Root:            dir,
		Verify:          verify.Config{Trust: tr, Policy: pol, MaxAge: 365 * 24 * time.Hour, IgnoreSCT: ignoreSCT},
		TrustRootDigest: td,
		PolicyDigest:    sweep.PolicyDigest(nil, sweep.WithIgnoreSCT(pins, ignoreSCT)),
		VerifierVersion: "test",
		Now:             time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC),
		Registry:        pointercheck.Registry{PlainHTTP: pointercheck.PlainHTTPList([]string{aicrRegistry})},
		CacheDir:        t.TempDir(),
	}
}

func pointerRow(t *testing.T, rep *sweep.Report, path string) sweep.Recipe {
	t.Helper()
	for _, r := range rep.Recipes {
		if r.PointerPath == path {
			return r
		}
	}
	t.Fatalf("no row for pointer %s: %+v", path, rep.Recipes)
	return sweep.Recipe{}
}

// issue 11 + 9: the sweep verifies AICR pointer files with the PR check's
// code — the artifact pulled by digest from the registry the pointer names
// (the shipped OCI layout on loopback) — and caches the verification by the
// pointer file: a warm sweep makes no registry request. A pending pointer
// is no evidence yet; a registry that is down is an error, never invalid.
func TestSweepAICRPointer(t *testing.T) {
	requests, stop := countingRegistry(t)
	dir, pointers := aicrCheckout(t, "v1-eks-signed-pushed", "v1-eks-minimal")
	signed, pending := pointers[0], pointers[1]
	cfg := aicrConfig(t, dir, true)

	cold := run(t, cfg)
	r := pointerRow(t, cold, signed)
	if r.Name != aicrRecipe || r.Outcome != comment.OutcomeVerified || r.Verdict != verify.VerdictPassed || r.BundlePath != "" {
		t.Fatalf("signed pointer: %s %s: %s", r.Outcome, r.Verdict, r.Detail)
	}
	if r.Pointer == nil || r.Pointer.Digest != aicrSigned || r.Pointer.Source != strings.Split(signed, "/")[3] ||
		len(r.Signers) != 1 || !r.Signers[0].Allowed || r.IndependentSigners != 1 || r.Match == nil || !r.Match.Match {
		t.Errorf("signed pointer row: pointer %+v signers %+v independent %d match %+v", r.Pointer, r.Signers, r.IndependentSigners, r.Match)
	}
	// Expiry from attestedAt, as for bundles.
	if r.AttestedAt == nil || !r.AttestedAt.Equal(time.Date(2026, 12, 4, 21, 40, 33, 0, time.UTC)) || r.ExpiresAt == nil ||
		!r.ExpiresAt.Equal(r.AttestedAt.Add(365*24*time.Hour)) || r.DaysLeft == nil || *r.DaysLeft != 359 {
		t.Errorf("signed pointer: attested %v expires %v days left %v", r.AttestedAt, r.ExpiresAt, r.DaysLeft)
	}
	if p := pointerRow(t, cold, pending); p.Outcome != comment.OutcomePending || p.Verdict != verify.VerdictError || !p.Missing() {
		t.Errorf("pending pointer: %s %s: %s", p.Outcome, p.Verdict, p.Detail)
	}
	if want := (sweep.Counts{Recipes: 2, Passed: 1, Missing: 1}); cold.Counts != want {
		t.Errorf("counts %+v, want %+v", cold.Counts, want)
	}
	if cold.Cache != (sweep.Cache{Misses: 2}) || requests.Load() == 0 {
		t.Fatalf("cold sweep: cache %+v, %d registry requests", cold.Cache, requests.Load())
	}
	var md bytes.Buffer
	if err := sweep.WriteMarkdown(&md, cold); err != nil || !strings.Contains(md.String(), "AICR pointer <code>"+signed+"</code>") ||
		!strings.Contains(md.String(), "source <code>"+r.Pointer.Source+"</code>") {
		t.Errorf("markdown lacks the pointer (%v):\n%s", err, md.String())
	}

	// Warm: the same report, not one request to the registry.
	requests.Store(0)
	warm := run(t, cfg)
	if n := requests.Load(); n != 0 {
		t.Fatalf("warm sweep made %d registry requests", n)
	}
	if warm.Cache.Hits != 1 {
		t.Errorf("warm sweep: cache %+v", warm.Cache)
	}
	w := pointerRow(t, warm, signed)
	if !w.Cached {
		t.Errorf("warm row not from the cache: %+v", w)
	}
	w.Cached = false
	var ja, jb bytes.Buffer
	_ = sweep.WriteJSON(&ja, &sweep.Report{Recipes: []sweep.Recipe{r}})
	_ = sweep.WriteJSON(&jb, &sweep.Report{Recipes: []sweep.Recipe{w}})
	if ja.String() != jb.String() {
		t.Errorf("cached pointer row differs:\n%s\n%s", ja.String(), jb.String())
	}

	// A day later, each pointer row keeps its verdict's date: rows are
	// tracked by their pointer file, not only by their recipe.
	next := cfg
	next.Previous, next.Now = cold, cfg.Now.Add(24*time.Hour)
	later := run(t, next)
	for _, p := range []string{signed, pending} {
		if r := pointerRow(t, later, p); r.VerdictSince == nil || !r.VerdictSince.Equal(cold.GeneratedAt) || r.Change != "" {
			t.Errorf("%s: verdict since %v, change %q", p, r.VerdictSince, r.Change)
		}
	}

	// The SCT opt-out is in the cache key: without it, verified again, invalid.
	strict := aicrConfig(t, dir, false)
	strict.CacheDir = cfg.CacheDir
	if s := pointerRow(t, run(t, strict), signed); s.Cached || s.Verdict != verify.VerdictInvalid || !strings.Contains(s.Detail, "SCT") {
		t.Errorf("without the SCT opt-out: cached %v, %s: %s", s.Cached, s.Verdict, s.Detail)
	}

	// The registry is down: a cold sweep cannot decide (error, retry), and
	// caches nothing; the warm one still answers from the cache.
	stop()
	down := aicrConfig(t, dir, true)
	d := pointerRow(t, run(t, down), signed)
	if d.Verdict != verify.VerdictError || !strings.Contains(d.Detail, "retrying may help") {
		t.Errorf("registry down: %s %s: %s", d.Outcome, d.Verdict, d.Detail)
	}
	if again := pointerRow(t, run(t, down), signed); again.Cached || again.Verdict != verify.VerdictError {
		t.Errorf("registry down, second sweep: cached %v, %s", again.Cached, again.Verdict)
	}
	if c := pointerRow(t, run(t, cfg), signed); !c.Cached || c.Verdict != verify.VerdictPassed {
		t.Errorf("registry down, warm cache: cached %v, %s: %s", c.Cached, c.Verdict, c.Detail)
	}
}

// A sweep pulls at most MaxPointerPulls artifacts: a pointer beyond is an
// error (undecided), never invalid. The bound counts pulls asked for (as in
// the PR check): the second pointer here is refused before its pull.
func TestSweepPointerPullBound(t *testing.T) {
	countingRegistry(t)
	dir, pointers := aicrCheckout(t, "v1-eks-signed-pushed")
	cfg := aicrConfig(t, dir, true)
	cfg.MaxPointerPulls = 1
	// A second pointer of the same recipe, at another source folder: two pulls needed.
	b, err := os.ReadFile(dir + "/" + pointers[0])
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(pointers[0], strings.Split(pointers[0], "/")[3], strings.Repeat("0", 32), 1)
	sweeptest.Write(t, dir, other, b)
	rep := run(t, cfg)
	var errs int
	for _, r := range rep.Recipes {
		if r.Verdict == verify.VerdictError && strings.Contains(r.Detail, "more than 1 artifacts") {
			errs++
		}
	}
	if errs != 1 || len(rep.Recipes) != 2 {
		t.Errorf("over the bound: %d error rows: %+v", errs, rep.Recipes)
	}
}
