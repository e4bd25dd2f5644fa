package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/schema"
)

// Check names, in pipeline order (format v1 §6).
const (
	CheckArchive     = "archive"
	CheckSignature   = "signature"
	CheckIdentity    = "identity"
	CheckStatement   = "statement"
	CheckSubject     = "subject"
	CheckSchema      = "schema"
	CheckManifest    = "manifest"
	CheckCTRF        = "ctrf"
	CheckBOM         = "bom"
	CheckFingerprint = "fingerprint"
	CheckFreshness   = "freshness"
	CheckRecipeFile  = "recipe-file"
)

var checkOrder = []string{CheckArchive, CheckSignature, CheckIdentity, CheckStatement, CheckSubject, CheckSchema,
	CheckManifest, CheckCTRF, CheckBOM, CheckFingerprint, CheckFreshness}

// Options configures a run of the pipeline.
type Options struct {
	// Limits bound the archive reader; the zero value means archive defaults.
	Limits archive.Limits
	// Name labels the input in the result (a path, or "-" for stdin).
	Name string
	// Recipe, when set, is a recipe file whose canonical form the bundle's
	// recipe must be; RecipeName names it in the report.
	Recipe     []byte
	RecipeName string
}

// Config configures a Verifier.
type Config struct {
	// Trust is the Sigstore trust material. Nil means inspect mode: the
	// signature and the signer are not checked and reported as skipped.
	Trust root.TrustedMaterial
	// TrustError, when set, says why trust material could not be obtained; the
	// signature check then reports an error verdict (could not decide).
	TrustError error
	// Policy decides which signers are trusted. An empty policy trusts nobody.
	Policy *policy.Policy
	// MaxAge is the oldest attestedAt accepted; 0 disables the check.
	MaxAge time.Duration
	// Now is the clock for freshness; nil means time.Now.
	Now func() time.Time
	// RequireFullCoverage makes a declared check without a test of its name
	// in its phase's CTRF report failing (format v1 §5); without it, missing
	// coverage is only shown (Result.Coverage).
	RequireFullCoverage bool
}

// Verifier runs the checks of format v1 §7 over bundles. Build one and reuse it.
type Verifier struct {
	cfg       Config
	validator *schema.PredicateValidator
}

// Inspector is the name the inspect command uses for a Verifier without trust material.
type Inspector = Verifier

// NewInspector returns a Verifier that checks everything except the signature
// and the signer: archive safety, Statement and predicate types, the subject ↔
// recipe binding, the predicate schema, the manifest and every file, CTRF, BOM,
// fingerprint and freshness.
func NewInspector() (*Verifier, error) { return New(Config{}) }

// New compiles the predicate schema once and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	v, err := schema.NewPredicateValidator()
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg, validator: v}, nil
}

func (v *Verifier) mode() string {
	if v.cfg.Trust == nil && v.cfg.TrustError == nil {
		return "inspect"
	}
	return "verify"
}

// state is what the pipeline learns as it goes, shared by the checks of one run.
type state struct {
	contents   *archive.Contents
	statement  *intoto.Statement
	payload    []byte // the Statement's exact JSON bytes (the DSSE payload)
	stmtSource string
	subject    schema.Subject
	recipe     *schema.CanonicalRecipe
	predicate  *schema.Predicate
	signedAt   time.Time
	sigResult  *sgverify.VerificationResult
	sigBundle  *bundle.Bundle
	// integrityOK is false once a check found tampering; evidence checks then
	// still run for the reader, but the verdict never improves.
	integrityOK bool
}

// Inspect is Verify; the name reads better for a Verifier without trust material.
func (v *Verifier) Inspect(ctx context.Context, r io.Reader, opts Options) *Result {
	return v.Verify(ctx, r, opts)
}

// Verify reads the bundle from r in one streaming pass and runs the checks.
// It never returns an error: every failure is a check in the result.
func (v *Verifier) Verify(ctx context.Context, r io.Reader, opts Options) *Result {
	res := &Result{Bundle: opts.Name, Mode: v.mode(), Verdict: VerdictPassed}
	st := &state{integrityOK: true}
	if !v.checkArchive(ctx, r, opts, res, st) {
		for _, name := range checkOrder[1:] {
			res.add(Check{Name: name, Title: titles[name], Status: StatusSkipped, Detail: "not run: the archive could not be read"})
		}
		return res
	}
	v.checkSignature(res, st)
	v.checkIdentity(res, st)
	v.checkStatement(res, st)
	v.checkSubject(res, st)
	if opts.Recipe != nil {
		v.checkRecipeFile(res, st, opts)
	}
	v.checkSchema(res, st)
	v.checkManifest(res, st)
	v.checkCTRF(res, st)
	v.checkBOM(res, st)
	v.checkFingerprint(res, st)
	v.checkFreshness(res, st)
	if res.Verdict == VerdictPassed {
		res.Summary = passedSummary(res.Mode)
	}
	return res
}

// passedSummary is the summary of a passed result in mode.
func passedSummary(mode string) string {
	if mode == "inspect" {
		return "every check inspect runs passed; the signature was not checked"
	}
	return "signature, signer, integrity, schema and evidence verified; every phase passed and the criteria matched"
}

var titles = map[string]string{
	CheckArchive:     "Archive safety",
	CheckSignature:   "Signature",
	CheckIdentity:    "Signer identity",
	CheckStatement:   "Statement type",
	CheckSubject:     "Subject ↔ recipe",
	CheckSchema:      "Predicate schema",
	CheckManifest:    "Manifest and files",
	CheckCTRF:        "Test results (CTRF)",
	CheckBOM:         "Bill of materials",
	CheckFingerprint: "Fingerprint and criteria",
	CheckFreshness:   "Freshness",
	CheckRecipeFile:  "Recipe file ↔ bundle",
}

func (v *Verifier) checkArchive(ctx context.Context, r io.Reader, opts Options, res *Result, st *state) bool {
	c := Check{Name: CheckArchive, Title: titles[CheckArchive]}
	contents, err := archive.Read(ctx, r, opts.Limits)
	if err != nil {
		c.Detail = err.Error()
		switch archive.KindOf(err) {
		case archive.KindIO, archive.KindCanceled:
			c.Status, c.Verdict = StatusError, VerdictError
		default:
			c.Status, c.Verdict = StatusFailed, VerdictInvalid
		}
		res.add(c)
		return false
	}
	st.contents = contents
	var total int64
	for _, f := range contents.Files() {
		total += f.Size
	}
	res.Archive = &ArchiveInfo{Files: len(contents.Files()), Bytes: total, CompressedBytes: contents.CompressedBytes()}
	c.Status = StatusPassed
	c.Detail = fmt.Sprintf("%d files, %s uncompressed; regular files only, safe paths, no duplicates", len(contents.Files()), humanBytes(total))
	res.add(c)
	return true
}

func (v *Verifier) checkStatement(res *Result, st *state) {
	c := Check{Name: CheckStatement, Title: titles[CheckStatement], Verdict: VerdictInvalid}
	var err error
	if st.sigResult != nil {
		st.statement, st.payload, err = verifiedStatement(st.sigBundle)
		st.stmtSource = SourceVerified
	} else if v.mode() == "verify" {
		c.Status, c.Detail = StatusSkipped, "not run: no verified Statement (see Signature)"
		res.add(c)
		return
	} else if att, ok := st.contents.Document(schema.FileAttestation); ok {
		st.statement, st.payload, err = unverifiedStatement(att)
		st.stmtSource = SourceAttestation
	} else if raw, ok := st.contents.Document(schema.FileStatement); ok {
		st.statement, err = schema.ParseStatement(raw)
		st.payload, st.stmtSource = raw, SourceUnsigned
	} else {
		err = fmt.Errorf("bundle has neither %s nor %s", schema.FileAttestation, schema.FileStatement)
	}
	if err == nil {
		err = schema.CheckStatementTypes(st.statement)
	}
	if err != nil {
		st.statement = nil
		c.Status, c.Detail = StatusFailed, err.Error()
		res.add(c)
		return
	}
	c.Status = StatusPassed
	c.Detail = fmt.Sprintf("%s with predicate %s, from %s", st.statement.GetType(), st.statement.GetPredicateType(), st.stmtSource)
	res.add(c)
}

func (v *Verifier) checkSubject(res *Result, st *state) {
	c := Check{Name: CheckSubject, Title: titles[CheckSubject], Verdict: VerdictInvalid}
	fail := func(format string, args ...any) {
		c.Status, c.Detail = StatusFailed, fmt.Sprintf(format, args...)
		res.add(c)
	}
	raw, ok := st.contents.Document(schema.FileRecipe)
	if !ok {
		fail("bundle has no %s", schema.FileRecipe)
		return
	}
	rec, err := schema.Canonical(raw)
	if err != nil {
		fail("%s: %v", schema.FileRecipe, err)
		return
	}
	st.recipe = rec
	res.CanonicalRecipe = rec
	res.Recipe = &RecipeInfo{Digest: rec.Digest}
	c.Rows = append(c.Rows, Row{Key: "recipe digest (computed)", Value: rec.Digest})
	if !bytes.Equal(rec.Bytes, raw) {
		fail("%s is not in canonical form (format §3): its bytes differ from their canonical re-encoding", schema.FileRecipe)
		return
	}
	if st.statement == nil {
		c.Status, c.Detail = StatusSkipped, "not run: no readable Statement"
		res.add(c)
		return
	}
	sub, err := schema.StatementSubject(st.statement)
	if err != nil {
		fail("%v", err)
		return
	}
	st.subject = sub
	res.Recipe.Name = sub.RecipeName
	c.Rows = append(c.Rows, Row{Key: "subject", Value: schema.SubjectPrefix + sub.RecipeName}, Row{Key: "subject digest", Value: sub.Digest})
	if sub.Digest != rec.Digest {
		fail("subject digest %s is not the digest of the bundle's %s (%s)", short(sub.Digest), schema.FileRecipe, short(rec.Digest))
		return
	}
	c.Status = StatusPassed
	c.Detail = fmt.Sprintf("subject %s%s is bound to recipe.yaml (sha256 %s)", schema.SubjectPrefix, sub.RecipeName, short(rec.Digest))
	res.add(c)
}

func (v *Verifier) checkSchema(res *Result, st *state) {
	c := Check{Name: CheckSchema, Title: titles[CheckSchema], Verdict: VerdictInvalid}
	if st.statement == nil {
		c.Status, c.Detail = StatusSkipped, "not run: no readable Statement"
		res.add(c)
		return
	}
	fail := func(err error) {
		c.Status, c.Detail = StatusFailed, err.Error()
		res.add(c)
	}
	pj, err := schema.PredicateJSON(st.payload)
	if err != nil {
		fail(err)
		return
	}
	if v, err := schemaVersionOf(pj); err != nil {
		fail(err)
		return
	} else if _, err := schema.CheckPredicateVersion(v); err != nil {
		fail(err)
		return
	}
	if err := v.validator.Validate(pj); err != nil {
		fail(err)
		return
	}
	p, err := schema.DecodePredicate(pj)
	if err != nil {
		fail(err)
		return
	}
	if _, err := time.Parse(time.RFC3339, p.AttestedAt); err != nil {
		fail(fmt.Errorf("predicate attestedAt %q: %w", p.AttestedAt, err))
		return
	}
	if !sort.SliceIsSorted(p.ValidatorImages, func(i, j int) bool { return p.ValidatorImages[i].Image < p.ValidatorImages[j].Image }) {
		fail(errors.New("predicate validatorImages are not sorted by image"))
		return
	}
	if st.subject.Digest != "" {
		if p.Recipe.Name != st.subject.RecipeName {
			fail(fmt.Errorf("predicate recipe.name %q differs from the subject name %q", p.Recipe.Name, st.subject.RecipeName))
			return
		}
		if p.Recipe.Digest != st.subject.Digest {
			fail(fmt.Errorf("predicate recipe.digest %s differs from the subject digest %s", short(p.Recipe.Digest), short(st.subject.Digest)))
			return
		}
	}
	st.predicate = p
	at, _ := time.Parse(time.RFC3339, p.AttestedAt)
	res.AttestedAt = &at
	res.Predicate = &PredicateInfo{Type: st.statement.GetPredicateType(), SchemaVersion: p.SchemaVersion, AICRVersion: p.AICRVersion, Source: st.stmtSource}
	for _, ph := range schema.Phases() {
		if r, ok := p.Phases[ph]; ok {
			res.Phases = append(res.Phases, PhaseInfo{Phase: ph, Passed: r.Passed, Failed: r.Failed, Skipped: r.Skipped, Pending: r.Pending, Other: r.Other})
		}
	}
	c.Status = StatusPassed
	c.Detail = fmt.Sprintf("predicate schemaVersion %s matches recipe-evidence-v1.schema.json", p.SchemaVersion)
	res.add(c)
}

func (v *Verifier) checkManifest(res *Result, st *state) {
	c := Check{Name: CheckManifest, Title: titles[CheckManifest], Verdict: VerdictInvalid}
	problems := manifestProblems(st)
	if len(problems) > 0 {
		c.Status = StatusFailed
		c.Detail = problems[0]
		if len(problems) > 1 {
			c.Detail += fmt.Sprintf(" (and %d more)", len(problems)-1)
		}
		for i, p := range problems {
			if i == 20 {
				c.Rows = append(c.Rows, Row{Key: "…", Value: fmt.Sprintf("%d more not shown", len(problems)-20)})
				break
			}
			c.Rows = append(c.Rows, Row{Key: "problem", Value: p})
		}
		res.add(c)
		return
	}
	raw, _ := st.contents.Document(schema.FileManifest)
	m, _ := schema.ParseManifest(raw)
	c.Status = StatusPassed
	c.Detail = fmt.Sprintf("manifest.json (%s) lists %d files; every size and sha256 matches, nothing unlisted", short(strings.TrimPrefix(schema.SHA256Prefixed(raw), "sha256:")), len(m.Files))
	res.add(c)
}

// manifestProblems checks manifest.json against the archive and the predicate.
func manifestProblems(st *state) []string {
	raw, ok := st.contents.Document(schema.FileManifest)
	if !ok {
		return []string{"bundle has no manifest.json"}
	}
	var problems []string
	if st.predicate != nil {
		if got := schema.SHA256Prefixed(raw); got != st.predicate.Manifest.Digest {
			problems = append(problems, fmt.Sprintf("manifest.json digest %s is not the signed predicate.manifest.digest %s: manifest tampered or predicate wrong", short(got), short(st.predicate.Manifest.Digest)))
		}
	}
	m, err := schema.ParseManifest(raw)
	if err != nil {
		return append(problems, err.Error())
	}
	if st.predicate != nil && st.predicate.Manifest.FileCount != len(m.Files) {
		problems = append(problems, fmt.Sprintf("manifest.json lists %d files, predicate.manifest.fileCount says %d", len(m.Files), st.predicate.Manifest.FileCount))
	}
	listed := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		listed[f.Path] = true
		if err := archive.CheckPath(f.Path); err != nil {
			problems = append(problems, fmt.Sprintf("manifest.json lists an unsafe path: %v", err))
			continue
		}
		if p := reservedNameProblem(f.Path); p != "" {
			problems = append(problems, "manifest.json lists "+p)
			continue
		}
		got, ok := st.contents.Lookup(f.Path)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is listed in manifest.json but missing from the bundle", quote(f.Path)))
			continue
		}
		if got.Size != f.Size {
			problems = append(problems, fmt.Sprintf("%s is %d bytes, manifest.json says %d", quote(f.Path), got.Size, f.Size))
		}
		if h := schema.FormatSHA256(got.SHA256); h != f.SHA256 {
			problems = append(problems, fmt.Sprintf("%s has sha256 %s, manifest.json says %s", quote(f.Path), short(h), short(f.SHA256)))
		}
	}
	for _, f := range st.contents.Files() {
		if !schema.IsUninventoried(f.Path) && !listed[f.Path] {
			problems = append(problems, fmt.Sprintf("%s is in the bundle but not listed in manifest.json", quote(f.Path)))
		}
	}
	for _, req := range []string{schema.FileRecipe, schema.FileSnapshot, schema.FileBOM} {
		if !listed[req] {
			problems = append(problems, fmt.Sprintf("required file %s is not in manifest.json", req))
		}
	}
	ctrf := 0
	for p := range listed {
		if dir, name, ok := strings.Cut(p, "/"); ok && dir == schema.CTRFDir {
			phase, isJSON := strings.CutSuffix(name, ".json")
			if !isJSON || !schema.IsPhase(phase) {
				problems = append(problems, fmt.Sprintf("%s: ctrf/ holds only deployment.json, performance.json and conformance.json", quote(p)))
				continue
			}
			ctrf++
		}
	}
	if ctrf == 0 {
		problems = append(problems, "bundle has no CTRF report (ctrf/<phase>.json)")
	}
	return problems
}

func schemaVersionOf(predicateJSON []byte) (string, error) {
	var v struct {
		SchemaVersion *string `json:"schemaVersion"`
	}
	if err := jsonUnmarshal(predicateJSON, &v); err != nil {
		return "", fmt.Errorf("predicate: %w", err)
	}
	if v.SchemaVersion == nil {
		return "", errors.New("predicate has no schemaVersion")
	}
	return *v.SchemaVersion, nil
}
