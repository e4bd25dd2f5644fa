package verify_test

// The tamper corpus of the verify pipeline. Every tampered bundle is generated
// here, from the example inputs and a Sigstore instance made for this test
// binary, never from hand-edited files: each case names the attack, the
// verdict and the check that must catch it first.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// The signer of the example bundles (internal/tools/genexamples).
const (
	tamperIssuer   = sigstoretest.GitHubIssuer
	tamperIdentity = "https://github.com/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/heads/main"
	tamperPattern  = `^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main$`
	tamperSHA      = "3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a"
	tamperRecipe   = "h100-eks-ubuntu-training"
)

var (
	tamperStart      = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tamperAttestedAt = time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC)
	tamperSignedAt   = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	tamperNow        = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	tamperMaxAge     = 365 * 24 * time.Hour
)

// tamperRaw holds the raw inputs of one example (testdata/examples/inputs/<name>).
type tamperRaw struct {
	recipe, snapshot, bom []byte
	ctrf                  map[string][]byte
}

// tamperFixture is built once per test binary.
type tamperFixture struct {
	a, b     *sigstoretest.Instance
	root     *root.TrustedRoot
	id       sigstoretest.Identity
	h100     tamperRaw
	h200     tamperRaw
	base     map[string][]byte // the files of the valid, signed base bundle
	bundle   []byte            // the base bundle archive
	policy   *policy.Policy
	verifier *verify.Verifier
}

var (
	tamperOnce sync.Once
	tamperFx   *tamperFixture
	tamperErr  error
)

func tamperSetup(t *testing.T) *tamperFixture {
	t.Helper()
	tamperOnce.Do(func() { tamperFx, tamperErr = tamperNewFixture() })
	if tamperErr != nil {
		t.Fatalf("tamper fixture: %v", tamperErr)
	}
	return tamperFx
}

func tamperReadRaw(name string) (tamperRaw, error) {
	dir := filepath.Join("..", "..", "testdata", "examples", "inputs", name)
	var r tamperRaw
	var err error
	if r.recipe, err = os.ReadFile(filepath.Join(dir, "recipe.yaml")); err != nil {
		return r, err
	}
	if r.snapshot, err = os.ReadFile(filepath.Join(dir, "snapshot.yaml")); err != nil {
		return r, err
	}
	if r.bom, err = os.ReadFile(filepath.Join(dir, "bom.cdx.json")); err != nil {
		return r, err
	}
	r.ctrf = map[string][]byte{}
	for _, p := range schema.Phases() {
		b, err := os.ReadFile(filepath.Join(dir, "ctrf", p+".json"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return r, err
		}
		r.ctrf[p] = b
	}
	return r, nil
}

func (r tamperRaw) clone() tamperRaw {
	out := tamperRaw{recipe: bytes.Clone(r.recipe), snapshot: bytes.Clone(r.snapshot), bom: bytes.Clone(r.bom), ctrf: map[string][]byte{}}
	for p, b := range r.ctrf {
		out.ctrf[p] = bytes.Clone(b)
	}
	return out
}

// tamperInputs builds the assemble inputs the way genexamples does: the
// fingerprint computed from the snapshot and the criteria match from the recipe.
func tamperInputs(r tamperRaw, attestedAt time.Time) (assemble.Inputs, error) {
	fp, err := fingerprint.Compute(r.snapshot)
	if err != nil {
		return assemble.Inputs{}, err
	}
	crit, err := fingerprint.CriteriaFromRecipe(r.recipe)
	if err != nil {
		return assemble.Inputs{}, err
	}
	return assemble.Inputs{
		Recipe:                  r.recipe,
		RecipeName:              tamperRecipe,
		Snapshot:                r.snapshot,
		BOM:                     r.bom,
		CTRF:                    r.ctrf,
		AttestedAt:              attestedAt,
		AICRVersion:             "v0.18.0",
		ValidatorCatalogVersion: "v0.18.0",
		ValidatorImages: []schema.ValidatorImage{
			{Image: "ghcr.io/nvidia/aicr-validators/performance:v0.18.0"},
			{Image: "ghcr.io/nvidia/aicr-validators/deployment:v0.18.0"},
			{Image: "ghcr.io/nvidia/aicr-validators/conformance:v0.18.0"},
		},
		Fingerprint:   fp,
		CriteriaMatch: fingerprint.Match(crit, fp),
	}, nil
}

func tamperNewFixture() (*tamperFixture, error) {
	fx := &tamperFixture{}
	var err error
	if fx.a, err = sigstoretest.New(sigstoretest.Options{Name: "tamper-a", Start: tamperStart}); err != nil {
		return nil, err
	}
	if fx.b, err = sigstoretest.New(sigstoretest.Options{Name: "tamper-b", Start: tamperStart}); err != nil {
		return nil, err
	}
	if fx.root, err = fx.a.TrustedRoot(); err != nil {
		return nil, err
	}
	fx.id = sigstoretest.GitHubActionsIdentity("acme-gpu/recipe-evidence", ".github/workflows/evidence.yml", "refs/heads/main", tamperSHA, 12345678901)
	if fx.h100, err = tamperReadRaw("h100-eks-ubuntu-training"); err != nil {
		return nil, err
	}
	if fx.h200, err = tamperReadRaw("h200-oke-ubuntu-inference"); err != nil {
		return nil, err
	}
	in, err := tamperInputs(fx.h100, tamperAttestedAt)
	if err != nil {
		return nil, err
	}
	built, err := fx.buildSigned(in, fx.a, sigstoretest.SignOptions{})
	if err != nil {
		return nil, err
	}
	if fx.bundle, err = tamperPackErr(built); err != nil {
		return nil, err
	}
	// Every case starts from the files as a reader sees them.
	if fx.base, err = tamperUnpackErr(fx.bundle); err != nil {
		return nil, err
	}
	if fx.policy, err = policy.FromFlags([]string{tamperIssuer}, []string{tamperPattern}); err != nil {
		return nil, err
	}
	if fx.verifier, err = verify.New(fx.config()); err != nil {
		return nil, err
	}
	return fx, nil
}

// config is the verifier configuration every case starts from.
func (fx *tamperFixture) config() verify.Config {
	return verify.Config{Trust: fx.root, Policy: fx.policy, MaxAge: tamperMaxAge, Now: func() time.Time { return tamperNow }}
}

// signOpts fills in the default signer (the acme-gpu workflow) and time.
func (fx *tamperFixture) signOpts(so sigstoretest.SignOptions) sigstoretest.SignOptions {
	if so.Identity == (sigstoretest.Identity{}) {
		so.Identity = fx.id
	}
	if so.Time.IsZero() {
		so.Time = tamperSignedAt
	}
	return so
}

// buildSigned assembles a bundle from in and signs its Statement with inst.
func (fx *tamperFixture) buildSigned(in assemble.Inputs, inst *sigstoretest.Instance, so sigstoretest.SignOptions) (map[string][]byte, error) {
	b, err := assemble.Build(in)
	if err != nil {
		return nil, err
	}
	att, err := inst.SignStatement(context.Background(), b.Statement, fx.signOpts(so))
	if err != nil {
		return nil, err
	}
	files := tamperClone(b.Files)
	files[schema.FileAttestation] = append(att, '\n')
	return files, nil
}

func (fx *tamperFixture) mustBuildSigned(t *testing.T, in assemble.Inputs, inst *sigstoretest.Instance, so sigstoretest.SignOptions) map[string][]byte {
	t.Helper()
	files, err := fx.buildSigned(in, inst, so)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// inputs returns inputs built honestly from a copy of the h100 example's raw
// inputs after editRaw, then edited by editIn.
func (fx *tamperFixture) inputs(t *testing.T, editRaw func(fx *tamperFixture, r *tamperRaw), editIn func(in *assemble.Inputs)) assemble.Inputs {
	t.Helper()
	r := fx.h100.clone()
	if editRaw != nil {
		editRaw(fx, &r)
	}
	in, err := tamperInputs(r, tamperAttestedAt)
	if err != nil {
		t.Fatal(err)
	}
	if editIn != nil {
		editIn(&in)
	}
	return in
}

func tamperClone(files map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for p, b := range files {
		out[p] = bytes.Clone(b)
	}
	return out
}

func tamperPackErr(files map[string][]byte) ([]byte, error) {
	entries := make([]archive.Entry, 0, len(files))
	for p, b := range files {
		entries = append(entries, archive.Entry{Path: p, Data: b})
	}
	var buf bytes.Buffer
	if err := archive.Write(&buf, entries, tamperAttestedAt); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func tamperPack(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	b, err := tamperPackErr(files)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tamperUnpackErr reads a bundle into path → bytes with archive.Read.
func tamperUnpackErr(bundle []byte) (map[string][]byte, error) {
	c, err := archive.Read(context.Background(), bytes.NewReader(bundle), archive.Limits{})
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, f := range c.Files() {
		if f.Content == nil {
			return nil, fmt.Errorf("%s was not kept in memory", f.Path)
		}
		out[f.Path] = bytes.Clone(f.Content)
	}
	return out, nil
}

func tamperUnpack(t *testing.T, bundle []byte) map[string][]byte {
	t.Helper()
	files, err := tamperUnpackErr(bundle)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// tamperFlipAt flips the low bit of the byte at i of a copy of b.
func tamperFlipAt(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x01
	return out
}

// tamperFlipText flips a byte inside the first occurrence of needle, so that a
// document stays readable and only a value changes.
func tamperFlipText(t *testing.T, b []byte, needle string) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(needle))
	if i < 0 {
		t.Fatalf("%q not found", needle)
	}
	return tamperFlipAt(b, i+len(needle)-1)
}

// tamperStatementMap decodes the unsigned Statement of a bundle's files.
func tamperStatementMap(t *testing.T, files map[string][]byte) map[string]any {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(files[schema.FileStatement], &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func tamperPredicateOf(st map[string]any) map[string]any { return st["predicate"].(map[string]any) }

// tamperSignJSON signs payload (a Statement, possibly malformed) with inst and
// stores it as the bundle's attestation and unsigned Statement.
func (fx *tamperFixture) tamperSignJSON(t *testing.T, files map[string][]byte, payload []byte, inst *sigstoretest.Instance, so sigstoretest.SignOptions) {
	t.Helper()
	so = fx.signOpts(so)
	so.NoSelfVerify = true
	att, err := inst.SignDSSE(context.Background(), schema.PayloadTypeInToto, payload, so)
	if err != nil {
		t.Fatal(err)
	}
	files[schema.FileAttestation] = append(att, '\n')
	files[schema.FileStatement] = append(bytes.Clone(payload), '\n')
}

// resignEdited edits the base Statement as JSON and re-signs it with A.
func (fx *tamperFixture) resignEdited(t *testing.T, edit func(st map[string]any)) map[string][]byte {
	t.Helper()
	files := tamperClone(fx.base)
	st := tamperStatementMap(t, files)
	edit(st)
	payload, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	fx.tamperSignJSON(t, files, payload, fx.a, sigstoretest.SignOptions{})
	return files
}

// reseal makes the files of a bundle consistent again after an edit, as a
// dishonest emitter would: manifest.json rebuilt, every digest in the predicate
// recomputed, then mutate applied to the predicate, then the Statement
// re-signed by A with the acme-gpu identity.
func (fx *tamperFixture) reseal(t *testing.T, files map[string][]byte, mutate func(p *schema.Predicate)) {
	t.Helper()
	pj, err := json.Marshal(tamperPredicateOf(tamperStatementMap(t, files)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := schema.DecodePredicate(pj)
	if err != nil {
		t.Fatal(err)
	}
	m := schema.NewManifest(files)
	mb, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	files[schema.FileManifest] = mb
	p.Manifest = schema.ManifestRef{Digest: schema.SHA256Prefixed(mb), FileCount: len(m.Files)}
	for phase, r := range p.Phases {
		if b, ok := files[schema.CTRFPath(phase)]; ok {
			r.CTRFDigest = schema.SHA256Prefixed(b)
			p.Phases[phase] = r
		}
	}
	p.BOM.Digest = schema.SHA256Prefixed(files[schema.FileBOM])
	if mutate != nil {
		mutate(p)
	}
	stmt, err := schema.NewStatement(p)
	if err != nil {
		t.Fatal(err)
	}
	fx.tamperSignJSON(t, files, stmt, fx.a, sigstoretest.SignOptions{})
}

// tamperEditAttestation edits attestation.intoto.jsonl as JSON (the Sigstore
// bundle), leaving every other file alone.
func tamperEditAttestation(t *testing.T, files map[string][]byte, edit func(att map[string]any)) {
	t.Helper()
	var att map[string]any
	if err := json.Unmarshal(files[schema.FileAttestation], &att); err != nil {
		t.Fatal(err)
	}
	edit(att)
	b, err := json.Marshal(att)
	if err != nil {
		t.Fatal(err)
	}
	files[schema.FileAttestation] = append(b, '\n')
}

// tamperAt walks a JSON document along keys (strings) and indexes (ints).
func tamperAt(t *testing.T, doc any, path ...any) any {
	t.Helper()
	for _, k := range path {
		switch k := k.(type) {
		case string:
			m, ok := doc.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %q", path, k)
			}
			doc = m[k]
		case int:
			l, ok := doc.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no element %d", path, k)
			}
			doc = l[k]
		}
	}
	return doc
}

// tamperFlipBase64 decodes the base64 field key of obj, flips one byte of the
// decoded bytes at index i (negative: from the end) and re-encodes it, so that
// the attestation still parses and only the cryptographic value is wrong.
func tamperFlipBase64(t *testing.T, obj any, key string, i int) {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Fatalf("not an object holding %q", key)
	}
	s, ok := m[key].(string)
	if !ok {
		t.Fatalf("%q is not a string", key)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("%q: %v", key, err)
	}
	if i < 0 {
		i += len(raw)
	}
	m[key] = base64.StdEncoding.EncodeToString(tamperFlipAt(raw, i))
}

// tamperTarWith writes the base files and then one extra header (with body).
func tamperTarWith(t *testing.T, files map[string][]byte, extra *tar.Header, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range tamperSortedKeys(files) {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p, Size: int64(len(files[p])), Mode: 0o644, ModTime: tamperAttestedAt}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[p]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.WriteHeader(extra); err != nil {
		t.Fatal(err)
	}
	if len(body) > 0 {
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return tamperGzip(t, buf.Bytes())
}

func tamperGzip(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tamperSortedKeys returns the paths in byte order, as the writer sorts them.
func tamperSortedKeys(m map[string][]byte) []string { return slices.Sorted(maps.Keys(m)) }

// tamperSetCTRF rewrites test i of a CTRF report to status; with fixSummary the
// summary is recounted from the tests (an honest report), otherwise it is left
// claiming what it claimed before.
func tamperSetCTRF(t *testing.T, report []byte, i int, status string, fixSummary bool) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(report, &doc); err != nil {
		t.Fatal(err)
	}
	results := doc["results"].(map[string]any)
	tests := results["tests"].([]any)
	tests[i].(map[string]any)["status"] = status
	if fixSummary {
		counts := map[string]int{}
		for _, tc := range tests {
			counts[tc.(map[string]any)["status"].(string)]++
		}
		sum := results["summary"].(map[string]any)
		for _, s := range []string{schema.CTRFPassed, schema.CTRFFailed, schema.CTRFSkipped, schema.CTRFPending, schema.CTRFOther} {
			sum[s] = counts[s]
		}
		sum["tests"] = len(tests)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// tamperFailingReader yields the first n bytes of data, then an I/O error.
type tamperFailingReader struct {
	data []byte
	n    int
}

var errTamperIO = errors.New("tamper: simulated I/O failure")

func (r *tamperFailingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errTamperIO
	}
	k := min(len(p), r.n, len(r.data))
	copy(p, r.data[:k])
	r.data, r.n = r.data[k:], r.n-k
	return k, nil
}

// tamperCase is one attack (or one honest variation) and what must catch it.
type tamperCase struct {
	name string
	// files returns the bundle's files; bundle (raw archive bytes) and reader
	// override it. With none of them the base bundle is used.
	files  func(t *testing.T, fx *tamperFixture) map[string][]byte
	bundle func(t *testing.T, fx *tamperFixture) []byte
	reader func(t *testing.T, fx *tamperFixture) io.Reader
	// config edits the base verifier configuration.
	config func(fx *tamperFixture, cfg *verify.Config)
	// recipe, when set, is passed as Options.Recipe.
	recipe func(t *testing.T, fx *tamperFixture) []byte

	verdict verify.Verdict
	// check is the first check that failed or errored; "" means none did.
	check string
	// detail must occur in the first failure's detail line.
	detail string
	also   func(t *testing.T, res *verify.Result)
}

func (c tamperCase) run(t *testing.T, fx *tamperFixture) *verify.Result {
	t.Helper()
	v := fx.verifier
	if c.config != nil {
		cfg := fx.config()
		c.config(fx, &cfg)
		var err error
		if v, err = verify.New(cfg); err != nil {
			t.Fatal(err)
		}
	}
	var r io.Reader
	switch {
	case c.reader != nil:
		r = c.reader(t, fx)
	case c.bundle != nil:
		r = bytes.NewReader(c.bundle(t, fx))
	case c.files != nil:
		r = bytes.NewReader(tamperPack(t, c.files(t, fx)))
	default:
		r = bytes.NewReader(fx.bundle)
	}
	opts := verify.Options{Name: c.name}
	if c.recipe != nil {
		opts.Recipe, opts.RecipeName = c.recipe(t, fx), "recipe-under-test.yaml"
	}
	return v.Verify(context.Background(), r, opts)
}

// tamperDescribe prints a result's checks for failure messages.
func tamperDescribe(res *verify.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "verdict %s: %s\n", res.Verdict, res.Summary)
	for _, c := range res.Checks {
		fmt.Fprintf(&b, "  %-12s %-7s %-8s %s\n", c.Name, c.Status, c.Verdict, c.Detail)
	}
	return b.String()
}

// tamperAssert checks the verdict, the first failing check and its detail.
func tamperAssert(t *testing.T, res *verify.Result, verdict verify.Verdict, check, detail string) {
	t.Helper()
	if res == nil {
		t.Fatal("Verify returned nil")
	}
	if res.Verdict != verdict {
		t.Errorf("verdict %s, want %s", res.Verdict, verdict)
	}
	first, failed := res.FirstFailure()
	switch {
	case check == "" && failed:
		t.Errorf("check %s failed (%s), want every check to pass", first.Name, first.Detail)
	case check != "" && !failed:
		t.Errorf("no check failed, want %s to fail", check)
	case check != "" && first.Name != check:
		t.Errorf("first failure is %s (%s), want %s", first.Name, first.Detail, check)
	case detail != "" && !strings.Contains(first.Detail, detail):
		t.Errorf("%s detail %q does not mention %q", first.Name, first.Detail, detail)
	}
	if failed && strings.ContainsAny(first.Detail, "\n\r") {
		t.Errorf("%s detail is not one line: %q", first.Name, first.Detail)
	}
	if t.Failed() {
		t.Logf("result:\n%s", tamperDescribe(res))
	}
}

// tamperCheckStatus asserts the status of one named check.
func tamperCheckStatus(t *testing.T, res *verify.Result, name string, status verify.Status) verify.Check {
	t.Helper()
	c, ok := res.Check(name)
	if !ok {
		t.Fatalf("check %s did not run", name)
	}
	if c.Status != status {
		t.Errorf("check %s is %s (%s), want %s", name, c.Status, c.Detail, status)
	}
	return c
}

func tamperCases() []tamperCase {
	base := func(t *testing.T, fx *tamperFixture) map[string][]byte { return tamperClone(fx.base) }
	// flipFile flips a byte inside needle of one file, leaving everything else.
	flipFile := func(path, needle string) func(t *testing.T, fx *tamperFixture) map[string][]byte {
		return func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			files[path] = tamperFlipText(t, files[path], needle)
			return files
		}
	}
	// flipAttestation flips one decoded byte of a base64 field of the Sigstore bundle.
	flipAttestation := func(i int, key string, path ...any) func(t *testing.T, fx *tamperFixture) map[string][]byte {
		return func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			tamperEditAttestation(t, files, func(att map[string]any) {
				tamperFlipBase64(t, tamperAt(t, att, path...), key, i)
			})
			return files
		}
	}
	// resealed edits files then makes them consistent and re-signs (a dishonest emitter).
	resealed := func(edit func(t *testing.T, fx *tamperFixture, files map[string][]byte), mutate func(p *schema.Predicate)) func(t *testing.T, fx *tamperFixture) map[string][]byte {
		return func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			if edit != nil {
				edit(t, fx, files)
			}
			fx.reseal(t, files, mutate)
			return files
		}
	}
	// edited re-signs the base Statement after a JSON edit.
	edited := func(edit func(st map[string]any)) func(t *testing.T, fx *tamperFixture) map[string][]byte {
		return func(t *testing.T, fx *tamperFixture) map[string][]byte { return fx.resignEdited(t, edit) }
	}
	// honest builds and signs a bundle from edited inputs: everything consistent.
	honest := func(editRaw func(fx *tamperFixture, r *tamperRaw), editIn func(in *assemble.Inputs)) func(t *testing.T, fx *tamperFixture) map[string][]byte {
		return func(t *testing.T, fx *tamperFixture) map[string][]byte {
			return fx.mustBuildSigned(t, fx.inputs(t, editRaw, editIn), fx.a, sigstoretest.SignOptions{})
		}
	}
	signedAs := func(id sigstoretest.Identity) func(t *testing.T, fx *tamperFixture) map[string][]byte {
		return func(t *testing.T, fx *tamperFixture) map[string][]byte {
			return fx.mustBuildSigned(t, fx.inputs(t, nil, nil), fx.a, sigstoretest.SignOptions{Identity: id})
		}
	}
	withCTRF := func(phase string, i int, status string, fixSummary bool) func(t *testing.T, fx *tamperFixture, files map[string][]byte) {
		return func(t *testing.T, fx *tamperFixture, files map[string][]byte) {
			files[schema.CTRFPath(phase)] = tamperSetCTRF(t, files[schema.CTRFPath(phase)], i, status, fixSummary)
		}
	}
	honestCTRF := func(phase string, i int, status string) func(t *testing.T, fx *tamperFixture) map[string][]byte {
		return func(t *testing.T, fx *tamperFixture) map[string][]byte {
			in := fx.inputs(t, nil, nil)
			in.CTRF[phase] = tamperSetCTRF(t, in.CTRF[phase], i, status, true)
			return fx.mustBuildSigned(t, in, fx.a, sigstoretest.SignOptions{})
		}
	}
	verdictOf := func(name string, status verify.Status) func(t *testing.T, res *verify.Result) {
		return func(t *testing.T, res *verify.Result) { tamperCheckStatus(t, res, name, status) }
	}
	otherRecipe := func(t *testing.T, fx *tamperFixture) string {
		t.Helper()
		d, err := schema.RecipeDigest(fx.h200.recipe)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	return []tamperCase{
		// --- the base bundle and honest variations ---
		{name: "base bundle verifies", verdict: verify.VerdictPassed, also: func(t *testing.T, res *verify.Result) {
			if len(res.Checks) != 11 {
				t.Errorf("%d checks ran, want the 11 of format §7", len(res.Checks))
			}
			for _, c := range res.Checks {
				if c.Status != verify.StatusPassed {
					t.Errorf("check %s is %s", c.Name, c.Status)
				}
			}
			s := res.Signature
			if s == nil || !s.Signed || !s.Verified || !s.Allowed {
				t.Fatalf("signature info %+v", s)
			}
			if s.Identity != tamperIdentity || s.Issuer != tamperIssuer || s.Class != string(policy.ClassCommandLine) {
				t.Errorf("signer %q issuer %q class %q", s.Identity, s.Issuer, s.Class)
			}
			if s.SignedAt == nil || !s.SignedAt.Equal(tamperSignedAt) {
				t.Errorf("signed at %v, want %v", s.SignedAt, tamperSignedAt)
			}
			if s.Source != policy.SourceSlug(tamperIssuer, tamperIdentity) {
				t.Errorf("source %q", s.Source)
			}
			if res.Recipe == nil || res.Recipe.Name != tamperRecipe {
				t.Errorf("recipe %+v", res.Recipe)
			}
			if res.Predicate == nil || res.Predicate.Source != verify.SourceVerified {
				t.Errorf("predicate %+v, want it read from the verified DSSE payload", res.Predicate)
			}
		}},
		{name: "statement.intoto.json flipped is never trusted", files: flipFile(schema.FileStatement, `"recipe:h100`), verdict: verify.VerdictPassed},
		{name: "statement.intoto.json removed", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			delete(files, schema.FileStatement)
			return files
		}, verdict: verify.VerdictPassed},
		{name: "legacy predicate type accepted", files: edited(func(st map[string]any) {
			st["predicateType"] = schema.PredicateTypeV1Legacy
		}), verdict: verify.VerdictPassed},
		{name: "predicate schemaVersion 1.1.0 accepted", files: edited(func(st map[string]any) {
			tamperPredicateOf(st)["schemaVersion"] = "1.1.0"
		}), verdict: verify.VerdictPassed},
		{name: "unknown predicate field ignored", files: edited(func(st map[string]any) {
			tamperPredicateOf(st)["futureField"] = map[string]any{"claims": "anything"}
		}), verdict: verify.VerdictPassed},
		{name: "attestedAt exactly signing time + 5 min", files: honest(nil, func(in *assemble.Inputs) {
			in.AttestedAt = tamperSignedAt.Add(verify.MaxClockSkew)
		}), verdict: verify.VerdictPassed},

		// --- byte flips, file by file ---
		{name: "recipe.yaml flipped", files: flipFile(schema.FileRecipe, "accelerator: h10"), verdict: verify.VerdictInvalid, check: verify.CheckSignature, detail: "recipe.yaml"},
		{name: "snapshot.yaml flipped", files: flipFile(schema.FileSnapshot, "NVIDIA H10"), verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: `"snapshot.yaml" has sha256`},
		{name: "bom.cdx.json flipped", files: flipFile(schema.FileBOM, `"cert-manage`), verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: `"bom.cdx.json" has sha256`,
			also: verdictOf(verify.CheckBOM, verify.StatusFailed)},
		{name: "ctrf/deployment.json flipped", files: flipFile(schema.CTRFPath(schema.PhaseDeployment), `"operator-healt`), verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: "ctrf/deployment.json",
			also: verdictOf(verify.CheckCTRF, verify.StatusFailed)},
		{name: "ctrf/performance.json flipped", files: flipFile(schema.CTRFPath(schema.PhasePerformance), `"tool"`), verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: "ctrf/performance.json",
			also: verdictOf(verify.CheckCTRF, verify.StatusFailed)},
		{name: "ctrf/conformance.json flipped", files: flipFile(schema.CTRFPath(schema.PhaseConformance), `"tool"`), verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: "ctrf/conformance.json",
			also: verdictOf(verify.CheckCTRF, verify.StatusFailed)},
		{name: "manifest.json flipped", files: flipFile(schema.FileManifest, `"recipe.yam`), verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: "predicate.manifest.digest"},
		{name: "DSSE signature flipped", files: flipAttestation(-1, "sig", "dsseEnvelope", "signatures", 0), verdict: verify.VerdictInvalid, check: verify.CheckSignature},
		{name: "certificate flipped", files: flipAttestation(-1, "rawBytes", "verificationMaterial", "certificate"), verdict: verify.VerdictInvalid, check: verify.CheckSignature},
		{name: "inclusion proof hash flipped", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			tamperEditAttestation(t, files, func(att map[string]any) {
				hashes := tamperAt(t, att, "verificationMaterial", "tlogEntries", 0, "inclusionProof", "hashes").([]any)
				raw, err := base64.StdEncoding.DecodeString(hashes[0].(string))
				if err != nil {
					t.Fatal(err)
				}
				hashes[0] = base64.StdEncoding.EncodeToString(tamperFlipAt(raw, 0))
			})
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckSignature},
		{name: "signed entry timestamp flipped", files: flipAttestation(-1, "signedEntryTimestamp", "verificationMaterial", "tlogEntries", 0, "inclusionPromise"), verdict: verify.VerdictInvalid, check: verify.CheckSignature},
		{name: "attestation not a Sigstore bundle", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			files[schema.FileAttestation] = []byte("{\"not\": \"a bundle\"\n")
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckSignature, detail: "Sigstore bundle"},

		// --- manifest and file set ---
		{name: "manifest rewritten with edited snapshot", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			files[schema.FileSnapshot] = tamperFlipText(t, files[schema.FileSnapshot], "NVIDIA H10")
			mb, err := schema.NewManifest(files).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			files[schema.FileManifest] = mb
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: "is not the signed predicate.manifest.digest"},
		{name: "extra unlisted file", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			files["logs/x.log"] = []byte("nothing to see\n")
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: `"logs/x.log" is in the bundle but not listed`},
		{name: "listed file missing", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			delete(files, schema.FileSnapshot)
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: `"snapshot.yaml" is listed in manifest.json but missing`},
		{name: "extra file listed in a rewritten manifest", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			files["logs/x.log"] = []byte("added after signing\n")
			mb, err := schema.NewManifest(files).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			files[schema.FileManifest] = mb
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: "predicate.manifest.digest"},
		{name: "ctrf/ holds a file that is not a phase report", files: resealed(func(t *testing.T, fx *tamperFixture, files map[string][]byte) {
			files["ctrf/extra.json"] = bytes.Clone(files[schema.CTRFPath(schema.PhaseDeployment)])
		}, nil), verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: `"ctrf/extra.json": ctrf/ holds only`},
		{name: "snapshot.yaml dropped and the rest resealed", files: resealed(func(t *testing.T, fx *tamperFixture, files map[string][]byte) {
			delete(files, schema.FileSnapshot)
		}, nil), verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: "required file snapshot.yaml is not in manifest.json"},
		{name: "every CTRF report dropped and the rest resealed", files: resealed(func(t *testing.T, fx *tamperFixture, files map[string][]byte) {
			for _, p := range schema.Phases() {
				delete(files, schema.CTRFPath(p))
			}
		}, func(p *schema.Predicate) { p.Phases = map[string]schema.PhaseResult{} }),
			verdict: verify.VerdictInvalid, check: verify.CheckSchema, also: func(t *testing.T, res *verify.Result) {
				if c := tamperCheckStatus(t, res, verify.CheckManifest, verify.StatusFailed); !strings.Contains(c.Detail, "no CTRF report") {
					t.Errorf("manifest detail %q, want it to say there is no CTRF report", c.Detail)
				}
			}},
		{name: "manifest fileCount off by one", files: resealed(nil, func(p *schema.Predicate) { p.Manifest.FileCount++ }),
			verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: "fileCount"},

		// --- the signature ---
		{name: "DSSE payload swapped without re-signing", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			st := tamperStatementMap(t, files)
			tamperPredicateOf(st)["aicrVersion"] = "v9.9.9"
			payload, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			tamperEditAttestation(t, files, func(att map[string]any) {
				tamperAt(t, att, "dsseEnvelope").(map[string]any)["payload"] = base64.StdEncoding.EncodeToString(payload)
			})
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckSignature},
		{name: "DSSE envelope with a second signature", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			tamperEditAttestation(t, files, func(att map[string]any) {
				env := tamperAt(t, att, "dsseEnvelope").(map[string]any)
				sigs := env["signatures"].([]any)
				env["signatures"] = append(sigs, sigs[0])
			})
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckSignature},
		{name: "DSSE payloadType changed", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			tamperEditAttestation(t, files, func(att map[string]any) {
				tamperAt(t, att, "dsseEnvelope").(map[string]any)["payloadType"] = "application/json"
			})
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckSignature},
		{name: "re-signed by an untrusted Sigstore instance", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			return fx.mustBuildSigned(t, fx.inputs(t, nil, nil), fx.b, sigstoretest.SignOptions{})
		}, verdict: verify.VerdictInvalid, check: verify.CheckSignature, detail: "which the trusted root does not know"},
		{name: "log integrated time after the certificate expired", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			fx.tamperSignJSON(t, files, bytes.TrimSuffix(files[schema.FileStatement], []byte("\n")), fx.a, sigstoretest.SignOptions{IntegratedOffset: 11 * time.Minute})
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckSignature},
		{name: "unsigned bundle", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			delete(files, schema.FileAttestation)
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckSignature, detail: "unsigned"},
		{name: "unsigned bundle with trust unavailable stays invalid", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			delete(files, schema.FileAttestation)
			return files
		}, config: func(fx *tamperFixture, cfg *verify.Config) {
			cfg.Trust, cfg.TrustError = nil, fmt.Errorf("%w: offline", trust.ErrUnavailable)
		}, verdict: verify.VerdictInvalid, check: verify.CheckSignature, detail: "unsigned"},
		{name: "trust material unavailable", config: func(fx *tamperFixture, cfg *verify.Config) {
			cfg.Trust, cfg.TrustError = nil, fmt.Errorf("%w: TUF mirror unreachable", trust.ErrUnavailable)
		}, verdict: verify.VerdictError, check: verify.CheckSignature, detail: "TUF mirror unreachable",
			also: func(t *testing.T, res *verify.Result) {
				if res.Mode != "verify" {
					t.Errorf("mode %q, want verify", res.Mode)
				}
				if res.Signature != nil && res.Signature.Verified {
					t.Error("signature reported verified without trust material")
				}
			}},

		// --- the signer ---
		{name: "signer from another repository", files: signedAs(sigstoretest.GitHubActionsIdentity("mallory/recipe-evidence", ".github/workflows/evidence.yml", "refs/heads/main", tamperSHA, 1)),
			verdict: verify.VerdictInvalid, check: verify.CheckIdentity, detail: "not on the list",
			also: func(t *testing.T, res *verify.Result) {
				if res.Signature == nil || !res.Signature.Verified || res.Signature.Allowed {
					t.Errorf("signature info %+v: want verified but not allowed", res.Signature)
				}
			}},
		{name: "signer on another branch", files: signedAs(sigstoretest.GitHubActionsIdentity("acme-gpu/recipe-evidence", ".github/workflows/evidence.yml", "refs/heads/main-evil", tamperSHA, 1)),
			verdict: verify.VerdictInvalid, check: verify.CheckIdentity, detail: "not on the list"},
		{name: "right SAN, wrong issuer", files: signedAs(sigstoretest.Identity{SAN: tamperIdentity, Issuer: "https://issuer.example.com"}),
			verdict: verify.VerdictInvalid, check: verify.CheckIdentity, detail: "https://issuer.example.com"},
		{name: "no signer policy", config: func(fx *tamperFixture, cfg *verify.Config) { cfg.Policy = nil },
			verdict: verify.VerdictError, check: verify.CheckIdentity, detail: "no signer policy"},
		{name: "any signer explicitly allowed", files: signedAs(sigstoretest.GitHubActionsIdentity("someone/else", ".github/workflows/x.yml", "refs/heads/dev", tamperSHA, 7)),
			config: func(fx *tamperFixture, cfg *verify.Config) { cfg.Policy = policy.AllowAny() }, verdict: verify.VerdictPassed,
			also: func(t *testing.T, res *verify.Result) {
				if res.Signature == nil || res.Signature.Class != string(policy.ClassAny) || !res.Signature.Allowed {
					t.Errorf("signature info %+v, want class %q", res.Signature, policy.ClassAny)
				}
			}},

		// --- the Statement ---
		{name: "Statement _type v0.1", files: edited(func(st map[string]any) { st["_type"] = "https://in-toto.io/Statement/v0.1" }),
			verdict: verify.VerdictInvalid, check: verify.CheckStatement, detail: "v0.1"},
		{name: "Statement without _type", files: edited(func(st map[string]any) { delete(st, "_type") }),
			verdict: verify.VerdictInvalid, check: verify.CheckStatement, detail: "(missing)"},
		{name: "unknown predicate type", files: edited(func(st map[string]any) { st["predicateType"] = "https://slsa.dev/provenance/v1" }),
			verdict: verify.VerdictInvalid, check: verify.CheckStatement, detail: "https://slsa.dev/provenance/v1"},
		{name: "subject digest of another recipe", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			d := otherRecipe(t, fx)
			return fx.resignEdited(t, func(st map[string]any) {
				st["subject"].([]any)[0].(map[string]any)["digest"] = map[string]any{"sha256": d}
				tamperPredicateOf(st)["recipe"].(map[string]any)["digest"] = d
			})
		}, verdict: verify.VerdictInvalid, check: verify.CheckSignature, detail: "recipe.yaml"},
		{name: "subject name without recipe: prefix", files: edited(func(st map[string]any) {
			st["subject"].([]any)[0].(map[string]any)["name"] = tamperRecipe
		}), verdict: verify.VerdictInvalid, check: verify.CheckSubject, detail: `does not start with "recipe:"`},
		{name: "second subject", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			d := otherRecipe(t, fx)
			return fx.resignEdited(t, func(st map[string]any) {
				st["subject"] = append(st["subject"].([]any), map[string]any{"name": "recipe:other", "digest": map[string]any{"sha256": d}})
			})
		}, verdict: verify.VerdictInvalid, check: verify.CheckSubject, detail: "2 subjects"},
		{name: "subject with a second digest", files: edited(func(st map[string]any) {
			st["subject"].([]any)[0].(map[string]any)["digest"].(map[string]any)["sha512"] = strings.Repeat("ab", 64)
		}), verdict: verify.VerdictInvalid, check: verify.CheckSubject, detail: "2 digests"},
		{name: "subject digest in upper case", files: edited(func(st map[string]any) {
			d := st["subject"].([]any)[0].(map[string]any)["digest"].(map[string]any)
			d["sha256"] = strings.ToUpper(d["sha256"].(string))
		}), verdict: verify.VerdictInvalid, check: verify.CheckSubject, detail: "lowercase hex"},
		// The subject is the digest of the raw bytes, so the signature holds;
		// only the canonical-form rule of format §3 catches it.
		{name: "recipe.yaml not canonical", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			files[schema.FileRecipe] = bytes.Clone(fx.h100.recipe)
			fx.reseal(t, files, func(p *schema.Predicate) {
				p.Recipe.Digest = strings.TrimPrefix(schema.SHA256Prefixed(fx.h100.recipe), "sha256:")
			})
			return files
		},
			verdict: verify.VerdictInvalid, check: verify.CheckSubject, detail: "canonical form"},

		// --- the predicate schema ---
		{name: "predicate schemaVersion 2.0.0", files: edited(func(st map[string]any) { tamperPredicateOf(st)["schemaVersion"] = "2.0.0" }),
			verdict: verify.VerdictInvalid, check: verify.CheckSchema, detail: "2.0.0"},
		{name: "negative phase count", files: edited(func(st map[string]any) {
			tamperPredicateOf(st)["phases"].(map[string]any)[schema.PhaseDeployment].(map[string]any)["failed"] = -1
		}), verdict: verify.VerdictInvalid, check: verify.CheckSchema},
		{name: "predicate recipe.name differs from the subject", files: edited(func(st map[string]any) {
			tamperPredicateOf(st)["recipe"].(map[string]any)["name"] = "h200-oke-ubuntu-inference"
		}), verdict: verify.VerdictInvalid, check: verify.CheckSchema, detail: "recipe.name"},
		{name: "validatorImages not sorted", files: edited(func(st map[string]any) {
			imgs := tamperPredicateOf(st)["validatorImages"].([]any)
			imgs[0], imgs[len(imgs)-1] = imgs[len(imgs)-1], imgs[0]
		}), verdict: verify.VerdictInvalid, check: verify.CheckSchema, detail: "sorted"},
		{name: "predicate claims a phase format v1 does not have", files: edited(func(st map[string]any) {
			phases := tamperPredicateOf(st)["phases"].(map[string]any)
			phases["security"] = phases[schema.PhaseDeployment]
		}), verdict: verify.VerdictInvalid, check: verify.CheckSchema, detail: "security"},
		{name: "attestedAt with a UTC offset", files: edited(func(st map[string]any) {
			tamperPredicateOf(st)["attestedAt"] = "2026-11-20T10:58:00+01:00"
		}), verdict: verify.VerdictInvalid, check: verify.CheckSchema, detail: "attestedAt"},
		{name: "attestedAt on a day that does not exist", files: edited(func(st map[string]any) {
			tamperPredicateOf(st)["attestedAt"] = "2026-02-30T09:58:00Z"
		}), verdict: verify.VerdictInvalid, check: verify.CheckSchema, detail: "attestedAt"},

		// --- CTRF ---
		{name: "CTRF summary hides a failed test", files: resealed(withCTRF(schema.PhaseDeployment, 1, schema.CTRFFailed, false), nil),
			verdict: verify.VerdictInvalid, check: verify.CheckCTRF, detail: "hides"},
		{name: "predicate counts claim a pass the CTRF report does not show", files: resealed(withCTRF(schema.PhaseDeployment, 1, schema.CTRFFailed, true), func(p *schema.Predicate) {
			r := p.Phases[schema.PhaseDeployment]
			r.Passed, r.Failed = r.Passed+1, 0
			p.Phases[schema.PhaseDeployment] = r
		}), verdict: verify.VerdictInvalid, check: verify.CheckCTRF, detail: "predicate counts"},
		{name: "CTRF summary test count inflated", files: resealed(func(t *testing.T, fx *tamperFixture, files map[string][]byte) {
			p := schema.CTRFPath(schema.PhasePerformance)
			files[p] = bytes.Replace(files[p], []byte(`"tests": `), []byte(`"tests": 1`), 1)
		}, nil), verdict: verify.VerdictInvalid, check: verify.CheckCTRF, detail: "hides"},
		{name: "CTRF report not in the predicate's phases", files: resealed(nil, func(p *schema.Predicate) { delete(p.Phases, schema.PhasePerformance) }),
			verdict: verify.VerdictInvalid, check: verify.CheckCTRF, detail: "ctrf/performance.json is not in the signed predicate's phases"},
		{name: "predicate phase without its CTRF report", files: resealed(func(t *testing.T, fx *tamperFixture, files map[string][]byte) {
			delete(files, schema.CTRFPath(schema.PhasePerformance))
		}, nil), verdict: verify.VerdictInvalid, check: verify.CheckCTRF, detail: "has no ctrf/performance.json"},
		{name: "CTRF test with an unknown status", files: resealed(withCTRF(schema.PhaseConformance, 0, "flaky", false), nil),
			verdict: verify.VerdictInvalid, check: verify.CheckCTRF, detail: "flaky"},
		{name: "failed test honestly reported", files: honestCTRF(schema.PhaseDeployment, 1, schema.CTRFFailed),
			verdict: verify.VerdictFailing, check: verify.CheckCTRF, detail: `"gpu-operator-ready" (failed)`},
		{name: "pending test honestly reported", files: honestCTRF(schema.PhasePerformance, 0, schema.CTRFPending),
			verdict: verify.VerdictFailing, check: verify.CheckCTRF, detail: "(pending)"},
		{name: "other outcome honestly reported", files: honestCTRF(schema.PhaseConformance, 0, schema.CTRFOther),
			verdict: verify.VerdictFailing, check: verify.CheckCTRF, detail: "(other)"},
		{name: "skipped test is not a failure", files: honestCTRF(schema.PhaseConformance, 0, schema.CTRFSkipped),
			verdict: verify.VerdictPassed},

		// --- BOM ---
		{name: "BOM componentCount off by one", files: resealed(nil, func(p *schema.Predicate) { p.BOM.ComponentCount++ }),
			verdict: verify.VerdictInvalid, check: verify.CheckBOM, detail: "componentCount"},
		// The manifest binds the file (it lists bom.cdx.json's true digest and the
		// manifest is signed), so the manifest check passes: it is the predicate's
		// own bom.digest claim that is wrong, and only the BOM check compares it.
		{name: "BOM digest in the predicate wrong", files: resealed(nil, func(p *schema.Predicate) { p.BOM.Digest = schema.SHA256Prefixed([]byte("another bom")) }),
			verdict: verify.VerdictInvalid, check: verify.CheckBOM, detail: "predicate bom.digest",
			also: verdictOf(verify.CheckManifest, verify.StatusPassed)},
		// A BOM swapped after signing is first caught by the manifest (it precedes
		// the BOM check); the BOM check catches it too.
		{name: "BOM file swapped after signing", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			files := base(t, fx)
			files[schema.FileBOM] = bytes.Clone(fx.h200.bom)
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckManifest, detail: `"bom.cdx.json"`,
			also: verdictOf(verify.CheckBOM, verify.StatusFailed)},

		// --- fingerprint and criteria ---
		{name: "fingerprint contradicts the snapshot", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			in := fx.inputs(t, nil, nil) // fingerprint and criteria match of the H100 snapshot ...
			in.Snapshot = bytes.Clone(fx.h200.snapshot)
			return fx.mustBuildSigned(t, in, fx.a, sigstoretest.SignOptions{}) // ... signed over an H200 snapshot
		}, verdict: verify.VerdictInvalid, check: verify.CheckFingerprint, detail: "contradicts snapshot.yaml"},
		{name: "criteria mismatch honestly reported", files: honest(func(fx *tamperFixture, r *tamperRaw) {
			r.snapshot = bytes.Clone(fx.h200.snapshot)
		}, nil), verdict: verify.VerdictFailing, check: verify.CheckFingerprint, detail: "accelerator: recipe requires h100"},
		{name: "criteria mismatch signed as matched", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			r := fx.h100.clone()
			r.snapshot = bytes.Clone(fx.h200.snapshot)
			in, err := tamperInputs(r, tamperAttestedAt)
			if err != nil {
				t.Fatal(err)
			}
			if in.CriteriaMatch.Matched {
				t.Fatal("an H200 snapshot matches the H100 recipe")
			}
			in.CriteriaMatch.Matched = true
			return fx.mustBuildSigned(t, in, fx.a, sigstoretest.SignOptions{})
		}, verdict: verify.VerdictInvalid, check: verify.CheckFingerprint, detail: "contradicts snapshot.yaml"},

		// --- freshness ---
		{name: "attestedAt after the signing time + 5 min", files: honest(nil, func(in *assemble.Inputs) {
			in.AttestedAt = tamperSignedAt.Add(verify.MaxClockSkew + time.Second)
		}), verdict: verify.VerdictInvalid, check: verify.CheckFreshness, detail: "after the signed time"},
		{name: "stale bundle", config: func(fx *tamperFixture, cfg *verify.Config) {
			cfg.MaxAge = 30 * 24 * time.Hour
			cfg.Now = func() time.Time { return tamperAttestedAt.Add(60 * 24 * time.Hour) }
		}, verdict: verify.VerdictFailing, check: verify.CheckFreshness, detail: "older than the maximum age"},
		{name: "max age 0 disables the age check", config: func(fx *tamperFixture, cfg *verify.Config) {
			cfg.MaxAge = 0
			cfg.Now = func() time.Time { return tamperAttestedAt.Add(10 * 365 * 24 * time.Hour) }
		}, verdict: verify.VerdictPassed, also: func(t *testing.T, res *verify.Result) {
			if c := tamperCheckStatus(t, res, verify.CheckFreshness, verify.StatusPassed); strings.Contains(c.Detail, "maximum age") {
				t.Errorf("freshness detail %q mentions a maximum age that is disabled", c.Detail)
			}
		}},

		// --- the archive ---
		{name: "symlink entry", bundle: func(t *testing.T, fx *tamperFixture) []byte {
			return tamperTarWith(t, fx.base, &tar.Header{Typeflag: tar.TypeSymlink, Name: "logs/passwd", Linkname: "/etc/passwd", Mode: 0o777, ModTime: tamperAttestedAt}, nil)
		}, verdict: verify.VerdictInvalid, check: verify.CheckArchive, detail: "logs/passwd"},
		{name: "parent-segment entry", bundle: func(t *testing.T, fx *tamperFixture) []byte {
			return tamperTarWith(t, fx.base, &tar.Header{Typeflag: tar.TypeReg, Name: "../evil.sh", Size: 3, Mode: 0o644, ModTime: tamperAttestedAt}, []byte("hi\n"))
		}, verdict: verify.VerdictInvalid, check: verify.CheckArchive, detail: "../evil.sh"},
		{name: "second gzip member", bundle: func(t *testing.T, fx *tamperFixture) []byte {
			return append(bytes.Clone(fx.bundle), tamperGzip(t, []byte("smuggled"))...)
		}, verdict: verify.VerdictInvalid, check: verify.CheckArchive},
		{name: "reader fails mid-stream", reader: func(t *testing.T, fx *tamperFixture) io.Reader {
			return &tamperFailingReader{data: fx.bundle, n: len(fx.bundle) / 2}
		}, verdict: verify.VerdictError, check: verify.CheckArchive, detail: errTamperIO.Error()},

		// --- --recipe ---
		{name: "recipe file is the input recipe", recipe: func(t *testing.T, fx *tamperFixture) []byte { return fx.h100.recipe },
			verdict: verify.VerdictPassed, also: verdictOf(verify.CheckRecipeFile, verify.StatusPassed)},
		{name: "recipe file reordered and commented", recipe: func(t *testing.T, fx *tamperFixture) []byte {
			s := strings.Replace(string(fx.h100.recipe), "kind: RecipeResult\n", "", 1)
			return []byte("# a maintainer's copy\n" + s + "kind: RecipeResult # moved to the end\n")
		}, verdict: verify.VerdictPassed, also: verdictOf(verify.CheckRecipeFile, verify.StatusPassed)},
		{name: "recipe file with one changed value", recipe: func(t *testing.T, fx *tamperFixture) []byte {
			return bytes.Replace(fx.h100.recipe, []byte("accelerator: h100"), []byte("accelerator: h200"), 1)
		}, verdict: verify.VerdictInvalid, check: verify.CheckRecipeFile, detail: "1 differing paths",
			also: func(t *testing.T, res *verify.Result) {
				c := tamperCheckStatus(t, res, verify.CheckRecipeFile, verify.StatusFailed)
				if len(c.Rows) != 1 || c.Rows[0].Key != "criteria.accelerator" || !strings.Contains(c.Rows[0].Value, "h200") || !strings.Contains(c.Rows[0].Value, "h100") {
					t.Errorf("recipe-file rows %+v, want one row for criteria.accelerator", c.Rows)
				}
			}},

		// --- verdicts combine: the worst wins, and hard beats transient ---
		{name: "tampered CTRF and trust unavailable stays invalid", files: flipFile(schema.CTRFPath(schema.PhaseDeployment), `"operator-healt`),
			config: func(fx *tamperFixture, cfg *verify.Config) {
				cfg.Trust, cfg.TrustError = nil, fmt.Errorf("%w: offline", trust.ErrUnavailable)
			}, verdict: verify.VerdictInvalid, check: verify.CheckSignature, detail: "offline",
			also: func(t *testing.T, res *verify.Result) {
				c := tamperCheckStatus(t, res, verify.CheckSignature, verify.StatusError)
				if c.Verdict != verify.VerdictError {
					t.Errorf("signature check verdict %s, want error", c.Verdict)
				}
				if m := tamperCheckStatus(t, res, verify.CheckManifest, verify.StatusFailed); m.Verdict != verify.VerdictInvalid {
					t.Errorf("manifest check verdict %s, want invalid", m.Verdict)
				}
			}},
		{name: "failed test and tampered snapshot stays invalid", files: func(t *testing.T, fx *tamperFixture) map[string][]byte {
			in := fx.inputs(t, nil, nil)
			in.CTRF[schema.PhaseDeployment] = tamperSetCTRF(t, in.CTRF[schema.PhaseDeployment], 1, schema.CTRFFailed, true)
			files := fx.mustBuildSigned(t, in, fx.a, sigstoretest.SignOptions{})
			files[schema.FileSnapshot] = tamperFlipText(t, files[schema.FileSnapshot], "NVIDIA H10")
			return files
		}, verdict: verify.VerdictInvalid, check: verify.CheckManifest, also: func(t *testing.T, res *verify.Result) {
			if c := tamperCheckStatus(t, res, verify.CheckCTRF, verify.StatusFailed); c.Verdict != verify.VerdictFailing {
				t.Errorf("ctrf verdict %s, want failing", c.Verdict)
			}
		}},
	}
}

// TestTamperCorpus runs every generated tampered bundle through the verifier
// and checks the verdict and the check that caught it.
func TestTamperCorpus(t *testing.T) {
	fx := tamperSetup(t)
	cases := tamperCases()
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			res := c.run(t, fx)
			tamperAssert(t, res, c.verdict, c.check, c.detail)
			if c.also != nil {
				c.also(t, res)
			}
		})
	}
	t.Logf("tamper corpus: %d cases", len(cases))
	if len(cases) < 40 {
		t.Errorf("tamper corpus has %d cases, want at least 40", len(cases))
	}
}

// TestTamperBaseIsDeterministic checks that the corpus's base bundle is what
// archive.Write produces (re-packing its unpacked files gives the same bytes),
// so that every "flip one thing" case differs from it in that one thing only.
func TestTamperBaseIsDeterministic(t *testing.T) {
	fx := tamperSetup(t)
	if got := tamperPack(t, tamperUnpack(t, fx.bundle)); !bytes.Equal(got, fx.bundle) {
		t.Fatal("re-packing the base bundle's files changed its bytes")
	}
}

// TestTamperVerifierIsReusable verifies the base bundle, a tampered one and the
// base bundle again with one Verifier: no state leaks from one run to the next.
func TestTamperVerifierIsReusable(t *testing.T) {
	fx := tamperSetup(t)
	v := fx.verifier
	first := v.Verify(context.Background(), bytes.NewReader(fx.bundle), verify.Options{})
	files := tamperClone(fx.base)
	files[schema.FileSnapshot] = tamperFlipText(t, files[schema.FileSnapshot], "NVIDIA H10")
	bad := v.Verify(context.Background(), bytes.NewReader(tamperPack(t, files)), verify.Options{})
	again := v.Verify(context.Background(), bytes.NewReader(fx.bundle), verify.Options{})
	tamperAssert(t, first, verify.VerdictPassed, "", "")
	tamperAssert(t, bad, verify.VerdictInvalid, verify.CheckManifest, "")
	tamperAssert(t, again, verify.VerdictPassed, "", "")
}
