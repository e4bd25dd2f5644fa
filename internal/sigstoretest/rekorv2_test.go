package sigstoretest

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	rekornote "github.com/sigstore/rekor-tiles/v2/pkg/note"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"
)

func TestRekorV2AndTSAInTrustedRoot(t *testing.T) {
	plain := newInstance(t, Options{})
	if plain.RekorV2URL() != "" || plain.TimestampURL() != "" || plain.RekorV2LogID() != "" {
		t.Error("an instance without the options has a Rekor v2 log or a TSA")
	}
	inst := newInstance(t, Options{RekorV2: true, TimestampAuthority: true})
	js, err := inst.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	v2, ok := tr.RekorLogs()[inst.RekorV2LogID()]
	if !ok || v2.BaseURL != inst.RekorV2URL() || len(tr.RekorLogs()) != 2 {
		t.Fatalf("Rekor logs %v: want the v1 log and the v2 log under %s", tr.RekorLogs(), inst.RekorV2LogID())
	}
	// The log ID is what Rekor v2 and sigstore-go use: the signed-note key
	// hash of the checkpoint origin and key, not sha256 of the PKIX key.
	_, want, err := rekornote.KeyHash(strings.TrimPrefix(inst.RekorV2URL(), "https://"), v2.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v2.ID, want) || hex.EncodeToString(want) != inst.RekorV2LogID() {
		t.Errorf("log ID %x, want the note key hash %x", v2.ID, want)
	}
	tsas := tr.TimestampingAuthorities()
	if len(tsas) != 1 {
		t.Fatalf("%d timestamp authorities, want 1", len(tsas))
	}
	if sta, ok := tsas[0].(*root.SigstoreTimestampingAuthority); !ok || sta.URI != inst.TimestampURL() || sta.Leaf == nil {
		t.Errorf("timestamp authority %+v", tsas[0])
	}
}

// signV2 signs the test statement through the HTTP faces with sigstore-go's
// own clients, Rekor v2 and the TSA, and returns the bundle.
func signV2(t *testing.T, inst *Instance, v2URL, tsaURL string) *bundle.Bundle {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := inst.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: statement(t), PayloadType: InTotoPayloadType}, kp, sign.BundleOptions{
		Context:              context.Background(),
		CertificateProvider:  inst.CertificateProvider(SignOptions{}),
		TransparencyLogs:     []sign.Transparency{sign.NewRekor(&sign.RekorOptions{BaseURL: v2URL, Version: 2})},
		TimestampAuthorities: []*sign.TimestampAuthority{sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: tsaURL})},
		TrustedRoot:          tr, // sign.Bundle verifies what it built
	})
	if err != nil {
		t.Fatalf("sign.Bundle: %v", err)
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRekorV2AndTSAWithSigstoreGoClients(t *testing.T) {
	inst := newInstance(t, Options{RekorV2: true, TimestampAuthority: true})
	v2 := httptest.NewServer(inst.RekorV2Handler())
	t.Cleanup(v2.Close)
	tsa := httptest.NewServer(inst.TimestampHandler())
	t.Cleanup(tsa.Close)
	tr, err := inst.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	for n := range 2 {
		before := inst.RekorV2LogSize()
		b := signV2(t, inst, v2.URL, tsa.URL+"/api/v1/timestamp")
		if inst.RekorV2LogSize() != before+1 || inst.LogSize() != dummyLeafCount {
			t.Errorf("signature %d: v2 log %d → %d, v1 log %d", n, before, inst.RekorV2LogSize(), inst.LogSize())
		}
		entries := b.GetVerificationMaterial().GetTlogEntries()
		if len(entries) != 1 || entries[0].GetLogIndex() != before || entries[0].GetIntegratedTime() != 0 ||
			entries[0].GetInclusionProof().GetTreeSize() != before+1 || len(entries[0].GetInclusionProof().GetHashes()) == 0 {
			t.Errorf("signature %d: entry %v", n, entries)
		}
		res, err := verifyProduction(t, tr, b, defaultPolicy())
		if err != nil {
			t.Fatalf("signature %d: production verifier: %v", n, err)
		}
		if len(res.VerifiedTimestamps) != 1 || res.VerifiedTimestamps[0].Type != "TimestampAuthority" {
			t.Errorf("verified timestamps %+v, want the TSA's", res.VerifiedTimestamps)
		}
	}
	// Another instance's root trusts neither the log nor the TSA.
	other := newInstance(t, Options{RekorV2: true, TimestampAuthority: true})
	otherTR, err := other.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	b := signV2(t, inst, v2.URL, tsa.URL+"/api/v1/timestamp")
	if _, err := verifyProduction(t, otherTR, b, defaultPolicy()); err == nil {
		t.Error("another instance's trusted root verified the bundle")
	}
}

func TestRekorV2HandlerRefusesBadEntries(t *testing.T) {
	inst := newInstance(t, Options{RekorV2: true})
	srv := httptest.NewServer(inst.RekorV2Handler())
	t.Cleanup(srv.Close)
	post := func(body string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/api/v2/log/entries", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	leaf := leafCertDER(t, inst)
	request := func(digest, sig []byte) string {
		js, err := protojson.Marshal(&rekortilespb.CreateEntryRequest{Spec: &rekortilespb.CreateEntryRequest_HashedRekordRequestV002{
			HashedRekordRequestV002: &rekortilespb.HashedRekordRequestV002{Digest: digest, Signature: &rekortilespb.Signature{
				Content: sig, Verifier: &rekortilespb.Verifier{
					KeyDetails: protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
					Verifier:   &rekortilespb.Verifier_X509Certificate{X509Certificate: &protocommon.X509Certificate{RawBytes: leaf}},
				}}}}})
		if err != nil {
			t.Fatal(err)
		}
		return string(js)
	}
	size := inst.RekorV2LogSize()
	for name, tc := range map[string]struct{ body, want string }{
		"not JSON":              {"{", "decoding request"},
		"no entry":              {"{}", "hashedRekordRequestV002"},
		"signature not by key":  {request(bytes.Repeat([]byte{1}, 32), []byte("not a signature")), "invalid hashedrekord"},
		"digest of wrong size":  {request([]byte{1, 2, 3}, []byte("sig")), "invalid hashedrekord"},
		"missing the signature": {request(bytes.Repeat([]byte{1}, 32), nil), "missing signature"},
	} {
		t.Run(name, func(t *testing.T) {
			code, body := post(tc.body)
			if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Errorf("%d %q, want 400 mentioning %q", code, body, tc.want)
			}
		})
	}
	if inst.RekorV2LogSize() != size {
		t.Errorf("refused entries grew the log from %d to %d", size, inst.RekorV2LogSize())
	}
}

func TestTimestampHandlerRefusesBadQueries(t *testing.T) {
	inst := newInstance(t, Options{TimestampAuthority: true})
	srv := httptest.NewServer(inst.TimestampHandler())
	t.Cleanup(srv.Close)
	for name, tc := range map[string]struct{ contentType, body string }{
		"wrong content type": {"application/json", "{}"},
		"not a query":        {"application/timestamp-query", "garbage"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Post(srv.URL+"/api/v1/timestamp", tc.contentType, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
}

// leafCertDER issues a leaf certificate for a fresh key.
func leafCertDER(t *testing.T, inst *Instance) []byte {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := inst.CertificateProvider(SignOptions{}).GetCertificate(context.Background(), kp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
