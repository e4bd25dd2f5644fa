package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/aicr/verify-evidence/internal/diff"
)

// Bounds of what a sweep reads from a checkout.
const (
	// MaxFiles is the most regular files listed from a checkout (the
	// recipe folder and the evidence folder; .git is never entered).
	MaxFiles = 200_000
	// MaxBundleBytes is the largest bundle read (as the action: GitHub's blob API
	// serves at most 100 MB).
	MaxBundleBytes = 100 << 20
)

// checkout is a local checkout as a diff.Lister, diff.Enumerator and
// diff.Sizer. It lists the files once, never following a symbolic link (a
// linked folder is not entered, a linked file is not a file), and reads only
// files of that list, so no path a recipe names can lead outside the checkout.
type checkout struct {
	root  string
	files map[string]int64 // slash path → size
	stats map[string]fileStat
	// index is the checkout's git index (nil: none usable).
	index *gitIndex
}

var (
	_ diff.Lister     = (*checkout)(nil)
	_ diff.Enumerator = (*checkout)(nil)
	_ diff.Sizer      = (*checkout)(nil)
)

// openCheckout lists the regular files of root.
func openCheckout(ctx context.Context, root string) (*checkout, error) {
	fi, err := os.Lstat(root)
	if err != nil {
		return nil, fmt.Errorf("checkout: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("checkout %s: not a directory", root)
	}
	c := &checkout{root: root, files: map[string]int64{}, stats: map[string]fileStat{}}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // symlinks, devices, FIFOs: not files of the checkout
		}
		if len(c.files) >= MaxFiles {
			return fmt.Errorf("more than %d files", MaxFiles)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		c.files[filepath.ToSlash(rel)] = info.Size()
		if st, ok := statOf(info); ok {
			c.stats[filepath.ToSlash(rel)] = st
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("checkout %s: list files: %w", root, err)
	}
	c.index, _ = readGitIndex(root) // unusable: every bundle is hashed
	return c, nil
}

// objectID returns the git object id of the listed file p when the
// checkout's index vouches for its content (see gitIndex).
func (c *checkout) objectID(p string) (string, bool) {
	st, ok := c.stats[p]
	if !ok {
		return "", false
	}
	return c.index.objectID(p, st)
}

// Exists implements diff.Lister.
func (c *checkout) Exists(p string) bool { _, ok := c.files[p]; return ok }

// Size implements diff.Sizer.
func (c *checkout) Size(p string) (int64, bool) { s, ok := c.files[p]; return s, ok }

// Files implements diff.Enumerator, sorted.
func (c *checkout) Files(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(c.files))
	for p := range c.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// Read implements diff.Lister: a listed file of at most diff.MaxRecipeBytes.
func (c *checkout) Read(ctx context.Context, p string) ([]byte, error) {
	return c.readLimit(ctx, p, diff.MaxRecipeBytes)
}

func (c *checkout) readLimit(ctx context.Context, p string, limit int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := c.open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", p, err)
	}
	if int64(len(b)) > limit {
		return nil, &tooLargeError{path: p, limit: limit}
	}
	return b, nil
}

// open opens a listed file without following a final symbolic link and
// without blocking on a FIFO, and insists on a regular file.
func (c *checkout) open(p string) (*os.File, error) {
	if _, ok := c.files[p]; !ok || strings.Contains(p, "\x00") {
		return nil, fmt.Errorf("%q: %w", p, fs.ErrNotExist)
	}
	f, err := os.OpenFile(filepath.Join(c.root, filepath.FromSlash(p)), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", p, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open %q: %w", p, err)
	}
	return f, nil
}

// tooLargeError: a file over the bound of what is read of it.
type tooLargeError struct {
	path  string
	limit int64
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%q is larger than %d bytes: too large to verify", e.path, e.limit)
}
