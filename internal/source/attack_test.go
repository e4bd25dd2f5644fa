package source_test

// Adversarial review of AICR compatibility (issue 9), pull layer. New file
// only: each TestAICRAttack… that fails now exposes a weakness; the comment
// says what an attacker (or a flaky network) gains.

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/oci/ocitest"
	"github.com/aicr/verify-evidence/internal/source"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Blobs of the shipped OCI layout (see pulled_test.go).
const (
	signedLayerDigest = "sha256:df320f561e06ac0e548d8cac2d3e139774afb515a862259377c7afefa1bb3541"
)

// faultyProxy serves a real distribution registry (started on a free
// loopback port, holding the shipped layout) through a proxy whose fault
// hook may rewrite one response. It returns the proxy's host:port.
func faultyProxy(t *testing.T, fault func(w http.ResponseWriter, r *http.Request, status int, h http.Header, body []byte) bool) string {
	t.Helper()
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	backend := l.Addr().String()
	_ = l.Close()
	ocitest.Start(t, backend)
	ocitest.PushLayout(t, layout, backend, "aicr-evidence")
	var mu sync.Mutex
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+backend+r.URL.RequestURI(), nil)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mu.Lock()
		handled := fault(w, r, resp.StatusCode, resp.Header, body)
		mu.Unlock()
		if handled {
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
	})}
	// The proxy takes the address the signed subject names, so that only
	// the fault differs from a clean pull.
	pl := ocitest.Listen(t, registryAddr)
	go func() { _ = srv.Serve(pl) }()
	t.Cleanup(func() { _ = srv.Close() })
	return registryAddr
}

// Attack (infrastructure failure reported as "invalid"): a registry, CDN or
// proxy that drops the connection part-way through a blob (the full
// Content-Length announced, half the bytes sent, connection closed) makes
// the reader see io.ErrUnexpectedEOF. internal/oci.readAll classes
// io.ErrUnexpectedEOF with digest mismatches as a bundle fault ("the
// registry's content is not the one its digest names"), so a transient
// network cut gives verdict INVALID (exit 1, "tampered") for a genuine,
// signed artifact, instead of error (exit 3, retry).
//
// Gain: anyone on the path (or plain flakiness) turns a correct bundle into
// a red "invalid" verdict that a gate treats as tampering, not as retryable;
// the PR comment then accuses the submitter. Fix: treat a short read
// (io.ErrUnexpectedEOF, fewer bytes than the descriptor's size) as an I/O
// error; only bytes that were all received and hash to another digest (or
// more bytes than the size) are a bundle fault.
func TestAICRAttackTruncatedBlobIsInvalidNotError(t *testing.T) {
	for _, tc := range []struct {
		name, path string
	}{
		{"layer", "/v2/aicr-evidence/blobs/" + signedLayerDigest},
		{"artifact manifest", "/v2/aicr-evidence/manifests/" + signedDigest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := faultyProxy(t, func(w http.ResponseWriter, r *http.Request, status int, h http.Header, body []byte) bool {
				if r.Method != http.MethodGet || r.URL.Path != tc.path || status != 200 {
					return false
				}
				for k, v := range h {
					w.Header()[k] = v
				}
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				w.WriteHeader(200)
				_, _ = w.Write(body[:len(body)/2])
				// Returning with fewer bytes than Content-Length: net/http
				// closes the connection; the client reads unexpected EOF.
				return true
			})
			res := run(t, aicrVerifier(t, false), "oci://"+proxy+"/aicr-evidence@"+signedDigest, source.RemoteOptions{})
			if res.Verdict != verify.VerdictError {
				t.Errorf("connection cut mid-%s: verdict %s, want error (retry)\n%s", tc.name, res.Verdict, describe(res))
			}
		})
	}
}

// Attack (infrastructure rewrite reported as "invalid"): a proxy that
// rewrites the manifest response's Content-Type (e.g. to
// application/octet-stream or application/json, as some caches and
// artifact proxies do) while returning the exact bytes pinned by digest.
// oci.checkArtifactManifest requires desc.MediaType (taken from the HTTP
// header) to be the OCI image manifest type, so the verdict is INVALID
// ("not an OCI image manifest") although the content is byte-for-byte the
// signed artifact and its own mediaType field says it is one.
//
// Gain: a misconfigured mirror makes every genuine pulled bundle "invalid"
// (tampered) rather than error. Fix: decide on the digest-verified body's
// mediaType; a header that disagrees with the verified body is a registry
// fault (error), not a bundle fault.
func TestAICRAttackManifestContentTypeRewriteIsInvalid(t *testing.T) {
	var on bool
	proxy := faultyProxy(t, func(w http.ResponseWriter, r *http.Request, status int, h http.Header, body []byte) bool {
		if !on || r.URL.Path != "/v2/aicr-evidence/manifests/"+signedDigest || status != 200 {
			return false
		}
		for k, v := range h {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(200)
		if r.Method == http.MethodGet {
			_, _ = io.Copy(w, bytes.NewReader(body))
		}
		return true
	})
	if res := run(t, aicrVerifier(t, false), "oci://"+proxy+"/aicr-evidence@"+signedDigest, source.RemoteOptions{}); res.Verdict != verify.VerdictPassed {
		t.Fatalf("through the proxy, no fault: verdict %s\n%s", res.Verdict, describe(res))
	}
	on = true
	res := run(t, aicrVerifier(t, false), "oci://"+proxy+"/aicr-evidence@"+signedDigest, source.RemoteOptions{})
	if res.Verdict == verify.VerdictInvalid {
		t.Errorf("Content-Type rewritten by a proxy, bytes exact: verdict invalid, want passed or error\n%s", describe(res))
	}
}

// pushJunkReferrer pushes, to the registry at addr, a manifest that claims
// to be a Sigstore-bundle referrer of subject (artifactType and layer media
// type application/vnd.dev.sigstore.bundle.v0.3+json) but whose layer is not
// a Sigstore bundle at all. oras-go maintains the referrers tag index
// (sha256-<hex>) itself where the registry has no referrers API. Anyone with
// push access to the repository can do this; no key is needed.
func pushJunkReferrer(t *testing.T, addr, subject string, subjectSize int64, n int) {
	t.Helper()
	pushJunkReferrerLayers(t, addr, subject, subjectSize, n, 1)
}

// pushJunkReferrerLayers is pushJunkReferrer with layers copies of the layer.
func pushJunkReferrerLayers(t *testing.T, addr, subject string, subjectSize int64, n, layers int) {
	t.Helper()
	ctx := t.Context()
	repo, err := remote.NewRepository(addr + "/aicr-evidence")
	must(t, err)
	repo.PlainHTTP = true
	layer := []byte(`{"not":"a sigstore bundle","n":` + strconv.Itoa(n) + `}`)
	ldesc := content.NewDescriptorFromBytes(oci.MediaTypeSigstore, layer)
	must(t, repo.Push(ctx, ldesc, bytes.NewReader(layer)))
	empty := []byte("{}")
	cdesc := content.NewDescriptorFromBytes(ocispec.MediaTypeEmptyJSON, empty)
	if ok, _ := repo.Exists(ctx, cdesc); !ok {
		must(t, repo.Push(ctx, cdesc, bytes.NewReader(empty)))
	}
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: oci.MediaTypeSigstore,
		Config:       cdesc,
		Layers:       junkLayers(ldesc, layers),
		Subject:      &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.Digest(subject), Size: subjectSize},
	}
	mb, err := json.Marshal(m)
	must(t, err)
	mdesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, mb)
	must(t, repo.Push(ctx, mdesc, bytes.NewReader(mb)))
}

// Attack (tampered/unsigned bundle turned into "error/retry"): the unsigned
// artifact (cli-publish-nosign) is invalid under verify ("unsigned"). With
// ONE junk referrer that is not a Sigstore bundle it stays invalid (the
// signature check fails). With TWO junk referrers oci.signatureReferrer
// returns "2 signature referrers … verify each by its digest" as a plain
// error, and the verdict becomes ERROR (exit 3): "could not decide, retry".
//
// Gain: whoever can push to the repository (the submitter of the pointer,
// who controls where it points) downgrades a fail-closed "invalid" for a
// forged or unsigned bundle to "error", which gates and the PR comment treat
// as an infrastructure problem (unreadable / retry) rather than a rejected
// bundle, and which repeats forever. Fix: verify every candidate referrer;
// passed if exactly one verifies (or: the set of verified referrers decides),
// invalid when none does; "error" only for a registry that failed to answer.
func TestAICRAttackTwoJunkReferrersTurnInvalidIntoError(t *testing.T) {
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	_ = l.Close()
	ocitest.Start(t, addr)
	ocitest.PushLayout(t, layout, addr, "aicr-evidence")
	ref := "oci://" + addr + "/aicr-evidence@" + nosignDigest

	if res := run(t, aicrVerifier(t, false), ref, source.RemoteOptions{}); res.Verdict != verify.VerdictInvalid {
		t.Fatalf("unsigned artifact, no referrer: verdict %s, want invalid\n%s", res.Verdict, describe(res))
	}
	pushJunkReferrer(t, addr, nosignDigest, 1051, 1)
	if res := run(t, aicrVerifier(t, false), ref, source.RemoteOptions{}); res.Verdict != verify.VerdictInvalid {
		t.Errorf("one junk referrer: verdict %s, want invalid\n%s", res.Verdict, describe(res))
	}
	pushJunkReferrer(t, addr, nosignDigest, 1051, 2)
	if res := run(t, aicrVerifier(t, false), ref, source.RemoteOptions{}); res.Verdict != verify.VerdictInvalid {
		t.Errorf("two junk referrers: verdict %s, want invalid (neither is a valid signature)\n%s", res.Verdict, describe(res))
	}
}

// Attack (pointer claim not checked): checkPointer compares the pointer's
// rekorLogIndex only when it is not 0 (`p.RekorLogIndex != 0 && …`), and the
// pointer type cannot tell "absent" from 0 (int64, omitempty). A pointer
// that says rekorLogIndex: 0, a real index (a log's first entry), for a bundle
// whose entry is 101 passes the pointer check.
//
// Gain: small: the pointer's log-index claim, which the doc says must agree,
// is unverified for the value 0, so a pointer can name another log entry
// (index 0 of a fresh/private log) than the one it pins. Fix: *int64 in
// pointer.Signer (nil = absent) and compare whenever present.
func TestAICRAttackPointerRekorIndexZeroUnchecked(t *testing.T) {
	startRegistry(t)
	p := writePointer(t, "v1-eks-signed-pushed", func(s string) string {
		return strings.Replace(s, "rekorLogIndex: 101", "rekorLogIndex: 0", 1)
	})
	res := run(t, aicrVerifier(t, false), p, source.RemoteOptions{})
	if res.Verdict != verify.VerdictInvalid {
		t.Errorf("pointer names Rekor log index 0, the bundle's entry is 101: verdict %s, want invalid\n%s", res.Verdict, describe(res))
	}
}

func junkLayers(d ocispec.Descriptor, n int) []ocispec.Descriptor {
	out := make([]ocispec.Descriptor, n)
	for i := range out {
		out[i] = d
	}
	return out
}

// Attack (genuine signed bundle made "invalid" by a third party): next to the
// real signature referrer of the signed artifact, push one more manifest with
// artifactType application/vnd.dev.sigstore.bundle.v0.3+json and two layers.
// oci.signatureReferrer returns invalid("signature referrer … does not hold
// exactly one … layer") as soon as it meets it, before looking at the genuine
// referrer, so the verdict of a correctly signed, untouched bundle becomes
// INVALID (and with a second well-formed junk referrer instead, ERROR: see
// TestAICRAttackTwoJunkReferrersTurnInvalidIntoError).
//
// Gain: anyone who can push to the evidence repository (a shared org
// registry, a compromised CI token with write:packages) turns every genuine
// bundle there into "invalid / tampered", pinning the blame on its
// submitter, without touching a byte of the artifact the pointer pins.
// Fix: a malformed candidate referrer is skipped (noted), not a verdict on
// the artifact; the artifact is judged by the referrer(s) that verify.
func TestAICRAttackMalformedReferrerMakesGenuineBundleInvalid(t *testing.T) {
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	addr := registryAddr // the signed subject names it
	ocitest.Start(t, addr)
	ocitest.PushLayout(t, layout, addr, "aicr-evidence")
	ref := "oci://" + addr + "/aicr-evidence@" + signedDigest
	if res := run(t, aicrVerifier(t, false), ref, source.RemoteOptions{}); res.Verdict != verify.VerdictPassed {
		t.Fatalf("genuine signed artifact: verdict %s, want passed\n%s", res.Verdict, describe(res))
	}
	pushJunkReferrerLayers(t, addr, signedDigest, 1051, 7, 2)
	if res := run(t, aicrVerifier(t, false), ref, source.RemoteOptions{}); res.Verdict != verify.VerdictPassed {
		t.Errorf("genuine signed artifact plus a malformed third-party referrer: verdict %s, want passed\n%s", res.Verdict, describe(res))
	}
}
