package signing_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/aicr/verify-evidence/internal/signing"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// fullSigstore is an in-process Sigstore with every service AICR's
// public-good signing config names: Fulcio, Rekor v1, a Rekor v2 log and an
// RFC 3161 timestamp authority, each on its own loopback server.
type fullSigstore struct {
	inst                    *sigstoretest.Instance
	tr                      *root.TrustedRoot
	fulcio, rekor, v2, tsa  *httptest.Server
	rekorHits, v2Hits       atomic.Int32
	tsaHits                 atomic.Int32
	mu                      sync.Mutex
	v2Rewrite               func(tle *protorekor.TransparencyLogEntry) // guarded by mu
	fulcioURL, rekorURL     string
	rekorV2URL, tsaEndpoint string
}

func newFullSigstore(t *testing.T) *fullSigstore {
	t.Helper()
	inst, err := sigstoretest.New(sigstoretest.Options{RekorV2: true, TimestampAuthority: true})
	if err != nil {
		t.Fatal(err)
	}
	// The verifier reads the trusted root as trusted_root.json.
	js, err := inst.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	fs := &fullSigstore{inst: inst, tr: tr}
	serve := func(h http.Handler, hits *atomic.Int32) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits != nil {
				hits.Add(1)
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	fs.fulcio = serve(inst.FulcioHandler(), nil)
	fs.rekor = serve(inst.RekorHandler(), &fs.rekorHits)
	fs.v2 = serve(http.HandlerFunc(fs.serveV2), &fs.v2Hits)
	fs.tsa = serve(inst.TimestampHandler(), &fs.tsaHits)
	fs.fulcioURL, fs.rekorURL, fs.rekorV2URL = fs.fulcio.URL, fs.rekor.URL, fs.v2.URL
	fs.tsaEndpoint = fs.tsa.URL + "/api/v1/timestamp"
	return fs
}

// serveV2 is the instance's Rekor v2 log, its answer passed through
// v2Rewrite when one is set (a log that lies).
func (fs *fullSigstore) serveV2(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	rewrite := fs.v2Rewrite
	fs.mu.Unlock()
	if rewrite == nil {
		fs.inst.RekorV2Handler().ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	fs.inst.RekorV2Handler().ServeHTTP(rec, r)
	if rec.Code != http.StatusCreated {
		http.Error(w, rec.Body.String(), rec.Code)
		return
	}
	var tle protorekor.TransparencyLogEntry
	if err := protojson.Unmarshal(rec.Body.Bytes(), &tle); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rewrite(&tle)
	out, err := protojson.Marshal(&tle)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(out)
}

func (fs *fullSigstore) setV2Rewrite(f func(*protorekor.TransparencyLogEntry)) {
	fs.mu.Lock()
	fs.v2Rewrite = f
	fs.mu.Unlock()
}

// svc is one service of a signing config.
type svc struct {
	url     string
	version int
	start   time.Time
	end     time.Time // zero: open-ended
}

func (s svc) json() map[string]any {
	start := s.start
	if start.IsZero() {
		start = time.Now().Add(-24 * time.Hour)
	}
	validFor := map[string]any{"start": start.UTC().Format(time.RFC3339)}
	if !s.end.IsZero() {
		validFor["end"] = s.end.UTC().Format(time.RFC3339)
	}
	return map[string]any{"url": s.url, "majorApiVersion": s.version, "validFor": validFor, "operator": "test"}
}

// signingConfig writes a signing_config.json (media type v0.2, selector ANY)
// and returns its path and parsed form.
func signingConfig(t *testing.T, fulcio, rekor, tsa []svc) (string, *root.SigningConfig) {
	t.Helper()
	list := func(ss []svc) []map[string]any {
		out := []map[string]any{}
		for _, s := range ss {
			out = append(out, s.json())
		}
		return out
	}
	doc := map[string]any{
		"mediaType":       "application/vnd.dev.sigstore.signingconfig.v0.2+json",
		"caUrls":          list(fulcio),
		"oidcUrls":        []any{},
		"rekorTlogUrls":   list(rekor),
		"tsaUrls":         list(tsa),
		"rekorTlogConfig": map[string]any{"selector": "ANY"},
		"tsaConfig":       map[string]any{"selector": "ANY"},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "signing_config.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sc, err := signing.ReadSigningConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, sc
}

// publicGoodLike is the shape of the public-good Rekor v2 signing config
// (signing_config_rekor_v2.v0.2.json, what AICR signs with): Fulcio v1, a
// Rekor v2 shard and the Rekor v1 log, one TSA.
func (fs *fullSigstore) publicGoodLike(t *testing.T) *root.SigningConfig {
	t.Helper()
	_, sc := signingConfig(t,
		[]svc{{url: fs.fulcioURL, version: 1}},
		[]svc{{url: fs.rekorV2URL, version: 2}, {url: fs.rekorURL, version: 1, start: time.Now().Add(-48 * time.Hour)}},
		[]svc{{url: fs.tsaEndpoint, version: 1}})
	return sc
}

func (fs *fullSigstore) signer(t *testing.T, cfg signing.Config) *signing.Signer {
	t.Helper()
	cfg.Timeout = 20 * time.Second
	s, err := signing.NewSigner(cfg, &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tlogEntries returns the transparency-log entries of a Sigstore bundle.
func tlogEntries(t *testing.T, bundleJSON []byte) []struct {
	KindVersion    struct{ Kind, Version string } `json:"kindVersion"`
	IntegratedTime string                         `json:"integratedTime"`
	LogID          struct{ KeyID string }         `json:"logId"`
} {
	t.Helper()
	var sb struct {
		VerificationMaterial struct {
			TlogEntries []struct {
				KindVersion    struct{ Kind, Version string } `json:"kindVersion"`
				IntegratedTime string                         `json:"integratedTime"`
				LogID          struct{ KeyID string }         `json:"logId"`
			} `json:"tlogEntries"`
			TimestampVerificationData struct {
				RFC3161Timestamps []json.RawMessage `json:"rfc3161Timestamps"`
			} `json:"timestampVerificationData"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(bundleJSON, &sb); err != nil {
		t.Fatal(err)
	}
	return sb.VerificationMaterial.TlogEntries
}

func rfc3161Count(t *testing.T, bundleJSON []byte) int {
	t.Helper()
	var sb struct {
		VerificationMaterial struct {
			TimestampVerificationData struct {
				RFC3161Timestamps []json.RawMessage `json:"rfc3161Timestamps"`
			} `json:"timestampVerificationData"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(bundleJSON, &sb); err != nil {
		t.Fatal(err)
	}
	return len(sb.VerificationMaterial.TimestampVerificationData.RFC3161Timestamps)
}

// signAndVerify signs the example bundle and verifies it with the project's
// verifier (production options: SCT, transparency log, observer timestamp)
// against the instance's trusted root and a pinned identity.
func signAndVerify(t *testing.T, fs *fullSigstore, s *signing.Signer) []byte {
	t.Helper()
	b := exampleBundle(t)
	if err := b.Sign(context.Background(), s); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	var archive bytes.Buffer
	if err := b.Write(&archive); err != nil {
		t.Fatal(err)
	}
	if res := verifyBundle(t, fs.tr, archive.Bytes(), sigstoretest.GitHubIssuer, testSANRegex); res.Verdict != verify.VerdictPassed {
		t.Fatalf("verify: %s", describe(res))
	}
	return b.Attestation
}

func TestSigningConfigPicksRekorV2AndTSAEndToEnd(t *testing.T) {
	fs := newFullSigstore(t)
	s := fs.signer(t, signing.Config{SigningConfig: fs.publicGoodLike(t), TrustedRoot: fs.tr})
	got := s.Services()
	if got.FulcioURL != fs.fulcioURL || len(got.Rekor) != 1 || got.Rekor[0] != (signing.RekorService{URL: fs.rekorV2URL, Version: 2}) ||
		len(got.TSAURLs) != 1 || got.TSAURLs[0] != fs.tsaEndpoint {
		t.Fatalf("services %+v: want Fulcio, the Rekor v2 log and the TSA", got)
	}

	att := signAndVerify(t, fs, s)
	if fs.rekorHits.Load() != 0 || fs.v2Hits.Load() != 1 || fs.tsaHits.Load() != 1 {
		t.Errorf("hits: Rekor v1 %d, Rekor v2 %d, TSA %d; want 0, 1, 1", fs.rekorHits.Load(), fs.v2Hits.Load(), fs.tsaHits.Load())
	}
	entries := tlogEntries(t, att)
	if len(entries) != 1 || entries[0].KindVersion.Kind != "hashedrekord" || entries[0].KindVersion.Version != "0.0.2" {
		t.Fatalf("tlog entries %+v, want one hashedrekord/0.0.2 entry", entries)
	}
	if it := entries[0].IntegratedTime; it != "" && it != "0" {
		t.Errorf("Rekor v2 entry has integrated time %q; v2 logs sign no time", it)
	}
	if n := rfc3161Count(t, att); n != 1 {
		t.Errorf("%d RFC 3161 timestamps, want 1", n)
	}
	// The signed time the verifier relied on is the TSA's (a v2 entry has no
	// SET): checked directly with the production options.
	sb, err := verify.LoadSigstoreBundle(att)
	if err != nil {
		t.Fatal(err)
	}
	res, err := verify.VerifySigstoreBundle(sb, sgverify.WithoutArtifactUnsafe(), fs.tr)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.VerifiedTimestamps) != 1 || res.VerifiedTimestamps[0].Type != "TimestampAuthority" {
		t.Errorf("verified timestamps %+v, want exactly the TSA's", res.VerifiedTimestamps)
	}
}

func TestSigningConfigV1OnlyKeepsRekorV1(t *testing.T) {
	fs := newFullSigstore(t)
	for name, tsa := range map[string][]svc{
		"with TSA":    {{url: fs.tsaEndpoint, version: 1}},
		"without TSA": nil,
	} {
		t.Run(name, func(t *testing.T) {
			_, sc := signingConfig(t, []svc{{url: fs.fulcioURL, version: 1}}, []svc{{url: fs.rekorURL, version: 1}}, tsa)
			s := fs.signer(t, signing.Config{SigningConfig: sc, TrustedRoot: fs.tr})
			got := s.Services()
			if len(got.Rekor) != 1 || got.Rekor[0] != (signing.RekorService{URL: fs.rekorURL, Version: 1}) || len(got.TSAURLs) != len(tsa) {
				t.Fatalf("services %+v", got)
			}
			att := signAndVerify(t, fs, s)
			if e := tlogEntries(t, att); len(e) != 1 || e[0].KindVersion.Kind != "dsse" {
				t.Errorf("tlog entries %+v, want one Rekor v1 dsse entry", e)
			}
			if n := rfc3161Count(t, att); n != len(tsa) {
				t.Errorf("%d RFC 3161 timestamps, want %d", n, len(tsa))
			}
		})
	}
}

func TestSigningConfigSelection(t *testing.T) {
	const (
		fulcio = "https://fulcio.example.com"
		v1     = "https://rekor.example.com"
		v2     = "https://log2026-1.rekor.example.com"
		v2old  = "https://log2025-1.rekor.example.com"
		tsa    = "https://tsa.example.com/api/v1/timestamp"
	)
	now := time.Now()
	for name, tc := range map[string]struct {
		fulcio, rekor, tsa []svc
		cfg                signing.Config
		want               signing.Services
	}{
		"v2 offered, v2 chosen": {
			rekor: []svc{{url: v1, version: 1}, {url: v2, version: 2}}, tsa: []svc{{url: tsa, version: 1}},
			want: signing.Services{Rekor: []signing.RekorService{{URL: v2, Version: 2}}, TSAURLs: []string{tsa}},
		},
		"newest valid v2 shard": {
			rekor: []svc{{url: v2old, version: 2, start: now.Add(-400 * 24 * time.Hour), end: now.Add(-time.Hour)}, {url: v2, version: 2, start: now.Add(-2 * time.Hour)}},
			tsa:   []svc{{url: tsa, version: 1}},
			want:  signing.Services{Rekor: []signing.RekorService{{URL: v2, Version: 2}}, TSAURLs: []string{tsa}},
		},
		"expired v2 falls back to v1": {
			rekor: []svc{{url: v1, version: 1}, {url: v2old, version: 2, end: now.Add(-time.Hour)}},
			want:  signing.Services{Rekor: []signing.RekorService{{URL: v1, Version: 1}}},
		},
		"v1 pinned": {
			rekor: []svc{{url: v1, version: 1}, {url: v2, version: 2}}, tsa: []svc{{url: tsa, version: 1}},
			cfg:  signing.Config{RekorVersion: 1},
			want: signing.Services{Rekor: []signing.RekorService{{URL: v1, Version: 1}}, TSAURLs: []string{tsa}},
		},
		"explicit URLs win": {
			rekor: []svc{{url: v2, version: 2}}, tsa: []svc{{url: tsa, version: 1}},
			cfg: signing.Config{FulcioURL: "https://fulcio.private.example", RekorURL: "https://rekor.private.example"},
			want: signing.Services{FulcioURL: "https://fulcio.private.example",
				Rekor: []signing.RekorService{{URL: "https://rekor.private.example", Version: 1}}, TSAURLs: []string{tsa}},
		},
		"future TSA is not used": {
			rekor: []svc{{url: v1, version: 1}}, tsa: []svc{{url: tsa, version: 1, start: now.Add(time.Hour)}},
			want: signing.Services{Rekor: []signing.RekorService{{URL: v1, Version: 1}}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.fulcio == nil {
				tc.fulcio = []svc{{url: fulcio, version: 1}}
			}
			if tc.want.FulcioURL == "" {
				tc.want.FulcioURL = fulcio
			}
			_, sc := signingConfig(t, tc.fulcio, tc.rekor, tc.tsa)
			tc.cfg.SigningConfig = sc
			s, err := signing.NewSigner(tc.cfg, &countingSource{token: "x"})
			if err != nil {
				t.Fatal(err)
			}
			got := s.Services()
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("services %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSigningConfigUnusable(t *testing.T) {
	const (
		fulcio = "https://fulcio.example.com"
		tsa    = "https://tsa.example.com/api/v1/timestamp"
	)
	for name, tc := range map[string]struct {
		fulcio, rekor, tsa []svc
		cfg                signing.Config
		want               []string
	}{
		"only an unsupported Rekor API": {
			rekor: []svc{{url: "https://rekor3.example.com", version: 3}}, tsa: []svc{{url: tsa, version: 1}},
			want: []string{"no Rekor service", "v1 or v2", "https://rekor3.example.com (API v3)"},
		},
		"only an unsupported Fulcio API": {
			fulcio: []svc{{url: fulcio, version: 2}}, rekor: []svc{{url: "https://rekor.example.com", version: 1}},
			want: []string{"no Fulcio service", "https://fulcio.example.com (API v2)"},
		},
		"only expired Rekor logs": {
			rekor: []svc{{url: "https://rekor.example.com", version: 1, end: time.Now().Add(-time.Hour)}},
			want:  []string{"no Rekor service", "not valid now"},
		},
		"no Rekor at all": {
			want: []string{"lists no Rekor service"},
		},
		"v2 without a TSA": {
			rekor: []svc{{url: "https://log.example.com", version: 2}},
			want:  []string{"Rekor v2 (https://log.example.com) requires a timestamp authority", "offers none"},
		},
		"v2 pinned, only v1 offered": {
			rekor: []svc{{url: "https://rekor.example.com", version: 1}}, tsa: []svc{{url: tsa, version: 1}},
			cfg:  signing.Config{RekorVersion: 2},
			want: []string{"no Rekor service", "API v2"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.fulcio == nil {
				tc.fulcio = []svc{{url: fulcio, version: 1}}
			}
			_, sc := signingConfig(t, tc.fulcio, tc.rekor, tc.tsa)
			tc.cfg.SigningConfig = sc
			_, err := signing.NewSigner(tc.cfg, &countingSource{token: "x"})
			if err == nil {
				t.Fatal("accepted")
			}
			t.Log(err)
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestReadSigningConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, tc := range map[string]struct{ path, want string }{
		"missing":    {filepath.Join(dir, "nope.json"), "no such file"},
		"not JSON":   {write("bad.json", "{"), "bad.json"},
		"wrong type": {write("root.json", `{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`), "root.json"},
		"too large":  {write("big.json", `{"x":"`+strings.Repeat("a", 1<<20)+`"}`), "larger than"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := signing.ReadSigningConfig(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line with %q", err, tc.want)
			}
		})
	}
}

func TestPublicGoodV1SigningConfig(t *testing.T) {
	// root-signing's default target: Rekor v1 and the Sigstore TSA.
	sc, err := signing.ReadSigningConfig(testutil.SharedTestdata(t, "sigstore-trusted-root/signing_config.v0.2.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.NewSigner(signing.Config{SigningConfig: sc}, &countingSource{token: "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := signing.Services{FulcioURL: "https://fulcio.sigstore.dev",
		Rekor: []signing.RekorService{{URL: "https://rekor.sigstore.dev", Version: 1}}, TSAURLs: []string{signing.SigstoreTSAURL}}
	if got := s.Services(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("services %+v, want %+v", got, want)
	}
}

func TestSigningConfigTSADownIsAServiceError(t *testing.T) {
	fs := newFullSigstore(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL + "/api/v1/timestamp"
	dead.Close()
	_, sc := signingConfig(t, []svc{{url: fs.fulcioURL, version: 1}}, []svc{{url: fs.rekorV2URL, version: 2}}, []svc{{url: deadURL, version: 1}})
	s := fs.signer(t, signing.Config{SigningConfig: sc, TrustedRoot: fs.tr})
	_, err := s.SignStatement(context.Background(), exampleBundle(t).Statement)
	se := serviceError(t, err)
	t.Logf("error: %v", err)
	if se.Service != signing.ServiceTSA || se.URL != deadURL || se.Status != 0 || !strings.Contains(se.Hint, "could not reach") {
		t.Errorf("ServiceError %+v, want the unreachable TSA", se)
	}
	if fs.v2Hits.Load() != 0 {
		t.Errorf("Rekor v2 called %d times after the TSA failed", fs.v2Hits.Load())
	}
}

func TestRekorV2ErrorsNameRekor(t *testing.T) {
	fs := newFullSigstore(t)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "log is read-only", http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	_, sc := signingConfig(t, []svc{{url: fs.fulcioURL, version: 1}}, []svc{{url: down.URL, version: 2}}, []svc{{url: fs.tsaEndpoint, version: 1}})
	s := fs.signer(t, signing.Config{SigningConfig: sc})
	_, err := s.SignStatement(context.Background(), exampleBundle(t).Statement)
	se := serviceError(t, err)
	t.Logf("error: %v", err)
	if se.Service != signing.ServiceRekor || se.URL != down.URL || se.Status != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "log is read-only") {
		t.Errorf("ServiceError %+v", se)
	}
}

// lyingRekorV2 are answers of a Rekor v2 log that do not prove the entry.
func lyingRekorV2(t *testing.T, fs *fullSigstore) map[string]func(*protorekor.TransparencyLogEntry) {
	t.Helper()
	// An entry the log really holds: a valid proof under a validly signed
	// checkpoint, for another signature.
	other, err := fs.signer(t, signing.Config{SigningConfig: fs.publicGoodLike(t)}).SignStatement(context.Background(), exampleBundle(t).Statement)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := verify.LoadSigstoreBundle(other)
	if err != nil {
		t.Fatal(err)
	}
	otherTLE := sb.GetVerificationMaterial().GetTlogEntries()[0]
	return map[string]func(*protorekor.TransparencyLogEntry){
		"bad checkpoint signature": func(tle *protorekor.TransparencyLogEntry) {
			cp := tle.InclusionProof.Checkpoint
			cp.Envelope = flipSignatureBit(t, cp.Envelope)
		},
		"proof of another entry": func(tle *protorekor.TransparencyLogEntry) {
			tle.LogIndex = otherTLE.LogIndex
			tle.InclusionProof = otherTLE.InclusionProof
		},
	}
}

// flipSignatureBit flips the last bit of the signature of a signed note's
// first signature line ("— <origin> <base64(keyhash || sig)>"), keeping the
// key hash so the verifier does try the signature.
func flipSignatureBit(t *testing.T, note string) string {
	t.Helper()
	text, sigs, ok := strings.Cut(note, "\n\n")
	if !ok {
		t.Fatalf("checkpoint %q has no signature block", note)
	}
	lines := strings.Split(sigs, "\n")
	fields := strings.Fields(lines[0])
	raw, err := base64.StdEncoding.DecodeString(fields[len(fields)-1])
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 1
	fields[len(fields)-1] = base64.StdEncoding.EncodeToString(raw)
	lines[0] = strings.Join(fields, " ")
	return text + "\n\n" + strings.Join(lines, "\n")
}

func TestRekorV2LyingLogRefusedBySelfVerification(t *testing.T) {
	fs := newFullSigstore(t)
	for name, rewrite := range lyingRekorV2(t, fs) {
		t.Run(name, func(t *testing.T) {
			fs.setV2Rewrite(rewrite)
			defer fs.setV2Rewrite(nil)
			s := fs.signer(t, signing.Config{SigningConfig: fs.publicGoodLike(t), TrustedRoot: fs.tr})
			_, err := s.SignStatement(context.Background(), exampleBundle(t).Statement)
			se := serviceError(t, err)
			t.Logf("error: %v", err)
			if se.Service != signing.ServiceVerify {
				t.Errorf("ServiceError %+v, want self-verification to refuse the bundle", se)
			}
		})
	}
}

func TestRekorV2LyingLogIsInvalid(t *testing.T) {
	fs := newFullSigstore(t)
	for name, rewrite := range lyingRekorV2(t, fs) {
		t.Run(name, func(t *testing.T) {
			fs.setV2Rewrite(rewrite)
			defer fs.setV2Rewrite(nil)
			// Without a trusted root the signer cannot check; the verifier must.
			s := fs.signer(t, signing.Config{SigningConfig: fs.publicGoodLike(t)})
			b := exampleBundle(t)
			if err := b.Sign(context.Background(), s); err != nil {
				t.Fatalf("Sign: %v", err)
			}
			var archive bytes.Buffer
			if err := b.Write(&archive); err != nil {
				t.Fatal(err)
			}
			res := verifyBundle(t, fs.tr, archive.Bytes(), sigstoretest.GitHubIssuer, testSANRegex)
			t.Log(describe(res))
			if res.Verdict != verify.VerdictInvalid {
				t.Errorf("verdict %s, want invalid", res.Verdict)
			}
		})
	}
}

func TestSigningConfigFromTUFFailureIsUnavailable(t *testing.T) {
	// The TUF fetch cannot run (here: cancelled before it starts, so the test
	// never touches the network): the signer cannot be configured, the error
	// is "unavailable" (infrastructure), and says how to proceed offline.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var cfg signing.Config
	err := cfg.LoadSigningConfig(ctx, "", t.TempDir())
	if err == nil {
		t.Fatal("no error")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "--signing-config") || strings.Contains(err.Error(), "\n") || !errors.Is(err, context.Canceled) || !errors.Is(err, trust.ErrUnavailable) {
		t.Errorf("error %q: want one line naming --signing-config, wrapping the cause", err)
	}
	if cfg.SigningConfig != nil || cfg.TrustedRoot != nil {
		t.Error("config set despite the error")
	}
}

func TestRekorV2TimeoutNamesRekor(t *testing.T) {
	fs := newFullSigstore(t)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	_, sc := signingConfig(t, []svc{{url: fs.fulcioURL, version: 1}}, []svc{{url: hang.URL, version: 2}}, []svc{{url: fs.tsaEndpoint, version: 1}})
	s, err := signing.NewSigner(signing.Config{SigningConfig: sc, Timeout: 200 * time.Millisecond}, &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignStatement(context.Background(), exampleBundle(t).Statement)
	se := serviceError(t, err)
	t.Logf("error: %v", err)
	if se.Service != signing.ServiceRekor || se.URL != hang.URL || !strings.Contains(err.Error(), "did not answer in time") {
		t.Errorf("ServiceError %+v", se)
	}
}
