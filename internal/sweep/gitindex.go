package sweep

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // git's object ids: SHA-1 is what the checkout itself is addressed by
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A sweep of an unchanged checkout need not read its bundles again: git's
// index records, for each file git wrote, the object id of its content and
// the file's stat data (size, modification and change times, inode). When a
// bundle's stat data are the ones the index recorded, and the file was last
// changed before the index was written (not "racily clean"), its content is
// that object: git status relies on exactly this rule. The object id is
// mapped to the bundle's sha256 by the cache (blobs/), which only records
// ids it computed itself while hashing a bundle; the verification cache is
// still keyed by the bundle's sha256.
//
// What is trusted: the index, written by git in the checkout (no commit can
// carry a .git folder; in the workflow only actions/checkout writes it), and
// the stat data, which no process can set back (the change time is the
// kernel's). A file changed after the index was written has a later change
// time and is hashed. The object ids are git's (SHA-1 with collision
// detection, or SHA-256): the checkout itself is addressed by them.
//
// What falls back to hashing the file: no index, an index that does not
// parse, whose checksum does not match or that is split (its "link"
// extension), an entry with other stat data, a conflicted, sparse or
// intent-to-add entry, a file changed within the clock tick the index was
// written in, and an object id the cache has not seen.

// MaxGitIndexBytes bounds the git index read.
const MaxGitIndexBytes = 64 << 20

// gitIndex is what a checkout's git index says about its files.
type gitIndex struct {
	algo    string // "sha1" or "sha256"
	written time.Time
	entries map[string]indexEntry // slash path → entry
}

// indexEntry is one stage-0 regular file of the index.
type indexEntry struct {
	ctimeS, ctimeNs, mtimeS, mtimeNs uint32
	ino, size                        uint32
	oid                              string // hex
}

// fileStat is what is compared with an index entry.
type fileStat struct {
	ctime, mtime time.Time
	ino          uint64
	size         int64
}

// objectID returns the git object id of the file at p (listed with stat
// st), when the index records it and its stat data are the index's.
func (g *gitIndex) objectID(p string, st fileStat) (string, bool) {
	if g == nil {
		return "", false
	}
	e, ok := g.entries[p]
	if !ok || st.size < 0 || st.size > MaxBundleBytes || uint32(st.size) != e.size || uint32(st.ino) != e.ino ||
		uint32(st.mtime.Unix()) != e.mtimeS || uint32(st.mtime.Nanosecond()) != e.mtimeNs ||
		uint32(st.ctime.Unix()) != e.ctimeS || uint32(st.ctime.Nanosecond()) != e.ctimeNs {
		return "", false
	}
	// Racily clean: changed in the tick the index was written in, the
	// index cannot tell the content it recorded from a later one.
	if !st.mtime.Before(g.written) || !st.ctime.Before(g.written) {
		return "", false
	}
	return g.algo + ":" + e.oid, true
}

// blobHash returns a hash of a file of size bytes that yields its git object
// id in the index's algorithm (nil without an index).
func (g *gitIndex) blobHash(size int64) hash.Hash {
	if g == nil {
		return nil
	}
	var h hash.Hash
	if g.algo == "sha256" {
		h = sha256.New()
	} else {
		h = sha1.New() //nolint:gosec // git's object id
	}
	fmt.Fprintf(h, "blob %d\x00", size)
	return h
}

// readGitIndex reads the index of the git work tree at root, or returns
// nil when there is none or it cannot be used (then every bundle is hashed).
func readGitIndex(root string) (*gitIndex, error) {
	dir, err := gitDir(root)
	if err != nil || dir == "" {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "index"), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxGitIndexBytes+1))
	if err != nil || len(b) > MaxGitIndexBytes {
		return nil, nil
	}
	// Read once, then the time it was written: a later rewrite makes
	// entries look racy (hashed), never the reverse.
	fi2, err := os.Stat(filepath.Join(dir, "index"))
	if err != nil || !fi2.ModTime().Equal(fi.ModTime()) {
		return nil, nil
	}
	g, err := parseGitIndex(b)
	if err != nil {
		return nil, err
	}
	g.written = fi.ModTime()
	return g, nil
}

// gitDir is root's .git folder, or the folder a .git file names (a linked
// work tree); "" when root is no work tree's top.
func gitDir(root string) (string, error) {
	p := filepath.Join(root, ".git")
	fi, err := os.Lstat(p)
	switch {
	case err != nil:
		return "", nil
	case fi.IsDir():
		return p, nil
	case !fi.Mode().IsRegular() || fi.Size() > 4096:
		return "", nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", nil
	}
	line, _, _ := strings.Cut(string(b), "\n")
	d, ok := strings.CutPrefix(line, "gitdir: ")
	if !ok || d == "" {
		return "", nil
	}
	if !filepath.IsAbs(d) {
		d = filepath.Join(root, d)
	}
	return d, nil
}

var errIndex = errors.New("git index: malformed")

// parseGitIndex parses an index (versions 2 to 4; see git's
// Documentation/gitformat-index.txt). The checksum at its end says the
// object format: SHA-1 (20 bytes) or SHA-256 (32). A split index, whose
// entries live partly in another file, is not used.
func parseGitIndex(b []byte) (*gitIndex, error) {
	if len(b) < 12+20 || string(b[:4]) != "DIRC" {
		return nil, errIndex
	}
	g := &gitIndex{entries: map[string]indexEntry{}}
	var body []byte
	for _, algo := range []struct {
		name string
		sum  func([]byte) []byte
		n    int
	}{
		{"sha1", func(b []byte) []byte { s := sha1.Sum(b); return s[:] }, 20}, //nolint:gosec // git's checksum
		{"sha256", func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }, 32},
	} {
		if len(b) >= 12+algo.n && bytes.Equal(algo.sum(b[:len(b)-algo.n]), b[len(b)-algo.n:]) {
			g.algo, body = algo.name, b[:len(b)-algo.n]
			break
		}
	}
	if body == nil {
		return nil, nil // no checksum (index.skipHash) or a torn file: not used
	}
	oidLen := 20
	if g.algo == "sha256" {
		oidLen = 32
	}
	version := binary.BigEndian.Uint32(body[4:8])
	if version < 2 || version > 4 {
		return nil, nil
	}
	count := binary.BigEndian.Uint32(body[8:12])
	off := 12
	prev := ""
	fixed := 40 + oidLen + 2 // stat data, object id, flags
	for i := uint32(0); i < count; i++ {
		if off+fixed > len(body) {
			return nil, errIndex
		}
		e := body[off:]
		u32 := func(at int) uint32 { return binary.BigEndian.Uint32(e[at:]) }
		mode := u32(24)
		flags := binary.BigEndian.Uint16(e[40+oidLen:])
		n := fixed
		var extended uint16
		if flags&0x4000 != 0 {
			if version < 3 || off+n+2 > len(body) {
				return nil, errIndex
			}
			extended = binary.BigEndian.Uint16(e[n:])
			n += 2
		}
		var name string
		if version == 4 {
			strip, w := binary.Uvarint(e[n:])
			if w <= 0 || strip > uint64(len(prev)) {
				return nil, errIndex
			}
			n += w
			end := bytes.IndexByte(e[n:], 0)
			if end < 0 {
				return nil, errIndex
			}
			name = prev[:len(prev)-int(strip)] + string(e[n:n+end])
			n += end + 1
		} else {
			end := bytes.IndexByte(e[n:], 0)
			if end < 0 {
				return nil, errIndex
			}
			name = string(e[n : n+end])
			n = (n + end + 8) &^ 7 // NUL-padded to a multiple of 8
			if off+n > len(body) {
				return nil, errIndex
			}
		}
		prev = name
		off += n
		stage := flags >> 12 & 3
		const skipWorktree, intentToAdd = 0x4000, 0x2000
		if stage != 0 || extended&(skipWorktree|intentToAdd) != 0 || (mode != 0o100644 && mode != 0o100755) {
			continue
		}
		g.entries[name] = indexEntry{
			ctimeS: u32(0), ctimeNs: u32(4), mtimeS: u32(8), mtimeNs: u32(12),
			ino: u32(20), size: u32(36), oid: hex.EncodeToString(e[40 : 40+oidLen]),
		}
	}
	for off+8 <= len(body) {
		sig, size := string(body[off:off+4]), binary.BigEndian.Uint32(body[off+4:])
		if sig == "link" {
			return nil, nil // split index
		}
		if uint64(off)+8+uint64(size) > uint64(len(body)) {
			return nil, errIndex
		}
		off += 8 + int(size)
	}
	if off != len(body) {
		return nil, errIndex
	}
	return g, nil
}
