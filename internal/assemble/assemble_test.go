package assemble_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/verify"
)

const exampleName = "h100-eks-ubuntu-training"

var attestedAt = time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func readInput(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "examples", "inputs", exampleName, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// inputs are the h100 example's inputs, as internal/tools/genexamples passes them.
func inputs(t *testing.T) assemble.Inputs {
	t.Helper()
	recipe, snapshot := readInput(t, "recipe.yaml"), readInput(t, "snapshot.yaml")
	in := assemble.Inputs{
		Recipe:                  recipe,
		RecipeName:              exampleName,
		Snapshot:                snapshot,
		BOM:                     readInput(t, "bom.cdx.json"),
		CTRF:                    map[string][]byte{},
		AttestedAt:              attestedAt,
		AICRVersion:             "v0.18.0",
		ValidatorCatalogVersion: "v0.18.0",
		ValidatorImages: []schema.ValidatorImage{
			{Image: "ghcr.io/nvidia/aicr-validators/performance:v0.18.0"},
			{Image: "ghcr.io/nvidia/aicr-validators/deployment:v0.18.0"},
			{Image: "ghcr.io/nvidia/aicr-validators/conformance:v0.18.0"},
		},
	}
	for _, p := range schema.Phases() {
		in.CTRF[p] = readInput(t, filepath.Join("ctrf", p+".json"))
	}
	fp, err := fingerprint.Compute(snapshot)
	if err != nil {
		t.Fatal(err)
	}
	crit, err := fingerprint.CriteriaFromRecipe(recipe)
	if err != nil {
		t.Fatal(err)
	}
	in.Fingerprint, in.CriteriaMatch = fp, fingerprint.Match(crit, fp)
	return in
}

func build(t *testing.T, in assemble.Inputs) *assemble.Bundle {
	t.Helper()
	b, err := assemble.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func write(t *testing.T, b *assemble.Bundle) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBuildManifestAndPredicate(t *testing.T) {
	in := inputs(t)
	b := build(t, in)

	// recipe.yaml holds the canonical bytes; the digest is their sha256 (§3).
	canon, err := schema.Canonical(in.Recipe)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Files["recipe.yaml"], canon.Bytes) {
		t.Error("recipe.yaml is not the canonical recipe")
	}
	if want := strings.TrimPrefix(sha(canon.Bytes), "sha256:"); b.Predicate.Recipe.Digest != want || b.Predicate.Recipe.Name != exampleName {
		t.Errorf("recipe %+v, want digest %s", b.Predicate.Recipe, want)
	}

	// manifest.json lists every file but itself, the statement and the
	// attestation, sorted, with exact sizes and hashes (§2).
	var m struct {
		SchemaVersion string `json:"schemaVersion"`
		Files         []struct {
			Path   string `json:"path"`
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	mb := b.Files["manifest.json"]
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
		data, ok := b.Files[f.Path]
		if !ok {
			t.Errorf("manifest lists %s, which is not in the bundle", f.Path)
			continue
		}
		if f.Size != int64(len(data)) || f.SHA256 != sha(data) {
			t.Errorf("%s: size %d sha %s, want %d %s", f.Path, f.Size, f.SHA256, len(data), sha(data))
		}
	}
	want := []string{"bom.cdx.json", "ctrf/conformance.json", "ctrf/deployment.json", "ctrf/performance.json", "recipe.yaml", "snapshot.yaml"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("manifest paths %v, want %v", paths, want)
	}
	if m.SchemaVersion != "1.0.0" {
		t.Errorf("manifest schemaVersion %q", m.SchemaVersion)
	}
	if !bytes.HasSuffix(mb, []byte("}\n")) || !bytes.Contains(mb, []byte("\n  \"files\": [\n    {\n      \"path\"")) {
		t.Errorf("manifest.json is not MarshalIndent with two spaces plus a newline:\n%s", mb)
	}
	if b.Predicate.Manifest.Digest != sha(mb) || b.Predicate.Manifest.FileCount != len(want) {
		t.Errorf("predicate manifest %+v, want digest %s count %d", b.Predicate.Manifest, sha(mb), len(want))
	}
	// Every file in the bundle besides the uninventoried ones is listed.
	for p := range b.Files {
		if !schema.IsUninventoried(p) && !contains(paths, p) {
			t.Errorf("%s is not in the manifest", p)
		}
	}

	// Phase counts are the CTRF summaries; ctrfDigest the file's sha256 (§5).
	if len(b.Predicate.Phases) != 3 {
		t.Errorf("phases %v", b.Predicate.Phases)
	}
	for phase, raw := range in.CTRF {
		var r struct {
			Results struct {
				Summary struct{ Passed, Failed, Skipped, Pending, Other int } `json:"summary"`
			} `json:"results"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		s := r.Results.Summary
		got := b.Predicate.Phases[phase]
		if got != (schema.PhaseResult{Passed: s.Passed, Failed: s.Failed, Skipped: s.Skipped, Pending: s.Pending, Other: s.Other, CTRFDigest: sha(raw)}) {
			t.Errorf("phase %s: %+v, summary %+v digest %s", phase, got, s, sha(raw))
		}
		if !bytes.Equal(b.Files[schema.CTRFPath(phase)], raw) {
			t.Errorf("%s is not the input bytes", schema.CTRFPath(phase))
		}
	}

	// BOM: digest of the exact bytes, three top-level components.
	var bomDoc struct {
		Components []json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(in.BOM, &bomDoc); err != nil {
		t.Fatal(err)
	}
	if len(bomDoc.Components) != 3 {
		t.Fatalf("fixture has %d components", len(bomDoc.Components))
	}
	if b.Predicate.BOM != (schema.BOMSummary{Format: "CycloneDX", Version: "1.6", Digest: sha(in.BOM), ComponentCount: 3}) {
		t.Errorf("bom %+v", b.Predicate.BOM)
	}

	// Validator images sorted by image; the input slice is left alone.
	if !sort.SliceIsSorted(b.Predicate.ValidatorImages, func(i, j int) bool {
		return b.Predicate.ValidatorImages[i].Image < b.Predicate.ValidatorImages[j].Image
	}) || len(b.Predicate.ValidatorImages) != 3 {
		t.Errorf("validatorImages %v", b.Predicate.ValidatorImages)
	}
	if in.ValidatorImages[0].Image != "ghcr.io/nvidia/aicr-validators/performance:v0.18.0" {
		t.Error("Build sorted the caller's slice")
	}
	if b.Predicate.AttestedAt != "2026-11-20T09:58:00Z" || b.Predicate.SchemaVersion != "1.0.0" {
		t.Errorf("attestedAt %q schemaVersion %q", b.Predicate.AttestedAt, b.Predicate.SchemaVersion)
	}

	// statement.intoto.json is the Statement plus a newline, and it validates.
	if !bytes.Equal(b.Files["statement.intoto.json"], append(append([]byte{}, b.Statement...), '\n')) {
		t.Error("statement.intoto.json is not the Statement")
	}
	st, err := schema.ParseStatement(b.Statement)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.CheckStatementTypes(st); err != nil {
		t.Fatal(err)
	}
	sub, err := schema.StatementSubject(st)
	if err != nil || sub.RecipeName != exampleName || sub.Digest != b.Predicate.Recipe.Digest {
		t.Errorf("subject %+v %v", sub, err)
	}
	pj, err := schema.PredicateJSON(b.Statement)
	if err != nil {
		t.Fatal(err)
	}
	v, err := schema.NewPredicateValidator()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Validate(pj); err != nil {
		t.Errorf("the built predicate breaks the schema: %v", err)
	}
	if b.Attestation != nil {
		t.Error("an unsigned bundle has an attestation")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// attestedAt is written in UTC, whole seconds, whatever the input's zone.
func TestBuildAttestedAtUTCWholeSeconds(t *testing.T) {
	in := inputs(t)
	in.AttestedAt = time.Date(2026, 11, 20, 10, 58, 0, 999_999_999, time.FixedZone("CET", 3600))
	if got := build(t, in).Predicate.AttestedAt; got != "2026-11-20T09:58:00Z" {
		t.Errorf("attestedAt %q", got)
	}
}

// §1 writer determinism: the same inputs give byte-identical archives.
func TestBuildAndWriteDeterministic(t *testing.T) {
	first := write(t, build(t, inputs(t)))
	b := build(t, inputs(t))
	if again := write(t, b); !bytes.Equal(again, first) {
		t.Fatal("two builds of the same inputs differ")
	}
	if again := write(t, b); !bytes.Equal(again, first) {
		t.Fatal("writing the same bundle twice gives different bytes")
	}
	// Map iteration order (CTRF, Extra, Files) must not leak into the bytes.
	for i := 0; i < 5; i++ {
		in := inputs(t)
		in.Extra = map[string][]byte{"logs/a.log": []byte("a"), "logs/b.log": []byte("b"), "logs/c.log": []byte("c"), "notes/z.txt": []byte("z")}
		x := write(t, build(t, in))
		in2 := inputs(t)
		in2.Extra = map[string][]byte{"notes/z.txt": []byte("z"), "logs/c.log": []byte("c"), "logs/b.log": []byte("b"), "logs/a.log": []byte("a")}
		if y := write(t, build(t, in2)); !bytes.Equal(x, y) {
			t.Fatal("builds with extra files differ")
		}
	}
}

// §1: entries sorted by path, mode 0644, uid/gid 0, no owner names, mtime =
// attestedAt; gzip header without name, comment or mtime.
func TestWriteArchiveLayout(t *testing.T) {
	in := inputs(t)
	in.Extra = map[string][]byte{"logs/deployment.log": []byte("log\n")}
	b := build(t, in)
	raw := write(t, b)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || zr.Comment != "" || !zr.ModTime.IsZero() || len(zr.Extra) != 0 {
		t.Errorf("gzip header %+v", zr.Header)
	}
	zr.Multistream(false)
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Typeflag != tar.TypeReg || h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(attestedAt) {
			t.Errorf("%s: header %+v", h.Name, h)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, b.Files[h.Name]) {
			t.Errorf("%s: content differs from Bundle.Files", h.Name)
		}
	}
	if !sort.StringsAreSorted(names) || len(names) != len(b.Files) {
		t.Errorf("entries %v", names)
	}
	if rest, _ := io.ReadAll(zr); len(bytes.Trim(rest, "\x00")) != 0 {
		t.Error("non-zero bytes after the tar end marker")
	}
}

func TestBuildRejects(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(in *assemble.Inputs)
		mention string
	}{
		{name: "CTRF summary disagrees with tests", mutate: func(in *assemble.Inputs) {
			in.CTRF["performance"] = bytes.Replace(in.CTRF["performance"], []byte(`"passed": 2`), []byte(`"passed": 3`), 1)
		}, mention: "ctrf/performance.json"},
		{name: "CTRF with an unknown status", mutate: func(in *assemble.Inputs) {
			in.CTRF["deployment"] = bytes.Replace(in.CTRF["deployment"], []byte(`"status": "passed"`), []byte(`"status": "error"`), 1)
		}, mention: "ctrf/deployment.json"},
		{name: "CTRF not JSON", mutate: func(in *assemble.Inputs) { in.CTRF["conformance"] = []byte("<xml/>") }, mention: "ctrf/conformance.json"},
		{name: "unknown phase", mutate: func(in *assemble.Inputs) { in.CTRF["smoke"] = in.CTRF["deployment"] }, mention: "smoke"},
		{name: "no CTRF", mutate: func(in *assemble.Inputs) { in.CTRF = nil }, mention: "CTRF"},
		{name: "extra file collides with recipe.yaml", mutate: func(in *assemble.Inputs) {
			in.Extra = map[string][]byte{"recipe.yaml": []byte("kind: other\n")}
		}, mention: "recipe.yaml"},
		{name: "extra file collides with a CTRF report", mutate: func(in *assemble.Inputs) {
			in.Extra = map[string][]byte{"ctrf/deployment.json": []byte("{}")}
		}, mention: "ctrf/deployment.json"},
		{name: "extra manifest.json", mutate: func(in *assemble.Inputs) {
			in.Extra = map[string][]byte{"manifest.json": []byte("{}")}
		}, mention: "manifest.json"},
		{name: "extra statement.intoto.json", mutate: func(in *assemble.Inputs) {
			in.Extra = map[string][]byte{"statement.intoto.json": []byte("{}")}
		}, mention: "statement.intoto.json"},
		{name: "extra attestation.intoto.jsonl", mutate: func(in *assemble.Inputs) {
			in.Extra = map[string][]byte{"attestation.intoto.jsonl": []byte("{}")}
		}, mention: "attestation.intoto.jsonl"},
		{name: "extra file with an unsafe path", mutate: func(in *assemble.Inputs) {
			in.Extra = map[string][]byte{"../escape.log": []byte("x")}
		}, mention: "escape.log"},
		{name: "zero attestedAt", mutate: func(in *assemble.Inputs) { in.AttestedAt = time.Time{} }, mention: "attestedAt"},
		{name: "BOM specVersion 1.5", mutate: func(in *assemble.Inputs) {
			in.BOM = bytes.Replace(in.BOM, []byte(`"specVersion": "1.6"`), []byte(`"specVersion": "1.5"`), 1)
		}, mention: "1.5"},
		{name: "recipe not YAML mapping", mutate: func(in *assemble.Inputs) { in.Recipe = []byte("- a\n- b\n") }, mention: "recipe"},
		{name: "recipe with a merge key", mutate: func(in *assemble.Inputs) { in.Recipe = []byte("base: &b {x: 1}\nother:\n  <<: *b\n") }, mention: "recipe"},
		{name: "no recipe name", mutate: func(in *assemble.Inputs) { in.RecipeName = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := inputs(t)
			tt.mutate(&in)
			b, err := assemble.Build(in)
			if err == nil {
				t.Fatalf("Build accepted it: %v", b.Predicate)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not name %q", err, tt.mention)
			}
		})
	}
}

// An emitter must not produce a bundle its own verifier calls invalid:
// "ctrf/ holds nothing but the three phase reports" (§1), and a phase report
// outside the predicate's phases breaks the ctrf check (§7.8).
func TestBuildRejectsExtraFilesUnderCTRF(t *testing.T) {
	inspector, err := verify.NewInspector()
	if err != nil {
		t.Fatal(err)
	}
	// verdictOf says what the verifier makes of a bundle Build wrongly accepted.
	verdictOf := func(b *assemble.Bundle) string {
		res := inspector.Inspect(context.Background(), bytes.NewReader(write(t, b)), verify.Options{})
		c, _ := res.FirstFailure()
		return fmt.Sprintf("inspect says %s (%s: %s)", res.Verdict, c.Name, c.Detail)
	}
	for _, p := range []string{"ctrf/notes.json", "ctrf/deployment.log", "ctrf/sub/deployment.json"} {
		in := inputs(t)
		in.Extra = map[string][]byte{p: []byte("{}")}
		if b, err := assemble.Build(in); err == nil {
			t.Errorf("Build accepts extra file %s; %s", p, verdictOf(b))
		}
	}
	in := inputs(t)
	in.Extra = map[string][]byte{"ctrf/conformance.json": in.CTRF["conformance"]}
	delete(in.CTRF, "conformance")
	if b, err := assemble.Build(in); err == nil {
		t.Errorf("Build accepts a phase report passed as an extra file, outside the predicate's phases; %s", verdictOf(b))
	}
}

// Paths that differ only by case cannot both be in a bundle (§1): Build or
// Write must refuse them rather than emit an archive readers reject.
func TestBuildOrWriteRejectsCaseFoldCollision(t *testing.T) {
	in := inputs(t)
	in.Extra = map[string][]byte{"Recipe.yaml": []byte("x")}
	b, err := assemble.Build(in)
	if err != nil {
		return
	}
	if err := b.Write(io.Discard); err == nil {
		t.Error("a bundle with recipe.yaml and Recipe.yaml was written")
	}
}

type signer struct {
	inst *sigstoretest.Instance
	opts sigstoretest.SignOptions
}

func (s signer) SignStatement(ctx context.Context, stmt []byte) ([]byte, error) {
	return s.inst.SignStatement(ctx, stmt, s.opts)
}

type failingSigner struct{}

func (failingSigner) SignStatement(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("fulcio unavailable")
}

// A bundle built, signed and written here passes every check inspect runs,
// and carries the signed Statement.
func TestBuildSignWriteInspect(t *testing.T) {
	inst, err := sigstoretest.New(sigstoretest.Options{Name: "assemble-test", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	in := inputs(t)
	in.Extra = map[string][]byte{"logs/deployment.log": []byte("all good\n")}
	b := build(t, in)
	id := sigstoretest.GitHubActionsIdentity("acme-gpu/recipe-evidence", ".github/workflows/evidence.yml", "refs/heads/main",
		"3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a", 1)
	if err := b.Sign(context.Background(), signer{inst: inst, opts: sigstoretest.SignOptions{Identity: id, Time: attestedAt.Add(2 * time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if b.Attestation == nil {
		t.Fatal("no attestation after Sign")
	}
	raw := write(t, b)
	in2, err := verify.NewInspector()
	if err != nil {
		t.Fatal(err)
	}
	res := in2.Inspect(context.Background(), bytes.NewReader(raw), verify.Options{Name: "built"})
	if res.Verdict != verify.VerdictPassed {
		c, _ := res.FirstFailure()
		t.Fatalf("verdict %s: %s: %s", res.Verdict, c.Name, c.Detail)
	}
	if res.Predicate == nil || res.Predicate.Source != verify.SourceAttestation {
		t.Errorf("statement not read from the attestation: %+v", res.Predicate)
	}
	// The DSSE payload is exactly the built Statement.
	var att struct {
		DSSEEnvelope struct {
			Payload []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b.Attestation, &att); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(att.DSSEEnvelope.Payload, b.Statement) {
		t.Error("the signed payload is not the built Statement")
	}
	if bytes.Contains(b.Attestation, []byte("\n")) {
		t.Error("attestation is not one line")
	}

	// A signer failure is reported and leaves the bundle unsigned.
	b2 := build(t, inputs(t))
	if err := b2.Sign(context.Background(), failingSigner{}); err == nil || !strings.Contains(err.Error(), "fulcio unavailable") {
		t.Errorf("Sign error %v", err)
	}
	if b2.Attestation != nil {
		t.Error("a failed Sign left an attestation")
	}
}
