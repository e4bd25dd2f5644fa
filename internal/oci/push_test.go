package oci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/oci/ocitest"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// upstreamLayout is the OCI layout AICR's tool pushed (see the README beside it).
func upstreamLayout(t testing.TB) string {
	t.Helper()
	return testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
}

// layoutManifest reads the manifest with digest d from the layout.
func layoutManifest(t testing.TB, d string) (ocispec.Manifest, []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(upstreamLayout(t), "blobs", "sha256", strings.TrimPrefix(d, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m, b
}

// summaryFiles reads an upstream summary bundle's files, without the
// Sigstore bundle (AICR pushes it as a referrer, not in the layer).
func summaryFiles(t testing.TB, bundle string) map[string][]byte {
	t.Helper()
	dir := testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/"+bundle+"/summary-bundle")
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "attestation.intoto.jsonl" {
			return nil
		}
		b, err := os.ReadFile(p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// upstreamPointer parses an upstream bundle's pointer.yaml.
func upstreamPointer(t testing.TB, bundle string) *pointer.File {
	t.Helper()
	b, err := os.ReadFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/"+bundle+"/pointer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := pointer.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPackLayerIsAICRsLayer: PackLayer of the files of a bundle AICR
// pushed gives, byte for byte, the layer AICR's tool pushed for it (same
// digest, size and annotations), for the unsigned and the signed bundle.
func TestPackLayerIsAICRsLayer(t *testing.T) {
	for _, bundle := range []string{"cli-publish-nosign", "v1-eks-signed-pushed"} {
		t.Run(bundle, func(t *testing.T) {
			p := upstreamPointer(t, bundle)
			m, _ := layoutManifest(t, p.Attestation().Bundle.Digest)
			if len(m.Layers) != 1 {
				t.Fatalf("upstream manifest has %d layers", len(m.Layers))
			}
			want := m.Layers[0]
			got, _, err := oci.PackLayer(summaryFiles(t, bundle))
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest != want.Digest || got.Size != want.Size || got.MediaType != want.MediaType {
				t.Errorf("layer %s (%d bytes, %s), AICR's %s (%d bytes, %s)", got.Digest, got.Size, got.MediaType, want.Digest, want.Size, want.MediaType)
			}
			if !equalMaps(got.Annotations, want.Annotations) {
				t.Errorf("layer annotations %v, AICR's %v", got.Annotations, want.Annotations)
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// registryAddr is the loopback registry address the shipped pointers name;
// ocitest serialises its use across test processes.
const registryAddr = "127.0.0.1:5000"

// fetchManifest reads a manifest or index from the registry by tag or digest.
func fetchManifest(t testing.TB, repo, ref string) (ocispec.Descriptor, []byte) {
	t.Helper()
	r, err := remote.NewRepository(registryAddr + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	desc, rc, err := r.FetchReference(context.Background(), ref)
	if err != nil {
		t.Fatalf("fetch %s: %v", ref, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return desc, b
}

// TestPushReproducesAICRsArtifact: pushing the files of the bundles AICR
// pushed, with the annotations AICR's version wrote, gives AICR's artifact
// manifest byte for byte (same digest) under AICR's tag; the signature
// referrer of the signed one is AICR's referrer byte for byte, found through
// the referrers tag index (distribution has no referrers API) that equals
// AICR's; and pushing again changes nothing.
func TestPushReproducesAICRsArtifact(t *testing.T) {
	ocitest.Start(t, registryAddr)
	ctx := context.Background()
	opts := oci.PushOptions{PlainHTTP: true}
	for _, bundle := range []string{"cli-publish-nosign", "v1-eks-signed-pushed"} {
		t.Run(bundle, func(t *testing.T) {
			p := upstreamPointer(t, bundle)
			a := p.Attestation()
			name, err := schema.ParseOCIName(a.Bundle.OCI)
			if err != nil {
				t.Fatal(err)
			}
			_, wantManifest := layoutManifest(t, a.Bundle.Digest)
			var upstream ocispec.Manifest
			if err := json.Unmarshal(wantManifest, &upstream); err != nil {
				t.Fatal(err)
			}
			files := summaryFiles(t, bundle)
			var stmt struct {
				PredicateType string `json:"predicateType"`
				Predicate     struct {
					Manifest struct {
						Digest string `json:"digest"`
					} `json:"manifest"`
					Recipe struct {
						Name string `json:"name"`
					} `json:"recipe"`
				} `json:"predicate"`
			}
			if err := json.Unmarshal(files["statement.intoto.json"], &stmt); err != nil {
				t.Fatal(err)
			}
			tag := oci.EvidenceTag(stmt.Predicate.Recipe.Name, stmt.Predicate.Manifest.Digest)
			if tag != name.Tag {
				t.Errorf("tag %q, AICR's %q", tag, name.Tag)
			}
			ref := oci.Reference{Registry: registryAddr, Repository: name.Repository, Tag: tag}
			ann := oci.ArtifactAnnotations(stmt.PredicateType, upstream.Annotations[ocispec.AnnotationVersion])
			for i := 0; i < 2; i++ { // twice: the same digest
				pushed, err := oci.Push(ctx, ref, files, ann, opts)
				if err != nil {
					t.Fatal(err)
				}
				if pushed.Ref.Digest != a.Bundle.Digest {
					t.Errorf("push %d: manifest %s, AICR's %s", i+1, pushed.Ref.Digest, a.Bundle.Digest)
				}
				desc, got := fetchManifest(t, name.Repository, tag)
				if desc.Digest.String() != a.Bundle.Digest || !bytes.Equal(got, wantManifest) {
					t.Errorf("push %d: tag %s names %s:\n%s\nAICR's:\n%s", i+1, tag, desc.Digest, got, wantManifest)
				}
				if a.Signer == nil {
					continue
				}
				att := readShared(t, "aicr-upstream-bundles/bundles/"+bundle+"/summary-bundle/attestation.intoto.jsonl")
				sig, err := oci.PushSignature(ctx, pushed, att, opts)
				if err != nil {
					t.Fatal(err)
				}
				index := layoutIndex(t)
				wantSig := index["sha256-"+pushed.Manifest.Digest.Encoded()]
				if _, b := fetchManifest(t, name.Repository, sig.Digest.Encoded()); !bytes.Equal(b, readLayoutBlob(t, sig.Digest.String())) {
					t.Errorf("referrer %s is not AICR's byte for byte", sig.Digest)
				}
				if _, ok := index[sig.Digest.Encoded()]; !ok {
					t.Errorf("referrer %s is not the one AICR pushed (tags %v)", sig.Digest, index)
				}
				desc, b := fetchManifest(t, name.Repository, "sha256-"+pushed.Manifest.Digest.Encoded())
				if desc.Digest.String() != wantSig || !bytes.Equal(b, readLayoutBlob(t, wantSig)) {
					t.Errorf("referrers tag index %s:\n%s\nAICR's %s", desc.Digest, b, wantSig)
				}
				// And the verifier's own pull finds it.
				got2, err := oci.Pull(ctx, pushed.Ref, oci.Options{PlainHTTP: true})
				if err != nil {
					t.Fatal(err)
				}
				if got2.SignatureManifest != sig.Digest.String() || !bytes.Equal(got2.Attestation, att) || len(got2.Attestations) != 1 {
					t.Errorf("pull found signature %s (%d referrers), want %s", got2.SignatureManifest, len(got2.Attestations), sig.Digest)
				}
			}
		})
	}
}

// layoutIndex maps each tag of the upstream layout to its digest.
func layoutIndex(t testing.TB) map[string]string {
	t.Helper()
	b := readShared(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence/index.json")
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range idx.Manifests {
		out[m.Annotations[ocispec.AnnotationRefName]] = m.Digest.String()
	}
	return out
}

func readLayoutBlob(t testing.TB, d string) []byte {
	t.Helper()
	return readShared(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence/blobs/sha256/"+strings.TrimPrefix(d, "sha256:"))
}

func readShared(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testutil.SharedTestdata(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEvidenceTag(t *testing.T) {
	d := "sha256:c28d0f05282e0123456789abcdef0123456789abcdef0123456789abcdef0123"
	for in, want := range map[string]string{
		"h100-eks-ubuntu-training": "h100-eks-ubuntu-training-c28d0f05282e",
		"Mixed Case/name":          "mixed-case-name-c28d0f05282e",
		"--..":                     "recipe-c28d0f05282e",
		strings.Repeat("a", 100):   strings.Repeat("a", 80) + "-c28d0f05282e",
	} {
		if got := oci.EvidenceTag(in, d); got != want {
			t.Errorf("EvidenceTag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPushPlainHTTPOnlyToLoopback(t *testing.T) {
	ref := oci.Reference{Registry: "registry.example.com", Repository: "e", Tag: "t"}
	_, err := oci.Push(context.Background(), ref, map[string][]byte{"a": []byte("x")}, nil, oci.PushOptions{PlainHTTP: true})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("plain HTTP push to a remote registry: %v", err)
	}
}

// TestPushSignatureReferrersAPI: on a registry with the OCI 1.1 referrers
// API (go-containerregistry's, in process on loopback) the verifier's pull
// finds the signature pushed through that API. (That registry does not
// answer a manifest push with the OCI-Subject header, so oras-go also
// writes the referrers tag index, as the OCI 1.1 spec asks of a client.)
func TestPushSignatureReferrersAPI(t *testing.T) {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.WithReferrersSupport(true), ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	opts := oci.PushOptions{PlainHTTP: true}
	files := summaryFiles(t, "v1-eks-signed-pushed")
	att := readShared(t, "aicr-upstream-bundles/bundles/v1-eks-signed-pushed/summary-bundle/attestation.intoto.jsonl")
	pushed, err := oci.Push(ctx, oci.Reference{Registry: addr, Repository: "aicr-evidence", Tag: "t-1"}, files, oci.ArtifactAnnotations("", "v0"), opts)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := oci.PushSignature(ctx, pushed, att, opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := oci.Pull(ctx, pushed.Ref, oci.Options{PlainHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.SignatureManifest != sig.Digest.String() || !bytes.Equal(got.Attestation, att) {
		t.Errorf("pull found signature %q, pushed %s", got.SignatureManifest, sig.Digest)
	}
}
