// Package assemble turns evidence inputs into the files of a format v1 bundle:
// canonical recipe, manifest built from the exact bytes written, predicate and
// the in-toto Statement to sign. The emitter and the example generator use it.
package assemble

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/bom"
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

	AttestedAt              time.Time
	AICRVersion             string
	ValidatorCatalogVersion string
	ValidatorImages         []schema.ValidatorImage
	Fingerprint             schema.Fingerprint
	CriteriaMatch           schema.CriteriaMatch
	Redaction               *schema.Redaction
}

// Bundle is an assembled, not yet written, bundle.
type Bundle struct {
	// Files holds every inventoried file plus manifest.json and statement.intoto.json.
	Files     map[string][]byte
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
		r, err := schema.ParseCTRF(report)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", schema.CTRFPath(phase), err)
		}
		counted, sum := schema.CountCTRF(r), r.Results.Summary
		if counted.Tests != sum.Tests || counted.Passed != sum.Passed || counted.Failed != sum.Failed ||
			counted.Skipped != sum.Skipped || counted.Pending != sum.Pending || counted.Other != sum.Other {
			return nil, fmt.Errorf("%s: summary %+v disagrees with its %d tests %+v", schema.CTRFPath(phase), sum, counted.Tests, counted)
		}
		files[schema.CTRFPath(phase)] = report
		phases[phase] = schema.PhaseResult{Passed: sum.Passed, Failed: sum.Failed, Skipped: sum.Skipped,
			Pending: sum.Pending, Other: sum.Other, CTRFDigest: schema.SHA256Prefixed(report)}
	}
	for p, b := range in.Extra {
		if err := archive.CheckPath(p); err != nil {
			return nil, fmt.Errorf("extra file: %w", err)
		}
		if strings.HasPrefix(p, schema.CTRFDir+"/") {
			return nil, fmt.Errorf("extra file %q: %s/ holds only the phase reports; pass them as CTRF inputs", p, schema.CTRFDir)
		}
		if _, dup := files[p]; dup || schema.IsUninventoried(p) {
			return nil, fmt.Errorf("extra file %q collides with a bundle file", p)
		}
		files[p] = b
	}
	bomSummary, err := bom.Summarize(in.BOM)
	if err != nil {
		return nil, err
	}
	manifest := schema.NewManifest(files)
	manifestBytes, err := manifest.Marshal()
	if err != nil {
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
	return &Bundle{Files: files, Predicate: pred, Statement: stmt}, nil
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
