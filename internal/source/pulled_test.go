package source_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/oci/ocitest"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/source"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// The shipped pointers name this registry (README of the AICR test data).
const (
	registryAddr = "127.0.0.1:5000"
	signedDigest = "sha256:addd96562f556d03ae587b8397601b879fff3bbc8586970e5b6273ef46db4026"
	signedTag    = "h100-eks-ubuntu-training-35ac98ecb1ae"
	nosignDigest = "sha256:e802fbf7a47996d153365a3cb702bdfa60d708603241cf58f5c8d2bc80d9e2a2"
)

func aicrVerifier(t *testing.T, inspect bool) *verify.Verifier {
	t.Helper()
	if inspect {
		v, err := verify.NewInspector()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tr, err := trust.FromFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.FromPins(policy.Pins{Issuers: []string{"https://oidc.fake-sigstore.invalid"},
		IdentityRegexps: []string{`^https://github\.com/fake-org/fake-aicr/\.github/workflows/evidence-publish\.yaml@refs/heads/main$`}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(verify.Config{Trust: tr, Policy: pol, IgnoreSCT: true, Now: func() time.Time { return time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func run(t *testing.T, v *verify.Verifier, arg string, opts source.RemoteOptions) *verify.Result {
	t.Helper()
	opts.OCI.PlainHTTP = true
	src, err := source.Open(arg, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return source.Verify(t.Context(), v, src, verify.Options{})
}

func describe(res *verify.Result) string {
	var b strings.Builder
	for _, c := range res.Checks {
		b.WriteString("  " + string(c.Status) + " " + c.Name + ": " + c.Detail + "\n")
	}
	return b.String()
}

func failedCheck(res *verify.Result) string {
	for _, c := range res.Checks {
		if c.Status == verify.StatusFailed || c.Status == verify.StatusError {
			return c.Name
		}
	}
	return ""
}

// startRegistry serves the shipped OCI layout from a real registry on
// loopback and returns the registry's storage directory.
func startRegistry(t *testing.T) {
	t.Helper()
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	ocitest.Start(t, registryAddr)
	ocitest.PushLayout(t, layout, registryAddr, "aicr-evidence")
}

func writePointer(t *testing.T, bundle string, edit func(string) string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/"+bundle), "pointer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if edit != nil {
		if s2 := edit(s); s2 == s {
			t.Fatal("edit changed nothing")
		} else {
			s = s2
		}
	}
	p := filepath.Join(t.TempDir(), "pointer.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// issue 9's "Done when" matrix for the pushed bundles, through their
// pointers and OCI references, from a registry started on loopback.
func TestPulledFormsFromLoopbackRegistry(t *testing.T) {
	startRegistry(t)

	signedPointer := filepath.Join(testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/v1-eks-signed-pushed"), "pointer.yaml")
	res := run(t, aicrVerifier(t, false), signedPointer, source.RemoteOptions{})
	if res.Verdict != verify.VerdictPassed || !res.Signature.ArtifactPulled || !res.Signature.SCTIgnored {
		t.Fatalf("signed pointer: verdict %s, signature %+v\n%s", res.Verdict, res.Signature, describe(res))
	}
	if c := res.Checks[len(res.Checks)-1]; c.Name != verify.CheckPointer || c.Status != verify.StatusPassed || res.Archive.Form != source.FormPointer {
		t.Errorf("pointer check %+v, form %s", c, res.Archive.Form)
	}

	nosignPointer := filepath.Join(testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/cli-publish-nosign"), "pointer.yaml")
	if res := run(t, aicrVerifier(t, true), nosignPointer, source.RemoteOptions{}); res.Verdict != verify.VerdictPassed || res.Signature.Signed {
		t.Errorf("unsigned pointer, inspect: verdict %s\n%s", res.Verdict, describe(res))
	}
	if res := run(t, aicrVerifier(t, false), nosignPointer, source.RemoteOptions{}); res.Verdict != verify.VerdictInvalid || failedCheck(res) != verify.CheckSignature {
		t.Errorf("unsigned pointer, verify: verdict %s\n%s", res.Verdict, describe(res))
	}

	for _, ref := range []string{"oci://" + registryAddr + "/aicr-evidence@" + signedDigest, "oci://" + registryAddr + "/aicr-evidence:" + signedTag + "@" + signedDigest} {
		if res := run(t, aicrVerifier(t, false), ref, source.RemoteOptions{}); res.Verdict != verify.VerdictPassed || !res.Signature.ArtifactPulled {
			t.Errorf("%s: verdict %s\n%s", ref, res.Verdict, describe(res))
		}
	}
	byTag := "oci://" + registryAddr + "/aicr-evidence:" + signedTag
	if _, err := source.Open(byTag, nil, source.RemoteOptions{}); err == nil || !strings.Contains(err.Error(), "--allow-unpinned-tag") {
		t.Errorf("tag without digest: %v, want a refusal naming --allow-unpinned-tag", err)
	}
	res = run(t, aicrVerifier(t, false), byTag, source.RemoteOptions{OCI: oci.Options{AllowUnpinnedTag: true}})
	if res.Verdict != verify.VerdictPassed {
		t.Errorf("%s with --allow-unpinned-tag: verdict %s\n%s", byTag, res.Verdict, describe(res))
	}
	// The report shows the digest the tag resolved to.
	if rows := res.Checks[0].Rows; len(rows) != 1 || rows[0].Key != "pulled" || rows[0].Value != registryAddr+"/aicr-evidence:"+signedTag+"@"+signedDigest {
		t.Errorf("archive check rows %+v, want the digest pulled", rows)
	}

	// Tampered pointers.
	for _, tc := range []struct {
		name  string
		edit  func(string) string
		check string
	}{
		{"digest of the unsigned artifact", func(s string) string { return strings.Replace(s, signedDigest, nosignDigest, 1) }, verify.CheckSignature},
		{"signer identity edited", func(s string) string { return strings.Replace(s, "fake-aicr/.github", "other-aicr/.github", 1) }, verify.CheckPointer},
		{"rekor index edited", func(s string) string { return strings.Replace(s, "rekorLogIndex: 101", "rekorLogIndex: 102", 1) }, verify.CheckPointer},
		{"tag moved", func(s string) string {
			return strings.Replace(s, signedTag, "h100-eks-ubuntu-training-c28d0f05282e", 1)
		}, verify.CheckSubject},
		{"recipe renamed", func(s string) string {
			return strings.Replace(s, "recipe: h100-eks-ubuntu-training", "recipe: h200-eks-ubuntu-training", 1)
		}, verify.CheckPointer},
		{"not a pointer", func(s string) string {
			return strings.Replace(s, "schemaVersion: 1.0.0", "schemaVersion: 1.0.0\nextra: 1", 1)
		}, verify.CheckArchive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, aicrVerifier(t, false), writePointer(t, "v1-eks-signed-pushed", tc.edit), source.RemoteOptions{})
			if res.Verdict != verify.VerdictInvalid || failedCheck(res) != tc.check {
				t.Errorf("verdict %s (first failed check %s), want invalid at %s\n%s", res.Verdict, failedCheck(res), tc.check, describe(res))
			}
		})
	}
}

// A referrer swapped onto another artifact, and a layer byte changed in the
// registry's storage: invalid, never unsigned or passed.
func TestPulledTamperedRegistry(t *testing.T) {
	dir := t.TempDir()
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	// A copy of the layout whose signature referrer claims the unsigned artifact.
	copyTree(t, layout, dir)
	blobs := filepath.Join(dir, "blobs", "sha256")
	ref, err := os.ReadFile(filepath.Join(blobs, "e51b08d5856fe0ef3df50d228719e3e594ac1519ed539492ad4f602bc87b2f62"))
	if err != nil {
		t.Fatal(err)
	}
	swapped := strings.Replace(string(ref), signedDigest, nosignDigest, 1)
	sum := sha256.Sum256([]byte(swapped))
	h := hex.EncodeToString(sum[:])
	must(t, os.WriteFile(filepath.Join(blobs, h), []byte(swapped), 0o644))
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + nosignDigest + `","size":1051,"annotations":{"org.opencontainers.image.ref.name":"unsigned"}},` +
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + h + `","size":` + itoa(len(swapped)) + `,"annotations":{"org.opencontainers.image.ref.name":"swapped"}}]}`
	must(t, os.WriteFile(filepath.Join(dir, "index.json"), []byte(index), 0o644))

	ocitest.Start(t, registryAddr)
	ocitest.PushLayout(t, dir, registryAddr, "aicr-evidence")
	res := run(t, aicrVerifier(t, false), "oci://"+registryAddr+"/aicr-evidence@"+nosignDigest, source.RemoteOptions{})
	if res.Verdict != verify.VerdictInvalid || failedCheck(res) != verify.CheckSignature || !strings.Contains(res.Checks[1].Detail, "subject is not the artifact") {
		t.Errorf("swapped referrer: verdict %s\n%s", res.Verdict, describe(res))
	}
}

// A layer byte changed in the registry's storage: the content is not the
// one its digest names, so the bundle is invalid.
func TestPulledLayerByteChanged(t *testing.T) {
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	data := ocitest.Start(t, registryAddr)
	ocitest.PushLayout(t, layout, registryAddr, "aicr-evidence")
	blob := filepath.Join(data, "docker", "registry", "v2", "blobs", "sha256", "df", "df320f561e06ac0e548d8cac2d3e139774afb515a862259377c7afefa1bb3541", "data")
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	must(t, os.WriteFile(blob, b, 0o644))
	res := run(t, aicrVerifier(t, false), "oci://"+registryAddr+"/aicr-evidence@"+signedDigest, source.RemoteOptions{})
	if res.Verdict != verify.VerdictInvalid || failedCheck(res) != verify.CheckArchive || !strings.Contains(res.Checks[0].Detail, "digest") {
		t.Errorf("verdict %s\n%s", res.Verdict, describe(res))
	}
}

// An unreachable registry is an error (exit 3), never invalid or unsigned.
func TestPulledUnreachableRegistry(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	src, err := source.Open("oci://127.0.0.1:9/aicr-evidence@"+signedDigest, nil, source.RemoteOptions{OCI: oci.Options{PlainHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	res := source.Verify(ctx, aicrVerifier(t, false), src, verify.Options{})
	if res.Verdict != verify.VerdictError {
		t.Errorf("verdict %s, want error\n%s", res.Verdict, describe(res))
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	must(t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Both ways of finding the signature. distribution v3.0.0 has no OCI 1.1
// referrers API (it answers 404), so the client falls back to the tag schema
// (sha256-<hex>); go-containerregistry's registry has the API, and reports
// each referrer's artifactType from its config media type (wrong), which the
// client does not trust: it reads the referrer's own manifest. A recording
// proxy on the pointers' address shows which path was taken.
func TestPulledReferrersAPIAndTagSchema(t *testing.T) {
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	distribution := l.Addr().String()
	_ = l.Close()
	ocitest.Start(t, distribution)
	ocitest.PushLayout(t, layout, distribution, "aicr-evidence")
	ggcr := httptest.NewServer(ggcrregistry.New(ggcrregistry.WithReferrersSupport(true), ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer ggcr.Close()
	ggcrAddr := strings.TrimPrefix(ggcr.URL, "http://")
	ocitest.PushLayout(t, layout, ggcrAddr, "aicr-evidence")

	var mu sync.Mutex
	var backend string
	var seen []string
	proxy := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		target, _ := url.Parse("http://" + backend)
		mu.Unlock()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(rec, r)
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %d", r.URL.Path, rec.status))
		mu.Unlock()
	})}
	pl := ocitest.Listen(t, registryAddr)
	go func() { _ = proxy.Serve(pl) }()
	t.Cleanup(func() { _ = proxy.Close() })

	signedPointer := filepath.Join(testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/v1-eks-signed-pushed"), "pointer.yaml")
	hex := strings.TrimPrefix(signedDigest, "sha256:")
	for _, tc := range []struct {
		name, backend, want string
	}{
		{"distribution: tag schema", distribution, "/v2/aicr-evidence/manifests/sha256-" + hex + " 200"},
		{"go-containerregistry: referrers API", ggcrAddr, "/v2/aicr-evidence/referrers/" + signedDigest + " 200"},
	} {
		mu.Lock()
		backend, seen = tc.backend, nil
		mu.Unlock()
		res := run(t, aicrVerifier(t, false), signedPointer, source.RemoteOptions{})
		mu.Lock()
		requests := strings.Join(seen, "\n")
		mu.Unlock()
		if res.Verdict != verify.VerdictPassed || !res.Signature.Verified {
			t.Errorf("%s: verdict %s\n%s\n%s", tc.name, res.Verdict, describe(res), requests)
		}
		if !strings.Contains(requests, tc.want) {
			t.Errorf("%s: no request %q\n%s", tc.name, tc.want, requests)
		}
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
