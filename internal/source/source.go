// Package source turns every input form of a bundle into the one thing the
// verification pipeline checks: the [archive.Contents] of a bundle. Forms:
// the format's evidence-bundle.tar.gz (a file or "-" for stdin), a tar.gz of
// an AICR summary-bundle directory (the same reader; a "./" prefix as written
// by `tar -C dir -czf b.tar.gz .` is accepted), an unpacked bundle
// directory (AICR's summary-bundle), an OCI artifact as AICR pushes it
// (oci://registry/repo@sha256:…) and an AICR pointer file that pins one. Every form is read with the same path,
// duplicate, file-type and size rules ([archive.Read], [archive.ReadDir]),
// and no form follows a symbolic link.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/pointer"
)

// Input forms, as shown in reports.
const (
	FormArchive   = "tar.gz"
	FormDirectory = "directory"
)

// Source is one opened input: Load reads it into the contents the pipeline
// checks (its signature is verify.Loader).
type Source struct {
	// Name labels the input in reports: the path, or "-" for stdin.
	Name string
	// Form is one of the Form constants.
	Form string
	load func(ctx context.Context, lim archive.Limits) (*archive.Contents, error)
	// closers are released by Close.
	closers []func() error
	// pulled and pointer are set by the OCI and pointer forms.
	pulled  *Pulled
	pointer *pointer.File
	// others are the contents with each further signature referrer of a
	// pulled artifact (see oci.Artifact.Attestations).
	others []*archive.Contents
}

// Load reads the bundle under lim. A bundle fault is an [*archive.Error]
// whose Kind is InvalidBundle; any other error means it could not be read.
func (s *Source) Load(ctx context.Context, lim archive.Limits) (*archive.Contents, error) {
	return s.load(ctx, lim)
}

// Close releases what Open acquired.
func (s *Source) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Open opens the input named by arg: "-" reads a tar.gz from stdin; a
// directory is an unpacked bundle; any other path must be a regular file
// holding a tar.gz. A symbolic link, FIFO or device is refused (nothing can
// block or redirect the read). The error of Open means the input could not
// be opened (not a verdict on a bundle).
//
// "oci://…" is an OCI artifact (OpenOCI) and a path ending in .yaml or .yml
// an AICR pointer file (OpenPointer); remote configures both.
func Open(arg string, stdin io.Reader, remote RemoteOptions) (*Source, error) {
	if strings.HasPrefix(arg, "oci://") {
		return OpenOCI(arg, remote)
	}
	if strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		return OpenPointer(arg, remote)
	}
	if arg == "-" {
		return &Source{Name: "-", Form: FormArchive, load: func(ctx context.Context, lim archive.Limits) (*archive.Contents, error) {
			return archive.Read(ctx, stdin, lim)
		}}, nil
	}
	fi, err := os.Lstat(arg)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if fi.IsDir() {
		if !looksLikeBundle(arg) {
			return nil, &fs.PathError{Op: "open", Path: arg, Err: ErrNotBundleDir}
		}
		return &Source{Name: arg, Form: FormDirectory, load: func(ctx context.Context, lim archive.Limits) (*archive.Contents, error) {
			return archive.ReadDir(ctx, arg, lim)
		}}, nil
	}
	f, err := OpenRegular(arg) // refuses a symbolic link (to a file or a directory)
	if err != nil {
		return nil, err
	}
	return &Source{Name: arg, Form: FormArchive, load: func(ctx context.Context, lim archive.Limits) (*archive.Contents, error) {
		return archive.Read(ctx, f, lim)
	}, closers: []func() error{f.Close}}, nil
}

// ErrNotBundleDir: a directory given as a bundle holds none of a bundle's own
// documents (a user's mistake, not a bundle to judge).
var ErrNotBundleDir = errors.New("a directory without " + archive.PathManifest + " or " + archive.PathRecipe + " is not a bundle directory")

// looksLikeBundle reports whether dir has an entry (of any type) named like
// one of the bundle's own documents, so that a wrong directory is an input
// error while a bundle directory missing some file is checked (and invalid).
func looksLikeBundle(dir string) bool {
	for _, name := range []string{archive.PathManifest, archive.PathRecipe, archive.PathStatement, archive.PathAttestation} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// ReadSmall reads a regular file of at most limit bytes (no symlink, FIFO or
// device): the one bounded reader of small input files (pointers, a policy, a
// recipe given on the command line).
func ReadSmall(path string, limit int64) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, nil
}
