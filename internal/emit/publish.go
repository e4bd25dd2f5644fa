package emit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/schema"
)

// PointerSchemaVersion is the schemaVersion of the pointer files emit writes
// (AICR's pointer schema).
const PointerSchemaVersion = "1.0.0"

// publish pushes the bundle in AICR's OCI form (docs/bundle-format.md §11)
// to repo: the artifact (every file but the Sigstore bundle, in AICR's
// reproducible layer) tagged <recipe>-<12 hex of predicate.manifest.digest>;
// then, when signer is set, it signs AICR's Statement, whose subject is the
// artifact pushed (name and manifest digest), keeps that Sigstore bundle as
// b.Attestation and pushes it as the artifact's signature referrer. It
// returns the pointer file that locates the artifact.
func publish(ctx context.Context, o *Options, b *assemble.Bundle, name string, signer assemble.Signer, p *Progress) (*pointer.File, error) {
	if len(b.Streams) > 0 {
		return nil, fmt.Errorf("--push: the bundle has files too large to hold in memory (%s); push it without them", b.Streams[0].Path)
	}
	repo, err := oci.ParseRepository(o.Push)
	if err != nil {
		return nil, fmt.Errorf("--push %w", err)
	}
	ref := repo
	ref.Tag = oci.EvidenceTag(name, b.Predicate.Manifest.Digest)
	opts := oci.PushOptions{PlainHTTP: o.PlainHTTP}
	p.Step("pushing the bundle to %s", ref)
	pushed, err := oci.Push(ctx, ref, b.Files, oci.ArtifactAnnotations(schema.PredicateTypeV1, b.Predicate.AICRVersion), opts)
	if err != nil {
		return nil, fmt.Errorf("--push: %w", err)
	}
	p.Step("pushed %s", pushed.Ref)
	artifact := schema.OCIName{Registry: ref.Registry, Repository: ref.Repository, Tag: ref.Tag}
	ptr := &pointer.File{
		SchemaVersion: PointerSchemaVersion,
		Recipe:        name,
		Attestations: []pointer.Attestation{{
			AttestedAt: b.Predicate.AttestedAt,
			Bundle:     pointer.Bundle{Digest: pushed.Ref.Digest, OCI: artifact.String(), PredicateType: schema.PredicateTypeV1},
		}},
	}
	if signer == nil {
		p.Step("not signing (--sign none): the artifact has no signature referrer and the pointer no signer")
		return ptr, nil
	}
	stmt, err := schema.NewOCIStatement(b.Predicate, artifact, pushed.Manifest.Digest.Encoded())
	if err != nil {
		return nil, err
	}
	p.Step("signing the Statement for %s keyless (Fulcio certificate, Rekor entry)", artifact)
	att, err := signer.SignStatement(ctx, stmt)
	if err != nil {
		return nil, fmt.Errorf("sign statement: %w", err)
	}
	b.Attestation = att
	s, err := pointerSigner(att)
	if err != nil {
		return nil, err
	}
	ptr.Attestations[0].Signer = s
	p.Step("signed as %s (issuer %s)", s.Identity, s.Issuer)
	sig, err := oci.PushSignature(ctx, pushed, att, opts)
	if err != nil {
		return nil, fmt.Errorf("--push: %w", err)
	}
	p.Step("pushed the signature referrer %s", sig.Digest)
	return ptr, nil
}

// checkAICRIdentity applies, before anything is read or signed, what AICR's
// verifier requires of a pushed bundle's recipe identity: a recipe with a
// criteria block must carry the name AICR derives from it (its verifier
// ignores metadata.name and rejects any other name), so another name is
// refused; a profiled recipe needs AICR's v2 predicate with a profile
// block, which this emitter does not write, so that is warned about.
func checkAICRIdentity(canon *schema.CanonicalRecipe, name string, p *Progress) error {
	var v struct {
		Criteria *yaml.Node `yaml:"criteria"`
		Metadata struct {
			SelectedProfile *yaml.Node `yaml:"selectedProfile"`
		} `yaml:"metadata"`
	}
	if canon == nil || canon.Root == nil || canon.Root.Decode(&v) != nil {
		return nil
	}
	if v.Criteria != nil {
		want, err := schema.AICRRecipeName(canon)
		if err != nil {
			return fmt.Errorf("--push: %w", err)
		}
		if want != name {
			return fmt.Errorf("--push: AICR's verifier names this recipe %s (from its criteria) and rejects evidence named %s: for AICR's form, drop --recipe-name (or metadata.name)", want, name)
		}
	}
	if v.Metadata.SelectedProfile != nil {
		p.Warn("the recipe has a selected profile: AICR's own verifier expects its v2 predicate with a profile block, which this emitter does not write; this project's verifier accepts the bundle, AICR's rejects it")
	}
	return nil
}

// pointerSigner is the pointer's signer block, read from the Sigstore bundle
// just made: the certificate's identity (SAN) and OIDC issuer, and the
// index of its transparency log entry.
func pointerSigner(att []byte) (*pointer.Signer, error) {
	var sb bundle.Bundle
	if err := sb.UnmarshalJSON(att); err != nil {
		return nil, fmt.Errorf("signed bundle: %w", err)
	}
	vc, err := sb.VerificationContent()
	if err != nil {
		return nil, fmt.Errorf("signed bundle: %w", err)
	}
	cert := vc.Certificate()
	if cert == nil {
		return nil, fmt.Errorf("signed bundle: no Fulcio certificate")
	}
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return nil, fmt.Errorf("signed bundle: %w", err)
	}
	s := &pointer.Signer{Identity: sum.SubjectAlternativeName, Issuer: sum.Extensions.Issuer}
	if s.Identity == "" || s.Issuer == "" {
		return nil, fmt.Errorf("signed bundle: the certificate names no identity or issuer")
	}
	entries, err := sb.TlogEntries()
	if err != nil {
		return nil, fmt.Errorf("signed bundle: %w", err)
	}
	if len(entries) > 0 {
		i := entries[0].LogIndex()
		s.RekorLogIndex = &i
	}
	return s, nil
}

// writePointer writes the pointer file at its place in AICR's repository
// layout (pointer.File.Path) under dir, creating the folders, and returns
// the path written. dir is a checkout anyone can fill through a PR, so
// nothing under it is trusted: every folder on the way is created or must
// be a real folder, never a symlink (refused), and the file is written
// through an os.Root of dir (a new file, renamed over the pointer path),
// so nothing is written outside dir.
func writePointer(dir string, ptr *pointer.File) (string, error) {
	b, err := ptr.Marshal()
	if err != nil {
		return "", err
	}
	if _, err := pointer.Parse(b); err != nil {
		return "", fmt.Errorf("pointer written does not read back: %w", err)
	}
	rel := ptr.Path()
	if _, err := ptr.CheckPath(rel); err != nil {
		return "", err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", fmt.Errorf("--pointer-dir: %w", err)
	}
	defer root.Close()
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		folder := path.Join(parts[:i]...)
		fi, err := root.Lstat(folder)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := root.Mkdir(folder, 0o755); err != nil {
				return "", fmt.Errorf("--pointer-dir: %w", err)
			}
		case err != nil:
			return "", fmt.Errorf("--pointer-dir: %w", err)
		case fi.Mode()&fs.ModeSymlink != 0:
			return "", fmt.Errorf("--pointer-dir: %s is a symlink: the pointer is written only through real folders", folder)
		case !fi.IsDir():
			return "", fmt.Errorf("--pointer-dir: %s is not a folder", folder)
		}
	}
	tmp := path.Join(path.Dir(rel), "."+path.Base(rel)+"."+strconv.FormatInt(time.Now().UnixNano(), 36)+".tmp")
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("--pointer-dir: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, rel)
	}
	if err != nil {
		_ = root.Remove(tmp)
		return "", fmt.Errorf("--pointer-dir: %w", err)
	}
	return rel, nil
}
