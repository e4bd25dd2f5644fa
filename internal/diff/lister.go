package diff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/schema"
)

// Lister reads the PR head tree. The action implements it with the Git trees
// and blobs API; tests use [MapTree]. Read should bound what it reads (this
// package never needs more than [MaxRecipeBytes] from one file) and report a
// missing file with an error that wraps [fs.ErrNotExist].
type Lister interface {
	Exists(path string) bool
	Read(ctx context.Context, path string) ([]byte, error)
}

// Enumerator is an optional interface of a [Lister]: the paths of every
// regular file of the head tree. [NewPlan] needs it to find the recipes that
// inherit from a changed overlay and to find a recipe by name; without it,
// NewPlan fails when the PR touches recipes or evidence. [CheckRecipe] uses it
// to find overlays by metadata.name and the wildcard overlays that apply to a
// recipe by criteria; without it those are not looked for (and its Summary
// says so).
type Enumerator interface {
	Files(ctx context.Context) ([]string, error)
}

// BaseReader is an optional interface of a [Lister]: a file as it was at the
// PR's base commit (missing: an error wrapping [fs.ErrNotExist]; bounded like
// Read). [NewPlan] reads the overlays the PR modifies or removes at the base to
// find the recipes they applied to by their criteria before the PR: a PR that
// deletes an overlay, or narrows its criteria, changes those recipes too.
// Without it those recipes are not looked for (the action's head tree always
// implements it).
type BaseReader interface {
	ReadBase(ctx context.Context, path string) ([]byte, error)
}

// Sizer is an optional interface of a [Lister]: the size of a file at the head
// without reading it (the Git trees API has it). With it, files too large to
// be recipes are skipped unread, and small bundles are read to detect Git LFS
// pointers.
type Sizer interface {
	Size(path string) (size int64, ok bool)
}

// MaxRecipeBytes is the most this package reads of one recipe or overlay file
// (bundle format v1 §3).
const MaxRecipeBytes = schema.MaxRecipeBytes

// Bounds of the work one plan or one cross-check does on the head tree.
const (
	// MaxChainDepth is the longest spec.base chain followed.
	MaxChainDepth = 32
	// MaxScannedFiles is the most recipe-glob files read to index the head.
	MaxScannedFiles = 4096
	// MaxDifferences is the most differences one cross-check lists.
	MaxDifferences = 50
)

// lfsPrefix starts every Git LFS pointer file (https://git-lfs.com/spec/v1).
const lfsPrefix = "version https://git-lfs.github.com/spec/v1"

// maxLFSPointerBytes: the LFS spec requires pointer files to be under 1024 bytes.
const maxLFSPointerBytes = 1024

// IsLFSPointer reports whether b is a Git LFS pointer file rather than the
// file it stands for. A bundle or recipe committed through LFS reaches the API
// as such a pointer and cannot be verified.
func IsLFSPointer(b []byte) bool {
	return bytes.HasPrefix(b, []byte(lfsPrefix))
}

// MapTree is an in-memory head tree (path → content) implementing [Lister],
// [Enumerator] and [Sizer].
type MapTree map[string][]byte

// Exists implements [Lister].
func (m MapTree) Exists(p string) bool { _, ok := m[p]; return ok }

// Read implements [Lister]. It returns a copy.
func (m MapTree) Read(ctx context.Context, p string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, ok := m[p]
	if !ok {
		return nil, fmt.Errorf("%s: %w", qp(p), fs.ErrNotExist)
	}
	return bytes.Clone(b), nil
}

// Files implements [Enumerator], sorted.
func (m MapTree) Files(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(m)), nil
}

// Size implements [Sizer].
func (m MapTree) Size(p string) (int64, bool) {
	b, ok := m[p]
	return int64(len(b)), ok
}

// ValidRecipeName reports whether s is a valid recipe (and overlay) name; it
// is schema.ValidRecipeName, the rule of bundle format v1 §5.
func ValidRecipeName(s string) bool { return schema.ValidRecipeName(s) }

// pathProblem checks a repository path with the bundle path rules
// ([archive.CheckPath]): it returns a one-line description of a security
// problem (absolute, "..", backslash, control character, not UTF-8, empty or
// "." segment), or tooLong when only the length limits fail.
func pathProblem(p string) (problem string, tooLong bool) {
	err := archive.CheckPath(p)
	if err == nil {
		return "", false
	}
	var ae *archive.Error
	if errors.As(err, &ae) {
		if ae.Kind == archive.KindPathTooLong {
			return ae.Detail, true
		}
		return ae.Detail, false
	}
	return err.Error(), false
}

// checkRepoPath returns an error for any path that fails [archive.CheckPath].
func checkRepoPath(what, p string) error {
	if problem, _ := pathProblem(p); problem != "" {
		return fmt.Errorf("%s %s: %s", what, qp(p), problem)
	}
	return nil
}

// readBounded reads p from head, refusing files over MaxRecipeBytes.
func readBounded(ctx context.Context, head Lister, p string) ([]byte, error) {
	if s, ok := head.(Sizer); ok {
		if n, ok := s.Size(p); ok && n > MaxRecipeBytes {
			return nil, &tooLargeError{path: p, size: n}
		}
	}
	b, err := head.Read(ctx, p)
	if err != nil {
		return nil, &ReadError{Err: fmt.Errorf("read %s at the PR head: %w", qp(p), err)}
	}
	if len(b) > MaxRecipeBytes {
		return nil, &tooLargeError{path: p, size: int64(len(b))}
	}
	return b, nil
}

// ReadError is a failure to read the PR head (I/O, the API), not a problem
// with its content: what depends on it cannot be decided, and retrying may
// help. Errors of [NewPlan] and [CheckRecipe] wrap it when a read failed.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// IsReadError reports whether err comes from a failed read of the PR head.
func IsReadError(err error) bool {
	var re *ReadError
	return errors.As(err, &re)
}

type tooLargeError struct {
	path string
	size int64
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%s is %d bytes, over the %d-byte limit for a recipe", qp(e.path), e.size, MaxRecipeBytes)
}

// baseName is the file name of p without .yaml or .yml.
func baseName(p string) string {
	b := path.Base(p)
	for _, ext := range []string{".yaml", ".yml"} {
		if s, ok := strings.CutSuffix(b, ext); ok {
			return s
		}
	}
	return b
}

func isYAMLFile(p string) bool {
	return strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")
}

// oneLine makes s safe to put on one line of a report: line breaks and other
// control characters are escaped, and it is cut at max runes.
func oneLine(s string, max int) string {
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 }) {
		q := fmt.Sprintf("%q", s)
		s = q[1 : len(q)-1]
	}
	if max > 0 {
		n := 0
		for i := range s {
			if n == max {
				return s[:i] + "…"
			}
			n++
		}
	}
	return s
}

// qp quotes a (possibly hostile) path for a message: Go escapes, at most 300
// bytes shown.
func qp(p string) string {
	const maxShown = 300
	if len(p) > maxShown {
		cut := maxShown
		for cut > 0 && !utf8.RuneStart(p[cut]) {
			cut--
		}
		return strconv.Quote(p[:cut]) + "…"
	}
	return strconv.Quote(p)
}

// cut shortens s to at most max runes (for %q, which escapes by itself).
func cut(s string, max int) string {
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
