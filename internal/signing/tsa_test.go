package signing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/signing"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/verify"
)

func TestSignWithTimestampAuthorityVerifies(t *testing.T) {
	// Rekor v1 plus a TSA, all given explicitly: both signed times land in
	// the bundle.
	fs := newFullSigstore(t)
	tr := fs.tr
	var steps []string
	cfg := signing.Config{FulcioURL: fs.fulcioURL, RekorURL: fs.rekorURL, TSAURL: fs.tsaEndpoint, TrustedRoot: tr, Timeout: 20 * time.Second}
	cfg.Progress = func(step string) { steps = append(steps, step) }
	s, err := signing.NewSigner(cfg, &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	b := exampleBundle(t)
	if err := b.Sign(context.Background(), s); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if fs.tsaHits.Load() != 1 || fs.rekorHits.Load() != 1 {
		t.Errorf("TSA called %d times, Rekor v1 %d times; want 1 and 1", fs.tsaHits.Load(), fs.rekorHits.Load())
	}
	if !strings.HasPrefix(steps[2], "requesting timestamp") {
		t.Errorf("steps %q: want the timestamp request third", steps)
	}
	var sb struct {
		VerificationMaterial struct {
			TimestampVerificationData struct {
				RFC3161Timestamps []json.RawMessage `json:"rfc3161Timestamps"`
			} `json:"timestampVerificationData"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(b.Attestation, &sb); err != nil {
		t.Fatal(err)
	}
	if n := len(sb.VerificationMaterial.TimestampVerificationData.RFC3161Timestamps); n != 1 {
		t.Errorf("bundle has %d RFC 3161 timestamps, want 1", n)
	}
	var archive bytes.Buffer
	if err := b.Write(&archive); err != nil {
		t.Fatal(err)
	}
	res := verifyBundle(t, tr, archive.Bytes(), sigstoretest.GitHubIssuer, testSANRegex)
	if res.Verdict != verify.VerdictPassed {
		t.Fatalf("verify: %s", describe(res))
	}
}

func TestSignTimestampAuthorityFailureNamesTSA(t *testing.T) {
	ts := newTestSigstore(t)
	tsaSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(tsaSrv.Close)
	cfg := ts.config()
	cfg.TSAURL = tsaSrv.URL + "/wrong"
	s, err := signing.NewSigner(cfg, &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignStatement(context.Background(), exampleBundle(t).Statement)
	se := serviceError(t, err)
	t.Logf("error: %v", err)
	if se.Service != signing.ServiceTSA || se.Status != http.StatusNotFound || se.URL != cfg.TSAURL {
		t.Errorf("ServiceError %+v", se)
	}
	if !strings.Contains(err.Error(), "timestamp authority "+cfg.TSAURL) {
		t.Errorf("error %q does not name the TSA", err)
	}
	if n := ts.rekorHits.Load(); n != 0 {
		t.Errorf("Rekor called %d times after the TSA failed", n)
	}
}
