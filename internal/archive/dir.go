package archive

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
)

// ReadDir reads an unpacked bundle: the directory dir holds the files of the
// bundle at its root, the way AICR writes its summary-bundle directory. It
// applies the rules [Read] applies to an archive, to the same [Contents]:
// every path passes [CheckPath] (with lim's path limits), no duplicates after
// Unicode case folding, only regular files and directories (a symbolic link
// anywhere below dir, a device, FIFO or socket is refused, never followed),
// and lim's entry, size and document limits. Directories are entries, as in
// a tar. dir itself must be a directory, not a symbolic link.
//
// Files are read through an [os.Root] opened on dir, so nothing outside it
// is reached even when the tree changes while it is read; a file replaced
// between listing and opening is refused ([KindIO]).
//
// Errors are [*Error]s with the same kinds as [Read]; [KindIO] is a failure
// to read the file system (could not decide), [KindCanceled] a cancelled ctx.
// CompressedBytes of the result is 0 and DecompressedBytes the sum of the
// file sizes.
func ReadDir(ctx context.Context, dir string, lim Limits) (*Contents, error) {
	lim, err := lim.resolve()
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, newError(KindIO, "", "reading the bundle directory", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, newError(KindSymlink, "", fmt.Sprintf("bundle directory %q is a symbolic link", dir), nil)
	}
	if !fi.IsDir() {
		return nil, newError(KindIO, "", fmt.Sprintf("%q is not a directory", dir), nil)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, newError(KindIO, "", "opening the bundle directory", err)
	}
	defer root.Close()
	d := &dirReader{ctx: ctx, lim: lim, root: root, paths: newPathSet(), index: make(map[string]int)}
	if err := d.walk("."); err != nil {
		return nil, err
	}
	return &Contents{files: d.files, index: d.index, decompressed: d.fileBytes}, nil
}

// dirReader is the state of one ReadDir.
type dirReader struct {
	ctx       context.Context
	lim       Limits
	root      *os.Root
	paths     *pathSet
	files     []File
	index     map[string]int
	entries   int
	fileBytes int64
}

// walk reads the directory rel ("." for the root) in lexical order.
func (d *dirReader) walk(rel string) error {
	f, err := d.root.Open(rel)
	if err != nil {
		return newError(KindIO, entryName(rel), "opening a directory", err)
	}
	list, err := f.ReadDir(-1)
	_ = f.Close()
	if err != nil {
		return newError(KindIO, entryName(rel), "listing a directory", err)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name() < list[j].Name() })
	for _, e := range list {
		if err := d.ctx.Err(); err != nil {
			return newError(KindCanceled, "", "reading canceled", err)
		}
		p := e.Name()
		if rel != "." {
			p = rel + "/" + p
		}
		if err := d.entry(p, e); err != nil {
			return err
		}
	}
	return nil
}

func entryName(rel string) string {
	if rel == "." {
		return ""
	}
	return rel
}

// entry checks one directory entry and reads it.
func (d *dirReader) entry(p string, e fs.DirEntry) error {
	d.entries++
	if d.entries > d.lim.MaxEntries {
		return newError(KindTooManyEntries, p, fmt.Sprintf("directory has more than %d entries", d.lim.MaxEntries), nil)
	}
	if err := checkPath(p, d.lim.MaxPathBytes, d.lim.MaxPathSegments); err != nil {
		return err
	}
	switch t := e.Type(); {
	case t.IsDir():
		if err := d.paths.addDir(p); err != nil {
			return err
		}
		return d.walk(p)
	case t.IsRegular():
		return d.regular(p)
	case t&fs.ModeSymlink != 0:
		target, _ := d.root.Readlink(p)
		return newError(KindSymlink, p, fmt.Sprintf("entry is a symbolic link (to %q)", target), nil)
	case t&fs.ModeDevice != 0:
		return newError(KindDevice, p, "entry is a device", nil)
	case t&fs.ModeNamedPipe != 0:
		return newError(KindFIFO, p, "entry is a FIFO (named pipe)", nil)
	default:
		return newError(KindUnsupportedType, p, fmt.Sprintf("entry is not a regular file or directory (%s)", t), nil)
	}
}

// regular hashes the regular file p, keeping it when it is a document.
func (d *dirReader) regular(p string) error {
	if err := d.paths.addFile(p); err != nil {
		return err
	}
	before, err := d.root.Lstat(p)
	if err != nil {
		return newError(KindIO, p, "reading the file", err)
	}
	if !before.Mode().IsRegular() {
		return newError(KindIO, p, "file changed while the directory was read", nil)
	}
	size := before.Size()
	if size > d.lim.MaxFileBytes {
		return newError(KindFileTooLarge, p, fmt.Sprintf("file is %d bytes, over the limit of %d bytes", size, d.lim.MaxFileBytes), nil)
	}
	docCap, isDoc := d.lim.Documents[p]
	if isDoc && size > docCap {
		return newError(KindDocumentTooLarge, p, fmt.Sprintf("document is %d bytes, over its cap of %d bytes", size, docCap), nil)
	}
	if size > d.lim.MaxTotalBytes-d.fileBytes {
		return newError(KindTotalTooLarge, p, fmt.Sprintf("files add up to more than the limit of %d bytes", d.lim.MaxTotalBytes), nil)
	}
	d.fileBytes += size
	f, err := d.root.OpenFile(p, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return newError(KindIO, p, "opening the file", err)
	}
	defer f.Close()
	opened, err := f.Stat()
	if err != nil {
		return newError(KindIO, p, "reading the file", err)
	}
	if !os.SameFile(before, opened) {
		return newError(KindIO, p, "file was replaced while the directory was read", nil)
	}
	var content []byte
	if isDoc {
		content = make([]byte, 0, size)
	}
	h := sha256.New()
	w := io.Writer(h)
	buf := &appendWriter{b: content}
	if isDoc {
		w = io.MultiWriter(h, buf)
	}
	n, err := io.Copy(w, &ctxReader{ctx: d.ctx, r: io.LimitReader(f, size+1)})
	if err != nil {
		if ctxErr := d.ctx.Err(); ctxErr != nil {
			return newError(KindCanceled, p, "reading canceled", ctxErr)
		}
		return newError(KindIO, p, "reading the file", err)
	}
	if n != size {
		return newError(KindIO, p, fmt.Sprintf("file changed while it was read (%d bytes, %d expected)", n, size), nil)
	}
	file := File{Path: p, Size: size}
	if isDoc {
		file.Content = buf.b
	}
	h.Sum(file.SHA256[:0])
	d.index[p] = len(d.files)
	d.files = append(d.files, file)
	return nil
}

// appendWriter collects what is written to it.
type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) { a.b = append(a.b, p...); return len(p), nil }

// ctxReader stops a copy once its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, io.EOF
	}
	return n, err
}

// WithDocument returns a copy of c with one more document at path p, kept in
// memory, checked as an archive entry would be: the path rule, no duplicate
// (also after case folding) and the document's cap in lim. The OCI form uses
// it to add the Sigstore bundle pulled as a referrer (attestation.intoto.jsonl)
// to the summary bundle pulled as a layer.
func (c *Contents) WithDocument(p string, content []byte, lim Limits) (*Contents, error) {
	lim, err := lim.resolve()
	if err != nil {
		return nil, err
	}
	if err := checkPath(p, lim.MaxPathBytes, lim.MaxPathSegments); err != nil {
		return nil, err
	}
	paths := newPathSet()
	for _, f := range c.files {
		if err := paths.addFile(f.Path); err != nil {
			return nil, err
		}
	}
	if err := paths.addFile(p); err != nil {
		return nil, err
	}
	if docCap, ok := lim.Documents[p]; ok && int64(len(content)) > docCap {
		return nil, newError(KindDocumentTooLarge, p, fmt.Sprintf("document is %d bytes, over its cap of %d bytes", len(content), docCap), nil)
	}
	out := &Contents{files: append(append([]File(nil), c.files...), File{Path: p, Size: int64(len(content)), SHA256: sha256.Sum256(content), Content: content}),
		index: make(map[string]int, len(c.index)+1), compressed: c.compressed, decompressed: c.decompressed}
	for i, f := range out.files {
		out.index[f.Path] = i
	}
	return out, nil
}
