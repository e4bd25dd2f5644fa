package emit_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/verify"
)

// rekorV2Sigstore is the test Sigstore plus a Rekor v2 log and a timestamp
// authority on loopback servers, and a signing config naming them.
type rekorV2Sigstore struct {
	*testSigstore
	v2, tsa         *httptest.Server
	v2Hits, tsaHits atomic.Int32
}

func newRekorV2Sigstore(t *testing.T) *rekorV2Sigstore {
	t.Helper()
	ts := &rekorV2Sigstore{testSigstore: newTestSigstore(t, sigstoretest.Options{RekorV2: true, TimestampAuthority: true})}
	v2h, tsah := ts.inst.RekorV2Handler(), ts.inst.TimestampHandler()
	ts.v2 = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ts.v2Hits.Add(1); v2h.ServeHTTP(w, r) }))
	t.Cleanup(ts.v2.Close)
	ts.tsa = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ts.tsaHits.Add(1); tsah.ServeHTTP(w, r) }))
	t.Cleanup(ts.tsa.Close)
	return ts
}

// signingConfig writes a signing_config.json offering Fulcio, the given Rekor
// logs ("url|version") and the TSA at tsaURL (none when empty).
func (ts *rekorV2Sigstore) signingConfig(t *testing.T, tsaURL string, rekor ...string) string {
	t.Helper()
	svc := func(u string, v int) map[string]any {
		return map[string]any{"url": u, "majorApiVersion": v, "validFor": map[string]any{"start": "2020-01-01T00:00:00Z"}, "operator": "test"}
	}
	var logs []map[string]any
	for _, r := range rekor {
		u, v, _ := strings.Cut(r, "|")
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil {
			t.Fatal(err)
		}
		logs = append(logs, svc(u, n))
	}
	tsas := []map[string]any{}
	if tsaURL != "" {
		tsas = append(tsas, svc(tsaURL, 1))
	}
	b, err := json.Marshal(map[string]any{
		"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
		"caUrls":    []any{svc(ts.fulcio.URL, 1)}, "oidcUrls": []any{},
		"rekorTlogUrls": logs, "tsaUrls": tsas,
		"rekorTlogConfig": map[string]any{"selector": "ANY"}, "tsaConfig": map[string]any{"selector": "ANY"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "signing_config.json")
	writeFile(t, p, b)
	return p
}

// configArgs sign keyless with the services of a signing config only.
func (ts *rekorV2Sigstore) configArgs(config string) []string {
	return []string{"--sign", "keyless", "--signing-config", config, "--trusted-root", ts.trustedRoot,
		"--identity-token", ts.token, "--interactive=false"}
}

func TestEmitSigningConfigRekorV2AndTSA(t *testing.T) {
	ts := newRekorV2Sigstore(t)
	config := ts.signingConfig(t, ts.tsa.URL+"/api/v1/timestamp", ts.v2.URL+"|2", ts.rekor.URL+"|1")
	in := copyInputs(t, h100Example)
	out := outPath(t)
	data, stderr := mustEmit(t, append(in.args(out), ts.configArgs(config)...), emit.Env{})
	if ts.v2Hits.Load() != 1 || ts.tsaHits.Load() != 1 || ts.rekHit.Load() != 0 {
		t.Fatalf("requests: Rekor v2 %d, TSA %d, Rekor v1 %d; want 1, 1, 0", ts.v2Hits.Load(), ts.tsaHits.Load(), ts.rekHit.Load())
	}
	if !strings.Contains(stderr, "uploading to Rekor "+ts.v2.URL+" (v2)") {
		t.Errorf("progress does not name the Rekor v2 log:\n%s", stderr)
	}
	var sb struct {
		VerificationMaterial struct {
			TlogEntries []struct {
				KindVersion struct{ Kind, Version string } `json:"kindVersion"`
			} `json:"tlogEntries"`
			TimestampVerificationData struct {
				RFC3161Timestamps []json.RawMessage `json:"rfc3161Timestamps"`
			} `json:"timestampVerificationData"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(bundleFiles(t, data)[schema.FileAttestation], &sb); err != nil {
		t.Fatal(err)
	}
	vm := sb.VerificationMaterial
	if len(vm.TlogEntries) != 1 || vm.TlogEntries[0].KindVersion.Kind != "hashedrekord" || vm.TlogEntries[0].KindVersion.Version != "0.0.2" ||
		len(vm.TimestampVerificationData.RFC3161Timestamps) != 1 {
		t.Fatalf("verification material %+v: want one Rekor v2 entry and one RFC 3161 timestamp", vm)
	}
	// The production verifier (SCT, transparency log, observer timestamp) passes it.
	if res := verifyBytes(ts.verifier(t), data); res.Verdict != verify.VerdictPassed {
		t.Fatalf("verify: %s", describe(res))
	}
}

func TestEmitSigningConfigV1Only(t *testing.T) {
	ts := newRekorV2Sigstore(t)
	config := ts.signingConfig(t, "", ts.rekor.URL+"|1")
	in := copyInputs(t, h100Example)
	out := outPath(t)
	data, _ := mustEmit(t, append(in.args(out), ts.configArgs(config)...), emit.Env{})
	if ts.rekHit.Load() == 0 || ts.v2Hits.Load() != 0 {
		t.Fatalf("requests: Rekor v1 %d, Rekor v2 %d", ts.rekHit.Load(), ts.v2Hits.Load())
	}
	if res := verifyBytes(ts.verifier(t), data); res.Verdict != verify.VerdictPassed {
		t.Fatalf("verify: %s", describe(res))
	}
}

func TestEmitSigningConfigFailures(t *testing.T) {
	ts := newRekorV2Sigstore(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadTSA := dead.URL + "/api/v1/timestamp"
	dead.Close()
	for name, tc := range map[string]struct {
		args func(in inputs, out string) []string
		want []string
	}{
		"TSA down": {
			args: func(in inputs, out string) []string {
				return append(in.args(out), ts.configArgs(ts.signingConfig(t, deadTSA, ts.v2.URL+"|2"))...)
			},
			want: []string{"timestamp authority " + deadTSA, "could not reach"},
		},
		"only an unsupported Rekor": {
			args: func(in inputs, out string) []string {
				return append(in.args(out), ts.configArgs(ts.signingConfig(t, "", "https://rekor3.example.com|3"))...)
			},
			want: []string{"no Rekor service", "API v3"},
		},
		"v2 pinned, v1 offered": {
			args: func(in inputs, out string) []string {
				return append(append(in.args(out), ts.configArgs(ts.signingConfig(t, "", ts.rekor.URL+"|1"))...), "--rekor-version", "2")
			},
			want: []string{"no Rekor service", "API v2"},
		},
		"missing file": {
			args: func(in inputs, out string) []string {
				return append(in.args(out), ts.configArgs(filepath.Join(t.TempDir(), "nope.json"))...)
			},
			want: []string{"--signing-config", "no such file"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			in := copyInputs(t, h100Example)
			out := outPath(t)
			res := runEmit(t, tc.args(in, out), emit.Env{})
			assertOneLine(t, res.err, tc.want...)
			assertNothingWritten(t, out)
		})
	}
}

// A bundle signed with Rekor v2 and a TSA passes the spec's §10 third-party
// script (cosign v3, tar, jq), as the Rekor v1 examples do.
func TestEmitRekorV2BundlePassesThirdPartyScript(t *testing.T) {
	testutil.NeedThirdPartyTools(t)
	ts := newRekorV2Sigstore(t)
	config := ts.signingConfig(t, ts.tsa.URL+"/api/v1/timestamp", ts.v2.URL+"|2")
	in := copyInputs(t, h100Example)
	out := outPath(t)
	mustEmit(t, append(in.args(out), ts.configArgs(config)...), emit.Env{})
	if ts.v2Hits.Load() != 1 {
		t.Fatalf("Rekor v2 requests %d, want 1", ts.v2Hits.Load())
	}
	vars := fmt.Sprintf("BUNDLE=%s\nTRUSTED_ROOT=%s\nISSUER=%s\nIDENTITY_REGEXP='%s'\n", out, ts.trustedRoot, sigstoretest.GitHubIssuer, signSANRegex)
	if output, err := testutil.RunThirdParty(t, vars); err != nil {
		t.Fatalf("the §10 script refused the Rekor v2 bundle: %v\n%s", err, output)
	}
}
