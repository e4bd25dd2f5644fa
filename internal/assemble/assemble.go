// Package assemble turns evidence inputs into the files of a format v1 bundle:
// canonical recipe, manifest built from the exact bytes written, predicate and
// the in-toto Statement to sign. The emitter and the example generator use it.
package assemble

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/bom"
	"github.com/aicr/verify-evidence/internal/fingerprint"
	"github.com/aicr/verify-evidence/internal/schema"
)

// Inputs are the facts a bundle records.
type Inputs struct {
	// Recipe is the resolved recipe YAML (kind: RecipeResult); it is canonicalized here.
	Recipe []byte
	// RecipeName names the recipe (the subject is "recipe:<RecipeName>").
	RecipeName string
	// Snapshot is the cluster snapshot YAML in AICR measurement form.
	Snapshot []byte
	// BOM is the CycloneDX 1.6 JSON bill of materials.
	BOM []byte
	// CTRF maps a phase to its CTRF report.
	CTRF map[string][]byte
	// Extra files, each listed in the manifest (e.g. logs/…).
	Extra map[string][]byte
	// Streams are extra files too big to hold in memory: Build reads each once
	// to hash it, Write reads it again into the archive.
	Streams []StreamFile

	AttestedAt              time.Time
	AICRVersion             string
	ValidatorCatalogVersion string
	ValidatorImages         []schema.ValidatorImage
	// RawSnapshot is the snapshot before minimisation; the fingerprint is
	// computed from it when set, else from Snapshot.
	RawSnapshot []byte
	// Fingerprint and CriteriaMatch are computed with internal/fingerprint (the
	// verifier's own implementation) when left zero; set them only to override.
	Fingerprint   schema.Fingerprint
	CriteriaMatch schema.CriteriaMatch
	Redaction     *schema.Redaction
}

// StreamFile is a large extra file that is read twice: once to hash, once to write.
type StreamFile struct {
	Path string
	// Open returns a fresh reader of the same bytes on every call.
	Open func() (io.ReadCloser, error)
}

// Bundle is an assembled, not yet written, bundle.
type Bundle struct {
	// Files holds every inventoried file plus manifest.json and statement.intoto.json.
	Files map[string][]byte
	// Streams are the large files, with the size and digest Build measured.
	Streams   []MeasuredStream
	Predicate *schema.Predicate
	// Statement is the unsigned in-toto Statement JSON (also in Files).
	Statement []byte
	// Attestation is the Sigstore bundle JSON once signed; nil for an unsigned bundle.
	Attestation []byte
}

// Build assembles the bundle files from in. It validates each CTRF report (its
// summary must agree with its tests) and the BOM.
func Build(in Inputs) (*Bundle, error) {
	canon, err := schema.Canonical(in.Recipe)
	if err != nil {
		return nil, fmt.Errorf("recipe: %w", err)
	}
	if in.AttestedAt.IsZero() {
		return nil, fmt.Errorf("attestedAt is not set")
	}
	files := map[string][]byte{
		schema.FileRecipe:   canon.Bytes,
		schema.FileSnapshot: in.Snapshot,
		schema.FileBOM:      in.BOM,
	}
	if len(in.CTRF) == 0 {
		return nil, fmt.Errorf("no CTRF report: at least one phase is required")
	}
	phases := map[string]schema.PhaseResult{}
	for phase, report := range in.CTRF {
		if !schema.IsPhase(phase) {
			return nil, fmt.Errorf("CTRF phase %q: want deployment, performance or conformance", phase)
		}
		r, err := schema.CheckCTRFSummary(report)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", schema.CTRFPath(phase), err)
		}
		sum := r.Results.Summary
		files[schema.CTRFPath(phase)] = report
		phases[phase] = schema.PhaseResult{Passed: sum.Passed, Failed: sum.Failed, Skipped: sum.Skipped,
			Pending: sum.Pending, Other: sum.Other, CTRFDigest: schema.SHA256Prefixed(report)}
	}
	for p, b := range in.Extra {
		if err := checkExtraPath(p, files); err != nil {
			return nil, err
		}
		files[p] = b
	}
	var streams []MeasuredStream
	streamed := map[string]bool{}
	for _, sf := range in.Streams {
		if err := checkExtraPath(sf.Path, files); err != nil {
			return nil, err
		}
		if streamed[sf.Path] {
			return nil, fmt.Errorf("extra file %q given twice", sf.Path)
		}
		streamed[sf.Path] = true
		ms, err := measure(sf)
		if err != nil {
			return nil, err
		}
		streams = append(streams, ms)
	}
	bomSummary, err := bom.Summarize(in.BOM)
	if err != nil {
		return nil, err
	}
	manifest := schema.NewManifest(files)
	for _, ms := range streams {
		manifest.Add(schema.ManifestFile{Path: ms.Path, Size: ms.Size, SHA256: ms.SHA256, MediaType: schema.MediaTypeFor(ms.Path)})
	}
	manifestBytes, err := manifest.Marshal()
	if err != nil {
		return nil, err
	}
	if err := computeFingerprint(&in); err != nil {
		return nil, err
	}
	images := append([]schema.ValidatorImage{}, in.ValidatorImages...)
	sort.Slice(images, func(i, j int) bool { return images[i].Image < images[j].Image })
	pred := &schema.Predicate{
		SchemaVersion:           schema.PredicateSchemaVersion,
		AttestedAt:              in.AttestedAt.UTC().Truncate(time.Second).Format(time.RFC3339),
		AICRVersion:             in.AICRVersion,
		ValidatorCatalogVersion: in.ValidatorCatalogVersion,
		ValidatorImages:         images,
		Recipe:                  schema.RecipeRef{Name: in.RecipeName, Digest: canon.Digest},
		Fingerprint:             in.Fingerprint,
		CriteriaMatch:           in.CriteriaMatch,
		Phases:                  phases,
		BOM:                     bomSummary,
		Manifest:                schema.ManifestRef{Digest: schema.SHA256Prefixed(manifestBytes), FileCount: len(manifest.Files)},
		Redaction:               in.Redaction,
	}
	if pred.CriteriaMatch.PerDimension == nil {
		pred.CriteriaMatch.PerDimension = schema.DimensionMatches{}
	}
	stmt, err := schema.NewStatement(pred)
	if err != nil {
		return nil, err
	}
	files[schema.FileManifest] = manifestBytes
	files[schema.FileStatement] = append(append([]byte{}, stmt...), '\n')
	return &Bundle{Files: files, Streams: streams, Predicate: pred, Statement: stmt}, nil
}

// computeFingerprint fills the fingerprint and criteria match the way the
// verifier recomputes them, unless the caller set them.
func computeFingerprint(in *Inputs) error {
	if in.Fingerprint == (schema.Fingerprint{}) {
		src := in.RawSnapshot
		if src == nil {
			src = in.Snapshot
		}
		fp, err := fingerprint.Compute(src)
		if err != nil {
			return err
		}
		in.Fingerprint = fp
	}
	if in.CriteriaMatch.PerDimension == nil {
		crit, err := fingerprint.CriteriaFromRecipe(in.Recipe)
		if err != nil {
			return err
		}
		in.CriteriaMatch = fingerprint.Match(crit, in.Fingerprint)
	}
	return nil
}

// LoadInputs reads the inputs of a bundle from a folder laid out like
// testdata/examples/inputs/<name>: recipe.yaml, snapshot.yaml, bom.cdx.json and
// ctrf/<phase>.json (at least one). Other fields are the caller's to set.
func LoadInputs(dir, recipeName string) (Inputs, error) {
	in := Inputs{RecipeName: recipeName, CTRF: map[string][]byte{}}
	var err error
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{{schema.FileRecipe, &in.Recipe}, {schema.FileSnapshot, &in.Snapshot}, {schema.FileBOM, &in.BOM}} {
		if *f.dst, err = os.ReadFile(filepath.Join(dir, f.name)); err != nil {
			return in, fmt.Errorf("inputs: %w", err)
		}
	}
	for _, phase := range schema.Phases() {
		b, err := os.ReadFile(filepath.Join(dir, schema.CTRFPath(phase)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return in, fmt.Errorf("inputs: %w", err)
		}
		in.CTRF[phase] = b
	}
	return in, nil
}

func checkExtraPath(p string, files map[string][]byte) error {
	if err := archive.CheckPath(p); err != nil {
		return fmt.Errorf("extra file: %w", err)
	}
	if strings.HasPrefix(p, schema.CTRFDir+"/") {
		return fmt.Errorf("extra file %q: %s/ holds only the phase reports; pass them as CTRF inputs", p, schema.CTRFDir)
	}
	if _, dup := files[p]; dup || schema.IsUninventoried(p) {
		return fmt.Errorf("extra file %q collides with a bundle file", p)
	}
	return nil
}

// MeasuredStream is a StreamFile with the size and digest Build read.
type MeasuredStream struct {
	StreamFile
	Size   int64
	SHA256 string
}

func measure(sf StreamFile) (MeasuredStream, error) {
	rc, err := sf.Open()
	if err != nil {
		return MeasuredStream{}, fmt.Errorf("extra file %s: %w", sf.Path, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return MeasuredStream{}, fmt.Errorf("extra file %s: %w", sf.Path, err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return MeasuredStream{StreamFile: sf, Size: n, SHA256: schema.FormatSHA256(sum)}, nil
}

// Signer signs an in-toto Statement and returns a Sigstore bundle (JSON).
type Signer interface {
	SignStatement(ctx context.Context, statement []byte) ([]byte, error)
}

// Sign signs the Statement with s and keeps the attestation.
func (b *Bundle) Sign(ctx context.Context, s Signer) error {
	att, err := s.SignStatement(ctx, b.Statement)
	if err != nil {
		return fmt.Errorf("sign statement: %w", err)
	}
	b.Attestation = att
	return nil
}

// Write writes the bundle as a deterministic evidence-bundle.tar.gz.
func (b *Bundle) Write(w io.Writer) error {
	entries := make([]archive.Entry, 0, len(b.Files)+1)
	for p, data := range b.Files {
		entries = append(entries, archive.Entry{Path: p, Data: data})
	}
	for _, ms := range b.Streams {
		rc, err := ms.Open()
		if err != nil {
			return fmt.Errorf("extra file %s: %w", ms.Path, err)
		}
		defer rc.Close()
		entries = append(entries, archive.Entry{Path: ms.Path, Body: rc, Size: ms.Size})
	}
	if b.Attestation != nil {
		entries = append(entries, archive.Entry{Path: schema.FileAttestation, Data: append(append([]byte{}, b.Attestation...), '\n')})
	}
	at, err := time.Parse(time.RFC3339, b.Predicate.AttestedAt)
	if err != nil {
		return fmt.Errorf("attestedAt: %w", err)
	}
	if err := archive.Write(w, entries, at); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	return nil
}
