package emit_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/signing"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

const (
	signRepo     = "acme-gpu/recipe-evidence"
	signWorkflow = ".github/workflows/evidence.yml"
	signRef      = "refs/heads/main"
	signSHA      = "3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a"
	signSAN      = "https://github.com/" + signRepo + "/" + signWorkflow + "@" + signRef
	signSANRegex = `^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main$`
)

// testSigstore is an in-process Sigstore behind loopback HTTP servers, with
// its trusted_root.json on disk.
type testSigstore struct {
	inst               *sigstoretest.Instance
	fulcio, rekor      *httptest.Server
	fulcioHits, rekHit atomic.Int32
	trustedRoot        string // path of trusted_root.json
	token              string // path of a GitHub Actions identity token file
	jwt                string
}

func newTestSigstore(t testing.TB, opts sigstoretest.Options) *testSigstore {
	t.Helper()
	inst, err := sigstoretest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testSigstore{inst: inst}
	fh, rh := inst.FulcioHandler(), inst.RekorHandler()
	ts.fulcio = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.fulcioHits.Add(1)
		fh.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.fulcio.Close)
	ts.rekor = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.rekHit.Add(1)
		rh.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.rekor.Close)
	trJSON, err := inst.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ts.trustedRoot = filepath.Join(dir, "trusted_root.json")
	writeFile(t, ts.trustedRoot, trJSON)
	ts.jwt, err = sigstoretest.UnsignedJWT(sigstoretest.GitHubActionsClaims(signRepo, signWorkflow, signRef, signSHA, 1))
	if err != nil {
		t.Fatal(err)
	}
	ts.token = filepath.Join(dir, "id-token")
	writeFile(t, ts.token, []byte(ts.jwt+"\n"))
	return ts
}

// signArgs are the flags of a keyless signature by this instance, the token
// taken from a file.
func (ts *testSigstore) signArgs() []string {
	return append(ts.serviceArgs(), "--identity-token", ts.token)
}

// serviceArgs are the flags naming this instance, without a token.
func (ts *testSigstore) serviceArgs() []string {
	return []string{"--sign", "keyless", "--fulcio-url", ts.fulcio.URL, "--rekor-url", ts.rekor.URL,
		"--trusted-root", ts.trustedRoot, "--interactive=false"}
}

// verifier verifies with the instance's trusted root read back from
// trusted_root.json, and a policy pinning the workflow of the token.
func (ts *testSigstore) verifier(t testing.TB) *verify.Verifier {
	t.Helper()
	tr, err := trust.FromFile(ts.trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	return newVerifier(t, tr, sigstoretest.GitHubIssuer, signSANRegex)
}

func newVerifier(t testing.TB, tr root.TrustedMaterial, issuer, sanRegex string) *verify.Verifier {
	t.Helper()
	pol, err := policy.FromFlags([]string{issuer}, []string{sanRegex})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(verify.Config{Trust: tr, Policy: pol, MaxAge: 0})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func verifyBytes(v *verify.Verifier, data []byte) *verify.Result {
	return v.Verify(context.Background(), bytes.NewReader(data), verify.Options{Name: "evidence-bundle.tar.gz"})
}

// dssePayload returns the Statement signed in attestation.intoto.jsonl.
func dssePayload(t testing.TB, attestation []byte) []byte {
	t.Helper()
	var b struct {
		DSSEEnvelope struct {
			Payload     string `json:"payload"`
			PayloadType string `json:"payloadType"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(attestation, &b); err != nil {
		t.Fatalf("attestation: %v", err)
	}
	if b.DSSEEnvelope.PayloadType != "application/vnd.in-toto+json" {
		t.Errorf("payloadType %q", b.DSSEEnvelope.PayloadType)
	}
	p, err := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTripSignedKeyless(t *testing.T) {
	ts := newTestSigstore(t, sigstoretest.Options{})
	in := copyInputs(t, h100Example)
	out := outPath(t)
	data, stderr := mustEmit(t, append(in.args(out), ts.signArgs()...), emit.Env{})
	if ts.fulcioHits.Load() == 0 || ts.rekHit.Load() == 0 {
		t.Fatalf("signing did not go through the HTTP services (Fulcio %d, Rekor %d requests)", ts.fulcioHits.Load(), ts.rekHit.Load())
	}
	for _, w := range []string{"identity token from file " + ts.token, "signing the Statement keyless", "signed as " + signSAN + " (issuer " + sigstoretest.GitHubIssuer + ")"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("progress lacks %q:\n%s", w, stderr)
		}
	}
	if strings.Contains(stderr, ts.jwt) {
		t.Error("progress prints the identity token")
	}

	res := verifyBytes(ts.verifier(t), data)
	if res.Verdict != verify.VerdictPassed {
		t.Fatalf("verify: %s", describe(res))
	}
	if res.Mode != "verify" || res.Signature == nil || !res.Signature.Verified || res.Signature.Identity != signSAN ||
		res.Signature.Issuer != sigstoretest.GitHubIssuer || res.Signature.SourceRepository != "https://github.com/"+signRepo {
		t.Errorf("signature info %+v", res.Signature)
	}
	if res.Recipe == nil || res.Recipe.Name != h100Example {
		t.Errorf("recipe info %+v", res.Recipe)
	}

	files := bundleFiles(t, data)
	wantFiles := []string{"attestation.intoto.jsonl", "bom.cdx.json", "ctrf/conformance.json", "ctrf/deployment.json",
		"ctrf/performance.json", "manifest.json", "recipe.yaml", "snapshot.yaml", "statement.intoto.json"}
	var got []string
	for p := range files {
		got = append(got, p)
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("bundle files %v, want %v", got, wantFiles)
	}
	signed := dssePayload(t, files[schema.FileAttestation])
	subj, pred := statementParts(t, signed)
	if subj != "recipe:"+h100Example {
		t.Errorf("signed subject %q, want recipe:%s", subj, h100Example)
	}
	if unsigned := bytes.TrimSuffix(files[schema.FileStatement], []byte("\n")); !bytes.Equal(unsigned, signed) {
		t.Error("statement.intoto.json differs from the signed Statement")
	}
	if pred.AttestedAt != fixedAttestedAt || pred.AICRVersion != "v0.18.0" || !pred.CriteriaMatch.Matched {
		t.Errorf("predicate attestedAt %q aicrVersion %q matched %v", pred.AttestedAt, pred.AICRVersion, pred.CriteriaMatch.Matched)
	}
	if pred.Recipe.Digest != strings.TrimPrefix(res.Recipe.Digest, "sha256:") && "sha256:"+pred.Recipe.Digest != res.Recipe.Digest {
		t.Errorf("predicate recipe digest %q, verifier computed %q", pred.Recipe.Digest, res.Recipe.Digest)
	}

	// A policy pinning another workflow rejects it: the identity really is checked.
	tr, err := trust.FromFile(ts.trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	other := verifyBytes(newVerifier(t, tr, sigstoretest.GitHubIssuer, `^https://github\.com/acme-gpu/other/.*$`), data)
	if other.Verdict != verify.VerdictInvalid {
		t.Errorf("verify with another identity pinned: %s", describe(other))
	}
	// Another instance's trusted root rejects it.
	ts2 := newTestSigstore(t, sigstoretest.Options{Name: "other"})
	if res := verifyBytes(ts2.verifier(t), data); res.Verdict == verify.VerdictPassed {
		t.Errorf("verify against another trusted root passed: %s", describe(res))
	}
}

func TestSelfVerificationRejectsWrongTrustedRoot(t *testing.T) {
	ts := newTestSigstore(t, sigstoretest.Options{})
	other := newTestSigstore(t, sigstoretest.Options{Name: "other"})
	in := copyInputs(t, h100Example)
	out := outPath(t)
	args := append(append(in.args(out), ts.signArgs()...), "--trusted-root", other.trustedRoot)
	res := runEmit(t, args, emit.Env{})
	assertOneLine(t, res.err)
	if !strings.Contains(res.err.Error(), "verif") {
		t.Errorf("error %q does not say self-verification failed", res.err)
	}
	assertNothingWritten(t, out)
}

func TestFulcioUnreachableWritesNothing(t *testing.T) {
	ts := newTestSigstore(t, sigstoretest.Options{})
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	in := copyInputs(t, h100Example)
	out := outPath(t)
	args := append(append(in.args(out), ts.signArgs()...), "--fulcio-url", deadURL)
	res := runEmit(t, args, emit.Env{})
	assertOneLine(t, res.err, "Fulcio", deadURL)
	assertNothingWritten(t, out)
}

func TestPlainHTTPServiceRefused(t *testing.T) {
	ts := newTestSigstore(t, sigstoretest.Options{})
	in := copyInputs(t, h100Example)
	out := outPath(t)
	args := append(append(in.args(out), ts.signArgs()...), "--rekor-url", "http://rekor.example.com")
	res := runEmit(t, args, emit.Env{})
	assertOneLine(t, res.err, "Rekor", "http://rekor.example.com", "https")
	assertNothingWritten(t, out)
	if ts.fulcioHits.Load() != 0 {
		t.Error("Fulcio was asked for a certificate before the Rekor URL was checked")
	}
}

func TestMutatedCTRFAfterEmitFails(t *testing.T) {
	ts := newTestSigstore(t, sigstoretest.Options{})
	in := copyInputs(t, h100Example)
	out := outPath(t)
	data, _ := mustEmit(t, append(in.args(out), ts.signArgs()...), emit.Env{})
	v := ts.verifier(t)
	if res := verifyBytes(v, data); res.Verdict != verify.VerdictPassed {
		t.Fatalf("the untouched bundle: %s", describe(res))
	}

	c, err := archive.Read(context.Background(), bytes.NewReader(data), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []archive.Entry
	flipped := false
	for _, f := range c.Files() {
		body := f.Content
		if f.Path == "ctrf/deployment.json" {
			mutated := bytes.Replace(body, []byte(`"status": "passed"`), []byte(`"status": "failed"`), 1)
			if bytes.Equal(mutated, body) {
				t.Fatalf("no passed test in the emitted ctrf/deployment.json:\n%s", body)
			}
			body, flipped = mutated, true
		}
		entries = append(entries, archive.Entry{Path: f.Path, Data: body})
	}
	if !flipped {
		t.Fatal("the bundle has no ctrf/deployment.json")
	}
	var repacked bytes.Buffer
	if err := archive.Write(&repacked, entries, time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	res := verifyBytes(v, repacked.Bytes())
	if res.Verdict != verify.VerdictInvalid {
		t.Fatalf("verify of the mutated bundle: want invalid, got %s", describe(res))
	}
	var manifest *verify.Check
	for i, c := range res.Checks {
		if c.Name == verify.CheckManifest {
			manifest = &res.Checks[i]
		}
	}
	if manifest == nil || manifest.Status != verify.StatusFailed || !strings.Contains(manifest.Detail, "ctrf/deployment.json") {
		t.Errorf("manifest check %+v, want failed naming ctrf/deployment.json\n%s", manifest, describe(res))
	}
	// The signature itself still holds: it is the inventory that catches it.
	for _, c := range res.Checks {
		if c.Name == verify.CheckSignature && c.Status != verify.StatusPassed {
			t.Errorf("signature check %s: %s", c.Status, c.Detail)
		}
	}
}

func TestH200SnapshotAgainstH100RecipeFails(t *testing.T) {
	ts := newTestSigstore(t, sigstoretest.Options{})
	in := copyInputs(t, h100Example)
	out := outPath(t)
	h200Snapshot := filepath.Join(exampleDir(t, h200Example), "snapshot.yaml")
	args := append(append(in.args(out), ts.signArgs()...), "--snapshot", h200Snapshot)
	data, _ := mustEmit(t, args, emit.Env{})
	files := bundleFiles(t, data)
	_, pred := statementParts(t, dssePayload(t, files[schema.FileAttestation]))
	checkAcceleratorMismatch(t, pred, "h200")
	if pred.Fingerprint.Accelerator == nil || pred.Fingerprint.Accelerator.Value != "h200" {
		t.Errorf("fingerprint accelerator %+v", pred.Fingerprint.Accelerator)
	}
	res := verifyBytes(ts.verifier(t), data)
	if res.Verdict != verify.VerdictFailing {
		t.Fatalf("verify: want failing, got %s", describe(res))
	}
	if got := failedChecks(res); !reflect.DeepEqual(got, []string{verify.CheckFingerprint}) {
		t.Errorf("failed checks %v, want only fingerprint\n%s", got, describe(res))
	}
	for _, c := range res.Checks {
		if c.Name == verify.CheckFingerprint && !strings.Contains(c.Detail, "accelerator: recipe requires h100, cluster has h200") {
			t.Errorf("fingerprint detail %q", c.Detail)
		}
	}
}

// githubTokenServer is a GitHub Actions OIDC token endpoint.
type githubTokenServer struct {
	srv      *httptest.Server
	status   int
	value    string
	requests atomic.Int32
	bad      atomic.Value // string: what was wrong with a request
}

const actionsRequestToken = "ghs_requestTokenThatMustNeverBePrinted"

func newGitHubTokenServer(t testing.TB, status int, value string) *githubTokenServer {
	t.Helper()
	g := &githubTokenServer{status: status, value: value}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.requests.Add(1)
		switch {
		case r.Method != http.MethodGet:
			g.bad.Store("method " + r.Method)
		case r.Header.Get("Authorization") != "Bearer "+actionsRequestToken:
			g.bad.Store("authorization " + r.Header.Get("Authorization"))
		case r.URL.Query().Get("audience") != "sigstore":
			g.bad.Store("audience " + r.URL.Query().Get("audience"))
		case r.URL.Query().Get("api-version") != "2.0":
			g.bad.Store("query " + r.URL.RawQuery + " lost the runner's own parameters")
		}
		w.Header().Set("Content-Type", "application/json")
		if g.status != http.StatusOK {
			w.WriteHeader(g.status)
			_, _ = w.Write([]byte(`{"message":"Resource not accessible by integration"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": g.value})
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *githubTokenServer) getenv(name string) string {
	switch name {
	case signing.EnvActionsIDTokenRequestURL:
		return g.srv.URL + "/_apis/distributedtask/hubs/build/plans/x/jobs/y/idtoken?api-version=2.0"
	case signing.EnvActionsIDTokenRequestToken:
		return actionsRequestToken
	case "GITHUB_ACTIONS":
		return "true"
	}
	return ""
}

func TestAmbientGitHubActionsToken(t *testing.T) {
	ts := newTestSigstore(t, sigstoretest.Options{})
	gh := newGitHubTokenServer(t, http.StatusOK, ts.jwt)
	in := copyInputs(t, h100Example)
	out := outPath(t)
	data, stderr := mustEmit(t, append(in.args(out), ts.serviceArgs()...), emit.Env{Getenv: gh.getenv})
	if n := gh.requests.Load(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	if bad, _ := gh.bad.Load().(string); bad != "" {
		t.Errorf("token request: %s", bad)
	}
	if !strings.Contains(stderr, "identity token from GitHub Actions") {
		t.Errorf("progress does not name the token source:\n%s", stderr)
	}
	if strings.Contains(stderr, actionsRequestToken) || strings.Contains(stderr, ts.jwt) {
		t.Error("progress prints a token")
	}
	if res := verifyBytes(ts.verifier(t), data); res.Verdict != verify.VerdictPassed {
		t.Errorf("verify: %s", describe(res))
	}
}

func TestAmbientGitHubActionsTokenRefused(t *testing.T) {
	ts := newTestSigstore(t, sigstoretest.Options{})
	gh := newGitHubTokenServer(t, http.StatusForbidden, "")
	in := copyInputs(t, h100Example)
	out := outPath(t)
	res := runEmit(t, append(in.args(out), ts.serviceArgs()...), emit.Env{Getenv: gh.getenv})
	assertOneLine(t, res.err, "OIDC identity token from GitHub Actions", "403", "id-token: write")
	if strings.Contains(res.err.Error(), actionsRequestToken) || strings.Contains(res.stderr, actionsRequestToken) {
		t.Error("the error or progress shows the request token")
	}
	if gh.requests.Load() != 1 {
		t.Errorf("%d token requests, want 1", gh.requests.Load())
	}
	if ts.fulcioHits.Load() != 0 {
		t.Error("Fulcio was called without a token")
	}
	assertNothingWritten(t, out)
}

// --- Determinism -----------------------------------------------------------------

func TestDeterministicUnsigned(t *testing.T) {
	in := copyInputs(t, h100Example)
	a, _ := mustEmit(t, in.args(outPath(t)), emit.Env{})
	b, _ := mustEmit(t, in.args(outPath(t)), emit.Env{})
	if !bytes.Equal(a, b) {
		t.Fatal("two emits of the same inputs differ")
	}
	// Generated BOM, attestedAt from Env.Now: still byte-identical.
	now := func() time.Time { return time.Date(2026, 11, 21, 7, 30, 15, 999_000_000, time.FixedZone("CET", 3600)) }
	args := dropFlags(in.args(""), "--out", "--bom", "--attested-at")
	c, _ := mustEmit(t, append(args, "--out", outPath(t)), emit.Env{Now: now})
	d, _ := mustEmit(t, append(args, "--out", outPath(t)), emit.Env{Now: now})
	if !bytes.Equal(c, d) {
		t.Fatal("two emits with a generated BOM and the same clock differ")
	}
	_, pred := predicateOf(t, bundleFiles(t, c))
	if pred.AttestedAt != "2026-11-21T06:30:15Z" {
		t.Errorf("attestedAt from Env.Now = %q, want 2026-11-21T06:30:15Z (UTC, whole seconds)", pred.AttestedAt)
	}
	// --attested-at in another zone, with a fraction: the same UTC second.
	f, _ := mustEmit(t, append(in.args(""), "--out", outPath(t), "--attested-at", "2026-11-20T10:58:00.75+01:00"), emit.Env{})
	if !bytes.Equal(a, f) {
		t.Error("--attested-at 2026-11-20T10:58:00.75+01:00 gave other bytes than 2026-11-20T09:58:00Z")
	}
	// A different time is a different bundle (the comparison above can fail).
	e, _ := mustEmit(t, append(in.args(""), "--out", outPath(t), "--attested-at", "2026-11-20T09:58:01Z"), emit.Env{})
	if bytes.Equal(a, e) {
		t.Error("a different --attested-at gave the same bytes")
	}
}

func TestDeterministicSigned(t *testing.T) {
	clock := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ts := newTestSigstore(t, sigstoretest.Options{Now: func() time.Time { return clock }})
	in := copyInputs(t, h100Example)
	a, _ := mustEmit(t, append(in.args(outPath(t)), ts.signArgs()...), emit.Env{})
	b, _ := mustEmit(t, append(in.args(outPath(t)), ts.signArgs()...), emit.Env{})
	fa, fb := bundleFiles(t, a), bundleFiles(t, b)
	if len(fa) != len(fb) {
		t.Fatalf("%d files and %d files", len(fa), len(fb))
	}
	for p, da := range fa {
		db, ok := fb[p]
		switch {
		case !ok:
			t.Errorf("%s only in the first bundle", p)
		case p == schema.FileAttestation:
			// An ephemeral key signs each time; the signed Statement is the same.
			if !bytes.Equal(dssePayload(t, da), dssePayload(t, db)) {
				t.Error("the signed Statements differ")
			}
		case !bytes.Equal(da, db):
			t.Errorf("%s differs between two signed emits", p)
		}
	}
	v := ts.verifier(t)
	for i, data := range [][]byte{a, b} {
		if res := verifyBytes(v, data); res.Verdict != verify.VerdictPassed {
			t.Errorf("bundle %d: %s", i, describe(res))
		}
	}
}

// TestFutureAttestedAtRefused: an --attested-at later than the signature
// gives a bundle that verify calls invalid ("attestedAt is after the signed
// time"); emit must refuse it rather than write it.
func TestFutureAttestedAtRefused(t *testing.T) {
	ts := newTestSigstore(t, sigstoretest.Options{})
	in := copyInputs(t, h100Example)
	out := outPath(t)
	future := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	args := append(append(in.args(out), ts.signArgs()...), "--attested-at", future)
	res := runEmit(t, args, emit.Env{})
	if res.err == nil {
		data := readFile(t, out)
		t.Fatalf("emit wrote a bundle attested %s, after its signature; verify says: %s", future, describe(verifyBytes(ts.verifier(t), data)))
	}
	assertOneLine(t, res.err, "--attested-at")
	assertNothingWritten(t, out)
}
