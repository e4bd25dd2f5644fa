package emit_test

// Adversarial review (R2) of what `emit --push` publishes in AICR's form:
// the layer bytes, the manifest and its annotations, the pointer file and
// the progress a user pastes. Each test asserts the CORRECT behaviour; a
// test that fails names a gap. The registry here is a recording (and, where
// a test says so, lying or redirecting) OCI distribution endpoint on
// loopback: it keeps every byte emit sends, which is what leaves the
// machine.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
)

// recordingRegistry is a minimal OCI distribution registry that keeps
// every blob and manifest pushed. lieDigest, when set, is the
// Docker-Content-Digest it answers a manifest PUT with; redirectManifest,
// when set, is where it redirects a manifest PUT (307).
type recordingRegistry struct {
	mu               sync.Mutex
	blobs            map[string][]byte
	manifests        map[string][]byte // by reference (tag or digest)
	lieDigest        string
	redirectManifest string
	srv              *httptest.Server
}

func newRecordingRegistry(t *testing.T) *recordingRegistry {
	t.Helper()
	r := &recordingRegistry{blobs: map[string][]byte{}, manifests: map[string][]byte{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// host is the registry's loopback host:port.
func (r *recordingRegistry) host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

func (r *recordingRegistry) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := req.URL.Path
	switch {
	case p == "/v2/" || p == "/v2":
		w.WriteHeader(http.StatusOK)
	case strings.Contains(p, "/blobs/uploads/") && req.Method == http.MethodPost:
		w.Header().Set("Location", strings.SplitAfter(p, "/blobs/uploads/")[0]+"u1")
		w.WriteHeader(http.StatusAccepted)
	case strings.Contains(p, "/blobs/uploads/") && req.Method == http.MethodPut:
		b, _ := io.ReadAll(req.Body)
		d := req.URL.Query().Get("digest")
		r.blobs[d] = b
		w.Header().Set("Docker-Content-Digest", d)
		w.WriteHeader(http.StatusCreated)
	case strings.Contains(p, "/blobs/"):
		d := p[strings.LastIndex(p, "/")+1:]
		b, ok := r.blobs[d]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Header().Set("Docker-Content-Digest", d)
		w.WriteHeader(http.StatusOK)
		if req.Method == http.MethodGet {
			_, _ = w.Write(b)
		}
	case strings.Contains(p, "/manifests/") && req.Method == http.MethodPut:
		if r.redirectManifest != "" {
			http.Redirect(w, req, r.redirectManifest+p, http.StatusTemporaryRedirect)
			return
		}
		b, _ := io.ReadAll(req.Body)
		ref := p[strings.LastIndex(p, "/")+1:]
		sum := sha256.Sum256(b)
		d := "sha256:" + hex.EncodeToString(sum[:])
		r.manifests[ref], r.manifests[d] = b, b
		if r.lieDigest != "" {
			d = r.lieDigest
		}
		w.Header().Set("Docker-Content-Digest", d)
		w.WriteHeader(http.StatusCreated)
	case strings.Contains(p, "/manifests/"):
		ref := p[strings.LastIndex(p, "/")+1:]
		b, ok := r.manifests[ref]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		sum := sha256.Sum256(b)
		var m struct {
			MediaType string `json:"mediaType"`
		}
		_ = json.Unmarshal(b, &m)
		w.Header().Set("Content-Type", m.MediaType)
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Header().Set("Docker-Content-Digest", "sha256:"+hex.EncodeToString(sum[:]))
		w.WriteHeader(http.StatusOK)
		if req.Method == http.MethodGet {
			_, _ = w.Write(b)
		}
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// everything is every byte pushed, concatenated.
func (r *recordingRegistry) everything() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []byte
	for _, b := range r.blobs {
		all = append(all, b...)
	}
	for _, b := range r.manifests {
		all = append(all, b...)
	}
	return all
}

// artifactManifest returns the one pushed artifact manifest (by its tag)
// and its layer bytes.
func (r *recordingRegistry) artifactManifest(t *testing.T) (ocispec.Manifest, []byte, []byte) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for ref, b := range r.manifests {
		if strings.HasPrefix(ref, "sha256:") {
			continue
		}
		var m ocispec.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.ArtifactType != oci.ArtifactTypeEvidence || len(m.Layers) != 1 {
			continue
		}
		return m, b, r.blobs[m.Layers[0].Digest.String()]
	}
	t.Fatalf("no artifact manifest pushed (%d manifests)", len(r.manifests))
	return ocispec.Manifest{}, nil, nil
}

// fakePushArgs push to r over plain HTTP, the pointer under dir.
func fakePushArgs(r *recordingRegistry, dir string) []string {
	return []string{"--push", oci.Scheme + r.host() + "/evidence", "--plain-http", "--pointer-dir", dir}
}

// localNeedles are strings of this machine and run that must never leave
// it: the user's name and home, the host name, the working and temporary
// folders.
func localNeedles(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	// A generic account name (root, runner, ubuntu) is a word the published
	// documents hold anyway ("trusted_root", "runnerEnvironment"), not a leak.
	if u, err := user.Current(); err == nil && len(u.Username) >= 5 && !slices.Contains([]string{"runner", "ubuntu", "admin", "builder"}, u.Username) {
		out = append(out, u.Username)
	}
	if h, err := os.UserHomeDir(); err == nil && len(h) > 1 {
		out = append(out, h)
	}
	if h, err := os.Hostname(); err == nil && len(h) >= 3 {
		out = append(out, h)
	}
	if wd, err := os.Getwd(); err == nil {
		out = append(out, wd)
	}
	return append(out, dirs...)
}

// TestPublishAttackNothingLocalLeavesTheMachine: defence check — the pushed
// layer (tar headers: owner, group, names, times, modes), the manifest and
// its annotations, the pointer file and the progress output carry nothing
// of the machine or the run: no user or host name, no local path, no wall
// clock time; a private host in --aicr-version (which becomes the version
// annotation) is scrubbed under minimal redaction.
func TestPublishAttackNothingLocalLeavesTheMachine(t *testing.T) {
	r := newRecordingRegistry(t)
	in := copyInputs(t, h100Example)
	dir := t.TempDir()
	out := outPath(t)
	args := append(dropFlags(in.args(out), "--aicr-version"), "--aicr-version", "v0.18.0+build.ip-10-0-12-34.ec2.internal")
	_, stderr := mustEmit(t, append(args, fakePushArgs(r, dir)...), emit.Env{})

	m, mb, layer := r.artifactManifest(t)
	want := oci.ArtifactAnnotations("https://aicr.run/recipe-evidence/v1", "")
	for k, v := range m.Annotations {
		if k == ocispec.AnnotationVersion {
			if strings.Contains(v, "ip-10-0-12-34") || strings.Contains(v, "ec2.internal") {
				t.Errorf("LEAK version annotation %q holds the build host", v)
			}
			continue
		}
		if w, ok := want[k]; !ok || w != v {
			t.Errorf("annotation %s=%q is not one of AICR's fixed annotations", k, v)
		}
	}
	if len(m.Annotations) != len(want) {
		t.Errorf("annotations %v, want exactly AICR's %d", m.Annotations, len(want))
	}
	if m.Layers[0].Annotations[ocispec.AnnotationTitle] != "." {
		t.Errorf("layer title %q, want \".\"", m.Layers[0].Annotations[ocispec.AnnotationTitle])
	}

	zr, err := gzip.NewReader(bytes.NewReader(layer))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || zr.Comment != "" || !zr.ModTime.IsZero() || len(zr.Extra) != 0 {
		t.Errorf("LEAK gzip header: name %q comment %q mtime %v extra %d", zr.Name, zr.Comment, zr.ModTime, len(zr.Extra))
	}
	tarBytes, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(tarBytes))
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(time.Unix(0, 0)) && !h.ModTime.IsZero() ||
			!h.AccessTime.IsZero() || !h.ChangeTime.IsZero() || len(h.PAXRecords) != 0 { // xattrs are PAX records
			t.Errorf("LEAK layer tar header %s: uid %d gid %d uname %q gname %q mtime %v pax %v", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime, h.PAXRecords)
		}
		if mode := h.FileInfo().Mode(); (h.Typeflag == tar.TypeReg && mode.Perm() != 0o600) || (h.Typeflag == tar.TypeDir && mode.Perm() != 0o755) ||
			(h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeDir) {
			t.Errorf("layer entry %s: type %c mode %v, want files 0600 and folders 0755 only", h.Name, h.Typeflag, mode)
		}
		if strings.HasPrefix(h.Name, "/") || strings.Contains(h.Name, "..") {
			t.Errorf("layer entry %q is not a clean relative path", h.Name)
		}
	}
	if n == 0 {
		t.Fatal("empty layer")
	}

	_, _, ptr := findPointer(t, dir)
	pushed := append(append(r.everything(), mb...), tarBytes...)
	for _, s := range localNeedles(t, dir, in.dir, filepath.Dir(out)) {
		for what, b := range map[string][]byte{"the registry": pushed, "the pointer": ptr, "progress": []byte(stderr)} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("LEAK %q (of this machine or run) in %s", s, what)
			}
		}
	}
	if now := time.Now().UTC().Format("2006-01-02T15"); bytes.Contains(pushed, []byte(now)) || bytes.Contains(ptr, []byte(now)) {
		t.Errorf("LEAK the wall-clock time %s was published (attestedAt is fixed by --attested-at)", now)
	}
}

// TestPublishAttackLyingRegistryDigest: a registry that answers the
// manifest push with another digest must not make emit pin that digest in
// the pointer (or sign it): either emit fails, or the pointer names the
// digest of the manifest bytes actually sent.
func TestPublishAttackLyingRegistryDigest(t *testing.T) {
	r := newRecordingRegistry(t)
	r.lieDigest = "sha256:" + strings.Repeat("ab", 32)
	in := copyInputs(t, h100Example)
	dir := t.TempDir()
	res := runEmit(t, append(in.args(outPath(t)), fakePushArgs(r, dir)...), emit.Env{})
	if res.err != nil {
		assertOneLine(t, res.err, "--push")
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("a pointer was written after the push failed: %v", entries)
		}
		return
	}
	_, p, raw := findPointer(t, dir)
	_, mb, _ := r.artifactManifest(t)
	sum := sha256.Sum256(mb)
	if got, want := p.Attestation().Bundle.Digest, "sha256:"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("pointer pins %s, the manifest sent is %s (the registry's claim was trusted):\n%s", got, want, raw)
	}
}

// TestPublishAttackRedirectOffLoopback: defence check — a loopback
// plain-HTTP registry that redirects the manifest push to a remote host
// over plain HTTP is not followed; emit fails with one line and writes no
// pointer.
func TestPublishAttackRedirectOffLoopback(t *testing.T) {
	r := newRecordingRegistry(t)
	r.redirectManifest = "http://203.0.113.7" // TEST-NET-3: never dialled if refused
	in := copyInputs(t, h100Example)
	dir := t.TempDir()
	out := outPath(t)
	res := runEmit(t, append(in.args(out), fakePushArgs(r, dir)...), emit.Env{})
	if res.err == nil {
		t.Fatal("emit followed a redirect off loopback over plain HTTP")
	}
	assertOneLine(t, res.err, "--push")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a pointer was written after the push failed: %v", entries)
	}
	assertNothingWritten(t, out)
}

// TestPublishAttackPointerDirSymlink: the pointer dir is a checkout of the
// recipes repository, which anyone can fill with symlinks through a PR
// ("recipes" → somewhere else on the machine). emit must not write the
// pointer through a symlink outside --pointer-dir.
func TestPublishAttackPointerDirSymlink(t *testing.T) {
	r := newRecordingRegistry(t)
	in := copyInputs(t, h100Example)
	dir, elsewhere := t.TempDir(), t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(dir, "recipes")); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	res := runEmit(t, append(in.args(outPath(t)), fakePushArgs(r, dir)...), emit.Env{})
	var written []string
	_ = filepath.WalkDir(elsewhere, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			written = append(written, p)
		}
		return nil
	})
	if len(written) > 0 {
		t.Errorf("LEAK the pointer was written through the symlink %s/recipes, outside --pointer-dir: %v (emit err %v)", dir, written, res.err)
	}
}

// TestPublishAttackCriteriaName: a recipe without metadata.name is named by
// AICR's rule from its criteria, which the recipe's author controls. A name
// that would be a path (separators, ".."), not ASCII, upper case or too
// long never becomes a tag, subject or pointer path: emit refuses before
// anything is pushed, and the pointer dir stays empty.
func TestPublishAttackCriteriaName(t *testing.T) {
	for name, accel := range map[string]string{
		"separator": "h100/../../../../tmp/x",
		"dotdot":    "..",
		"unicode":   "h100\u200b",
		"upper":     "H100",
		"long":      strings.Repeat("h", 130),
		"newline":   "'h100\\nrecipes/evidence/evil'",
	} {
		t.Run(name, func(t *testing.T) {
			r := newRecordingRegistry(t)
			in := copyInputs(t, h100Example)
			recipe := strings.Replace(string(readFile(t, in.recipe)), "  accelerator: h100\n", "  accelerator: "+quoteIfNeeded(accel)+"\n", 1)
			writeFile(t, in.recipe, []byte(recipe))
			dir, out := t.TempDir(), outPath(t)
			res := runEmit(t, append(dropFlags(in.args(out), "--recipe-name"), fakePushArgs(r, dir)...), emit.Env{})
			if res.err == nil {
				t.Fatalf("emit accepted criteria accelerator %q as part of a recipe name", accel)
			}
			if strings.Contains(res.err.Error(), "\n") {
				t.Errorf("error is not one line: %q", res.err)
			}
			if len(r.everything()) != 0 {
				t.Error("something was pushed before the name was refused")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("pointer dir written: %v", entries)
			}
			assertNothingWritten(t, out)
		})
	}
}

// quoteIfNeeded double-quotes a YAML scalar unless it is already quoted.
func quoteIfNeeded(s string) string {
	if strings.HasPrefix(s, "'") {
		return `"` + strings.Trim(s, "'") + `"`
	}
	return fmt.Sprintf("%q", s)
}

// TestPublishAttackPrivateDomainInRecipeName: the recipe name is published
// as the subject name, the tag and the pointer path, and is never
// redacted. A contributor who declares acme-corp.com private
// (--private-domain) must not see a name in that domain published: emit
// refuses it, as it refuses a name the scrubber would change.
func TestPublishAttackPrivateDomainInRecipeName(t *testing.T) {
	in := copyInputs(t, h100Example)
	out := outPath(t)
	args := append(dropFlags(in.args(out), "--recipe-name"), "--recipe-name", "h100-eks.gpu-lab.acme-corp.com", "--private-domain", "acme-corp.com")
	res := runEmit(t, args, emit.Env{})
	if res.err == nil {
		t.Fatal("LEAK emit published the recipe name h100-eks.gpu-lab.acme-corp.com (subject, tag, pointer path) although acme-corp.com is declared private")
	}
	if strings.Contains(res.err.Error()+res.stderr, "acme-corp") {
		t.Errorf("LEAK the refusal echoes the private domain: %v", res.err)
	}
	assertNothingWritten(t, out)
}

// TestPublishAttackPrivateDomainInRecipeWarns: recipe.yaml is published
// verbatim (the signed subject); emit warns when the scrubber would change
// it. A host in a domain the contributor declared private (--private-domain)
// must be warned about too.
func TestPublishAttackPrivateDomainInRecipeWarns(t *testing.T) {
	in := copyInputs(t, h100Example)
	recipe := strings.Replace(string(readFile(t, in.recipe)), "    source: https://charts.jetstack.io\n", "    source: https://charts.gpu-lab.acme-corp.com\n", 1)
	if !strings.Contains(recipe, "acme-corp") {
		t.Fatal("the example recipe has no cert-manager chart source to replace")
	}
	writeFile(t, in.recipe, []byte(recipe))
	res := runEmit(t, append(in.args(outPath(t)), "--private-domain", "acme-corp.com", "--quiet"), emit.Env{})
	if res.err != nil {
		return // refusing is correct too
	}
	if !strings.Contains(res.stderr, "recipe.yaml is published verbatim") {
		t.Errorf("LEAK recipe.yaml holds a host of the declared private domain and is published without a warning; stderr:\n%s", res.stderr)
	}
}

// TestPublishAttackDotlessNodeNames: the snapshot's label and taint node
// lists tell emit the cluster's node names. A dotless name (dgx-prod-07:
// no domain for clusterDomains, no cloud pattern for the scrubber) that
// also appears elsewhere — the GPU taint's value, a CTRF test name — is
// still a node name and must not be published.
func TestPublishAttackDotlessNodeNames(t *testing.T) {
	o := emitAttack(t, func(in inputs) []string {
		s := string(readFile(t, in.snapshot))
		const anchor = "          instance-types: p5.48xlarge,m6i.2xlarge\n"
		if !strings.Contains(s, anchor) {
			t.Fatal("the example snapshot changed: no instance-types line")
		}
		s = strings.Replace(s, anchor, anchor+
			"      - subtype: taint\n        data:\n"+
			"          nvidia.com/gpu: NoSchedule|dgx-prod-07|dgx-prod-07,dgx-prod-08\n"+
			"      - subtype: label\n        data:\n"+
			"          nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3|dgx-prod-07,dgx-prod-08\n", 1)
		writeFile(t, in.snapshot, []byte(s))
		writeFile(t, filepath.Join(in.results, "deployment.json"), attackCTRF(t, "0.0.0", "v0.18.0", "nccl-allreduce dgx-prod-08 to dgx-prod-07"))
		return nil
	})
	assertAbsent(t, o, true, "dgx-prod-07", "dgx-prod-08")
}

// TestPublishAttackSignedWhatWasPushed: defence check — with keyless
// signing, the Statement signed names exactly the manifest bytes the
// registry received (digest) under the tag pushed, the signature referrer
// pushed has that manifest as its subject, the pointer pins the same
// digest, and progress shows the same reference: what emit shows, signs,
// pushes and points at is one artifact. Nothing of the machine is in the
// signature layer.
func TestPublishAttackSignedWhatWasPushed(t *testing.T) {
	r := newRecordingRegistry(t)
	ts := newTestSigstore(t, sigstoretest.Options{})
	in := copyInputs(t, h100Example)
	dir := t.TempDir()
	data, stderr := mustEmit(t, append(append(in.args(outPath(t)), ts.signArgs()...), fakePushArgs(r, dir)...), emit.Env{})
	_, mb, _ := r.artifactManifest(t)
	sum := sha256.Sum256(mb)
	pushedDigest := "sha256:" + hex.EncodeToString(sum[:])

	_, p, _ := findPointer(t, dir)
	a := p.Attestation()
	if a.Bundle.Digest != pushedDigest {
		t.Errorf("pointer pins %s, the registry received %s", a.Bundle.Digest, pushedDigest)
	}
	if !strings.Contains(stderr, "pushed "+a.Bundle.OCI+"@"+pushedDigest) {
		t.Errorf("progress does not show the artifact pushed (%s@%s):\n%s", a.Bundle.OCI, pushedDigest, stderr)
	}
	files := bundleFiles(t, data)
	var st struct {
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(dssePayload(t, files["attestation.intoto.jsonl"]), &st); err != nil || len(st.Subject) != 1 {
		t.Fatalf("signed statement subject: %v %+v", err, st.Subject)
	}
	if got := "sha256:" + st.Subject[0].Digest["sha256"]; got != pushedDigest || st.Subject[0].Name != a.Bundle.OCI {
		t.Errorf("signed subject %s@%s, pushed %s@%s", st.Subject[0].Name, got, a.Bundle.OCI, pushedDigest)
	}

	// The referrer: subject = the artifact pushed; its one layer the Sigstore bundle.
	r.mu.Lock()
	var referrer *ocispec.Manifest
	for _, b := range r.manifests {
		var m ocispec.Manifest
		if json.Unmarshal(b, &m) == nil && m.Subject != nil && m.ArtifactType != oci.ArtifactTypeEvidence {
			referrer = &m
		}
	}
	r.mu.Unlock()
	if referrer == nil {
		t.Fatal("no signature referrer pushed")
	}
	if referrer.Subject.Digest.String() != pushedDigest {
		t.Errorf("referrer subject %s, artifact %s", referrer.Subject.Digest, pushedDigest)
	}
	for _, s := range localNeedles(t, dir, in.dir) {
		if bytes.Contains(r.everything(), []byte(s)) {
			t.Errorf("LEAK %q (of this machine or run) pushed to the registry", s)
		}
	}
}

// A --pointer-dir that is not a folder fails before anything is pushed
// (the pointer is written last): nothing reaches the registry.
func TestPublishPointerDirMissingFailsBeforePush(t *testing.T) {
	reg := newRecordingRegistry(t)
	in := copyInputs(t, h100Example)
	missing := filepath.Join(t.TempDir(), "no-such-repo")
	args := append(in.args(outPath(t)), "--push", oci.Scheme+reg.host()+"/evidence", "--plain-http", "--pointer-dir", missing)
	res := runEmit(t, args, emit.Env{})
	if res.err == nil || !strings.Contains(res.err.Error(), "--pointer-dir") {
		t.Fatalf("emit with a missing --pointer-dir: %v\n%s", res.err, res.stderr)
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if n := len(reg.blobs) + len(reg.manifests); n != 0 {
		t.Errorf("%d blobs and manifests reached the registry before the error", n)
	}
}
