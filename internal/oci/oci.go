// Package oci pulls an evidence bundle that AICR's tool pushed as an OCI
// artifact (docs/bundle-format.md §11): the artifact manifest (artifactType
// application/vnd.nvidia.aicr.artifact, one tar+gzip layer holding the summary
// bundle) pulled by digest, and its Sigstore bundle found as an OCI 1.1
// referrer (referrers API, or the tag schema "sha256-<hex>" where the registry
// has none). Everything the registry returns is bounded and checked against
// its digest; the referrer's own manifest is checked client-side (a registry's
// referrers listing is not trusted).
//
// "No referrer" means unsigned; any other failure to list or read referrers
// is an error (never "unsigned"). A digest or media-type mismatch is a bundle
// fault (*Error with InvalidBundle true); a network or registry failure is not.
package oci

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/strictjson"
)

// Media and artifact types of AICR's OCI form.
const (
	ArtifactTypeEvidence   = "application/vnd.nvidia.aicr.artifact"
	MediaTypeEvidenceLayer = ocispec.MediaTypeImageLayerGzip
	MediaTypeSigstore      = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// Scheme prefixes an OCI reference on the command line.
	Scheme = "oci://"
)

// Default bounds of what Pull reads.
const (
	DefaultMaxManifestBytes = 4 << 20
	DefaultMaxLayerBytes    = 512 << 20
	DefaultMaxBundleBytes   = 10 << 20
	DefaultMaxReferrers     = 256
)

// Reference is an OCI artifact reference: registry, repository and a tag
// and/or a digest ("sha256:<hex>").
type Reference struct {
	Registry, Repository, Tag, Digest string
}

// String returns registry/repository[:tag][@digest].
func (r Reference) String() string {
	s := r.Registry + "/" + r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ParseReference parses "oci://registry/repo@sha256:<hex>", with an optional
// ":tag" before the digest, or "oci://registry/repo:tag" (a tag alone is
// accepted here; Pull refuses it unless Options.AllowUnpinnedTag). The scheme
// is optional.
func ParseReference(s string) (Reference, error) {
	rest := strings.TrimPrefix(s, Scheme)
	var ref Reference
	if name, d, ok := strings.Cut(rest, "@"); ok {
		if !digestRE.MatchString(d) {
			return Reference{}, fmt.Errorf("OCI reference %q: digest %q is not sha256:<64 lowercase hex>", s, d)
		}
		ref.Digest, rest = d, name
	}
	registry, repoTag, ok := strings.Cut(rest, "/")
	if !ok {
		return Reference{}, fmt.Errorf("OCI reference %q: want oci://<registry>/<repository>@sha256:<hex>", s)
	}
	repo := repoTag
	if i := strings.LastIndexByte(repoTag, ':'); i >= 0 {
		repo, ref.Tag = repoTag[:i], repoTag[i+1:]
	}
	if ref.Tag == "" && ref.Digest == "" {
		return Reference{}, fmt.Errorf("OCI reference %q: no digest (and no tag)", s)
	}
	tag := ref.Tag
	if tag == "" {
		tag = "x"
	}
	if _, err := schema.ParseOCIName(registry + "/" + repo + ":" + tag); err != nil {
		return Reference{}, fmt.Errorf("OCI reference %q: %w", s, err)
	}
	ref.Registry, ref.Repository = registry, repo
	return ref, nil
}

// ParseRepository parses "oci://<registry>/<repository>" (the scheme
// required), a repository to push to: no tag and no digest, since the tag is
// derived from the bundle (EvidenceTag) and the digest from its content.
func ParseRepository(s string) (Reference, error) {
	rest, ok := strings.CutPrefix(s, Scheme)
	if !ok {
		return Reference{}, fmt.Errorf("%q: want oci://<registry>/<repository>", s)
	}
	registry, repo, ok := strings.Cut(rest, "/")
	switch {
	case !ok || registry == "" || repo == "":
		return Reference{}, fmt.Errorf("%q: want oci://<registry>/<repository>", s)
	case strings.ContainsAny(repo, ":@"):
		return Reference{}, fmt.Errorf("%q: give the repository only, without a tag or digest: the tag is <recipe>-<12 hex of the bundle's manifest digest> and the digest is the content's", s)
	}
	if _, err := schema.ParseOCIName(registry + "/" + repo + ":x"); err != nil {
		return Reference{}, fmt.Errorf("%q: %w", s, err)
	}
	return Reference{Registry: registry, Repository: repo}, nil
}

// Options configure Pull.
type Options struct {
	// PlainHTTP talks HTTP instead of HTTPS (loopback test registries).
	PlainHTTP bool
	// AllowUnpinnedTag lets a reference without a digest resolve its tag
	// (--allow-unpinned-tag); the result then records the digest resolved.
	AllowUnpinnedTag bool
	// Credential resolves registry credentials; nil means DefaultCredential.
	Credential auth.CredentialFunc
	// HTTPClient is the HTTP client; nil means a client without retries.
	HTTPClient *http.Client
	// Bounds; zero means the defaults above.
	MaxManifestBytes, MaxLayerBytes, MaxBundleBytes int64
	// Timeout bounds the whole pull (a registry that trickles bytes cannot
	// hold a job until it is killed); zero means DefaultPullTimeout.
	Timeout time.Duration
}

// DefaultPullTimeout bounds one pull: manifest, layer, referrers, bundles.
const DefaultPullTimeout = 10 * time.Minute

// Artifact is what Pull fetched and checked.
type Artifact struct {
	// Ref is the reference pulled, with Digest set to the manifest digest.
	Ref Reference
	// Manifest is the artifact manifest's bytes; Layer the summary bundle
	// (tar+gzip) it holds.
	Manifest, Layer []byte
	// Attestation is the Sigstore bundle of the first signature referrer
	// (by referrer manifest digest), or nil when the artifact has none
	// (unsigned); Attestations are those of every signature referrer, in
	// that order: anyone who may push to the repository can add referrers,
	// so the verifier tries each and a referrer that does not verify does
	// not count.
	Attestation  []byte
	Attestations [][]byte
	// SignatureManifest is the referrer manifest's digest ("" when unsigned).
	SignatureManifest string
}

// ManifestHex returns the manifest digest as bare lowercase hex.
func (a *Artifact) ManifestHex() string { return strings.TrimPrefix(a.Ref.Digest, "sha256:") }

// Error is a bundle fault found while pulling: the registry's content is not
// the artifact AICR's form describes, or not the one pinned.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// InvalidBundle reports that the error is a property of the artifact.
func (e *Error) InvalidBundle() bool { return true }

func invalid(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// DefaultCredential reads the docker config (DOCKER_CONFIG or
// ~/.docker/config.json, credential helpers included) and, for ghcr.io when
// it has no entry, uses GITHUB_TOKEN.
func DefaultCredential() auth.CredentialFunc {
	var fromDocker auth.CredentialFunc
	if store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{}); err == nil {
		fromDocker = credentials.Credential(store)
	}
	return func(ctx context.Context, hostport string) (auth.Credential, error) {
		if fromDocker != nil {
			if c, err := fromDocker(ctx, hostport); err == nil && c != auth.EmptyCredential {
				return c, nil
			}
		}
		if hostport == "ghcr.io" {
			if tok := os.Getenv("GITHUB_TOKEN"); tok != "" {
				return auth.Credential{Username: "x-access-token", Password: tok}, nil
			}
		}
		return auth.EmptyCredential, nil
	}
}

// Pull fetches the artifact ref names, pinned by digest, and its signature.
func Pull(ctx context.Context, ref Reference, opts Options) (*Artifact, error) {
	if ref.Digest == "" && !opts.AllowUnpinnedTag {
		return nil, fmt.Errorf("OCI reference %s has a tag but no digest: tags move; pin it (@sha256:…) or pass --allow-unpinned-tag", ref)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultPullTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	maxManifest := orDefault(opts.MaxManifestBytes, DefaultMaxManifestBytes)
	repo, err := newRepository(ref, opts.PlainHTTP, opts.Credential, opts.HTTPClient, maxManifest)
	if err != nil {
		return nil, err
	}

	pin := ref.Digest
	if pin == "" {
		pin = ref.Tag
	}
	desc, rc, err := repo.FetchReference(ctx, pin)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	manifest, err := readAll(rc, desc, maxManifest, "artifact manifest")
	if err != nil {
		return nil, err
	}
	if ref.Digest != "" && desc.Digest.String() != ref.Digest {
		return nil, invalid("pull %s: the registry returned manifest %s, not the one pinned", ref, desc.Digest)
	}
	out := &Artifact{Ref: ref, Manifest: manifest}
	out.Ref.Digest = desc.Digest.String()
	layer, err := checkArtifactManifest(manifest, desc)
	if err != nil {
		return nil, err
	}
	maxLayer := orDefault(opts.MaxLayerBytes, DefaultMaxLayerBytes)
	if layer.Size > maxLayer {
		return nil, invalid("pull %s: layer is %d bytes, over the limit of %d", ref, layer.Size, maxLayer)
	}
	lrc, err := repo.Blobs().Fetch(ctx, layer)
	if err != nil {
		return nil, fmt.Errorf("pull %s: layer %s: %w", ref, layer.Digest, err)
	}
	if out.Layer, err = readAll(lrc, layer, maxLayer, "layer"); err != nil {
		return nil, err
	}
	sig, err := signatureReferrers(ctx, repo, desc, maxManifest)
	if err != nil {
		return nil, fmt.Errorf("pull %s: signature referrer: %w", ref, err)
	}
	if len(sig) == 0 {
		return out, nil // no referrer: unsigned
	}
	out.SignatureManifest = sig[0].manifest.String()
	maxBundle := orDefault(opts.MaxBundleBytes, DefaultMaxBundleBytes)
	for _, s := range sig {
		if s.layer.Size > maxBundle {
			return nil, invalid("pull %s: Sigstore bundle is %d bytes, over the limit of %d", ref, s.layer.Size, maxBundle)
		}
		brc, err := repo.Blobs().Fetch(ctx, s.layer)
		if err != nil {
			return nil, fmt.Errorf("pull %s: Sigstore bundle %s: %w", ref, s.layer.Digest, err)
		}
		b, err := readAll(brc, s.layer, maxBundle, "Sigstore bundle")
		if err != nil {
			return nil, err
		}
		out.Attestations = append(out.Attestations, b)
	}
	out.Attestation = out.Attestations[0]
	return out, nil
}

// newRepository is the client of ref's repository: plain HTTP or HTTPS,
// credentials (nil: DefaultCredential), an HTTP client (nil: one with
// bounded waits) and the most bytes a manifest or listing may have.
func newRepository(ref Reference, plainHTTP bool, cred auth.CredentialFunc, hc *http.Client, maxManifest int64) (*remote.Repository, error) {
	repo, err := remote.NewRepository(ref.Registry + "/" + ref.Repository)
	if err != nil {
		return nil, fmt.Errorf("OCI reference %s: %w", ref, err)
	}
	repo.PlainHTTP = plainHTTP
	repo.MaxMetadataBytes = maxManifest
	if cred == nil {
		cred = DefaultCredential()
	}
	if hc == nil {
		hc = defaultHTTPClient()
	}
	hc = guardedClient(hc)
	repo.Client = &auth.Client{Client: hc, Credential: cred, Cache: auth.NewCache()}
	return repo, nil
}

// defaultHTTPClient bounds connecting and waiting for a response, so an
// unresponsive registry is an error rather than a hang; a body in progress
// is bounded by the caller's context and the size limits.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 30 * time.Second
	t.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: t}
}

// maxRedirects bounds the redirects of one request.
const maxRedirects = 5

// guardedClient returns a copy of hc that bounds the referrers pages
// (referrersBudget) and follows a registry's redirect
// only where the first request could have gone: never from HTTPS to plain
// HTTP, and from a plain-HTTP (loopback) registry only to a loopback host —
// plain HTTP is allowed for the registries a user listed, not for wherever
// they redirect. Blob redirects to a CDN over HTTPS stay allowed (the
// content is checked against its digest either way).
func guardedClient(hc *http.Client) *http.Client {
	c := *hc
	t := hc.Transport
	if t == nil {
		t = http.DefaultTransport
	}
	c.Transport = &referrersBudget{next: t}
	next := hc.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("registry: more than %d redirects", maxRedirects)
		}
		from := via[0].URL
		switch {
		case req.URL.Scheme != "https" && req.URL.Scheme != "http":
			return fmt.Errorf("registry: redirect to a %q URL refused", req.URL.Scheme)
		case from.Scheme == "https" && req.URL.Scheme != "https":
			return fmt.Errorf("registry %s: redirect from HTTPS to plain HTTP (%s) refused", from.Host, req.URL.Host)
		case req.URL.Scheme == "http" && !LoopbackRegistry(req.URL.Host):
			return fmt.Errorf("registry %s: redirect to plain HTTP on a host that is not loopback (%s) refused", from.Host, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &c
}

func orDefault(v, d int64) int64 {
	if v <= 0 {
		return d
	}
	return v
}

// readAll reads a blob of at most max bytes and checks its size and digest.
func readAll(rc io.ReadCloser, desc ocispec.Descriptor, max int64, what string) ([]byte, error) {
	defer rc.Close()
	if desc.Size < 0 || desc.Size > max {
		return nil, invalid("%s %s is %d bytes, over the limit of %d", what, desc.Digest, desc.Size, max)
	}
	if desc.Digest.Algorithm() != digest.SHA256 {
		return nil, invalid("%s digest %s is not sha256", what, desc.Digest)
	}
	b, err := content.ReadAll(io.LimitReader(rc, max+1), desc)
	switch {
	case errors.Is(err, content.ErrMismatchedDigest), errors.Is(err, content.ErrTrailingData):
		return nil, invalid("%s %s: the registry's content is not the one its digest names: %v", what, desc.Digest, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		// Fewer bytes than the descriptor's size: the transfer broke off,
		// nothing was shown to differ (could not decide, not invalid).
		return nil, fmt.Errorf("%s %s: the registry sent fewer bytes than its size (%d): %w", what, desc.Digest, desc.Size, err)
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", what, desc.Digest, err)
	}
	return b, nil
}

// manifestDoc is the part of an OCI image manifest this package reads.
type manifestDoc struct {
	SchemaVersion int                  `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	ArtifactType  string               `json:"artifactType"`
	Config        ocispec.Descriptor   `json:"config"`
	Layers        []ocispec.Descriptor `json:"layers"`
	Subject       *ocispec.Descriptor  `json:"subject"`
	Annotations   map[string]string    `json:"annotations"`
	Manifests     []ocispec.Descriptor `json:"manifests"`
}

// checkArtifactManifest checks AICR's artifact manifest and returns its layer.
func checkArtifactManifest(b []byte, desc ocispec.Descriptor) (ocispec.Descriptor, error) {
	var m manifestDoc
	if err := strictjson.Unmarshal(b, &m); err != nil {
		return ocispec.Descriptor{}, invalid("artifact manifest %s: %v", desc.Digest, err)
	}
	switch {
	case m.SchemaVersion != 2 || m.MediaType != ocispec.MediaTypeImageManifest:
		// The digest-checked body decides, not the response's Content-Type.
		return ocispec.Descriptor{}, invalid("artifact %s is not an OCI image manifest (media type %q)", desc.Digest, m.MediaType)
	case m.ArtifactType != ArtifactTypeEvidence:
		return ocispec.Descriptor{}, invalid("artifact %s has artifactType %q, want %s", desc.Digest, m.ArtifactType, ArtifactTypeEvidence)
	case len(m.Layers) != 1 || m.Layers[0].MediaType != MediaTypeEvidenceLayer:
		return ocispec.Descriptor{}, invalid("artifact %s does not hold exactly one %s layer", desc.Digest, MediaTypeEvidenceLayer)
	}
	return m.Layers[0], nil
}

// referrer is a checked signature referrer.
type referrer struct {
	manifest digest.Digest
	layer    ocispec.Descriptor
}

// signatureReferrers lists the referrers of subject (the referrers API, or
// the tag schema when the registry has none) and returns those whose own
// manifest is a Sigstore bundle artifact with subject as its subject and one
// Sigstore bundle layer, by manifest digest: none when there are none (a
// referrer of another shape is skipped: anyone who may push can add one); an
// error when listing or fetching fails.
func signatureReferrers(ctx context.Context, repo *remote.Repository, subject ocispec.Descriptor, maxManifest int64) ([]referrer, error) {
	var listed []ocispec.Descriptor
	err := repo.Referrers(ctx, subject, "", func(page []ocispec.Descriptor) error {
		listed = append(listed, page...)
		if len(listed) > DefaultMaxReferrers {
			return fmt.Errorf("more than %d referrers", DefaultMaxReferrers)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(listed, func(i, j int) bool { return listed[i].Digest < listed[j].Digest })
	var found []referrer
	for _, d := range listed {
		if d.MediaType != ocispec.MediaTypeImageManifest {
			continue
		}
		rc, err := repo.Manifests().Fetch(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("referrer %s: %w", d.Digest, err)
		}
		b, err := readAll(rc, d, maxManifest, "referrer manifest")
		if err != nil {
			return nil, err
		}
		var m manifestDoc
		if err := strictjson.Unmarshal(b, &m); err != nil {
			continue // not a manifest this package reads: not a signature
		}
		// The registry's listing is not trusted: the manifest's own fields decide.
		if m.ArtifactType != MediaTypeSigstore || m.Subject == nil || m.Subject.Digest != subject.Digest {
			continue
		}
		if len(m.Layers) != 1 || m.Layers[0].MediaType != MediaTypeSigstore {
			continue
		}
		found = append(found, referrer{manifest: d.Digest, layer: m.Layers[0]})
	}
	if len(found) > maxSignatureReferrers {
		return nil, fmt.Errorf("%d signature referrers, more than the %d this verifier tries", len(found), maxSignatureReferrers)
	}
	return found, nil
}

// maxReferrerPages bounds the referrers API requests made through one
// repository: empty pages, each linking to the next, never reach the
// referrer bound (oras-go does not hand an empty page to its caller).
const maxReferrerPages = 16

// referrersBudget is a transport that refuses the referrers API request
// after the first maxReferrerPages.
type referrersBudget struct {
	next http.RoundTripper
	n    atomic.Int32
}

func (b *referrersBudget) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.URL.Path, "/referrers/") && b.n.Add(1) > maxReferrerPages {
		return nil, fmt.Errorf("registry %s: the referrers list runs over more than %d pages", req.URL.Host, maxReferrerPages)
	}
	return b.next.RoundTrip(req)
}

// maxSignatureReferrers bounds the signature referrers fetched and tried.
const maxSignatureReferrers = 8

// HexDigest returns the bare hex of a "sha256:<hex>" digest, or "" if it is not one.
func HexDigest(d string) string {
	h, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(h) != 64 {
		return ""
	}
	if _, err := hex.DecodeString(h); err != nil {
		return ""
	}
	return h
}
