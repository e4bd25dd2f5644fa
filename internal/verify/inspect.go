package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/maxage"
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
	CheckPointer     = "pointer"
)

var checkOrder = []string{CheckArchive, CheckSignature, CheckIdentity, CheckStatement, CheckSubject, CheckSchema,
	CheckManifest, CheckCTRF, CheckBOM, CheckFingerprint, CheckFreshness}

// Options configures a run of the pipeline.
type Options struct {
	// Limits bound the archive reader; the zero value means archive defaults.
	Limits archive.Limits
	// Name labels the input in the result (a path, or "-" for stdin).
	Name string
	// Form says how the bundle was given ("tar.gz" when empty, "directory",
	// ...); it is shown in the archive check.
	Form string
	// Recipe, when set, is a recipe file whose canonical form the bundle's
	// recipe must be; RecipeName names it in the report.
	Recipe     []byte
	RecipeName string
	// Artifact, when the bundle was pulled from an OCI registry, is the
	// artifact as pulled: the signed subject of AICR's OCI form must name it
	// and carry its manifest digest.
	Artifact *PulledArtifact
	// ArtifactFrom, when set, is called after the bundle was loaded and
	// replaces Artifact (a pull happens in the loader).
	ArtifactFrom func() *PulledArtifact
	// Pointer, when set, is what an AICR pointer file claims about the
	// bundle; the pointer check compares every claim with what was verified.
	Pointer *PointerClaim
}

// PointerClaim is what an AICR pointer file claims (format §11).
type PointerClaim struct {
	Recipe, PredicateType, AttestedAt string
	// Profile is the pointer's "name=value" profile ("" when it has none).
	Profile string
	// Identity and Issuer are the signer block ("" when the pointer is
	// unsigned); RekorLogIndex is nil when absent.
	Identity, Issuer string
	RekorLogIndex    *int64
}

// PulledArtifact is an OCI artifact as pulled by digest: its reference and
// the sha256 of its manifest (bare lowercase hex).
type PulledArtifact struct {
	Name           schema.OCIName
	ManifestDigest string
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
	// IgnoreSCT drops the requirement of a signed certificate timestamp
	// (--insecure-ignore-sct, cosign's name): for a Sigstore instance without
	// a certificate-transparency log. The report says so.
	IgnoreSCT bool
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
	// A policy's maxAge tightens the configured one, never loosens it.
	cfg.MaxAge = maxage.Stricter(cfg.MaxAge, cfg.Policy.MaxAge())
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
	// dialect is the predicate's shape: this format's or AICR's (§11).
	dialect  schema.Dialect
	signedAt time.Time
	opts     Options
	// recipeDigest is the recipe digest under the predicate type's rule
	// (format §3, or AICR's v3 rule).
	recipeDigest string
	sigResult    *sgverify.VerificationResult
	sigBundle    *bundle.Bundle
	// integrityOK is false once a check found tampering; evidence checks then
	// still run for the reader, but the verdict never improves.
	integrityOK bool
}

// Inspect is Verify; the name reads better for a Verifier without trust material.
func (v *Verifier) Inspect(ctx context.Context, r io.Reader, opts Options) *Result {
	return v.Verify(ctx, r, opts)
}

// Verify reads the bundle archive (tar.gz) from r in one streaming pass and
// runs the checks. It never returns an error: every failure is a check in the
// result.
func (v *Verifier) Verify(ctx context.Context, r io.Reader, opts Options) *Result {
	return v.VerifyFrom(ctx, func(ctx context.Context, lim archive.Limits) (*archive.Contents, error) {
		return archive.Read(ctx, r, lim)
	}, opts)
}

// Loader reads a bundle in one input form (archive, directory, OCI artifact;
// see internal/source) into the contents the pipeline checks, under lim. An
// error whose [archive.Kind] is a bundle fault, or that has an
// InvalidBundle() bool method saying true, makes the bundle invalid; any
// other error means the verifier could not decide.
type Loader func(ctx context.Context, lim archive.Limits) (*archive.Contents, error)

// VerifyFrom is Verify for a bundle in any input form: load reads it, then
// the same checks run.
func (v *Verifier) VerifyFrom(ctx context.Context, load Loader, opts Options) *Result {
	res := &Result{Bundle: opts.Name, Mode: v.mode(), Verdict: VerdictPassed}
	st := &state{integrityOK: true, opts: opts}
	ok := v.checkArchive(ctx, load, opts, res, st)
	if opts.ArtifactFrom != nil {
		st.opts.Artifact = opts.ArtifactFrom()
	}
	if a := st.opts.Artifact; a != nil && len(res.Checks) > 0 {
		name := a.Name.Registry + "/" + a.Name.Repository
		if a.Name.Tag != "" {
			name += ":" + a.Name.Tag
		}
		res.Checks[0].Rows = append(res.Checks[0].Rows, Row{Key: "pulled", Value: name + "@sha256:" + a.ManifestDigest})
	}
	if !ok {
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
	if opts.Pointer != nil {
		v.checkPointer(res, st, opts.Pointer)
	}
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
	CheckPointer:     "Pointer file",
}

func (v *Verifier) checkArchive(ctx context.Context, load Loader, opts Options, res *Result, st *state) bool {
	c := Check{Name: CheckArchive, Title: titles[CheckArchive]}
	contents, err := load(ctx, opts.Limits)
	if err != nil {
		c.Detail = err.Error()
		if isBundleFault(err) {
			c.Status, c.Verdict = StatusFailed, VerdictInvalid
		} else {
			c.Status, c.Verdict = StatusError, VerdictError
		}
		res.add(c)
		return false
	}
	st.contents = contents
	var total int64
	for _, f := range contents.Files() {
		total += f.Size
	}
	form := opts.Form
	if form == "" {
		form = FormArchive
	}
	res.Archive = &ArchiveInfo{Form: form, Files: len(contents.Files()), Bytes: total, CompressedBytes: contents.CompressedBytes()}
	c.Status = StatusPassed
	if form == FormArchive {
		c.Detail = fmt.Sprintf("%d files, %s uncompressed; regular files only, safe paths, no duplicates", len(contents.Files()), humanBytes(total))
	} else {
		c.Detail = fmt.Sprintf("%s: %d files, %s; regular files only, safe paths, no duplicates", form, len(contents.Files()), humanBytes(total))
	}
	res.add(c)
	return true
}

// FormArchive is the input form of the format's own evidence-bundle.tar.gz.
const FormArchive = "tar.gz"

// isBundleFault reports whether a load error is a property of the bundle
// (invalid) rather than a failure to read it (error).
func isBundleFault(err error) bool {
	var ae *archive.Error
	if errors.As(err, &ae) {
		return ae.Kind.InvalidBundle()
	}
	var f interface{ InvalidBundle() bool }
	return errors.As(err, &f) && f.InvalidBundle()
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
	want, err := schema.RecipeDigestFor(rec, st.statement.GetPredicateType())
	if err != nil {
		fail("%s: %v", schema.FileRecipe, err)
		return
	}
	st.recipeDigest = want
	if want != rec.Digest {
		c.Rows = append(c.Rows, Row{Key: "recipe digest (" + st.statement.GetPredicateType() + " rule, metadata.version dropped)", Value: want})
	}
	if sub.OCI != nil {
		v.checkOCISubject(res, st, c)
		return
	}
	res.Recipe.Name = sub.RecipeName
	c.Rows = append(c.Rows, Row{Key: "subject", Value: schema.SubjectPrefix + sub.RecipeName}, Row{Key: "subject digest", Value: sub.Digest})
	if sub.Digest != want {
		fail("subject digest %s is not the digest of the bundle's %s (%s)", short(sub.Digest), schema.FileRecipe, short(want))
		return
	}
	c.Status = StatusPassed
	c.Detail = fmt.Sprintf("subject %s%s is bound to recipe.yaml (sha256 %s)", schema.SubjectPrefix, sub.RecipeName, short(want))
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
	ptype := st.statement.GetPredicateType()
	dialect := schema.PredicateDialect(ptype, pj)
	if err := v.validator.ValidateAs(dialect, pj); err != nil {
		fail(err)
		return
	}
	p, err := schema.DecodePredicate(pj)
	if err != nil {
		fail(err)
		return
	}
	if dialect == schema.DialectAICR {
		if err := schema.CheckAICRTypeRules(ptype, p); err != nil {
			fail(err)
			return
		}
		p.BOM.ComponentCount = *p.BOM.ImageCount // required by the AICR schema
	}
	if _, err := time.Parse(time.RFC3339, p.AttestedAt); err != nil {
		fail(fmt.Errorf("predicate attestedAt %q: %w", p.AttestedAt, err))
		return
	}
	if !sort.SliceIsSorted(p.ValidatorImages, func(i, j int) bool { return p.ValidatorImages[i].Image < p.ValidatorImages[j].Image }) {
		fail(errors.New("predicate validatorImages are not sorted by image"))
		return
	}
	if st.subject.OCI != nil {
		// AICR's OCI subject form: the recipe is bound here (format §11).
		if p.Recipe.Digest != st.recipeDigest {
			fail(fmt.Errorf("predicate recipe.digest %s is not the digest of the bundle's recipe.yaml (%s)", short(p.Recipe.Digest), short(st.recipeDigest)))
			return
		}
		res.Recipe.Name = p.Recipe.Name
	} else if st.subject.Digest != "" {
		if p.Recipe.Name != st.subject.RecipeName {
			fail(fmt.Errorf("predicate recipe.name %q differs from the subject name %q", p.Recipe.Name, st.subject.RecipeName))
			return
		}
		if p.Recipe.Digest != st.subject.Digest {
			fail(fmt.Errorf("predicate recipe.digest %s differs from the subject digest %s", short(p.Recipe.Digest), short(st.subject.Digest)))
			return
		}
	}
	if dialect == schema.DialectAICR && st.recipe != nil {
		// AICR names a recipe by its metadata.name, else by its criteria
		// (schema.AICRRecipeName): the name is bound to the recipe, so
		// evidence of one recipe cannot be shown as another's.
		want, err := schema.AICRRecipeName(st.recipe)
		if err != nil {
			fail(fmt.Errorf("recipe.yaml: the recipe's name: %w", err))
			return
		}
		if p.Recipe.Name != want {
			fail(fmt.Errorf("predicate recipe.name %q is not the name of the bundle's recipe (%q by AICR's rule: metadata.name, else the criteria)", p.Recipe.Name, want))
			return
		}
	}
	st.predicate, st.dialect = p, dialect
	at, _ := time.Parse(time.RFC3339, p.AttestedAt)
	res.AttestedAt = &at
	res.Predicate = &PredicateInfo{Type: ptype, Dialect: string(dialect), SchemaVersion: p.SchemaVersion, AICRVersion: p.AICRVersion, Source: st.stmtSource, EvidenceDigests: evidenceDigests(p)}
	for _, ph := range schema.Phases() {
		if r, ok := p.Phases[ph]; ok {
			res.Phases = append(res.Phases, PhaseInfo{Phase: ph, Passed: r.Passed, Failed: r.Failed, Skipped: r.Skipped, Pending: r.Pending, Other: r.Other})
		}
	}
	c.Status = StatusPassed
	c.Detail = fmt.Sprintf("predicate schemaVersion %s matches recipe-evidence-v1.schema.json", p.SchemaVersion)
	if dialect == schema.DialectAICR {
		c.Detail = fmt.Sprintf("predicate schemaVersion %s matches the AICR dialect of recipe-evidence-v1.schema.json (format §11)", p.SchemaVersion)
		if p.Profile != nil {
			c.Rows = append(c.Rows, Row{Key: "profile", Value: p.Profile.Selection + " (policyDescriptorIdentity not recomputed)"})
		}
	}
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

// checkOCISubject checks AICR's signed subject form (format §11): the subject
// names an OCI artifact "<registry>/<repository>:<tag>" with its manifest
// digest; the recipe is bound through predicate.recipe (checkSchema). When the
// bundle was pulled, the subject must name the artifact pulled and carry its
// manifest digest; otherwise only the signature vouches for the digest.
func (v *Verifier) checkOCISubject(res *Result, st *state, c Check) {
	sub := st.subject
	ref := sub.OCI.String() + "@sha256:" + sub.Digest
	c.Rows = append(c.Rows, Row{Key: "subject", Value: sub.OCI.String()}, Row{Key: "subject digest", Value: sub.Digest})
	if res.Signature != nil {
		res.Signature.Artifact = ref
	}
	if a := st.opts.Artifact; a != nil {
		switch {
		case sub.Digest != a.ManifestDigest:
			c.Status, c.Detail = StatusFailed, fmt.Sprintf("subject digest %s is not the manifest digest of the artifact pulled (%s)", short(sub.Digest), short(a.ManifestDigest))
		case a.Name.Tag != "" && *sub.OCI != a.Name,
			a.Name.Tag == "" && (sub.OCI.Registry != a.Name.Registry || sub.OCI.Repository != a.Name.Repository):
			c.Status, c.Detail = StatusFailed, fmt.Sprintf("subject names %s, the artifact was pulled as %s", sub.OCI, a.Name)
		default:
			c.Status = StatusPassed
			c.Detail = fmt.Sprintf("subject is the OCI artifact pulled, %s (manifest sha256 %s); the recipe is bound by predicate.recipe", sub.OCI, short(sub.Digest))
			if res.Signature != nil {
				res.Signature.ArtifactPulled = true
			}
		}
		res.add(c)
		return
	}
	c.Status = StatusPassed
	c.Detail = fmt.Sprintf("subject is the OCI artifact %s (manifest sha256 %s, not pulled: only the signature vouches for it); the recipe is bound by predicate.recipe", sub.OCI, short(sub.Digest))
	res.add(c)
}

// checkPointer compares an AICR pointer's claims with what was verified: the
// recipe, predicate type and attestedAt of the predicate, and the signer
// block with the certificate and the Rekor entry. A pointer that claims
// more than the bundle shows (a signer where there is no signature, another
// signer, another log entry) is invalid.
func (v *Verifier) checkPointer(res *Result, st *state, p *PointerClaim) {
	c := Check{Name: CheckPointer, Title: titles[CheckPointer], Verdict: VerdictInvalid}
	var problems []string
	if st.predicate == nil || st.statement == nil {
		c.Status, c.Detail = StatusSkipped, "not run: no valid predicate"
		res.add(c)
		return
	}
	if res.Recipe != nil && p.Recipe != res.Recipe.Name {
		problems = append(problems, fmt.Sprintf("pointer names recipe %s, the bundle is for %s", quote(p.Recipe), quote(res.Recipe.Name)))
	}
	if t := st.statement.GetPredicateType(); p.PredicateType != t {
		problems = append(problems, fmt.Sprintf("pointer names predicate type %s, the Statement has %s", p.PredicateType, t))
	}
	if p.AttestedAt != st.predicate.AttestedAt {
		problems = append(problems, fmt.Sprintf("pointer says attested %s, the predicate %s", p.AttestedAt, st.predicate.AttestedAt))
	}
	if got := predicateProfile(st.predicate); p.Profile != got {
		problems = append(problems, fmt.Sprintf("pointer names profile %s, the predicate %s", quoteOrNone(p.Profile), quoteOrNone(got)))
	}
	sig := res.Signature
	switch {
	case p.Identity == "":
		if sig != nil && sig.Signed {
			c.Rows = append(c.Rows, Row{Key: "note", Value: "the pointer has no signer block, but the artifact is signed"})
		}
	case sig == nil || !sig.Signed:
		problems = append(problems, "pointer names a signer, but the artifact has no signature")
	case v.mode() == "inspect":
		c.Rows = append(c.Rows, Row{Key: "signer", Value: "not checked: inspect never checks the signer (use verify)"})
	case !sig.Verified:
		problems = append(problems, "pointer names a signer, but the signature did not verify")
	default:
		if p.Identity != sig.Identity || p.Issuer != sig.Issuer {
			problems = append(problems, fmt.Sprintf("pointer names signer %s (issuer %s), the certificate %s (issuer %s)", quote(p.Identity), quote(p.Issuer), quote(sig.Identity), quote(sig.Issuer)))
		}
		if p.RekorLogIndex != nil && *p.RekorLogIndex != sig.LogIndex {
			problems = append(problems, fmt.Sprintf("pointer names Rekor log index %d, the bundle's entry is %d", *p.RekorLogIndex, sig.LogIndex))
		}
	}
	if len(problems) > 0 {
		c.Status, c.Detail = StatusFailed, joinProblems(problems)
		for _, p := range problems {
			c.Rows = append(c.Rows, Row{Key: "problem", Value: p})
		}
		st.integrityOK = false
		res.add(c)
		return
	}
	c.Status = StatusPassed
	c.Detail = "recipe, predicate type and attestedAt match the bundle"
	if p.Identity != "" && v.mode() == "verify" {
		c.Detail += "; the signer block matches the certificate and the Rekor entry"
	}
	res.add(c)
}

// predicateProfile is the predicate's profile selection ("" when it has none).
func predicateProfile(p *schema.Predicate) string {
	if p.Profile == nil {
		return ""
	}
	return p.Profile.Selection
}

// quoteOrNone quotes s, or says "none" when it is empty.
func quoteOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return quote(s)
}

// evidenceDigests lists the predicate's digests of the evidence itself (the
// manifest's, each phase's CTRF report's), sorted and without empties.
func evidenceDigests(p *schema.Predicate) []string {
	var out []string
	if p.Manifest.Digest != "" {
		out = append(out, p.Manifest.Digest)
	}
	for _, ph := range p.Phases {
		if ph.CTRFDigest != "" {
			out = append(out, ph.CTRFDigest)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
