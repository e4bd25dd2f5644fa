package signing_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/aicr/verify-evidence/internal/signing"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/verify"
)

// testTSA is an RFC 3161 timestamp authority on a loopback server.
type testTSA struct {
	srv  *httptest.Server
	ta   *root.SigstoreTimestampingAuthority
	hits atomic.Int32
}

func newTestTSA(t *testing.T) *testTSA {
	t.Helper()
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-tsa-root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	rootCert := createCert(t, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	inter := createCert(t, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "test-tsa-intermediate"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
		BasicConstraintsValid: true, IsCA: true,
	}, rootCert, interKey.Public(), rootKey)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// RFC 3161 §2.3: the only extended key usage, marked critical.
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	if err != nil {
		t.Fatal(err)
	}
	leaf := createCert(t, &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "test-tsa"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
	}, inter, leafKey.Public(), interKey)
	tsa := &testTSA{ta: &root.SigstoreTimestampingAuthority{
		Root: rootCert, Intermediates: []*x509.Certificate{inter}, Leaf: leaf,
		ValidityPeriodStart: time.Now().Add(-time.Hour), URI: "https://tsa.test",
	}}
	tsa.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tsa.hits.Add(1)
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts := timestamp.Timestamp{
			HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Nonce: req.Nonce,
			Time: time.Now(), Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}, ExtraExtensions: req.Extensions,
		}
		resp, err := ts.CreateResponseWithOpts(leaf, leafKey, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		_, _ = w.Write(resp)
	}))
	t.Cleanup(tsa.srv.Close)
	return tsa
}

// withTSA returns the Sigstore trusted root plus the TSA.
func withTSA(t *testing.T, tr *root.TrustedRoot, tsa *testTSA) *root.TrustedRoot {
	t.Helper()
	out, err := root.NewTrustedRoot(root.TrustedRootMediaType01, tr.FulcioCertificateAuthorities(), tr.CTLogs(),
		[]root.TimestampingAuthority{tsa.ta}, tr.RekorLogs())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSignWithTimestampAuthorityVerifies(t *testing.T) {
	ts := newTestSigstore(t)
	tsa := newTestTSA(t)
	tr := withTSA(t, ts.tr, tsa)
	var steps []string
	cfg := ts.config()
	cfg.TrustedRoot = tr
	cfg.TSAURL = tsa.srv.URL + "/api/v1/timestamp"
	cfg.Progress = func(step string) { steps = append(steps, step) }
	s, err := signing.NewSigner(cfg, &countingSource{token: githubToken(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	b := exampleBundle(t)
	if err := b.Sign(context.Background(), s); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if tsa.hits.Load() != 1 {
		t.Errorf("TSA called %d times", tsa.hits.Load())
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

func createCert(t *testing.T, tmpl, parent *x509.Certificate, pub crypto.PublicKey, priv crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
