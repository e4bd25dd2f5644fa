package sigstoretest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func newServers(t *testing.T, inst *Instance) (fulcioURL, rekorURL string) {
	t.Helper()
	fulcio := httptest.NewServer(inst.FulcioHandler())
	t.Cleanup(fulcio.Close)
	rekor := httptest.NewServer(inst.RekorHandler())
	t.Cleanup(rekor.Close)
	return fulcio.URL, rekor.URL
}

func TestHTTPFacesWithSigstoreGoClients(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	inst := newInstance(t, Options{Start: now.Add(-24 * time.Hour), Now: func() time.Time { return now }})
	fulcioURL, rekorURL := newServers(t, inst)

	token, err := UnsignedJWT(GitHubActionsClaims(testRepo, testWorkflow, testRef, testSHA, testRunID))
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := inst.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: statement(t), PayloadType: InTotoPayloadType}, kp, sign.BundleOptions{
		Context:                    ctx,
		CertificateProvider:        sign.NewFulcio(&sign.FulcioOptions{BaseURL: fulcioURL}),
		CertificateProviderOptions: &sign.CertificateProviderOptions{IDToken: token},
		TransparencyLogs:           []sign.Transparency{sign.NewRekor(&sign.RekorOptions{BaseURL: rekorURL, Version: 1})},
		TrustedRoot:                tr,
	})
	if err != nil {
		t.Fatalf("sign.Bundle against the HTTP faces: %v", err)
	}
	js, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}

	res, err := verifyProduction(t, loadTrustedRoot(t, inst), loadBundle(t, js), defaultPolicy())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := GitHubActionsIdentity(testRepo, testWorkflow, testRef, testSHA, testRunID)
	wantExt := want.Extensions
	wantExt.Issuer = GitHubIssuer
	if got := res.Signature.Certificate; got.SubjectAlternativeName != want.SAN || got.Extensions != wantExt {
		t.Errorf("certificate summary =\n%+v\nwant SAN %q and\n%+v", got, want.SAN, wantExt)
	}
	if wantRun := "https://github.com/acme/recipes/actions/runs/4242/attempts/1"; wantExt.RunInvocationURI != wantRun {
		t.Errorf("RunInvocationURI = %q, want %q", wantExt.RunInvocationURI, wantRun)
	}
	if len(res.VerifiedTimestamps) != 1 || !res.VerifiedTimestamps[0].Timestamp.Equal(now) {
		t.Errorf("verified timestamps = %+v, want one at %v", res.VerifiedTimestamps, now)
	}
	entry := pb.GetVerificationMaterial().GetTlogEntries()[0]
	if entry.GetLogIndex() != dummyLeafCount {
		t.Errorf("log index = %d, want %d", entry.GetLogIndex(), dummyLeafCount)
	}

	// Uploading the same entry again gets a 409; the client then fetches
	// the existing entry by UUID.
	again := proto.Clone(pb).(*protobundle.Bundle)
	again.VerificationMaterial.TlogEntries = nil
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pb.GetVerificationMaterial().GetCertificate().GetRawBytes()})
	rekor := sign.NewRekor(&sign.RekorOptions{BaseURL: rekorURL, Version: 1})
	if err := rekor.GetTransparencyLogEntry(ctx, certPEM, again); err != nil {
		t.Fatalf("re-uploading the entry: %v", err)
	}
	dup := again.GetVerificationMaterial().GetTlogEntries()[0]
	if dup.GetLogIndex() != entry.GetLogIndex() || dup.GetIntegratedTime() != entry.GetIntegratedTime() ||
		!bytes.Equal(dup.GetCanonicalizedBody(), entry.GetCanonicalizedBody()) {
		t.Errorf("duplicate entry = index %d time %d, want index %d time %d",
			dup.GetLogIndex(), dup.GetIntegratedTime(), entry.GetLogIndex(), entry.GetIntegratedTime())
	}
	if got := inst.LogSize(); got != dummyLeafCount+1 {
		t.Errorf("log size after duplicate = %d, want %d", got, dummyLeafCount+1)
	}
}

func TestFulcioHandlerEmailIdentity(t *testing.T) {
	inst := newInstance(t, Options{})
	fulcioURL, _ := newServers(t, inst)
	token, err := UnsignedJWT(map[string]any{
		"iss": "https://accounts.example.com", "sub": "1234", "aud": "sigstore",
		"email": "alice@example.com", "email_verified": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := sign.NewFulcio(&sign.FulcioOptions{BaseURL: fulcioURL}).
		GetCertificate(context.Background(), kp, &sign.CertificateProviderOptions{IDToken: token})
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.EmailAddresses) != 1 || cert.EmailAddresses[0] != "alice@example.com" || len(cert.URIs) != 0 {
		t.Errorf("SANs: emails %v, URIs %v", cert.EmailAddresses, cert.URIs)
	}
	if _, err := cert.Verify(x509.VerifyOptions{
		Roots:         certPool(inst.RootCertificate()),
		Intermediates: certPool(inst.IntermediateCertificate()),
		CurrentTime:   cert.NotBefore.Add(time.Second),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}); err != nil {
		t.Errorf("certificate does not chain to the instance's root: %v", err)
	}
}

func certPool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// fulcioRequest builds a signingCert request for key, with a proof of
// possession over popSubject signed by popKey.
func fulcioRequest(t *testing.T, token string, key, popKey *ecdsa.PrivateKey, popSubject string) []byte {
	t.Helper()
	keyPEM, err := cryptoutils.MarshalPublicKeyToPEM(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(popSubject))
	pop, err := popKey.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	req := map[string]any{
		"publicKeyRequest": map[string]any{
			"publicKey":         map[string]string{"algorithm": "ECDSA", "content": string(keyPEM)},
			"proofOfPossession": base64.StdEncoding.EncodeToString(pop),
		},
	}
	if token != "" {
		req["credentials"] = map[string]string{"oidcIdentityToken": token}
	}
	js, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func post(t *testing.T, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body)) //nolint:noctx // test server
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func TestFulcioHandlerRequests(t *testing.T) {
	inst := newInstance(t, Options{})
	fulcioURL, _ := newServers(t, inst)
	endpoint := fulcioURL + "/api/v2/signingCert"
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	claims := GitHubActionsClaims(testRepo, testWorkflow, testRef, testSHA, testRunID)
	token, err := UnsignedJWT(claims)
	if err != nil {
		t.Fatal(err)
	}
	sub := claims["sub"].(string)
	unverified, err := UnsignedJWT(map[string]any{"iss": "https://accounts.example.com", "sub": "1", "email": "bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	noIssuer, err := UnsignedJWT(map[string]any{"sub": "https://example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	bareSubject, err := UnsignedJWT(map[string]any{"iss": "https://accounts.example.com", "sub": "1234"})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		body []byte
		want int
	}{
		{"token in credentials", fulcioRequest(t, token, key, key, sub), http.StatusOK},
		{"no token", fulcioRequest(t, "", key, key, sub), http.StatusUnauthorized},
		{"malformed token", fulcioRequest(t, "not-a-jwt", key, key, sub), http.StatusUnauthorized},
		{"proof by another key", fulcioRequest(t, token, key, otherKey, sub), http.StatusBadRequest},
		{"proof over another subject", fulcioRequest(t, token, key, key, "repo:acme/other:ref:refs/heads/main"), http.StatusBadRequest},
		{"unverified email", fulcioRequest(t, unverified, key, key, "bob@example.com"), http.StatusUnauthorized},
		{"no issuer", fulcioRequest(t, noIssuer, key, key, "https://example.com/x"), http.StatusUnauthorized},
		{"subject neither URI nor email", fulcioRequest(t, bareSubject, key, key, "1234"), http.StatusBadRequest},
		{"not JSON", []byte("{"), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, endpoint, tc.body)
			if status != tc.want {
				t.Fatalf("status %d, want %d: %s", status, tc.want, body)
			}
			if status != http.StatusOK {
				var e struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Code != status || e.Message == "" {
					t.Errorf("error body %s (%v)", body, err)
				}
				return
			}
			var resp fulcioSigningCertResponse
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatal(err)
			}
			chain := resp.SignedCertificateEmbeddedSct.Chain.Certificates
			if len(chain) != 3 {
				t.Fatalf("chain has %d certificates, want 3", len(chain))
			}
			var certs []*x509.Certificate
			for _, p := range chain {
				block, _ := pem.Decode([]byte(p))
				if block == nil || block.Type != "CERTIFICATE" {
					t.Fatalf("bad PEM %q", p)
				}
				c, err := x509.ParseCertificate(block.Bytes)
				if err != nil {
					t.Fatal(err)
				}
				certs = append(certs, c)
			}
			if !certs[1].Equal(inst.IntermediateCertificate()) || !certs[2].Equal(inst.RootCertificate()) {
				t.Error("chain is not [leaf, intermediate, root]")
			}
			if !certs[0].PublicKey.(*ecdsa.PublicKey).Equal(key.Public()) {
				t.Error("leaf certifies another key")
			}
			if len(certs[0].URIs) != 1 || certs[0].URIs[0].String() != testIdentity().SAN {
				t.Errorf("leaf URIs %v", certs[0].URIs)
			}
		})
	}
}

func TestRekorHandlerErrors(t *testing.T) {
	inst := newInstance(t, Options{})
	_, rekorURL := newServers(t, inst)
	for _, tc := range []struct {
		name string
		body string
	}{
		{"not JSON", "{"},
		{"unsupported kind", `{"kind":"rekord","apiVersion":"0.0.1","spec":{}}`},
		{"invalid dsse entry", `{"kind":"dsse","apiVersion":"0.0.1","spec":{}}`},
	} {
		status, body := post(t, rekorURL+"/api/v1/log/entries", []byte(tc.body))
		if status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", tc.name, status, body)
		}
	}
	resp, err := http.Get(rekorURL + "/api/v1/log/entries/" + strings.Repeat("ab", 32)) //nolint:noctx // test server
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET unknown entry: status %d, want 404", resp.StatusCode)
	}
	if got := inst.LogSize(); got != dummyLeafCount {
		t.Errorf("log size = %d after rejected entries, want %d", got, dummyLeafCount)
	}
}
