package archive

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Entry is one regular file for [Write]. Small files give their content in
// Data; big ones give Body and Size, and Body is streamed. When Body is nil
// the content is Data (nil means an empty file) and Size must be 0 or
// len(Data).
type Entry struct {
	Path string
	Data []byte
	Body io.Reader
	Size int64
}

// gzipOS is the OS byte of the gzip header that Write produces: 255,
// "unknown", so that the output does not depend on the host.
const gzipOS = 255

// Write writes entries as a deterministic evidence bundle archive to w: one
// gzip member (default compression level, header with no name, no comment,
// mtime 0 and OS byte 255) holding a tar with the entries sorted by path in
// byte order, each a regular file with mode 0644, uid and gid 0, empty user
// and group names and modification time mtime truncated to whole seconds;
// headers use the USTAR format when it can represent the entry and PAX
// otherwise (long paths that cannot be split, non-ASCII paths, mtime out of
// USTAR range). No directory entries are written.
//
// Every path must pass [CheckPath]; duplicates, paths that differ only by
// case and paths used both as a file and as a directory are rejected,
// before anything is written. A Body that yields more or fewer bytes than
// Size is an error. The same entries (in any order) and mtime give
// byte-identical output with the same Go toolchain.
func Write(w io.Writer, entries []Entry, mtime time.Time) error {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	paths := newPathSet()
	for _, e := range sorted {
		if err := CheckPath(e.Path); err != nil {
			return fmt.Errorf("archive: cannot write entry: %w", err)
		}
		if err := paths.addFile(e.Path); err != nil {
			return fmt.Errorf("archive: cannot write entry: %w", err)
		}
		if err := e.checkSize(); err != nil {
			return err
		}
	}

	zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return fmt.Errorf("archive: creating gzip writer: %w", err)
	}
	zw.Header = gzip.Header{OS: gzipOS} // no name, no comment, no extra, mtime 0
	tw := tar.NewWriter(zw)
	mtime = mtime.Truncate(time.Second).UTC()
	for _, e := range sorted {
		if err := writeEntry(tw, e, mtime); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("archive: finishing tar stream: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("archive: finishing gzip stream: %w", err)
	}
	return nil
}

// checkSize validates the Data/Body/Size combination of e.
func (e Entry) checkSize() error {
	switch {
	case e.Body != nil && e.Data != nil:
		return fmt.Errorf("archive: entry %q has both Data and Body", e.Path)
	case e.Body != nil && e.Size < 0:
		return fmt.Errorf("archive: entry %q has negative Size %d", e.Path, e.Size)
	case e.Body == nil && e.Size != 0 && e.Size != int64(len(e.Data)):
		return fmt.Errorf("archive: entry %q has Size %d but %d bytes of Data", e.Path, e.Size, len(e.Data))
	}
	return nil
}

func writeEntry(tw *tar.Writer, e Entry, mtime time.Time) error {
	size := e.Size
	if e.Body == nil {
		size = int64(len(e.Data))
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     e.Path,
		Size:     size,
		Mode:     0o644,
		ModTime:  mtime,
		// Uid, Gid 0 and Uname, Gname empty are the zero values. Format is
		// left unspecified: tar.Writer then picks USTAR when possible, else
		// PAX, deterministically.
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("archive: writing header of entry %q: %w", e.Path, err)
	}
	if e.Body == nil {
		if _, err := tw.Write(e.Data); err != nil {
			return fmt.Errorf("archive: writing entry %q: %w", e.Path, err)
		}
		return nil
	}
	n, err := io.CopyN(tw, e.Body, size)
	if err == io.EOF {
		return fmt.Errorf("archive: entry %q: Body yielded %d bytes, Size says %d", e.Path, n, size)
	}
	if err != nil {
		return fmt.Errorf("archive: writing entry %q: %w", e.Path, err)
	}
	var one [1]byte
	if m, err := io.ReadFull(e.Body, one[:]); m > 0 {
		return fmt.Errorf("archive: entry %q: Body yields more than Size (%d) bytes", e.Path, size)
	} else if err != io.EOF {
		return fmt.Errorf("archive: reading Body of entry %q after %d bytes: %w", e.Path, size, err)
	}
	return nil
}
