package signing_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/signing"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/verify"
	"github.com/sigstore/sigstore-go/pkg/root"
)

const (
	testRepo     = "acme-gpu/recipe-evidence"
	testWorkflow = ".github/workflows/evidence.yml"
	testRef      = "refs/heads/main"
	testSHA      = "3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a"
	testRunID    = 12345678901
	testSAN      = "https://github.com/" + testRepo + "/" + testWorkflow + "@" + testRef
	testSANRegex = `^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main$`
)

// countingSource is a static token source that counts its calls.
type countingSource struct {
	token string
	err   error
	calls atomic.Int32
}

func (c *countingSource) Name() string { return "test token" }

func (c *countingSource) Token(context.Context) (string, error) {
	c.calls.Add(1)
	return c.token, c.err
}

func githubToken(t *testing.T, extra map[string]any) string {
	t.Helper()
	claims := sigstoretest.GitHubActionsClaims(testRepo, testWorkflow, testRef, testSHA, testRunID)
	for k, v := range extra {
		claims[k] = v
	}
	tok, err := sigstoretest.UnsignedJWT(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// testSigstore is an in-process Sigstore served over loopback HTTP.
type testSigstore struct {
	inst           *sigstoretest.Instance
	tr             *root.TrustedRoot
	fulcio, rekor  *httptest.Server
	fulcioHits     atomic.Int32
	rekorHits      atomic.Int32
	fulcioOverride http.Handler
	rekorOverride  http.Handler
}

func newTestSigstore(t *testing.T) *testSigstore {
	t.Helper()
	inst, err := sigstoretest.New(sigstoretest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := inst.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	ts := &testSigstore{inst: inst, tr: tr}
	fh, rh := inst.FulcioHandler(), inst.RekorHandler()
	ts.fulcio = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.fulcioHits.Add(1)
		if ts.fulcioOverride != nil {
			ts.fulcioOverride.ServeHTTP(w, r)
			return
		}
		fh.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.fulcio.Close)
	ts.rekor = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.rekorHits.Add(1)
		if ts.rekorOverride != nil {
			ts.rekorOverride.ServeHTTP(w, r)
			return
		}
		rh.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.rekor.Close)
	return ts
}

func (ts *testSigstore) config() signing.Config {
	return signing.Config{FulcioURL: ts.fulcio.URL, RekorURL: ts.rekor.URL, TrustedRoot: ts.tr, Timeout: 20 * time.Second}
}

// exampleBundle assembles the h100-eks-ubuntu-training example bundle, as
// internal/tools/genexamples does, attested a minute ago.
func exampleBundle(t *testing.T) *assemble.Bundle {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "examples", "inputs", "h100-eks-ubuntu-training")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	recipe, snapshot := read("recipe.yaml"), read("snapshot.yaml")
	ctrf := map[string][]byte{}
	for _, p := range schema.Phases() {
		b, err := os.ReadFile(filepath.Join(dir, "ctrf", p+".json"))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ctrf[p] = b
	}
	fp, err := fingerprint.Compute(snapshot)
	if err != nil {
		t.Fatal(err)
	}
	crit, err := fingerprint.CriteriaFromRecipe(recipe)
	if err != nil {
		t.Fatal(err)
	}
	b, err := assemble.Build(assemble.Inputs{
		Recipe:                  recipe,
		RecipeName:              "h100-eks-ubuntu-training",
		Snapshot:                snapshot,
		BOM:                     read("bom.cdx.json"),
		CTRF:                    ctrf,
		AttestedAt:              time.Now().Add(-time.Minute),
		AICRVersion:             "v0.18.0",
		ValidatorCatalogVersion: "v0.18.0",
		ValidatorImages:         []schema.ValidatorImage{{Image: "ghcr.io/nvidia/aicr-validators/conformance:v0.18.0"}},
		Fingerprint:             fp,
		CriteriaMatch:           fingerprint.Match(crit, fp),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func verifyBundle(t *testing.T, tr root.TrustedMaterial, archive []byte, issuer, sanRegex string) *verify.Result {
	t.Helper()
	pol, err := policy.FromFlags([]string{issuer}, []string{sanRegex})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(verify.Config{Trust: tr, Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	return v.Verify(context.Background(), bytes.NewReader(archive), verify.Options{Name: "evidence-bundle.tar.gz"})
}

func describe(res *verify.Result) string {
	var b strings.Builder
	b.WriteString(string(res.Verdict) + ": " + res.Summary + "\n")
	for _, c := range res.Checks {
		b.WriteString("  " + c.Name + " " + string(c.Status) + ": " + c.Detail + "\n")
	}
	return b.String()
}

func TestSignEndToEndVerifies(t *testing.T) {
	ts := newTestSigstore(t)
	src := &countingSource{token: githubToken(t, nil)}
	var mu sync.Mutex
	var steps []string
	cfg := ts.config()
	cfg.Progress = func(step string) { mu.Lock(); steps = append(steps, step); mu.Unlock() }
	s, err := signing.NewSigner(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	var _ assemble.Signer = s
	if n := src.calls.Load(); n != 0 {
		t.Fatalf("token fetched %d times before signing, want 0", n)
	}
	if iss, sub := s.Identity(); iss != "" || sub != "" {
		t.Errorf("Identity before signing = %q, %q; want empty", iss, sub)
	}

	b := exampleBundle(t)
	if err := b.Sign(context.Background(), s); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if n := src.calls.Load(); n != 1 {
		t.Errorf("token fetched %d times, want 1", n)
	}
	if iss, sub := s.Identity(); iss != sigstoretest.GitHubIssuer || sub != testSAN {
		t.Errorf("Identity = %q, %q; want %q, %q", iss, sub, sigstoretest.GitHubIssuer, testSAN)
	}
	want := []string{"fetching identity token", "requesting certificate", "uploading to Rekor", "verifying the bundle"}
	if len(steps) != len(want) {
		t.Fatalf("progress steps %q, want %d", steps, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(steps[i], w) {
			t.Errorf("step %d = %q, want prefix %q", i, steps[i], w)
		}
	}

	// The bundle: v0.3, DSSE of the exact statement bytes, one Rekor v1 entry.
	var sb struct {
		MediaType            string `json:"mediaType"`
		VerificationMaterial struct {
			Certificate struct {
				RawBytes string `json:"rawBytes"`
			} `json:"certificate"`
			TlogEntries []struct {
				KindVersion struct{ Kind, Version string } `json:"kindVersion"`
			} `json:"tlogEntries"`
		} `json:"verificationMaterial"`
		DsseEnvelope struct {
			Payload     string `json:"payload"`
			PayloadType string `json:"payloadType"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b.Attestation, &sb); err != nil {
		t.Fatal(err)
	}
	if sb.MediaType != "application/vnd.dev.sigstore.bundle.v0.3+json" {
		t.Errorf("mediaType %q", sb.MediaType)
	}
	if sb.DsseEnvelope.PayloadType != "application/vnd.in-toto+json" {
		t.Errorf("payloadType %q", sb.DsseEnvelope.PayloadType)
	}
	payload, err := base64.StdEncoding.DecodeString(sb.DsseEnvelope.Payload)
	if err != nil || !bytes.Equal(payload, b.Statement) {
		t.Errorf("DSSE payload is not the statement (err %v)", err)
	}
	if sb.VerificationMaterial.Certificate.RawBytes == "" {
		t.Error("bundle has no single certificate")
	}
	if len(sb.VerificationMaterial.TlogEntries) != 1 || sb.VerificationMaterial.TlogEntries[0].KindVersion.Kind != "dsse" {
		t.Errorf("tlog entries %+v, want one dsse entry", sb.VerificationMaterial.TlogEntries)
	}

	var archive bytes.Buffer
	if err := b.Write(&archive); err != nil {
		t.Fatal(err)
	}
	res := verifyBundle(t, ts.tr, archive.Bytes(), sigstoretest.GitHubIssuer, testSANRegex)
	if res.Verdict != verify.VerdictPassed {
		t.Fatalf("verify: %s", describe(res))
	}
	// The pin matters: another workflow's identity is refused.
	other := verifyBundle(t, ts.tr, archive.Bytes(), sigstoretest.GitHubIssuer, `^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/other\.yml@refs/heads/main$`)
	if other.Verdict == verify.VerdictPassed {
		t.Fatalf("verify with another pinned identity passed: %s", describe(other))
	}
}

func TestSignFetchesTokenPerSignature(t *testing.T) {
	ts := newTestSigstore(t)
	src := &countingSource{token: githubToken(t, nil)}
	s, err := signing.NewSigner(ts.config(), src)
	if err != nil {
		t.Fatal(err)
	}
	stmt := exampleBundle(t).Statement
	for i := 1; i <= 2; i++ {
		if _, err := s.SignStatement(context.Background(), stmt); err != nil {
			t.Fatalf("signature %d: %v", i, err)
		}
		if n := src.calls.Load(); n != int32(i) {
			t.Errorf("after signature %d: token fetched %d times", i, n)
		}
	}
}

func serviceError(t *testing.T, err error) *signing.ServiceError {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var se *signing.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("error %q (%T) is not a *ServiceError", err, err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
	return se
}

func TestSignFulcio401NamesFulcio(t *testing.T) {
	ts := newTestSigstore(t)
	ts.fulcioOverride = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"code":16,"message":"error processing the identity token"}`))
	})
	s, err := signing.NewSigner(ts.config(), &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignStatement(context.Background(), exampleBundle(t).Statement)
	se := serviceError(t, err)
	t.Logf("error: %v", err)
	msg := err.Error()
	if se.Service != signing.ServiceFulcio || se.Status != http.StatusUnauthorized || se.URL != ts.fulcio.URL {
		t.Errorf("ServiceError %+v", se)
	}
	for _, want := range []string{"Fulcio " + ts.fulcio.URL, "401", "error processing the identity token", "expired", "audience", `"sigstore"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if n := ts.rekorHits.Load(); n != 0 {
		t.Errorf("Rekor called %d times after Fulcio failed", n)
	}
	if iss, sub := s.Identity(); iss != "" || sub != "" {
		t.Errorf("Identity after a failure = %q, %q", iss, sub)
	}
}

func TestSignRekor500NamesRekor(t *testing.T) {
	ts := newTestSigstore(t)
	ts.rekorOverride = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"code":500,"message":"trillian is down"}`))
	})
	s, err := signing.NewSigner(ts.config(), &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignStatement(context.Background(), exampleBundle(t).Statement)
	se := serviceError(t, err)
	t.Logf("error: %v", err)
	msg := err.Error()
	if se.Service != signing.ServiceRekor || se.Status != http.StatusInternalServerError || se.URL != ts.rekor.URL {
		t.Errorf("ServiceError %+v: %s", se, msg)
	}
	for _, want := range []string{"Rekor " + ts.rekor.URL, "500", "trillian is down", "retry later"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if n := ts.fulcioHits.Load(); n != 1 {
		t.Errorf("Fulcio called %d times, want 1", n)
	}
}

func TestSignRekorRefusesEntryNamesRekor(t *testing.T) {
	ts := newTestSigstore(t)
	ts.rekorOverride = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":400,"message":"invalid entry"}`))
	})
	s, err := signing.NewSigner(ts.config(), &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignStatement(context.Background(), exampleBundle(t).Statement)
	se := serviceError(t, err)
	t.Logf("error: %v", err)
	if se.Service != signing.ServiceRekor || se.Status != http.StatusBadRequest || !strings.Contains(err.Error(), "refused") {
		t.Errorf("ServiceError %+v: %s", se, err)
	}
}

func TestSignUnreachableRekor(t *testing.T) {
	ts := newTestSigstore(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	cfg := ts.config()
	cfg.RekorURL = deadURL
	s, err := signing.NewSigner(cfg, &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignStatement(context.Background(), exampleBundle(t).Statement)
	se := serviceError(t, err)
	t.Logf("error: %v", err)
	if se.Service != signing.ServiceRekor || !strings.Contains(err.Error(), "could not reach Rekor") {
		t.Errorf("ServiceError %+v: %s", se, err)
	}
}

func TestSignTokenErrorsStopBeforeFulcio(t *testing.T) {
	for name, tc := range map[string]struct {
		src  *countingSource
		want []string
	}{
		"source fails": {&countingSource{err: errors.New("boom")}, []string{"OIDC", "test token", "boom"}},
		"not a JWT":    {&countingSource{token: "not-a-token"}, []string{"OIDC", "not a JWT"}},
		"expired": {&countingSource{token: githubToken(t, map[string]any{"exp": time.Now().Add(-10 * time.Minute).Unix()})},
			[]string{"OIDC", "expired at", "fresh identity token"}},
	} {
		t.Run(name, func(t *testing.T) {
			ts := newTestSigstore(t)
			s, err := signing.NewSigner(ts.config(), tc.src)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.SignStatement(context.Background(), exampleBundle(t).Statement)
			se := serviceError(t, err)
			t.Logf("error: %v", err)
			if se.Service != signing.ServiceOIDC {
				t.Errorf("service %q", se.Service)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if n := ts.fulcioHits.Load(); n != 0 {
				t.Errorf("Fulcio called %d times", n)
			}
		})
	}
}

func TestSignSelfVerifyRejectsForeignRoot(t *testing.T) {
	ts := newTestSigstore(t)
	other, err := sigstoretest.New(sigstoretest.Options{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	otherRoot, err := other.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	cfg := ts.config()
	cfg.TrustedRoot = otherRoot
	s, err := signing.NewSigner(cfg, &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignStatement(context.Background(), exampleBundle(t).Statement)
	se := serviceError(t, err)
	t.Logf("error: %v", err)
	if se.Service != signing.ServiceVerify || !strings.Contains(err.Error(), "trusted root") {
		t.Errorf("ServiceError %+v: %s", se, err)
	}
	// Without a trusted root the same services give a bundle.
	cfg.TrustedRoot = nil
	s, err = signing.NewSigner(cfg, &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignStatement(context.Background(), exampleBundle(t).Statement); err != nil {
		t.Errorf("without self-verification: %v", err)
	}
}

func TestSignCancelled(t *testing.T) {
	ts := newTestSigstore(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	ts.fulcioOverride = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release })
	s, err := signing.NewSigner(ts.config(), &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.SignStatement(ctx, exampleBundle(t).Statement)
	se := serviceError(t, err)
	t.Logf("error: %v", err)
	if se.Service != signing.ServiceFulcio || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ServiceError %+v: %v", se, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancellation took %s", d)
	}
}

func TestSignRejectsNonJSON(t *testing.T) {
	ts := newTestSigstore(t)
	src := &countingSource{token: githubToken(t, nil)}
	s, err := signing.NewSigner(ts.config(), src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignStatement(context.Background(), []byte("not json")); err == nil {
		t.Fatal("signed a non-JSON statement")
	}
	if src.calls.Load() != 0 {
		t.Error("token fetched for a statement that was refused")
	}
}

func TestNewSignerValidates(t *testing.T) {
	src := &countingSource{token: "x"}
	for name, tc := range map[string]struct {
		cfg  signing.Config
		want string // "" = accepted
	}{
		"explicit services":       {explicit(signing.Config{}), ""},
		"nothing, no config":      {signing.Config{}, "signing config"},
		"no rekor, no config":     {signing.Config{FulcioURL: "https://fulcio.example.com"}, "signing config"},
		"loopback http":           {signing.Config{FulcioURL: "http://127.0.0.1:8080", RekorURL: "http://localhost:9/", TSAURL: "http://[::1]:1/api/v1/timestamp"}, ""},
		"rekor v2 with tsa":       {explicit(signing.Config{RekorVersion: 2, TSAURL: signing.SigstoreTSAURL}), ""},
		"rekor v2 without tsa":    {explicit(signing.Config{RekorVersion: 2}), "timestamp authority"},
		"rekor v3":                {explicit(signing.Config{RekorVersion: 3}), "Rekor version 3"},
		"remote http fulcio":      {explicit(signing.Config{FulcioURL: "http://fulcio.example.com"}), "loopback"},
		"remote http rekor":       {explicit(signing.Config{RekorURL: "http://10.0.0.1"}), "loopback"},
		"remote http tsa":         {explicit(signing.Config{TSAURL: "http://tsa.example.com/ts"}), "loopback"},
		"relative url":            {explicit(signing.Config{FulcioURL: "fulcio.sigstore.dev"}), "absolute https URL"},
		"credentials in url":      {explicit(signing.Config{RekorURL: "https://user:pw@rekor.example.com"}), "credentials"},
		"ftp":                     {explicit(signing.Config{RekorURL: "ftp://rekor.example.com"}), "absolute https URL"},
		"negative timeout":        {explicit(signing.Config{Timeout: -time.Second}), "timeout"},
		"loopback-looking domain": {explicit(signing.Config{FulcioURL: "http://127.0.0.1.example.com"}), "loopback"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := signing.NewSigner(tc.cfg, src)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("accepted, want an error mentioning %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
	if _, err := signing.NewSigner(signing.Config{}, nil); err == nil {
		t.Error("accepted a nil token source")
	}
	if src.calls.Load() != 0 {
		t.Error("NewSigner fetched a token")
	}
}

// explicit fills in https Fulcio and Rekor URLs that c leaves empty.
func explicit(c signing.Config) signing.Config {
	if c.FulcioURL == "" {
		c.FulcioURL = "https://fulcio.example.com"
	}
	if c.RekorURL == "" {
		c.RekorURL = "https://rekor.example.com"
	}
	return c
}

func TestSignServiceTimeout(t *testing.T) {
	ts := newTestSigstore(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	ts.fulcioOverride = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release })
	cfg := ts.config()
	cfg.Timeout = 200 * time.Millisecond
	s, err := signing.NewSigner(cfg, &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.SignStatement(context.Background(), exampleBundle(t).Statement)
	se := serviceError(t, err)
	t.Logf("error: %v", err)
	if se.Service != signing.ServiceFulcio || !strings.Contains(err.Error(), "did not answer in time") {
		t.Errorf("ServiceError %+v: %v", se, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("timeout took %s", d)
	}
}

func TestSignFulcioWrongAudienceHint(t *testing.T) {
	ts := newTestSigstore(t)
	ts.fulcioOverride = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"code":16,"message":"invalid audience"}`, http.StatusUnauthorized)
	})
	s, err := signing.NewSigner(ts.config(), &countingSource{token: githubToken(t, map[string]any{"aud": []string{"api://AzureADTokenExchange"}})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignStatement(context.Background(), exampleBundle(t).Statement)
	serviceError(t, err)
	if !strings.Contains(err.Error(), `aud is "api://AzureADTokenExchange"`) {
		t.Errorf("error %q does not show the token's audience", err)
	}
}
