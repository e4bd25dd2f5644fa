package archive

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// File is one regular file of a bundle, as read by [Read].
type File struct {
	// Path is the file's path in the archive; it passes [CheckPath].
	Path string
	// Size is the file's size in bytes.
	Size int64
	// SHA256 is the SHA-256 digest of the file's content.
	SHA256 [32]byte
	// Content is the file's content if the file is a document (a path in
	// [Limits.Documents]), nil otherwise. An empty document has a non-nil,
	// empty Content. Callers must not modify it.
	Content []byte
}

// Contents is what [Read] found in a valid archive.
type Contents struct {
	files        []File
	index        map[string]int
	compressed   int64
	decompressed int64
}

// Files returns the regular files in archive order. The slice is a copy;
// the Content slices are shared and must not be modified.
func (c *Contents) Files() []File {
	return append([]File(nil), c.files...)
}

// Lookup returns the regular file at path (exact match).
func (c *Contents) Lookup(path string) (File, bool) {
	i, ok := c.index[path]
	if !ok {
		return File{}, false
	}
	return c.files[i], true
}

// Document returns the content of the document at path, if the archive
// holds that file and it was kept in memory (see [Limits.Documents]).
func (c *Contents) Document(path string) ([]byte, bool) {
	f, ok := c.Lookup(path)
	if !ok || f.Content == nil {
		return nil, false
	}
	return f.Content, true
}

// CompressedBytes returns the number of bytes read from the input: the
// size of the bundle file.
func (c *Contents) CompressedBytes() int64 { return c.compressed }

// DecompressedBytes returns the size of the decompressed tar stream,
// padding after the end-of-archive marker included.
func (c *Contents) DecompressedBytes() int64 { return c.decompressed }

// Read reads an evidence bundle archive (a gzip stream holding a tar) from
// r in one streaming pass, enforcing lim (zero fields mean the defaults,
// see [Limits]). Every regular file is hashed with SHA-256; only the
// documents of lim.Documents are kept in memory. Directory entries are
// checked and then ignored.
//
// On failure the error is an [*Error]: a property of the archive (see
// [Kind] for the classes), [KindIO] when r fails (errors.Is finds r's
// error), [KindCanceled] when ctx ends (errors.Is finds ctx.Err()), or
// [KindInvalidLimits]. The context is checked between entries and at least
// every 256 KiB of data; a Read of r that blocks is not interrupted, and
// Read returns only after its helper goroutine has stopped, so a
// cancellable source should also be closed on cancellation.
//
// Decompression runs in a second goroutine, overlapped with hashing;
// memory use is bounded (about 1.5 MiB of buffers) apart from the kept
// documents.
func Read(ctx context.Context, r io.Reader, lim Limits) (*Contents, error) {
	if r == nil {
		return nil, errors.New("archive: Read called with a nil reader")
	}
	lim, err := lim.resolve()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, newError(KindCanceled, "", "reading canceled", err)
	}
	p := startPipeline(ctx, r, lim)
	defer p.stop()
	br := &bundleReader{
		ctx:   ctx,
		lim:   lim,
		pipe:  p,
		cr:    &chanReader{ctx: ctx, p: p},
		paths: newPathSet(),
		hash:  sha256.New(),
		buf:   make([]byte, chunkSize),
		index: make(map[string]int),
	}
	return br.read()
}

// bundleReader is the state of one Read on the consumer side.
type bundleReader struct {
	ctx   context.Context
	lim   Limits
	pipe  *pipeline
	cr    *chanReader
	tr    *tar.Reader
	paths *pathSet
	hash  hash.Hash
	buf   []byte

	files     []File
	index     map[string]int
	entries   int
	fileBytes int64  // sum of regular file sizes so far
	prev      string // name of the previous entry, for messages
}

func (b *bundleReader) read() (*Contents, error) {
	b.tr = tar.NewReader(b.cr)
	for {
		if err := b.ctx.Err(); err != nil {
			return nil, newError(KindCanceled, "", "reading canceled", err)
		}
		hdr, end, err := b.next()
		if err != nil {
			return nil, err
		}
		if end {
			break
		}
		if err := b.entry(hdr); err != nil {
			return nil, err
		}
		b.prev = hdr.Name
	}
	if err := b.trailer(); err != nil {
		return nil, err
	}
	return &Contents{
		files:        b.files,
		index:        b.index,
		compressed:   b.pipe.src.n, // final chunk received: the goroutine is done with src
		decompressed: b.cr.off,
	}, nil
}

// next reads the next tar header, checking the block padding before it and,
// at the end, the end-of-archive marker. end reports the marker.
func (b *bundleReader) next() (hdr *tar.Header, end bool, err error) {
	start := b.cr.off
	pad := -start & 511 // data sections end on a 512-byte block boundary
	b.cr.track(true)
	hdr, err = b.tr.Next()
	b.cr.track(false)
	if hdr != nil && errors.Is(err, tar.ErrInsecurePath) {
		// Only with GODEBUG=tarinsecurepath=0; the path checks below
		// reject such names with a precise Kind.
		err = nil
	}
	if b.cr.firstNonZero >= 0 && b.cr.firstNonZero < start+pad {
		return nil, false, newError(KindCorrupt, b.prev, "block padding after the entry's data is not zero", nil)
	}
	switch {
	case err == io.EOF:
		// tar.Reader also says io.EOF when the stream ends with no marker
		// or half of one; require exactly two zero blocks.
		if b.cr.off-start != pad+2*512 || b.cr.lastNonZero >= start+pad {
			return nil, false, newError(KindTruncated, "",
				fmt.Sprintf("tar end-of-archive marker is missing at byte %d of the tar stream", start+pad), nil)
		}
		return nil, true, nil
	case err != nil:
		detail := "reading the first tar header"
		if b.prev != "" {
			detail = fmt.Sprintf("reading the tar header after entry %q", b.prev)
		}
		return nil, false, b.fail(err, "", detail)
	}
	return hdr, false, nil
}

// entry checks one tar entry and reads its data.
func (b *bundleReader) entry(hdr *tar.Header) error {
	name := hdr.Name
	b.entries++
	if b.entries > b.lim.MaxEntries {
		return newError(KindTooManyEntries, name,
			fmt.Sprintf("archive has more than %d entries", b.lim.MaxEntries), nil)
	}
	switch hdr.Typeflag {
	case tar.TypeReg: // tar.Reader turns the legacy TypeRegA into TypeReg or TypeDir
		return b.regular(hdr)
	case tar.TypeDir:
		return b.directory(hdr)
	case tar.TypeSymlink:
		return newError(KindSymlink, name, fmt.Sprintf("entry is a symbolic link (to %q)", hdr.Linkname), nil)
	case tar.TypeLink:
		return newError(KindHardLink, name, fmt.Sprintf("entry is a hard link (to %q)", hdr.Linkname), nil)
	case tar.TypeChar:
		return newError(KindDevice, name, "entry is a character device", nil)
	case tar.TypeBlock:
		return newError(KindDevice, name, "entry is a block device", nil)
	case tar.TypeFifo:
		return newError(KindFIFO, name, "entry is a FIFO (named pipe)", nil)
	case tar.TypeGNUSparse:
		return newError(KindUnsupportedType, name, "entry is a sparse file", nil)
	case tar.TypeXGlobalHeader:
		// git archive writes one with a "comment" record; tar tools apply
		// any other global record (such as "path") to later entries, which
		// tar.Reader does not, so refuse those.
		for k := range hdr.PAXRecords {
			if k != "comment" {
				return newError(KindUnsupportedType, name,
					fmt.Sprintf("PAX global header has a %q record", k), nil)
			}
		}
		return nil
	}
	return newError(KindUnsupportedType, name, fmt.Sprintf("entry type %q is not supported", hdr.Typeflag), nil)
}

// RootDirEntry is the directory entry that `tar -C dir -czf b.tar.gz .`
// writes for the packed directory itself.
const RootDirEntry = "./"

// DotSlashPrefix is the one prefix [Read] removes from entry names: the
// archive root written as "./" (docs/bundle-format.md §1), so that
// `tar -C dir -czf b.tar.gz .` packs a valid bundle. It is removed exactly
// once, before any other check ("././a" keeps a "." segment and is refused),
// so duplicate, case-fold and reserved-name checks see the normalised path.
const DotSlashPrefix = "./"

// normalizeEntryName removes one leading [DotSlashPrefix] from a tar entry name.
func normalizeEntryName(name string) string {
	if rest, ok := strings.CutPrefix(name, DotSlashPrefix); ok && rest != "" {
		return rest
	}
	return name
}

// directory checks a directory entry, which is otherwise ignored.
func (b *bundleReader) directory(hdr *tar.Header) error {
	if hdr.Size != 0 {
		return newError(KindUnsupportedType, hdr.Name,
			fmt.Sprintf("directory entry carries %d bytes of data", hdr.Size), nil)
	}
	if hdr.Name == RootDirEntry || hdr.Name == "." {
		return nil // the archive root itself
	}
	dir := strings.TrimSuffix(normalizeEntryName(hdr.Name), "/")
	if dir == "" {
		dir = hdr.Name // "/" is absolute, "" is empty
	}
	if err := checkPath(dir, b.lim.MaxPathBytes, b.lim.MaxPathSegments); err != nil {
		return withEntry(err, hdr.Name)
	}
	return withEntry(b.paths.addDir(dir), hdr.Name)
}

// regular checks a regular file and streams its data through the hash.
func (b *bundleReader) regular(hdr *tar.Header) error {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return newError(KindUnsupportedType, hdr.Name, "entry is a sparse file (PAX GNU.sparse records)", nil)
		}
	}
	name := normalizeEntryName(hdr.Name)
	if err := checkPath(name, b.lim.MaxPathBytes, b.lim.MaxPathSegments); err != nil {
		return withEntry(err, hdr.Name)
	}
	if err := b.paths.addFile(name); err != nil {
		return withEntry(err, hdr.Name)
	}
	size := hdr.Size
	if size > b.lim.MaxFileBytes {
		return newError(KindFileTooLarge, name,
			fmt.Sprintf("file is %d bytes, over the limit of %d bytes", size, b.lim.MaxFileBytes), nil)
	}
	docCap, isDoc := b.lim.Documents[name]
	if isDoc && size > docCap {
		return newError(KindDocumentTooLarge, name,
			fmt.Sprintf("document is %d bytes, over its cap of %d bytes", size, docCap), nil)
	}
	if size > b.lim.MaxTotalBytes-b.fileBytes {
		return newError(KindTotalTooLarge, name,
			fmt.Sprintf("files add up to more than the limit of %d bytes", b.lim.MaxTotalBytes), nil)
	}
	b.fileBytes += size

	var content []byte
	if isDoc {
		content = make([]byte, 0, size) // size <= docCap, already bounded
	}
	b.hash.Reset()
	for remaining := size; remaining > 0; {
		if err := b.ctx.Err(); err != nil {
			return newError(KindCanceled, name, "reading canceled", err)
		}
		n, err := b.tr.Read(b.buf[:min(int64(len(b.buf)), remaining)])
		b.hash.Write(b.buf[:n])
		if isDoc {
			content = append(content, b.buf[:n]...)
		}
		remaining -= int64(n)
		if err == io.EOF && remaining == 0 {
			break
		}
		if err != nil {
			return b.fail(err, name, "reading the file's data")
		}
	}
	f := File{Path: name, Size: size, Content: content}
	b.hash.Sum(f.SHA256[:0])
	b.index[name] = len(b.files)
	b.files = append(b.files, f)
	return nil
}

// trailer reads what follows the end-of-archive marker up to the end of the
// gzip member: zero padding (such as GNU tar's, to a 10240-byte record) is
// fine, anything else is not.
func (b *bundleReader) trailer() error {
	for {
		off := b.cr.off
		n, err := b.cr.Read(b.buf)
		for i, v := range b.buf[:n] {
			if v != 0 {
				return newError(KindTrailingData, "",
					fmt.Sprintf("non-zero byte at offset %d of the tar stream, after the end-of-archive marker", off+int64(i)), nil)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return b.fail(err, "", "reading after the end-of-archive marker")
		}
	}
}

// fail classifies an error from the tar layer. Errors of the decompression
// stage (already *Error) and the context win over what tar made of them.
func (b *bundleReader) fail(err error, entry, detail string) error {
	if ctxErr := b.ctx.Err(); ctxErr != nil {
		return newError(KindCanceled, entry, "reading canceled", ctxErr)
	}
	var e *Error
	if !errors.As(err, &e) && b.cr.err != nil && b.cr.err != io.EOF {
		errors.As(b.cr.err, &e)
	}
	if e != nil {
		return withEntry(e, entry)
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return newError(KindTruncated, entry, detail+": archive is truncated", err)
	case errors.Is(err, tar.ErrHeader):
		return newError(KindCorrupt, entry, detail+": invalid tar header", err)
	}
	return newError(KindCorrupt, entry, detail, err)
}

// withEntry returns err with its Entry set to entry, if err is an *Error
// and entry is not empty; the original is not modified.
func withEntry(err error, entry string) error {
	var e *Error
	if err == nil || entry == "" || !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Entry = entry
	return &c
}
