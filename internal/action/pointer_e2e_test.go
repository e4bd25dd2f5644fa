package action_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/oci/ocitest"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// The shipped AICR pointers name this registry (README of the AICR test data).
const (
	aicrRegistry = "127.0.0.1:5000"
	aicrRecipe   = "h100-eks-ubuntu-training"
	aicrSigned   = "sha256:addd96562f556d03ae587b8397601b879fff3bbc8586970e5b6273ef46db4026"
	aicrNosign   = "sha256:e802fbf7a47996d153365a3cb702bdfa60d708603241cf58f5c8d2bc80d9e2a2"
)

// aicrInputs trust the test Sigstore's signer of the shipped signed bundle,
// through the action's inputs, with the SCT opt-out that instance needs.
func aicrInputs(plainHTTP string) map[string]string {
	return map[string]string{
		"certificate-oidc-issuer":     "https://oidc.fake-sigstore.invalid",
		"certificate-identity-regexp": `^https://github\.com/fake-org/fake-aicr/\.github/workflows/evidence-publish\.yaml@refs/heads/main$`,
		"insecure-ignore-sct":         "true",
		"registry-plain-http":         plainHTTP,
		"report-path":                 "report.json",
	}
}

// aicrPointer reads a shipped pointer file, edited by the replacements
// (old, new, old, new, ...), and returns it with its path in AICR's layout.
func aicrPointer(t *testing.T, bundle string, edits ...string) (string, []byte) {
	t.Helper()
	b, err := os.ReadFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/"+bundle+"/pointer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("pointer of %s has no %q", bundle, edits[i])
		}
		s = strings.ReplaceAll(s, edits[i], edits[i+1])
	}
	p, err := pointer.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return p.Path(), []byte(s)
}

// aicrRun runs the action on a PR of the given files, with the trusted root
// of the AICR test Sigstore pinned on the default branch, and returns the run,
// its sticky comment and its JSON report.
func aicrRun(t *testing.T, number int, files []githubtest.File, inputs map[string]string, unchanged ...githubtest.File) (run, string, comment.Report) {
	t.Helper()
	root, err := os.ReadFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	return aicrRunRoot(t, number, files, inputs, root, unchanged...)
}

// aicrRunRoot is aicrRun with the trusted root given.
func aicrRunRoot(t *testing.T, number int, files []githubtest.File, inputs map[string]string, root []byte, unchanged ...githubtest.File) (run, string, comment.Report) {
	t.Helper()
	srv := newServer(t)
	head := sha(byte('0' + number%10))
	if len(unchanged) > 0 {
		// The head tree: the files the PR changes and those it leaves alone.
		var tree []githubtest.TreeFile
		for _, f := range append(append([]githubtest.File(nil), files...), unchanged...) {
			if f.Status != "removed" {
				tree = append(tree, githubtest.TreeFile{Path: f.Path, Content: f.Content})
			}
		}
		srv.Fake.SetTree(e2eRepo, head, tree)
	}
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: number, HeadSHA: head, BaseSHA: sha('b')}, files)
	r := runAction(t, srv, prEvent(t, srv, number, head, ""), "pull_request", inputs, map[string][]byte{"trusted_root.json": root})
	body := ""
	if cs := stickyComments(srv, number); len(cs) == 1 {
		body = cs[0].Body
	}
	var rep comment.Report
	if p := r.outputs["report-json"]; p != "" {
		b, err := os.ReadFile(filepath.Join(r.workspace, p))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
	}
	return r, body, rep
}

func aicrRecipeFile(t *testing.T) githubtest.File {
	b, err := os.ReadFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/inputs/recipe-"+aicrRecipe+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return githubtest.File{Path: "recipes/" + aicrRecipe + ".yaml", Status: "added", Content: b}
}

// issue 9: a PR in AICR's repository layout — a recipe and the pointer file
// `aicr evidence publish` committed for it — is verified like a bundle: the
// artifact pulled by digest from the registry the pointer names (here the
// shipped OCI layout served on loopback), its signature, signer and
// evidence, the pointer's claims, and the recipe at the PR head.
func TestActionAICRPointer(t *testing.T) {
	layout := testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence")
	ocitest.Start(t, aicrRegistry)
	ocitest.PushLayout(t, layout, aicrRegistry, "aicr-evidence")
	recipe := aicrRecipeFile(t)
	signedPath, signed := aicrPointer(t, "v1-eks-signed-pushed")

	t.Run("signed pointer passes", func(t *testing.T) {
		r, body, rep := aicrRun(t, 41, []githubtest.File{recipe, {Path: signedPath, Status: "added", Content: signed}}, aicrInputs(aicrRegistry))
		if r.code != 0 || r.outputs["verdict"] != "passed" || r.outputs["passed"] != "1" {
			t.Fatalf("exit %d, outputs %v\ncomment:\n%s\nlog:\n%s", r.code, r.outputs, body, r.stdout)
		}
		for _, want := range []string{
			"pointer, source <code>", // the source slug in the summary table
			"<code>" + signedPath + "</code>",
			"sha256&#58;addd96562f55…",  // the pinned artifact, short
			"Rekor log index 101",       // the entry the signature carries
			"no SCT (opt-out)",          // the opt-out shown on the signer
			"insecure-ignore-sct",       // and explained in the details
			"fake-org/fake-aicr</code>", // the signer's repository
			"Pointer file",              // the pointer check ran
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the comment lacks %q:\n%s", want, body)
			}
		}
		if len(rep.Rows) != 1 || rep.Rows[0].PointerPath != signedPath || rep.Rows[0].Pointer == nil || rep.Rows[0].Pointer.Digest != aicrSigned ||
			rep.Rows[0].Pointer.Source != strings.Split(signedPath, "/")[3] || !rep.Rows[0].Result.Signature.SCTIgnored {
			t.Errorf("report rows %+v", rep.Rows)
		}
	})

	t.Run("without the SCT opt-out the same pointer is invalid", func(t *testing.T) {
		in := aicrInputs(aicrRegistry)
		delete(in, "insecure-ignore-sct")
		r, body, _ := aicrRun(t, 42, []githubtest.File{recipe, {Path: signedPath, Status: "added", Content: signed}}, in)
		if r.code != 1 || r.outputs["verdict"] != "invalid" || !strings.Contains(body, "SCT") {
			t.Fatalf("exit %d, outputs %v\ncomment:\n%s", r.code, r.outputs, body)
		}
	})

	t.Run("an edited pointer breaks the add-only rule", func(t *testing.T) {
		r, body, rep := aicrRun(t, 43, []githubtest.File{{Path: signedPath, Status: "modified", Content: signed}}, aicrInputs(aicrRegistry), recipe)
		if r.code != 1 || r.outputs["verdict"] != "invalid" {
			t.Fatalf("exit %d, outputs %v\ncomment:\n%s\nlog:\n%s", r.code, r.outputs, body, r.stdout)
		}
		if !strings.Contains(body, "pointer files are add-only&#58; this PR edits") || len(rep.Rows) != 1 || rep.Rows[0].AddOnly == "" {
			t.Errorf("the add-only violation is not named:\n%s", body)
		}
		// Its content is still verified: the pointer check passed.
		if res := rep.Rows[0].Result; res == nil || !res.Signature.Verified {
			t.Errorf("the edited pointer was not verified: %+v", rep.Rows[0])
		}
	})

	t.Run("a deleted pointer breaks the add-only rule", func(t *testing.T) {
		r, body, _ := aicrRun(t, 44, []githubtest.File{{Path: signedPath, Status: "removed", Content: signed}}, aicrInputs(aicrRegistry), recipe)
		if r.code != 1 || r.outputs["verdict"] != "invalid" || !strings.Contains(body, "pointer files are add-only&#58; this PR deletes") {
			t.Fatalf("exit %d, outputs %v\ncomment:\n%s", r.code, r.outputs, body)
		}
	})

	t.Run("a pointer whose digest was changed is invalid", func(t *testing.T) {
		// At the path its new digest names, so that only the artifact can
		// give it away: the unsigned one, while the pointer names a signer.
		p, b := aicrPointer(t, "v1-eks-signed-pushed", aicrSigned, aicrNosign)
		r, body, _ := aicrRun(t, 45, []githubtest.File{recipe, {Path: p, Status: "added", Content: b}}, aicrInputs(aicrRegistry))
		if r.code != 1 || r.outputs["verdict"] != "invalid" {
			t.Fatalf("exit %d, outputs %v\ncomment:\n%s", r.code, r.outputs, body)
		}
	})

	t.Run("a pointer for a recipe the PR head lacks is an orphan", func(t *testing.T) {
		r, body, _ := aicrRun(t, 46, []githubtest.File{{Path: signedPath, Status: "added", Content: signed}}, aicrInputs(aicrRegistry))
		if r.code != 1 || r.outputs["verdict"] != "invalid" || !strings.Contains(body, `no recipe named`) {
			t.Fatalf("exit %d, outputs %v\ncomment:\n%s", r.code, r.outputs, body)
		}
	})

	t.Run("the unsigned pushed pointer is invalid under verify", func(t *testing.T) {
		p, b := aicrPointer(t, "cli-publish-nosign")
		r, body, _ := aicrRun(t, 47, []githubtest.File{recipe, {Path: p, Status: "added", Content: b}}, aicrInputs(aicrRegistry))
		if p != "recipes/evidence/"+aicrRecipe+".yaml" || r.code != 1 || r.outputs["verdict"] != "invalid" || !strings.Contains(body, "unsigned") {
			t.Fatalf("%s: exit %d, outputs %v\ncomment:\n%s", p, r.code, r.outputs, body)
		}
	})

	t.Run("a pending pointer is no evidence yet", func(t *testing.T) {
		p, b := aicrPointer(t, "v1-eks-minimal")
		files := []githubtest.File{recipe, {Path: p, Status: "added", Content: b}}
		r, body, rep := aicrRun(t, 48, files, aicrInputs(aicrRegistry))
		if r.code != 0 || r.outputs["verdict"] != "passed" || r.outputs["missing"] != "1" || r.outputs["errors"] != "0" ||
			!strings.Contains(body, "📭 pending") || len(rep.Rows) != 1 || rep.Rows[0].Outcome != comment.OutcomePending {
			t.Fatalf("exit %d, outputs %v\ncomment:\n%s", r.code, r.outputs, body)
		}
		in := aicrInputs(aicrRegistry)
		in["fail-on"] = "missing"
		if r, _, _ := aicrRun(t, 49, files, in); r.code != 1 {
			t.Fatalf("fail-on missing: exit %d", r.code)
		}
	})

	t.Run("a pointer in another recipe's folder is invalid", func(t *testing.T) {
		other := githubtest.File{Path: "recipes/h100-eks-ubuntu-inference.yaml", Status: "added", Content: recipe.Content}
		moved := strings.Replace(signedPath, "/"+aicrRecipe+"/", "/h100-eks-ubuntu-inference/", 1)
		r, body, rep := aicrRun(t, 54, []githubtest.File{other, {Path: moved, Status: "added", Content: signed}}, aicrInputs(aicrRegistry))
		if r.code != 1 || r.outputs["verdict"] != "invalid" || len(rep.Rows) != 1 || rep.Rows[0].Recipe != "h100-eks-ubuntu-inference" ||
			!strings.Contains(body, "recipe segment") {
			t.Fatalf("exit %d, outputs %v\ncomment:\n%s", r.code, r.outputs, body)
		}
	})

	// Two labs that ran the recipe each on their own cluster, signed by
	// two accounts: two signers, two pieces of evidence that share no
	// artifact, manifest or CTRF digest — corroboration.
	t.Run("two labs' distinct evidence corroborates", func(t *testing.T) {
		lab := emitLabPointer(t)
		in := aicrInputs(aicrRegistry)
		in["certificate-oidc-issuer"] += "\n" + sigstoretest.GitHubIssuer
		in["certificate-identity-regexp"] += "\n^" + regexp.QuoteMeta(lab.identity) + "$"
		files := []githubtest.File{recipe, {Path: signedPath, Status: "added", Content: signed}, {Path: lab.path, Status: "added", Content: lab.body}}
		r, body, rep := aicrRunRoot(t, 56, files, in, lab.root)
		if r.code != 0 || r.outputs["verdict"] != "passed" || r.outputs["passed"] != "2" || len(rep.Rows) != 2 {
			t.Fatalf("exit %d, outputs %v\ncomment:\n%s\nlog:\n%s", r.code, r.outputs, body, r.stdout)
		}
		// Genuinely distinct: other artifacts, no manifest or CTRF digest in common.
		seen := map[string]string{}
		for _, row := range rep.Rows {
			if row.Verdict != "passed" || row.Recipe != aicrRecipe || row.Pointer == nil || row.Result == nil || row.Result.Predicate == nil ||
				len(row.Result.Predicate.EvidenceDigests) == 0 {
				t.Fatalf("row %s: verdict %s, %s", row.PointerPath, row.Verdict, row.Detail)
			}
			for _, d := range append([]string{row.Pointer.Digest}, row.Result.Predicate.EvidenceDigests...) {
				if other, ok := seen[d]; ok && other != row.PointerPath {
					t.Errorf("%s and %s share %s", other, row.PointerPath, d)
				}
				seen[d] = row.PointerPath
			}
		}
		if strings.Count(body, "👥 2 independent signers") != 2 || len(rep.Corroboration) != 1 ||
			rep.Corroboration[0].Recipe != aicrRecipe || rep.Corroboration[0].Signers != 2 {
			t.Errorf("corroboration %+v\n%s", rep.Corroboration, body)
		}
	})

	// Last: it adds a signature referrer to the registry. A second account
	// that signs the artifact another lab pushed vouches for the same
	// evidence: both rows pass, but that is one piece of evidence, not two.
	t.Run("a re-sign of the same artifact does not corroborate", func(t *testing.T) {
		second, root, identity := secondSigner(t, layout)
		in := aicrInputs(aicrRegistry)
		in["certificate-oidc-issuer"] += "\n" + sigstoretest.GitHubIssuer
		in["certificate-identity-regexp"] += "\n^" + regexp.QuoteMeta(identity) + "$"
		files := []githubtest.File{recipe, {Path: signedPath, Status: "added", Content: signed}, {Path: second.path, Status: "added", Content: second.body}}
		r, body, rep := aicrRunRoot(t, 50, files, in, root)
		if r.code != 0 || r.outputs["verdict"] != "passed" || r.outputs["passed"] != "2" || len(rep.Rows) != 2 {
			t.Fatalf("exit %d, outputs %v\ncomment:\n%s\nlog:\n%s", r.code, r.outputs, body, r.stdout)
		}
		for _, row := range rep.Rows {
			if row.Verdict != "passed" || row.Result == nil || !row.Result.Signature.Verified {
				t.Errorf("row %s: verdict %s, %s", row.PointerPath, row.Verdict, row.Detail)
			}
		}
		if strings.Contains(body, "independent signers") || len(rep.Corroboration) != 0 {
			t.Errorf("a re-sign counted as corroboration: %+v\n%s", rep.Corroboration, body)
		}
	})
}

type pointerFile struct {
	path string
	body []byte
}

// secondSigner signs the statement of the shipped signed artifact again,
// with a second test Sigstore and another identity, pushes that signature
// as a second referrer of the artifact, and returns that signer's pointer,
// a trusted root holding both instances, and the second identity.
func secondSigner(t *testing.T, layout string) (pointerFile, []byte, string) {
	t.Helper()
	ctx := t.Context()
	blob := func(d string) []byte {
		b, err := os.ReadFile(filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(d, "sha256:")))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// The shipped referrer's Sigstore bundle holds the signed statement.
	var ref struct {
		Layers []ocispec.Descriptor `json:"layers"`
	}
	if err := json.Unmarshal(blob("e51b08d5856fe0ef3df50d228719e3e594ac1519ed539492ad4f602bc87b2f62"), &ref); err != nil || len(ref.Layers) != 1 {
		t.Fatalf("referrer manifest: %v", err)
	}
	var sb struct {
		DSSEEnvelope struct {
			Payload string `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(blob(string(ref.Layers[0].Digest)), &sb); err != nil {
		t.Fatal(err)
	}
	statement, err := base64.StdEncoding.DecodeString(sb.DSSEEnvelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := sigstoretest.New(sigstoretest.Options{Name: "second-lab"})
	if err != nil {
		t.Fatal(err)
	}
	id := sigstoretest.GitHubActionsIdentity("second-lab/evidence", ".github/workflows/evidence.yml", "refs/heads/main", strings.Repeat("2", 40), 2)
	bundle, err := inst.SignStatement(ctx, statement, sigstoretest.SignOptions{Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	var entry struct {
		VerificationMaterial struct {
			TlogEntries []struct {
				LogIndex string `json:"logIndex"`
			} `json:"tlogEntries"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(bundle, &entry); err != nil || len(entry.VerificationMaterial.TlogEntries) != 1 {
		t.Fatalf("signed bundle: %v", err)
	}
	// Pushed as AICR pushes its signature: an OCI 1.1 referrer of the
	// artifact (oras-go keeps the referrers tag index of a registry without
	// the referrers API).
	repo, err := remote.NewRepository(aicrRegistry + "/aicr-evidence")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	layer, err := oras.PushBytes(ctx, repo, oci.MediaTypeSigstore, bundle)
	if err != nil {
		t.Fatal(err)
	}
	subject := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.Digest(aicrSigned), Size: int64(len(blob(aicrSigned)))}
	if _, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, oci.MediaTypeSigstore, oras.PackManifestOptions{Subject: &subject, Layers: []ocispec.Descriptor{layer}}); err != nil {
		t.Fatal(err)
	}
	p, body := aicrPointer(t, "v1-eks-signed-pushed",
		"https://github.com/fake-org/fake-aicr/.github/workflows/evidence-publish.yaml@refs/heads/main", id.SAN,
		"https://oidc.fake-sigstore.invalid", sigstoretest.GitHubIssuer,
		"rekorLogIndex: 101", "rekorLogIndex: "+entry.VerificationMaterial.TlogEntries[0].LogIndex)
	return pointerFile{p, body}, bothRoots(t, inst), id.SAN
}

// bothRoots is one trusted root holding the shipped AICR test Sigstore and inst.
func bothRoots(t *testing.T, inst *sigstoretest.Instance) []byte {
	t.Helper()
	first, err := os.ReadFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	secondRoot, err := inst.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	if err := json.Unmarshal(first, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(secondRoot, &b); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"certificateAuthorities", "tlogs", "ctlogs", "timestampAuthorities"} {
		x, _ := a[k].([]any)
		y, _ := b[k].([]any)
		if len(x)+len(y) > 0 {
			a[k] = append(x, y...)
		}
	}
	root, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// labPointer is a pointer file another lab's emit wrote, the identity of
// its signer, and a trusted root holding both test Sigstore instances.
type labPointer struct {
	path, identity string
	body, root     []byte
}

// emitLabPointer runs our emitter as a second lab would, in AICR's form: the
// shipped recipe, this lab's own snapshot and CTRF results, signed keyless by
// another test Sigstore as a workflow of another GitHub account, pushed to
// the loopback registry, its pointer written where AICR commits it.
func emitLabPointer(t *testing.T) labPointer {
	t.Helper()
	inst, err := sigstoretest.New(sigstoretest.Options{Name: "other-lab"})
	if err != nil {
		t.Fatal(err)
	}
	fulcio := httptest.NewServer(inst.FulcioHandler())
	t.Cleanup(fulcio.Close)
	rekor := httptest.NewServer(inst.RekorHandler())
	t.Cleanup(rekor.Close)
	const labRepo, labWorkflow, labRef = "other-lab/gpu-evidence", ".github/workflows/evidence.yml", "refs/heads/main"
	jwt, err := sigstoretest.UnsignedJWT(sigstoretest.GitHubActionsClaims(labRepo, labWorkflow, labRef, strings.Repeat("3", 40), 3))
	if err != nil {
		t.Fatal(err)
	}
	rootJSON, err := inst.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ctrf := filepath.Join(testutil.RepoRoot(t), "testdata", "examples", "inputs", aicrRecipe, "ctrf")
	for _, phase := range []string{"deployment", "performance", "conformance"} {
		write("ctrf/"+phase+".json", read(filepath.Join(ctrf, phase+".json")))
	}
	repoDir := filepath.Join(dir, "repo")
	if err := os.Mkdir(repoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{
		"--recipe", testutil.SharedTestdata(t, "aicr-upstream-bundles/inputs/recipe-"+aicrRecipe+".yaml"),
		"--snapshot", testutil.SharedTestdata(t, "aicr-upstream-bundles/inputs/snapshot-eks-h100.yaml"),
		"--results", filepath.Join(dir, "ctrf"), "--out", filepath.Join(dir, "evidence-bundle.tar.gz"), "--nvml", "off",
		"--sign", "keyless", "--fulcio-url", fulcio.URL, "--rekor-url", rekor.URL, "--trusted-root", write("trusted_root.json", rootJSON),
		"--identity-token", write("id-token", []byte(jwt+"\n")), "--interactive=false", "--aicr-version", "v0.19.0",
		"--push", oci.Scheme + aicrRegistry + "/lab-evidence", "--plain-http", "--pointer-dir", repoDir,
	}
	var stderr bytes.Buffer
	opts, err := emit.Parse(args, &stderr)
	if err != nil {
		t.Fatalf("emit flags: %v\n%s", err, stderr.String())
	}
	if err := emit.Run(t.Context(), opts, emit.Env{Stderr: &stderr, Getenv: func(string) string { return "" }}); err != nil {
		t.Fatalf("emit: %v\n%s", err, stderr.String())
	}
	var found []string
	if err := filepath.WalkDir(repoDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			found = append(found, path)
		}
		return err
	}); err != nil || len(found) != 1 {
		t.Fatalf("pointer files %v (%v)\n%s", found, err, stderr.String())
	}
	rel, err := filepath.Rel(repoDir, found[0])
	if err != nil {
		t.Fatal(err)
	}
	id := sigstoretest.GitHubActionsIdentity(labRepo, labWorkflow, labRef, strings.Repeat("3", 40), 3)
	return labPointer{path: filepath.ToSlash(rel), identity: id.SAN, body: read(found[0]), root: bothRoots(t, inst)}
}

// A registry that cannot be reached leaves the pointer undecided (error,
// "retrying may help"), never invalid.
func TestActionAICRPointerRegistryDown(t *testing.T) {
	// Port 9 (discard): nothing listens there.
	p, b := aicrPointer(t, "v1-eks-signed-pushed", aicrRegistry, "127.0.0.1:9")
	r, body, _ := aicrRun(t, 51, []githubtest.File{aicrRecipeFile(t), {Path: p, Status: "added", Content: b}}, aicrInputs("127.0.0.1:9"))
	if r.outputs["verdict"] != "error" || r.outputs["errors"] != "1" || !strings.Contains(body, "retrying may help") {
		t.Fatalf("exit %d, outputs %v\ncomment:\n%s\nlog:\n%s", r.code, r.outputs, body, r.stdout)
	}
}

// registry-plain-http admits loopback registries only.
func TestActionPlainHTTPLoopbackOnly(t *testing.T) {
	srv := newServer(t)
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 52, HeadSHA: sha('5'), BaseSHA: sha('b')}, h100Files(t))
	r := runAction(t, srv, prEvent(t, srv, 52, sha('5'), ""), "pull_request", map[string]string{"registry-plain-http": "ghcr.io:80"})
	if r.code != 3 || !strings.Contains(r.stdout, "registry-plain-http") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
}

// One run pulls at most MaxPointerPulls artifacts: the pointers beyond are
// "too large to verify" (could not decide), never verified in part nor
// passed. (These pointers lie at paths their digest does not name, so each
// is refused before any pull: the bound counts pulls asked for.)
func TestActionAICRPointerPullBound(t *testing.T) {
	_, b := aicrPointer(t, "v1-eks-signed-pushed", aicrRegistry, "127.0.0.1:9")
	files := []githubtest.File{aicrRecipeFile(t)}
	for i := range 51 {
		files = append(files, githubtest.File{Path: fmt.Sprintf("recipes/evidence/%s/058861a7ee8536cddd20f3c5a1e98b12/sha256-%064x.yaml", aicrRecipe, i), Status: "added", Content: b})
	}
	r, _, rep := aicrRun(t, 55, files, aicrInputs("127.0.0.1:9"))
	tooLarge := 0
	for _, row := range rep.Rows {
		if strings.HasPrefix(row.Detail, "too large to verify: the PR needs more than 50 artifacts pulled") && row.Verdict == "error" {
			tooLarge++
		}
	}
	if len(rep.Rows) != 51 || tooLarge != 1 || r.outputs["verdict"] != "invalid" {
		t.Fatalf("%d rows, %d too large, outputs %v", len(rep.Rows), tooLarge, r.outputs)
	}
}
