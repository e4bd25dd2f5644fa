package emit_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"go.yaml.in/yaml/v3"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/oci/ocitest"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/source"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/verify"
)

// registryAddr is the loopback registry address (ocitest serialises its use
// across test processes).
const (
	registryAddr = "127.0.0.1:5000"
	pushRepo     = "aicr-evidence"
)

// pushArgs are the flags of a push to the loopback registry, the pointer
// written under dir.
func pushArgs(dir string) []string {
	return []string{"--push", oci.Scheme + registryAddr + "/" + pushRepo, "--plain-http", "--pointer-dir", dir}
}

// findPointer returns the one pointer file under dir/recipes/evidence, by
// its repository path.
func findPointer(t testing.TB, dir string) (rel string, p *pointer.File, raw []byte) {
	t.Helper()
	var found []string
	err := filepath.WalkDir(filepath.Join(dir, "recipes"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			found = append(found, path)
		}
		return err
	})
	if err != nil || len(found) != 1 {
		t.Fatalf("pointer files under %s: %v (%v)", dir, found, err)
	}
	r, _ := filepath.Rel(dir, found[0])
	raw = readFile(t, found[0])
	p, err = pointer.Parse(raw)
	if err != nil {
		t.Fatalf("pointer %s: %v", r, err)
	}
	return filepath.ToSlash(r), p, raw
}

// verifySource verifies a pointer file (by its repository path) or an
// oci:// reference through internal/source, as `verify` does.
func verifySource(t testing.TB, v *verify.Verifier, arg, pointerPath string) *verify.Result {
	t.Helper()
	opts := source.RemoteOptions{OCI: oci.Options{PlainHTTP: true}, PointerPath: pointerPath}
	var src *source.Source
	var err error
	if strings.HasPrefix(arg, oci.Scheme) {
		src, err = source.OpenOCI(arg, opts)
	} else {
		src, err = source.OpenPointer(arg, opts)
	}
	if err != nil {
		t.Fatalf("open %s: %v", arg, err)
	}
	defer src.Close()
	return source.Verify(context.Background(), v, src, verify.Options{})
}

// TestPushRoundTripAICRForm: emit --push signs and pushes the bundle in
// AICR's OCI form and writes the pointer at AICR's path; `verify` of the
// pointer and of oci://…@sha256: both pass with the test trust root, the
// signed subject is the artifact pushed (<registry>/<repo>:<tag> + manifest
// digest), the pointer's signer block is the certificate's, and the bundle
// written to --out verifies too. Emitting the same evidence again (unsigned
// this time) pushes the same artifact digest: the push is reproducible.
func TestPushRoundTripAICRForm(t *testing.T) {
	ocitest.Start(t, registryAddr)
	ts := newTestSigstore(t, sigstoretest.Options{})
	in := copyInputs(t, h100Example)
	dir := t.TempDir()
	out := outPath(t)
	data, stderr := mustEmit(t, append(append(in.args(out), ts.signArgs()...), pushArgs(dir)...), emit.Env{})

	rel, p, _ := findPointer(t, dir)
	a := p.Attestation()
	slug := policy.SourceSlug(sigstoretest.GitHubIssuer, signSAN)
	if want := "recipes/evidence/" + h100Example + "/" + slug + "/" + strings.Replace(a.Bundle.Digest, ":", "-", 1) + ".yaml"; rel != want {
		t.Errorf("pointer at %s, want %s", rel, want)
	}
	if a.Signer == nil || a.Signer.Identity != signSAN || a.Signer.Issuer != sigstoretest.GitHubIssuer || a.Signer.RekorLogIndex == nil {
		t.Fatalf("pointer signer %+v, want %s (issuer %s) with a Rekor log index", a.Signer, signSAN, sigstoretest.GitHubIssuer)
	}
	name, err := schema.ParseOCIName(a.Bundle.OCI)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"recipe name " + h100Example + " (from --recipe-name)", "pushed " + a.Bundle.OCI + "@" + a.Bundle.Digest, "pushed the signature referrer sha256:", "wrote the pointer " + rel} {
		if !strings.Contains(stderr, w) {
			t.Errorf("progress lacks %q:\n%s", w, stderr)
		}
	}

	// The signed Statement names the artifact pushed; the unsigned one the recipe.
	files := bundleFiles(t, data)
	subj, _ := statementParts(t, dssePayload(t, files[schema.FileAttestation]))
	if subj != a.Bundle.OCI {
		t.Errorf("signed subject %q, want the artifact %q", subj, a.Bundle.OCI)
	}
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(dssePayload(t, files[schema.FileAttestation]), &st); err != nil || "sha256:"+st.Subject[0].Digest["sha256"] != a.Bundle.Digest {
		t.Errorf("signed subject digest %v, want the manifest %s (%v)", st.Subject, a.Bundle.Digest, err)
	}
	if subj, _ := predicateOf(t, files); subj != "recipe:"+h100Example {
		t.Errorf("statement.intoto.json subject %q, want recipe:%s", subj, h100Example)
	}

	v := ts.verifier(t)
	for _, c := range []struct{ what, arg, path string }{
		{"pointer", filepath.Join(dir, filepath.FromSlash(rel)), rel},
		{"oci://…@sha256:", oci.Scheme + registryAddr + "/" + pushRepo + "@" + a.Bundle.Digest, ""},
		{"oci://…:tag@sha256:", oci.Scheme + a.Bundle.OCI + "@" + a.Bundle.Digest, ""},
	} {
		if res := verifySource(t, v, c.arg, c.path); res.Verdict != verify.VerdictPassed {
			t.Errorf("verify %s: %s", c.what, describe(res))
		}
	}
	if res := verifyBytes(v, data); res.Verdict != verify.VerdictPassed {
		t.Errorf("verify --out: %s", describe(res))
	}

	// Again, unsigned: the same artifact, a pointer without signer at the flat path.
	dir2 := t.TempDir()
	mustEmit(t, append(in.args(outPath(t)), pushArgs(dir2)...), emit.Env{})
	rel2, p2, _ := findPointer(t, dir2)
	if rel2 != "recipes/evidence/"+h100Example+".yaml" || p2.Attestation().Signer != nil {
		t.Errorf("unsigned pointer at %s with signer %+v", rel2, p2.Attestation().Signer)
	}
	if got := p2.Attestation().Bundle; got.Digest != a.Bundle.Digest || got.OCI != a.Bundle.OCI {
		t.Errorf("second push %s@%s, first %s@%s: not reproducible", got.OCI, got.Digest, a.Bundle.OCI, a.Bundle.Digest)
	}
	if name.Tag != oci.EvidenceTag(h100Example, mustPredicate(t, files).Manifest.Digest) {
		t.Errorf("tag %q", name.Tag)
	}
	// The referrer pushed first is still there: the unsigned pointer's
	// artifact verifies as signed by the first run's signature.
	if res := verifySource(t, v, filepath.Join(dir2, filepath.FromSlash(rel2)), rel2); res.Verdict != verify.VerdictPassed {
		t.Errorf("verify the second pointer: %s", describe(res))
	}
}

func mustPredicate(t testing.TB, files map[string][]byte) schema.Predicate {
	t.Helper()
	_, p := predicateOf(t, files)
	return p
}

// TestPushShapesAreAICRs: what emit --push writes has exactly the shapes
// AICR's code wrote in the shipped registry layout and pointer files: the
// pointer (keys, value forms, schemaVersion, predicate type, tag form), the
// artifact manifest (media and artifact types, config, layer media type and
// annotations, manifest annotations and their deterministic values), the
// layer (its tar entries: names, types, modes, in order), the signature
// referrer (types, layer, subject, annotations) and the referrers tag index.
// The unsigned push's pointer has cli-publish-nosign's shape (no signer).
func TestPushShapesAreAICRs(t *testing.T) {
	ocitest.Start(t, registryAddr)
	ts := newTestSigstore(t, sigstoretest.Options{})
	in := copyInputs(t, h100Example)
	dir := t.TempDir()
	mustEmit(t, append(append(in.args(outPath(t)), ts.signArgs()...), pushArgs(dir)...), emit.Env{})
	_, ours, ourRaw := findPointer(t, dir)
	dirNS := t.TempDir()
	in2 := copyInputs(t, h100Example)
	mustEmit(t, append(in2.args(outPath(t), "--attested-at", "2026-11-21T09:58:00Z"), pushArgs(dirNS)...), emit.Env{})
	_, oursNS, ourNSRaw := findPointer(t, dirNS)

	up := testutil.SharedTestdata(t, "aicr-upstream-bundles")
	theirRaw := readFile(t, filepath.Join(up, "bundles", "v1-eks-signed-pushed", "pointer.yaml"))
	theirNSRaw := readFile(t, filepath.Join(up, "bundles", "cli-publish-nosign", "pointer.yaml"))
	theirs, err := pointer.Parse(theirRaw)
	if err != nil {
		t.Fatal(err)
	}

	// Pointer: the same keys at every level, the same value forms.
	for _, c := range []struct {
		what        string
		ours, their []byte
	}{{"signed", ourRaw, theirRaw}, {"unsigned", ourNSRaw, theirNSRaw}} {
		if o, th := yamlShape(t, c.ours), yamlShape(t, c.their); !reflect.DeepEqual(o, th) {
			t.Errorf("%s pointer shape:\n ours  %v\n AICR's %v", c.what, o, th)
		}
		// AICR marshals deterministically; ours re-marshals to its own bytes.
		p, _ := pointer.Parse(c.ours)
		if b, _ := p.Marshal(); !bytes.Equal(b, c.ours) {
			t.Errorf("%s pointer is not in AICR's deterministic form:\n%s\nre-marshalled:\n%s", c.what, c.ours, b)
		}
	}
	tagRE := regexp.MustCompile(`^` + regexp.QuoteMeta(registryAddr+"/"+pushRepo+":") + `([a-z0-9._-]+)-([0-9a-f]{12})$`)
	for _, p := range []*pointer.File{ours, oursNS, theirs} {
		a := p.Attestation()
		m := tagRE.FindStringSubmatch(a.Bundle.OCI)
		if m == nil || m[1] != p.Recipe {
			t.Errorf("bundle.oci %q is not <registry>/<repo>:<recipe>-<12 hex>", a.Bundle.OCI)
		}
		if p.SchemaVersion != theirs.SchemaVersion || a.Bundle.PredicateType != theirs.Attestation().Bundle.PredicateType {
			t.Errorf("schemaVersion %q predicateType %q, AICR's %q %q", p.SchemaVersion, a.Bundle.PredicateType, theirs.SchemaVersion, theirs.Attestation().Bundle.PredicateType)
		}
	}

	// Artifact manifest.
	a := ours.Attestation()
	// By digest: the unsigned push (same files, another attestedAt) has
	// the same tag, AICR's rule, since manifest.json lists the same files.
	ourManDesc, ourManRaw := fetchManifest(t, a.Bundle.Digest)
	if oursNS.Attestation().Bundle.OCI != a.Bundle.OCI || oursNS.Attestation().Bundle.Digest == a.Bundle.Digest {
		t.Errorf("unsigned push with another attestedAt: %s@%s, signed %s@%s", oursNS.Attestation().Bundle.OCI, oursNS.Attestation().Bundle.Digest, a.Bundle.OCI, a.Bundle.Digest)
	}
	var ourMan ocispec.Manifest
	if err := json.Unmarshal(ourManRaw, &ourMan); err != nil {
		t.Fatal(err)
	}
	theirMan, theirManRaw := layoutManifest(t, theirs.Attestation().Bundle.Digest)
	if o, th := jsonShape(t, ourManRaw), jsonShape(t, theirManRaw); !reflect.DeepEqual(o, th) {
		t.Errorf("artifact manifest shape:\n ours  %v\n AICR's %v", o, th)
	}
	if ourMan.MediaType != theirMan.MediaType || ourMan.ArtifactType != theirMan.ArtifactType || !reflect.DeepEqual(ourMan.Config, theirMan.Config) {
		t.Errorf("artifact manifest %s / %s / config %+v, AICR's %s / %s / %+v", ourMan.MediaType, ourMan.ArtifactType, ourMan.Config, theirMan.MediaType, theirMan.ArtifactType, theirMan.Config)
	}
	for k, v := range theirMan.Annotations {
		if k == ocispec.AnnotationVersion { // the tooling's version
			continue
		}
		if ourMan.Annotations[k] != v {
			t.Errorf("artifact annotation %s = %q, AICR's %q", k, ourMan.Annotations[k], v)
		}
	}
	ol, tl := ourMan.Layers[0], theirMan.Layers[0]
	if ol.MediaType != tl.MediaType || ol.Annotations[ocispec.AnnotationTitle] != tl.Annotations[ocispec.AnnotationTitle] ||
		ol.Annotations["io.deis.oras.content.unpack"] != tl.Annotations["io.deis.oras.content.unpack"] || len(ol.Annotations) != len(tl.Annotations) {
		t.Errorf("layer %s %v, AICR's %s %v", ol.MediaType, ol.Annotations, tl.MediaType, tl.Annotations)
	}
	// Layer: the same entries (names, types, modes, order).
	ourLayer := fetchBlob(t, ol)
	if o, th := tarEntries(t, ourLayer), tarEntries(t, readLayoutBlob(t, tl.Digest.String())); !reflect.DeepEqual(o, th) {
		t.Errorf("layer entries:\n ours  %v\n AICR's %v", o, th)
	}

	// Referrer and referrers tag index.
	idxDesc, idxRaw := fetchManifest(t, "sha256-"+strings.TrimPrefix(a.Bundle.Digest, "sha256:"))
	theirIdx := readLayoutBlob(t, layoutTag(t, "sha256-"+strings.TrimPrefix(theirs.Attestation().Bundle.Digest, "sha256:")))
	if o, th := jsonShape(t, idxRaw), jsonShape(t, theirIdx); !reflect.DeepEqual(o, th) {
		t.Errorf("referrers tag index %s shape:\n ours  %v\n AICR's %v", idxDesc.Digest, o, th)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(idxRaw, &idx); err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("referrers index %s: %v", idxRaw, err)
	}
	ref, refRaw := fetchManifest(t, idx.Manifests[0].Digest.String())
	var theirRef ocispec.Manifest
	theirRefRaw := readLayoutBlob(t, layoutTag(t, "e51b08d5856fe0ef3df50d228719e3e594ac1519ed539492ad4f602bc87b2f62"))
	if err := json.Unmarshal(theirRefRaw, &theirRef); err != nil {
		t.Fatal(err)
	}
	var ourRef ocispec.Manifest
	if err := json.Unmarshal(refRaw, &ourRef); err != nil {
		t.Fatal(err)
	}
	if o, th := jsonShape(t, refRaw), jsonShape(t, theirRefRaw); !reflect.DeepEqual(o, th) {
		t.Errorf("referrer %s shape:\n ours  %v\n AICR's %v", ref.Digest, o, th)
	}
	if ourRef.ArtifactType != theirRef.ArtifactType || ourRef.Layers[0].MediaType != theirRef.Layers[0].MediaType ||
		!reflect.DeepEqual(ourRef.Layers[0].Annotations, theirRef.Layers[0].Annotations) || !reflect.DeepEqual(ourRef.Annotations, theirRef.Annotations) ||
		!reflect.DeepEqual(ourRef.Config, theirRef.Config) {
		t.Errorf("referrer:\n%s\nAICR's:\n%s", refRaw, theirRefRaw)
	}
	if ourRef.Subject == nil || ourRef.Subject.Digest.String() != a.Bundle.Digest || ourRef.Subject.MediaType != ocispec.MediaTypeImageManifest || ourRef.Subject.Size != ourManDesc.Size {
		t.Errorf("referrer subject %+v, want the artifact %s", ourRef.Subject, a.Bundle.Digest)
	}
	// AICR tags the referrer with its own digest's hex.
	if d, _ := fetchManifest(t, ref.Digest.Encoded()); d.Digest != ref.Digest {
		t.Errorf("referrer not tagged with its hex digest")
	}
}

// yamlShape is the set of key paths of a YAML document with the form of
// each scalar (digest, rfc3339, url, int, text), sorted.
func yamlShape(t testing.TB, b []byte) []string {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return shape(v)
}

func jsonShape(t testing.TB, b []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return shape(v)
}

var (
	digestForm = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	timeForm   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
)

func shape(v any) []string {
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(prefix+"/"+k, c)
			}
		case []any:
			for _, c := range x {
				walk(prefix+"[]", c)
			}
		case string:
			form := "text"
			switch {
			case digestForm.MatchString(x):
				form = "digest"
			case timeForm.MatchString(x):
				form = "time"
			case strings.HasPrefix(x, "https://"):
				form = "url"
			}
			out = append(out, prefix+"="+form)
		default:
			out = append(out, fmt.Sprintf("%s=%T", prefix, v))
		}
	}
	walk("", v)
	sort.Strings(out)
	return out
}

func repository(t testing.TB) *remote.Repository {
	t.Helper()
	r, err := remote.NewRepository(registryAddr + "/" + pushRepo)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	return r
}

func fetchManifest(t testing.TB, ref string) (ocispec.Descriptor, []byte) {
	t.Helper()
	desc, rc, err := repository(t).FetchReference(context.Background(), ref)
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

func fetchBlob(t testing.TB, d ocispec.Descriptor) []byte {
	t.Helper()
	rc, err := repository(t).Blobs().Fetch(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func layoutManifest(t testing.TB, d string) (ocispec.Manifest, []byte) {
	t.Helper()
	b := readLayoutBlob(t, d)
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m, b
}

func readLayoutBlob(t testing.TB, d string) []byte {
	t.Helper()
	return readFile(t, filepath.Join(testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence"), "blobs", "sha256", strings.TrimPrefix(d, "sha256:")))
}

// layoutTag returns the digest the upstream layout's index tags tag.
func layoutTag(t testing.TB, tag string) string {
	t.Helper()
	var idx ocispec.Index
	if err := json.Unmarshal(readFile(t, filepath.Join(testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence"), "index.json")), &idx); err != nil {
		t.Fatal(err)
	}
	for _, m := range idx.Manifests {
		if m.Annotations[ocispec.AnnotationRefName] == tag {
			return m.Digest.String()
		}
	}
	t.Fatalf("upstream layout has no tag %s", tag)
	return ""
}

// tarEntries lists a tar+gzip layer's entries as "name type mode".
func tarEntries(t testing.TB, layer []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(layer))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %c %o uid%d gid%d mtime%d", h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.ModTime.Unix()))
	}
}

// TestPushFlagErrors: --push takes a repository only (the tag and digest
// come from the bundle), with the oci:// scheme; --plain-http only with
// --push, and a push over plain HTTP only to a loopback registry. Each is
// refused before anything is read or signed, naming the flag.
func TestPushFlagErrors(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--push", "oci://ghcr.io/org/e:mytag"}, "without a tag or digest"},
		{[]string{"--push", "oci://ghcr.io/org/e@sha256:" + h}, "without a tag or digest"},
		{[]string{"--push", "ghcr.io/org/e"}, "oci://<registry>/<repository>"},
		{[]string{"--push", "oci://ghcr.io"}, "oci://<registry>/<repository>"},
		{[]string{"--push", "oci://ghcr.io/Org/E"}, "--push"},
		{[]string{"--plain-http"}, "--plain-http is for --push"},
	} {
		_, err := emit.Parse(append([]string{"--recipe", "r.yaml", "--results", "ctrf"}, c.args...), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), strings.TrimPrefix(c.args[0], "--")) {
			t.Errorf("%q: %v, want an error with %q", c.args, err, c.want)
		}
	}
	_, err := emit.Parse([]string{"--recipe", "r.yaml", "--results", "ctrf", "--push", "oci://registry.example.com/e", "--plain-http"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("--plain-http to a remote registry: %v", err)
	}
}

// TestPushAICRIdentity: AICR's verifier derives the recipe name from the
// criteria and rejects any other, so --push refuses another name before
// anything is read or pushed; a profiled recipe (which needs AICR's v2
// predicate, not written here) is pushed with a warning that says so. An
// unreachable registry is a one-line error naming the registry, and nothing
// is written.
func TestPushAICRIdentity(t *testing.T) {
	dead := "127.0.0.1:1" // nothing listens on port 1
	in := copyInputs(t, h100Example)
	out := outPath(t)
	args := append(dropFlags(in.args(out), "--recipe-name"), "--recipe-name", "my-h100-recipe",
		"--push", oci.Scheme+dead+"/e", "--plain-http", "--pointer-dir", t.TempDir())
	res := runEmit(t, args, emit.Env{})
	assertOneLine(t, res.err, "AICR's verifier names this recipe h100-eks-ubuntu-training", "my-h100-recipe", "--recipe-name")
	assertNothingWritten(t, out)

	out2 := outPath(t)
	pdir := t.TempDir()
	res = runEmit(t, append(aicrInputs(t, "recipe-h100-aks-ubuntu-training.yaml", "snapshot-aks-h100.yaml", out2),
		"--push", oci.Scheme+dead+"/e", "--plain-http", "--pointer-dir", pdir), emit.Env{})
	if !strings.Contains(res.stderr, "selected profile: AICR's own verifier expects its v2 predicate") {
		t.Errorf("no warning about the profile:\n%s", res.stderr)
	}
	assertOneLine(t, res.err, "--push", dead)
	assertNothingWritten(t, out2)
	if entries, _ := os.ReadDir(pdir); len(entries) != 0 {
		t.Errorf("a pointer was written after a failed push: %v", entries)
	}
}
