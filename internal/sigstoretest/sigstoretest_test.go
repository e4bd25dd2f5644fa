package sigstoretest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"
)

const (
	testRepo     = "acme/recipes"
	testWorkflow = ".github/workflows/evidence.yml"
	testRef      = "refs/heads/main"
	testSHA      = "89abcdef0123456789abcdef0123456789abcdef"
	testRunID    = 4242
	testPredType = "https://example.com/evidence/v1"
)

var testSANRegexp = `^` + regexp.QuoteMeta("https://github.com/"+testRepo+"/"+testWorkflow+"@"+testRef) + `$`

// artifactDigest is the sha256 of the artifact the test statements attest.
var artifactDigest = sha256.Sum256([]byte("recipe: demo\n"))

// statement returns an in-toto Statement v1 about the test artifact.
func statement(t *testing.T) []byte {
	t.Helper()
	js, err := json.Marshal(map[string]any{
		"_type": "https://in-toto.io/Statement/v1",
		"subject": []any{map[string]any{
			"name":   "recipe.yaml",
			"digest": map[string]string{"sha256": hex.EncodeToString(artifactDigest[:])},
		}},
		"predicateType": testPredType,
		"predicate":     map[string]any{"result": "pass"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func newInstance(t *testing.T, opts Options) *Instance {
	t.Helper()
	inst, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return inst
}

func testIdentity() Identity {
	return GitHubActionsIdentity(testRepo, testWorkflow, testRef, testSHA, testRunID)
}

// loadTrustedRoot reloads the instance's trusted root from its JSON form,
// as the product does with a pinned trusted_root.json.
func loadTrustedRoot(t *testing.T, inst *Instance) *root.TrustedRoot {
	t.Helper()
	js, err := inst.TrustedRootJSON()
	if err != nil {
		t.Fatalf("TrustedRootJSON: %v", err)
	}
	tr, err := root.NewTrustedRootFromJSON(js)
	if err != nil {
		t.Fatalf("NewTrustedRootFromJSON: %v", err)
	}
	return tr
}

// loadBundle writes the bundle JSON to a file and loads it back, as the
// product does.
func loadBundle(t *testing.T, js []byte) *bundle.Bundle {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bundle.sigstore.json")
	if err := os.WriteFile(path, js, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.LoadJSONFromPath(path)
	if err != nil {
		t.Fatalf("LoadJSONFromPath: %v", err)
	}
	return b
}

type policy struct {
	issuer    string
	sanRegexp string
	digest    []byte
	ext       certificate.Extensions
}

func defaultPolicy() policy {
	return policy{issuer: GitHubIssuer, sanRegexp: testSANRegexp, digest: artifactDigest[:]}
}

// verifyProduction verifies b against tr with the production verifier
// options and an exact-issuer, anchored-SAN identity policy.
func verifyProduction(t *testing.T, tr root.TrustedMaterial, b verify.SignedEntity, p policy) (*verify.VerificationResult, error) {
	t.Helper()
	v, err := verify.NewVerifier(tr,
		verify.WithSignedCertificateTimestamps(1),
		verify.WithTransparencyLog(1),
		verify.WithObserverTimestamps(1))
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	san, err := verify.NewSANMatcher("", p.sanRegexp)
	if err != nil {
		t.Fatalf("NewSANMatcher: %v", err)
	}
	iss, err := verify.NewIssuerMatcher(p.issuer, "")
	if err != nil {
		t.Fatalf("NewIssuerMatcher: %v", err)
	}
	id, err := verify.NewCertificateIdentity(san, iss, p.ext)
	if err != nil {
		t.Fatalf("NewCertificateIdentity: %v", err)
	}
	return v.Verify(b, verify.NewPolicy(verify.WithArtifactDigest("sha256", p.digest), verify.WithCertificateIdentity(id)))
}

func TestSignStatementVerifiesWithProductionOptions(t *testing.T) {
	inst := newInstance(t, Options{})
	signTime := inst.Start().Add(30 * time.Minute)
	js, err := inst.SignStatement(context.Background(), statement(t), SignOptions{Identity: testIdentity(), Time: signTime})
	if err != nil {
		t.Fatalf("SignStatement: %v", err)
	}
	b := loadBundle(t, js)
	if got, want := b.GetMediaType(), "application/vnd.dev.sigstore.bundle.v0.3+json"; got != want {
		t.Errorf("media type = %q, want %q", got, want)
	}
	entries := b.GetVerificationMaterial().GetTlogEntries()
	if len(entries) != 1 {
		t.Fatalf("got %d tlog entries, want 1", len(entries))
	}
	e := entries[0]
	if kv := e.GetKindVersion(); kv.GetKind() != "dsse" || kv.GetVersion() != "0.0.1" {
		t.Errorf("kind/version = %s/%s, want dsse/0.0.1", kv.GetKind(), kv.GetVersion())
	}
	if len(e.GetInclusionPromise().GetSignedEntryTimestamp()) == 0 {
		t.Error("tlog entry has no SET")
	}
	if e.GetInclusionProof() == nil || len(e.GetInclusionProof().GetHashes()) == 0 || e.GetInclusionProof().GetCheckpoint().GetEnvelope() == "" {
		t.Error("tlog entry has no inclusion proof with hashes and checkpoint")
	}
	if got := e.GetIntegratedTime(); got != signTime.Unix() {
		t.Errorf("integrated time = %d, want %d", got, signTime.Unix())
	}
	if hex.EncodeToString(e.GetLogId().GetKeyId()) != inst.RekorLogID() {
		t.Errorf("log ID = %x, want %s", e.GetLogId().GetKeyId(), inst.RekorLogID())
	}

	res, err := verifyProduction(t, loadTrustedRoot(t, inst), b, defaultPolicy())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := testIdentity()
	sum := res.Signature.Certificate
	if sum.SubjectAlternativeName != want.SAN {
		t.Errorf("SAN = %q, want %q", sum.SubjectAlternativeName, want.SAN)
	}
	if sum.Issuer != GitHubIssuer {
		t.Errorf("issuer = %q, want %q", sum.Issuer, GitHubIssuer)
	}
	if sum.SourceRepositoryURI != "https://github.com/"+testRepo || sum.SourceRepositoryRef != testRef {
		t.Errorf("source repository = %q @ %q", sum.SourceRepositoryURI, sum.SourceRepositoryRef)
	}
	wantExt := want.Extensions
	wantExt.Issuer = GitHubIssuer
	if sum.Extensions != wantExt {
		t.Errorf("extensions =\n%+v\nwant\n%+v", sum.Extensions, wantExt)
	}
	var tlogTimes []time.Time
	for _, ts := range res.VerifiedTimestamps {
		if ts.Type == "Tlog" {
			tlogTimes = append(tlogTimes, ts.Timestamp)
		}
	}
	if len(tlogTimes) != 1 || !tlogTimes[0].Equal(signTime) {
		t.Errorf("Tlog timestamps = %v, want [%v]", tlogTimes, signTime)
	}
	if res.Statement.GetType() != "https://in-toto.io/Statement/v1" || res.Statement.GetPredicateType() != testPredType {
		t.Errorf("statement type %q predicate %q", res.Statement.GetType(), res.Statement.GetPredicateType())
	}

	// The certificate matches the requested times and carries the SCT.
	cert, err := x509.ParseCertificate(b.GetVerificationMaterial().GetCertificate().GetRawBytes())
	if err != nil {
		t.Fatal(err)
	}
	if !cert.NotBefore.Equal(signTime.Add(-time.Second)) || !cert.NotAfter.Equal(signTime.Add(10*time.Minute)) {
		t.Errorf("validity %v – %v, want %v – %v", cert.NotBefore, cert.NotAfter, signTime.Add(-time.Second), signTime.Add(10*time.Minute))
	}
	if len(cert.URIs) != 1 || cert.URIs[0].String() != want.SAN || len(cert.EmailAddresses) != 0 {
		t.Errorf("URI SANs %v, emails %v", cert.URIs, cert.EmailAddresses)
	}
}

func TestPolicyWithExtensions(t *testing.T) {
	inst := newInstance(t, Options{})
	js, err := inst.SignStatement(context.Background(), statement(t), SignOptions{Identity: testIdentity()})
	if err != nil {
		t.Fatalf("SignStatement: %v", err)
	}
	tr, b := loadTrustedRoot(t, inst), loadBundle(t, js)
	p := defaultPolicy()
	p.ext = certificate.Extensions{SourceRepositoryURI: "https://github.com/" + testRepo, SourceRepositoryRef: testRef, RunnerEnvironment: "github-hosted"}
	if _, err := verifyProduction(t, tr, b, p); err != nil {
		t.Errorf("Verify with matching extensions: %v", err)
	}
	p.ext.SourceRepositoryRef = "refs/heads/other"
	if _, err := verifyProduction(t, tr, b, p); err == nil {
		t.Error("Verify with a wrong SourceRepositoryRef passed")
	}
}

// mutateBundle decodes the bundle JSON, applies f and re-encodes it.
func mutateBundle(t *testing.T, js []byte, f func(*protobundle.Bundle)) []byte {
	t.Helper()
	var pb protobundle.Bundle
	if err := protojson.Unmarshal(js, &pb); err != nil {
		t.Fatal(err)
	}
	f(&pb)
	out, err := protojson.Marshal(&pb)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerificationFailures(t *testing.T) {
	ctx := context.Background()
	inst := newInstance(t, Options{})
	other := newInstance(t, Options{})
	stmt := statement(t)
	signTime := inst.Start().Add(time.Hour)
	good, err := inst.SignStatement(ctx, stmt, SignOptions{Identity: testIdentity(), Time: signTime})
	if err != nil {
		t.Fatalf("SignStatement: %v", err)
	}
	foreign, err := other.SignStatement(ctx, stmt, SignOptions{Identity: testIdentity(), Time: signTime})
	if err != nil {
		t.Fatalf("SignStatement on second instance: %v", err)
	}
	lateLog, err := inst.SignStatement(ctx, stmt, SignOptions{
		Identity: testIdentity(), Time: signTime, IntegratedOffset: 11 * time.Minute, NoSelfVerify: true,
	})
	if err != nil {
		t.Fatalf("SignStatement with IntegratedOffset: %v", err)
	}
	earlyLog, err := inst.SignStatement(ctx, stmt, SignOptions{
		Identity: testIdentity(), Time: signTime, IntegratedOffset: -time.Minute, NoSelfVerify: true,
	})
	if err != nil {
		t.Fatalf("SignStatement with negative IntegratedOffset: %v", err)
	}
	tampered := mutateBundle(t, good, func(pb *protobundle.Bundle) {
		env := pb.GetDsseEnvelope()
		env.Payload = bytes.Replace(env.Payload, []byte(`"pass"`), []byte(`"fail"`), 1)
	})
	if bytes.Equal(tampered, good) {
		t.Fatal("tampering changed nothing")
	}
	wrongDigest := sha256.Sum256([]byte("another artifact"))

	tests := []struct {
		name    string
		bundle  []byte
		mutate  func(*policy)
		wantErr string
	}{
		{"wrong SAN regexp", good, func(p *policy) { p.sanRegexp = `^https://github\.com/acme/other/` }, "SAN"},
		{"SAN regexp not matching a prefix", good, func(p *policy) { p.sanRegexp = `^https://github\.com/acme/recipes$` }, "SAN"},
		{"wrong issuer", good, func(p *policy) { p.issuer = "https://accounts.google.com" }, "issuer"},
		{"tampered payload", tampered, nil, "payload hash"},
		{"signed by another instance", foreign, nil, "transparency log"},
		{"integrated time after certificate expiry", lateLog, nil, "integrated time outside certificate validity"},
		{"integrated time before certificate validity", earlyLog, nil, "integrated time outside certificate validity"},
		{"wrong artifact digest", good, func(p *policy) { p.digest = wrongDigest[:] }, "digest"},
	}
	tr := loadTrustedRoot(t, inst)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := defaultPolicy()
			if tc.mutate != nil {
				tc.mutate(&p)
			}
			var pb protobundle.Bundle
			if err := protojson.Unmarshal(tc.bundle, &pb); err != nil {
				t.Fatal(err)
			}
			b, err := bundle.NewBundle(&pb)
			if err != nil {
				t.Fatalf("NewBundle: %v", err)
			}
			_, err = verifyProduction(t, tr, b, p)
			if err == nil {
				t.Fatal("verification passed, want failure")
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not mention %q", err, tc.wantErr)
			}
		})
	}

	// The bundle of the second instance verifies against its own root.
	if _, err := verifyProduction(t, loadTrustedRoot(t, other), loadBundle(t, foreign), defaultPolicy()); err != nil {
		t.Errorf("second instance's bundle against its own root: %v", err)
	}
}

func TestSelfVerifyRejectsInvalidTimes(t *testing.T) {
	inst := newInstance(t, Options{})
	_, err := inst.SignStatement(context.Background(), statement(t), SignOptions{
		Time: inst.Start().Add(time.Hour), IntegratedOffset: 11 * time.Minute,
	})
	if err == nil || !strings.Contains(err.Error(), "integrated time outside certificate validity") {
		t.Errorf("SignStatement with integrated time after expiry: err = %v, want self-verification failure", err)
	}
	_, err = inst.SignStatement(context.Background(), statement(t), SignOptions{Time: inst.Start().Add(-time.Hour)})
	if err == nil {
		t.Error("SignStatement before the instance's validity passed self-verification")
	}
}

func TestSigningTimeIsLogTimeNotClock(t *testing.T) {
	start := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	signTime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	inst := newInstance(t, Options{Start: start})
	js, err := inst.SignStatement(context.Background(), statement(t), SignOptions{Time: signTime})
	if err != nil {
		t.Fatalf("SignStatement: %v", err)
	}
	res, err := verifyProduction(t, loadTrustedRoot(t, inst), loadBundle(t, js), defaultPolicy())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(res.VerifiedTimestamps) != 1 || !res.VerifiedTimestamps[0].Timestamp.Equal(signTime) {
		t.Errorf("verified timestamps = %+v, want one at %v", res.VerifiedTimestamps, signTime)
	}
	if got := res.Signature.Certificate.SubjectAlternativeName; got != DefaultIdentity().SAN {
		t.Errorf("default identity SAN = %q, want %q", got, DefaultIdentity().SAN)
	}

	// A signing time before the instance's validity starts fails.
	early, err := inst.SignStatement(context.Background(), statement(t), SignOptions{Time: start.Add(-time.Hour), NoSelfVerify: true})
	if err != nil {
		t.Fatalf("SignStatement: %v", err)
	}
	if _, err := verifyProduction(t, loadTrustedRoot(t, inst), loadBundle(t, early), defaultPolicy()); err == nil {
		t.Error("bundle signed before the instance's start verified")
	}
}

func TestTrustedRootJSONRoundTrip(t *testing.T) {
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	inst := newInstance(t, Options{Name: "roundtrip", Start: start})
	js, err := inst.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		MediaType string `json:"mediaType"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.MediaType != root.TrustedRootMediaType01 {
		t.Errorf("mediaType = %q, want %q", doc.MediaType, root.TrustedRootMediaType01)
	}
	tr, err := root.NewTrustedRootFromJSON(js)
	if err != nil {
		t.Fatalf("NewTrustedRootFromJSON: %v", err)
	}
	js2, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, js, js2) {
		t.Errorf("trusted root changed on reload:\n%s\n%s", js, js2)
	}
	js3, err := inst.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, js, js3) {
		t.Error("TrustedRootJSON is not deterministic")
	}

	orig, err := inst.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]map[string]*root.TransparencyLog{
		"rekor": {orig.RekorLogs(), tr.RekorLogs()},
		"ct":    {orig.CTLogs(), tr.CTLogs()},
	} {
		want, got := pair[0], pair[1]
		if len(got) != 1 || len(want) != 1 {
			t.Fatalf("%s logs: got %d, want 1", name, len(got))
		}
		for id, w := range want {
			g, ok := got[id]
			if !ok {
				t.Fatalf("%s log %s missing after reload", name, id)
			}
			if !bytes.Equal(g.ID, w.ID) || hex.EncodeToString(g.ID) != id {
				t.Errorf("%s log ID %x, want %x (= key %s)", name, g.ID, w.ID, id)
			}
			if !reflect.DeepEqual(g.PublicKey, w.PublicKey) {
				t.Errorf("%s public key changed on reload", name)
			}
			if !g.ValidityPeriodStart.Equal(start) || g.BaseURL != w.BaseURL {
				t.Errorf("%s log start %v url %q, want %v %q", name, g.ValidityPeriodStart, g.BaseURL, start, w.BaseURL)
			}
		}
	}
	if _, ok := tr.RekorLogs()[inst.RekorLogID()]; !ok {
		t.Error("Rekor log not keyed by RekorLogID")
	}
	if _, ok := tr.CTLogs()[inst.CTLogID()]; !ok {
		t.Error("CT log not keyed by CTLogID")
	}
	cas := tr.FulcioCertificateAuthorities()
	if len(cas) != 1 {
		t.Fatalf("got %d CAs, want 1", len(cas))
	}
	ca, ok := cas[0].(*root.FulcioCertificateAuthority)
	if !ok {
		t.Fatalf("CA is %T", cas[0])
	}
	if !ca.Root.Equal(inst.RootCertificate()) || len(ca.Intermediates) != 1 || !ca.Intermediates[0].Equal(inst.IntermediateCertificate()) {
		t.Error("CA certificates changed on reload")
	}
	if !ca.ValidityPeriodStart.Equal(start) || ca.URI != inst.FulcioURL() {
		t.Errorf("CA start %v uri %q", ca.ValidityPeriodStart, ca.URI)
	}
	if !inst.RootCertificate().NotAfter.Equal(start.Add(caLifetime)) {
		t.Errorf("root NotAfter = %v, want %v", inst.RootCertificate().NotAfter, start.Add(caLifetime))
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(va, vb)
}

func TestInstancesAreIndependent(t *testing.T) {
	a := newInstance(t, Options{})
	b := newInstance(t, Options{})
	if a.RekorLogID() == b.RekorLogID() || a.CTLogID() == b.CTLogID() || a.RootCertificate().Equal(b.RootCertificate()) {
		t.Error("two instances share keys")
	}
	if a.Name() != DefaultName {
		t.Errorf("default name = %q", a.Name())
	}
	for _, name := range []string{"Upper", "has space", "-lead", "trail-", "dot.ted"} {
		if _, err := New(Options{Name: name}); err == nil {
			t.Errorf("New(Name: %q) succeeded, want error", name)
		}
	}
}

func TestEmailIdentity(t *testing.T) {
	inst := newInstance(t, Options{})
	id := Identity{SAN: "alice@example.com", Issuer: "https://accounts.example.com"}
	js, err := inst.SignStatement(context.Background(), statement(t), SignOptions{Identity: id})
	if err != nil {
		t.Fatalf("SignStatement: %v", err)
	}
	res, err := verifyProduction(t, loadTrustedRoot(t, inst), loadBundle(t, js),
		policy{issuer: id.Issuer, sanRegexp: `^alice@example\.com$`, digest: artifactDigest[:]})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got := res.Signature.Certificate.SubjectAlternativeName; got != id.SAN {
		t.Errorf("SAN = %q, want %q", got, id.SAN)
	}
}

func TestInvalidIdentities(t *testing.T) {
	inst := newInstance(t, Options{})
	for _, tc := range []struct {
		name string
		id   Identity
	}{
		{"empty SAN", Identity{Issuer: GitHubIssuer}},
		{"SAN neither URI nor email", Identity{SAN: "just-a-name", Issuer: GitHubIssuer}},
		{"no issuer", Identity{SAN: "https://example.com/x"}},
		{"conflicting issuers", Identity{SAN: "https://example.com/x", Issuer: GitHubIssuer, Extensions: certificate.Extensions{Issuer: "https://other.example"}}},
	} {
		if _, err := inst.BundleOptions(SignOptions{Identity: tc.id}); err == nil {
			t.Errorf("%s: BundleOptions succeeded, want error", tc.name)
		}
	}
	// The issuer may come from Extensions.Issuer alone.
	id := Identity{SAN: "https://example.com/x", Extensions: certificate.Extensions{Issuer: "https://issuer.example"}}
	if _, err := inst.BundleOptions(SignOptions{Identity: id}); err != nil {
		t.Errorf("issuer from Extensions.Issuer: %v", err)
	}
}

func TestLogGrowsAndProofsAreReal(t *testing.T) {
	inst := newInstance(t, Options{})
	if got := inst.LogSize(); got != dummyLeafCount {
		t.Fatalf("initial log size = %d, want %d", got, dummyLeafCount)
	}
	for n := range 3 {
		js, err := inst.SignStatement(context.Background(), statement(t), SignOptions{})
		if err != nil {
			t.Fatalf("SignStatement %d: %v", n, err)
		}
		e := loadBundle(t, js).GetVerificationMaterial().GetTlogEntries()[0]
		wantIndex := int64(dummyLeafCount + n)
		if e.GetLogIndex() != wantIndex || e.GetInclusionProof().GetLogIndex() != wantIndex || e.GetInclusionProof().GetTreeSize() != wantIndex+1 {
			t.Errorf("entry %d: index %d, proof index %d, tree size %d; want %d, %d, %d", n,
				e.GetLogIndex(), e.GetInclusionProof().GetLogIndex(), e.GetInclusionProof().GetTreeSize(), wantIndex, wantIndex, wantIndex+1)
		}
		if !strings.HasPrefix(e.GetInclusionProof().GetCheckpoint().GetEnvelope(), inst.rekorHost()+" - ") {
			t.Errorf("checkpoint origin: %q", e.GetInclusionProof().GetCheckpoint().GetEnvelope())
		}
	}
	if got := inst.LogSize(); got != dummyLeafCount+3 {
		t.Errorf("log size = %d, want %d", got, dummyLeafCount+3)
	}
}

func TestConcurrentSigning(t *testing.T) {
	inst := newInstance(t, Options{})
	tr := loadTrustedRoot(t, inst)
	const n = 6
	stmt := statement(t)
	bundles := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() {
			bundles[k], errs[k] = inst.SignStatement(context.Background(), stmt, SignOptions{Identity: testIdentity()})
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for k := range n {
		if errs[k] != nil {
			t.Fatalf("SignStatement %d: %v", k, errs[k])
		}
		b := loadBundle(t, bundles[k])
		idx := b.GetVerificationMaterial().GetTlogEntries()[0].GetLogIndex()
		if seen[idx] {
			t.Errorf("log index %d used twice", idx)
		}
		seen[idx] = true
		if _, err := verifyProduction(t, tr, b, defaultPolicy()); err != nil {
			t.Errorf("bundle %d: %v", k, err)
		}
	}
	if got := inst.LogSize(); got != dummyLeafCount+n {
		t.Errorf("log size = %d, want %d", got, dummyLeafCount+n)
	}
}
