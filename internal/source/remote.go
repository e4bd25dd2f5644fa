package source

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/oci"
	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/schema"
)

// Input forms of a pulled bundle.
const (
	FormOCI     = "oci"
	FormPointer = "pointer"
)

// RemoteOptions configure the OCI and pointer forms.
type RemoteOptions struct {
	// OCI configures the pull (plain HTTP, unpinned tags, credentials, bounds).
	OCI oci.Options
	// PointerPath is the pointer's repository path, checked against AICR's
	// layout (recipes/evidence/<recipe>/<source>/sha256-<hex>.yaml) when it
	// is in that layout; "" means the path given to OpenPointer.
	PointerPath string
}

// Pulled is the artifact a Load of an OCI or pointer source pulled.
type Pulled struct {
	// Name is the artifact's "<registry>/<repository>:<tag>" (Tag "" when
	// it was pulled by digest alone).
	Name schema.OCIName
	// ManifestDigest is the manifest's sha256, bare hex.
	ManifestDigest string
	// Signed says whether a signature referrer was found.
	Signed bool
}

// invalidInput is a bundle fault found by a source (an unreadable pointer).
type invalidInput struct{ err error }

func (e *invalidInput) Error() string       { return e.err.Error() }
func (e *invalidInput) Unwrap() error       { return e.err }
func (e *invalidInput) InvalidBundle() bool { return true }

// OpenOCI opens "oci://<registry>/<repository>@sha256:<hex>" (a tag only
// with opts.OCI.AllowUnpinnedTag). Load pulls the artifact and its signature
// referrer and reads the layer as a bundle archive, with the Sigstore bundle
// added as attestation.intoto.jsonl.
func OpenOCI(arg string, opts RemoteOptions) (*Source, error) {
	ref, err := oci.ParseReference(arg)
	if err != nil {
		return nil, err
	}
	if ref.Digest == "" && !opts.OCI.AllowUnpinnedTag {
		return nil, fmt.Errorf("%s has a tag but no digest: tags move; pin it (@sha256:…) or pass --allow-unpinned-tag", arg)
	}
	s := &Source{Name: arg, Form: FormOCI}
	s.load = func(ctx context.Context, lim archive.Limits) (*archive.Contents, error) {
		return s.pull(ctx, ref, opts.OCI, lim)
	}
	return s, nil
}

// pull fetches ref and turns it into bundle contents.
func (s *Source) pull(ctx context.Context, ref oci.Reference, opts oci.Options, lim archive.Limits) (*archive.Contents, error) {
	a, err := oci.Pull(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	c, err := archive.Read(ctx, bytes.NewReader(a.Layer), lim)
	if err != nil {
		return nil, err
	}
	unsigned := c
	if a.Attestation != nil {
		if c, err = c.WithDocument(archive.PathAttestation, a.Attestation, lim); err != nil {
			return nil, err
		}
	}
	// Every further signature referrer, as contents of its own (Verify
	// tries them when the first does not verify).
	s.others = nil
	for _, att := range a.Attestations[min(1, len(a.Attestations)):] {
		o, err := unsigned.WithDocument(archive.PathAttestation, att, lim)
		if err != nil {
			return nil, err
		}
		s.others = append(s.others, o)
	}
	s.pulled = &Pulled{
		Name:           schema.OCIName{Registry: a.Ref.Registry, Repository: a.Ref.Repository, Tag: a.Ref.Tag},
		ManifestDigest: a.ManifestHex(),
		Signed:         a.Attestation != nil,
	}
	return c, nil
}

// OpenPointer opens an AICR pointer file. A pointer that does not parse, or
// whose path (in AICR's layout) contradicts it, makes Load fail with a bundle
// fault; an unsigned pending pointer (nothing pushed) fails with an input
// error. Otherwise Load pulls the artifact the pointer pins, by digest,
// under the pointer's tag, and Pointer returns the pointer's claims.
func OpenPointer(arg string, opts RemoteOptions) (*Source, error) {
	b, err := ReadSmall(arg, pointer.MaxBytes)
	if err != nil {
		return nil, err
	}
	return PointerSource(arg, b, opts), nil
}

// PointerSource is OpenPointer for a pointer's bytes already read (a blob of
// a pull request's head, say): name labels it and is its path unless
// opts.PointerPath is set. It never fails; a bad pointer fails Load.
func PointerSource(name string, b []byte, opts RemoteOptions) *Source {
	arg := name
	s := &Source{Name: arg, Form: FormPointer}
	if int64(len(b)) > pointer.MaxBytes {
		err := fmt.Errorf("pointer %s: %d bytes, at most %d", name, len(b), pointer.MaxBytes)
		s.load = func(context.Context, archive.Limits) (*archive.Contents, error) { return nil, &invalidInput{err} }
		return s
	}
	p, err := pointer.Parse(b)
	if err == nil {
		where := opts.PointerPath
		if where == "" {
			where = arg
		}
		_, err = p.CheckPath(where)
	}
	if err != nil {
		s.load = func(context.Context, archive.Limits) (*archive.Contents, error) { return nil, &invalidInput{err} }
		return s
	}
	s.pointer = p
	if p.Pending() {
		s.load = func(context.Context, archive.Limits) (*archive.Contents, error) {
			return nil, fmt.Errorf("pointer %s is unsigned and pending: it names no pushed bundle to verify", arg)
		}
		return s
	}
	a := p.Attestation()
	ociName, _ := schema.ParseOCIName(a.Bundle.OCI) // checked by Parse
	ref := oci.Reference{Registry: ociName.Registry, Repository: ociName.Repository, Tag: ociName.Tag, Digest: a.Bundle.Digest}
	s.load = func(ctx context.Context, lim archive.Limits) (*archive.Contents, error) {
		return s.pull(ctx, ref, opts.OCI, lim)
	}
	return s
}

// Pulled returns what the last Load pulled (nil for a local form or before Load).
func (s *Source) Pulled() *Pulled { return s.pulled }

// Pointer returns the pointer file of a pointer source (nil otherwise, or
// when it did not parse).
func (s *Source) Pointer() *pointer.File { return s.pointer }
