package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/file"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// What AICR's tool writes besides the media types (NVIDIA/aicr pkg/oci and
// pkg/evidence/attestation at 619cf930): manifests are stamped with the Unix
// epoch so that the same content always has the same digest; the layer is
// named "." (an ORAS file store unpacks it into its root); the Sigstore
// bundle layer is named "payload".
const (
	ReproducibleCreated = "1970-01-01T00:00:00Z"
	layerTitle          = "."
	signatureTitle      = "payload"
	vendor              = "NVIDIA"
	// maxTagSlug caps the recipe part of a derived tag (AICR's
	// maxEvidenceTagSlug), well under the 128 characters of an OCI tag.
	maxTagSlug = 80
	// tagDigestHex is how many hex digits of predicate.manifest.digest a
	// derived tag carries.
	tagDigestHex = 12
)

// EvidenceTag is the tag AICR gives a pushed bundle: the recipe name made a
// tag (lower case, anything outside [a-z0-9_.-] replaced by '-', '-' and
// '.' trimmed at both ends, at most 80 characters, "recipe" when nothing is
// left), then '-' and the first 12 hex digits of the bundle's
// predicate.manifest.digest ("sha256:<hex>" or bare hex).
func EvidenceTag(recipe, manifestDigest string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(recipe) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	slug := strings.Trim(b.String(), "-.")
	if len(slug) > maxTagSlug {
		slug = strings.Trim(slug[:maxTagSlug], "-.")
	}
	if slug == "" {
		slug = "recipe"
	}
	h := strings.TrimPrefix(manifestDigest, "sha256:")
	if len(h) > tagDigestHex {
		h = h[:tagDigestHex]
	}
	if h == "" {
		return slug
	}
	return slug + "-" + h
}

// ArtifactAnnotations are the artifact manifest's annotations as AICR
// writes them: created at the epoch, a description naming the predicate
// type's last two path segments ("recipe-evidence/v1"), the title, AICR's
// source and vendor, and version, the version of the tooling recorded in
// the predicate (aicrVersion).
func ArtifactAnnotations(predicateType, version string) map[string]string {
	desc := "Signed evidence bundle for an aicr recipe."
	if predicateType != "" {
		desc = "Signed evidence bundle for an aicr recipe (" + strings.TrimPrefix(predicateType, "https://aicr.run/") + ")."
	}
	return map[string]string{
		ocispec.AnnotationCreated:     ReproducibleCreated,
		ocispec.AnnotationDescription: desc,
		ocispec.AnnotationSource:      "https://github.com/NVIDIA/aicr",
		ocispec.AnnotationTitle:       "AICR Recipe Evidence",
		ocispec.AnnotationVendor:      vendor,
		ocispec.AnnotationVersion:     version,
	}
}

// PackLayer writes files (slash-separated path → bytes) as AICR's
// reproducible layer: a tar of the files in path order, each folder entry
// ("ctrf/", mode 0755) before its first file, files with mode 0600, no
// owner and no time, in a gzip stream at best compression with no time
// and OS 255. It returns the layer and its descriptor, annotated as AICR
// annotates it (the uncompressed tar's digest, unpack, title "."). The
// same files always give the same bytes.
func PackLayer(files map[string][]byte) (ocispec.Descriptor, []byte, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		if p == "" || strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.HasPrefix(p, "../") {
			return ocispec.Descriptor{}, nil, fmt.Errorf("layer: path %q is not a clean relative path", p)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("layer: %w", err)
	}
	zw.ModTime, zw.OS = time.Time{}, 255
	tarDigest := digest.SHA256.Digester()
	tw := tar.NewWriter(io.MultiWriter(zw, tarDigest.Hash()))
	dirs := map[string]bool{}
	for _, p := range paths {
		var parents []string
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Name: d + "/", Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
				return ocispec.Descriptor{}, nil, fmt.Errorf("layer: %w", err)
			}
		}
		data := files[p]
		if err := tw.WriteHeader(&tar.Header{Name: p, Mode: 0o600, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return ocispec.Descriptor{}, nil, fmt.Errorf("layer: %w", err)
		}
		if _, err := tw.Write(data); err != nil {
			return ocispec.Descriptor{}, nil, fmt.Errorf("layer: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("layer: %w", err)
	}
	b := out.Bytes()
	desc := ocispec.Descriptor{
		MediaType: MediaTypeEvidenceLayer,
		Digest:    digest.FromBytes(b),
		Size:      int64(len(b)),
		Annotations: map[string]string{
			file.AnnotationDigest:   tarDigest.Digest().String(),
			file.AnnotationUnpack:   "true",
			ocispec.AnnotationTitle: layerTitle,
		},
	}
	return desc, b, nil
}

// PushOptions configure Push and PushSignature.
type PushOptions struct {
	// PlainHTTP talks HTTP instead of HTTPS; only to a loopback registry.
	PlainHTTP bool
	// Credential resolves registry credentials; nil means DefaultCredential.
	Credential auth.CredentialFunc
	// Timeout bounds one push; zero means DefaultPullTimeout.
	Timeout time.Duration
}

// Pushed is an artifact pushed: its reference (registry, repository, tag
// and manifest digest) and manifest descriptor.
type Pushed struct {
	Ref      Reference
	Manifest ocispec.Descriptor
}

// Push pushes files as AICR's evidence artifact into ref's repository and
// tags it ref.Tag: the layer PackLayer writes, an empty config and an
// OCI 1.1 image manifest with artifactType ArtifactTypeEvidence and
// annotations (see ArtifactAnnotations). The manifest is built here, so its
// digest depends only on files and annotations: pushing the same bundle
// again gives the same digest. ref must have a tag and no digest.
func Push(ctx context.Context, ref Reference, files map[string][]byte, annotations map[string]string, opts PushOptions) (*Pushed, error) {
	if ref.Tag == "" || ref.Digest != "" {
		return nil, fmt.Errorf("push %s: want <registry>/<repository>:<tag>", ref)
	}
	layer, layerBytes, err := PackLayer(files)
	if err != nil {
		return nil, err
	}
	ctx, cancel := pushContext(ctx, opts)
	defer cancel()
	store := memory.New()
	if err := store.Push(ctx, layer, bytes.NewReader(layerBytes)); err != nil {
		return nil, fmt.Errorf("push %s: %w", ref, err)
	}
	manifest, err := oras.PackManifest(ctx, store, oras.PackManifestVersion1_1, ArtifactTypeEvidence,
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}, ManifestAnnotations: annotations})
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", ref, err)
	}
	if err := copyTagged(ctx, store, manifest, ref, ref.Tag, opts); err != nil {
		return nil, err
	}
	out := &Pushed{Ref: ref, Manifest: manifest}
	out.Ref.Digest = manifest.Digest.String()
	return out, nil
}

// PushSignature attaches a Sigstore bundle to a pushed artifact as AICR
// does: an OCI 1.1 referrer manifest whose artifactType and one layer
// (titled "payload") are MediaTypeSigstore, subject the artifact's
// manifest, annotated with the epoch and AICR's vendor, and tagged with
// its own digest's hex. oras-go files it under the registry's referrers API
// or, where the registry has none, in the referrers tag index
// "sha256-<subject hex>". It returns the referrer manifest's descriptor.
func PushSignature(ctx context.Context, artifact *Pushed, sigstoreBundle []byte, opts PushOptions) (ocispec.Descriptor, error) {
	if len(sigstoreBundle) == 0 {
		return ocispec.Descriptor{}, fmt.Errorf("push signature of %s: empty Sigstore bundle", artifact.Ref)
	}
	ctx, cancel := pushContext(ctx, opts)
	defer cancel()
	layer := ocispec.Descriptor{
		MediaType:   MediaTypeSigstore,
		Digest:      digest.FromBytes(sigstoreBundle),
		Size:        int64(len(sigstoreBundle)),
		Annotations: map[string]string{ocispec.AnnotationTitle: signatureTitle},
	}
	store := memory.New()
	if err := store.Push(ctx, layer, bytes.NewReader(sigstoreBundle)); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push signature of %s: %w", artifact.Ref, err)
	}
	subject := artifact.Manifest
	subject.Annotations, subject.ArtifactType = nil, ""
	manifest, err := oras.PackManifest(ctx, store, oras.PackManifestVersion1_1, MediaTypeSigstore, oras.PackManifestOptions{
		Layers:              []ocispec.Descriptor{layer},
		Subject:             &subject,
		ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: ReproducibleCreated, ocispec.AnnotationVendor: vendor},
	})
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push signature of %s: %w", artifact.Ref, err)
	}
	if err := copyTagged(ctx, store, manifest, artifact.Ref, manifest.Digest.Encoded(), opts); err != nil {
		return ocispec.Descriptor{}, err
	}
	return manifest, nil
}

// copyTagged copies manifest and what it references from store to ref's
// repository and tags it tag there.
func copyTagged(ctx context.Context, store *memory.Store, manifest ocispec.Descriptor, ref Reference, tag string, opts PushOptions) error {
	if opts.PlainHTTP && !LoopbackRegistry(ref.Registry) {
		return fmt.Errorf("push %s: plain HTTP only to a loopback registry (127.0.0.1, ::1, localhost); a remote registry needs HTTPS", ref.Registry)
	}
	repo, err := newRepository(ref, opts.PlainHTTP, opts.Credential, nil, DefaultMaxManifestBytes)
	if err != nil {
		return err
	}
	if err := store.Tag(ctx, manifest, tag); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	if _, err := oras.Copy(ctx, store, tag, repo, tag, oras.DefaultCopyOptions); err != nil {
		return fmt.Errorf("push %s/%s:%s: %w", ref.Registry, ref.Repository, tag, err)
	}
	return nil
}

func pushContext(ctx context.Context, opts PushOptions) (context.Context, context.CancelFunc) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultPullTimeout
	}
	return context.WithTimeout(ctx, timeout)
}

// LoopbackRegistry reports whether host[:port] names the loopback interface.
func LoopbackRegistry(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
