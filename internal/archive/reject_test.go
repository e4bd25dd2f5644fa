package archive_test

import (
	"archive/tar"
	"bytes"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/archive"
)

// hostile is an archive that Read must reject.
type hostile struct {
	name  string
	data  []byte
	lim   archive.Limits // zero value: defaults
	kind  archive.Kind
	entry string // entry the error must name; "" when none
	msg   string // substring the message must hold, if not empty
}

// hostileCases builds one archive per rejection class (and variants).
// They also seed the fuzz corpus, see TestFuzzCorpusUpToDate.
func hostileCases() []hostile {
	recipe := reg("recipe.yaml", "kind: RecipeResult\n")
	validTar := tarOf(recipe)
	validTgz := gz(validTar)

	flip := func(b []byte, i int, v byte) []byte {
		c := bytes.Clone(b)
		c[i] = v
		return c
	}
	badTarChecksum := flip(validTar, 0, 'R') // name byte changes, checksum no longer matches

	rawFileDirtyPad := cat(rawHeader([]byte("a.txt"), tar.TypeReg, 5, magicUSTAR), []byte("hello"),
		bytes.Repeat([]byte("X"), 507), endMarker())
	gnuSparse := rawHeader([]byte("sparse.bin"), tar.TypeGNUSparse, 0, magicGNU)
	gnuSparse[483] = '0' // realsize field (offset 483, 12 bytes): "0"
	setChecksum(gnuSparse)

	big := strings.Repeat("x", 1500)
	twoK := strings.Repeat("y", 2000)
	logTar := tarOf(reg("logs/run.log", twoK))

	return []hostile{
		// Entry types.
		{name: "symlink", data: tgz(recipe, typed("snapshot.yaml", tar.TypeSymlink, "/etc/passwd")),
			kind: archive.KindSymlink, entry: "snapshot.yaml", msg: "/etc/passwd"},
		{name: "hard link", data: tgz(recipe, typed("bom.cdx.json", tar.TypeLink, "recipe.yaml")),
			kind: archive.KindHardLink, entry: "bom.cdx.json"},
		{name: "char device", data: tgz(typed("dev/null", tar.TypeChar, "")),
			kind: archive.KindDevice, entry: "dev/null", msg: "character device"},
		{name: "block device", data: tgz(typed("dev/sda", tar.TypeBlock, "")),
			kind: archive.KindDevice, entry: "dev/sda", msg: "block device"},
		{name: "fifo", data: tgz(typed("logs/pipe", tar.TypeFifo, "")),
			kind: archive.KindFIFO, entry: "logs/pipe"},
		{name: "old GNU sparse", data: gz(cat(gnuSparse, endMarker())),
			kind: archive.KindUnsupportedType, entry: "sparse.bin", msg: "sparse"},
		{name: "PAX sparse 0.1", data: gz(cat(
			paxHeader(tar.TypeXHeader, [2]string{"GNU.sparse.numblocks", "1"}, [2]string{"GNU.sparse.map", "0,5"}, [2]string{"GNU.sparse.size", "5"}),
			rawFile("sparse.bin", "hello"), endMarker())),
			kind: archive.KindUnsupportedType, entry: "sparse.bin", msg: "sparse"},
		{name: "PAX sparse unknown version", data: gz(cat(
			paxHeader(tar.TypeXHeader, [2]string{"GNU.sparse.major", "9"}, [2]string{"GNU.sparse.minor", "9"}),
			rawFile("sparse.bin", "hello"), endMarker())),
			kind: archive.KindUnsupportedType, entry: "sparse.bin", msg: "sparse"},
		{name: "contiguous file type", data: gz(cat(rawHeader([]byte("c.bin"), tar.TypeCont, 0, magicUSTAR), endMarker())),
			kind: archive.KindUnsupportedType, entry: "c.bin", msg: "'7'"},
		{name: "vendor type", data: gz(cat(rawHeader([]byte("v.bin"), 'Z', 0, magicUSTAR), endMarker())),
			kind: archive.KindUnsupportedType, entry: "v.bin"},
		{name: "PAX global header with path", data: gz(cat(paxHeader(tar.TypeXGlobalHeader, [2]string{"path", "evil"}), validTar)),
			kind: archive.KindUnsupportedType, entry: "evil", msg: `"path" record`},
		{name: "directory with data", data: gz(cat(rawHeader([]byte("logs/"), tar.TypeDir, 5, magicUSTAR), dataBlocks([]byte("hello")), endMarker())),
			kind: archive.KindUnsupportedType, entry: "logs/", msg: "carries 5 bytes"},

		// Paths.
		{name: "absolute path", data: tgz(reg("/etc/passwd", "x")),
			kind: archive.KindAbsolutePath, entry: "/etc/passwd"},
		{name: "parent segment", data: tgz(reg("ctrf/../x", "x")),
			kind: archive.KindParentSegment, entry: "ctrf/../x"},
		{name: "root directory", data: tgz(dir("/")),
			kind: archive.KindAbsolutePath, entry: "/"},
		{name: "parent segment in directory", data: tgz(dir("../")),
			kind: archive.KindParentSegment, entry: "../"},
		{name: "leading parent segment", data: tgz(reg("../recipe.yaml", "x")),
			kind: archive.KindParentSegment, entry: "../recipe.yaml"},
		{name: "empty segment", data: tgz(reg("ctrf//deployment.json", "{}")),
			kind: archive.KindUncleanPath, entry: "ctrf//deployment.json", msg: "empty segment"},
		{name: "dot segment", data: tgz(reg("ctrf/./deployment.json", "x")),
			kind: archive.KindUncleanPath, entry: "ctrf/./deployment.json", msg: `"." segment`},
		{name: "dot-slash prefix twice", data: tgz(reg("././recipe.yaml", "x")),
			kind: archive.KindUncleanPath, entry: "././recipe.yaml", msg: `"." segment`},
		{name: "dot directory below the root", data: tgz(dir("././")),
			kind: archive.KindUncleanPath, entry: "././"},
		{name: "dot-slash duplicate", data: tgz(reg("recipe.yaml", "a"), reg("./recipe.yaml", "b")),
			kind: archive.KindDuplicate, entry: "./recipe.yaml"},
		{name: "dot-slash case-fold duplicate", data: tgz(dir("./"), reg("./ctrf/deployment.json", "a"), reg("Ctrf/deployment.json", "b")),
			kind: archive.KindCaseFoldDuplicate, entry: "Ctrf/deployment.json", msg: `"ctrf/deployment.json"`},
		{name: "dot-slash parent segment", data: tgz(reg("./../recipe.yaml", "x")),
			kind: archive.KindParentSegment, entry: "./../recipe.yaml"},
		{name: "backslash", data: tgz(reg(`ctrf\deployment.json`, "{}")),
			kind: archive.KindUncleanPath, entry: `ctrf\deployment.json`, msg: "backslash"},
		{name: "trailing slash on a file", data: gz(cat(rawFile("recipe.yaml/", "x"), endMarker())),
			kind: archive.KindUncleanPath, entry: "recipe.yaml/", msg: "slash"},
		{name: "control character", data: tgz(reg("logs/a\nb.log", "x")),
			kind: archive.KindUncleanPath, entry: "logs/a\nb.log", msg: "control character"},
		{name: "path too long", data: tgz(reg(strings.Repeat("x", 257), "x")),
			kind: archive.KindPathTooLong, entry: strings.Repeat("x", 257), msg: "257 bytes"},
		{name: "too many segments", data: tgz(reg("a/b/c/d/e/f/g/h/i", "x")),
			kind: archive.KindPathTooLong, entry: "a/b/c/d/e/f/g/h/i", msg: "9 segments"},
		{name: "configured path bytes", data: tgz(reg("logs/run.log", "x")), lim: archive.Limits{MaxPathBytes: 10},
			kind: archive.KindPathTooLong, entry: "logs/run.log", msg: "limit is 10"},
		{name: "configured path segments", data: tgz(reg("ctrf/deployment.json", "{}")), lim: archive.Limits{MaxPathSegments: 1},
			kind: archive.KindPathTooLong, entry: "ctrf/deployment.json", msg: "limit is 1"},
		{name: "non-UTF-8 name", data: gz(cat(rawFile("logs/\xff\xfe.log", "x"), endMarker())),
			kind: archive.KindNonUTF8, entry: "logs/\xff\xfe.log"},
		{name: "non-UTF-8 directory", data: gz(cat(rawHeader([]byte("d\xc0/"), tar.TypeDir, 0, magicUSTAR), endMarker())),
			kind: archive.KindNonUTF8, entry: "d\xc0/"},

		// Duplicates and conflicts.
		{name: "duplicate", data: tgz(reg("recipe.yaml", "a"), reg("snapshot.yaml", "s"), reg("recipe.yaml", "b")),
			kind: archive.KindDuplicate, entry: "recipe.yaml"},
		{name: "case-fold duplicate", data: tgz(reg("logs/Run.log", "a"), reg("LOGS/run.LOG", "b")),
			kind: archive.KindCaseFoldDuplicate, entry: "LOGS/run.LOG", msg: `"logs/Run.log"`},
		{name: "case-fold duplicate beyond ASCII", data: tgz(reg("logs/k.txt", "a"), reg("logs/\u212a.txt", "b")),
			kind: archive.KindCaseFoldDuplicate, entry: "logs/\u212a.txt", msg: `"logs/k.txt"`},
		{name: "file then file below it", data: tgz(reg("logs", "a"), reg("logs/run.log", "b")),
			kind: archive.KindPathConflict, entry: "logs/run.log", msg: `"logs"`},
		{name: "file below then file", data: tgz(reg("logs/run.log", "b"), reg("Logs", "a")),
			kind: archive.KindPathConflict, entry: "Logs"},
		{name: "file then directory", data: tgz(reg("recipe.yaml", "a"), dir("recipe.yaml/")),
			kind: archive.KindPathConflict, entry: "recipe.yaml/"},

		// Limits.
		{name: "too many entries", data: tgz(reg("a", "1"), dir("d/"), reg("b", "2")), lim: archive.Limits{MaxEntries: 2},
			kind: archive.KindTooManyEntries, entry: "b", msg: "more than 2 entries"},
		{name: "file too large", data: tgz(reg("logs/a.log", "12345")), lim: archive.Limits{MaxFileBytes: 4},
			kind: archive.KindFileTooLarge, entry: "logs/a.log", msg: "limit of 4 bytes"},
		{name: "document too large", data: tgz(reg("manifest.json", "123456789")),
			lim:  archive.Limits{Documents: map[string]int64{"manifest.json": 8}},
			kind: archive.KindDocumentTooLarge, entry: "manifest.json", msg: "cap of 8 bytes"},
		{name: "files add up over total", data: tgz(reg("a.txt", big), reg("b.txt", big+big+big)),
			lim:  archive.Limits{MaxTotalBytes: 3000},
			kind: archive.KindTotalTooLarge, entry: "b.txt", msg: "limit of 3000 bytes"},
		{name: "decompressed stream over total", data: gz(cat(validTar, make([]byte, 64<<10))),
			lim:  archive.Limits{MaxTotalBytes: 32 << 10},
			kind: archive.KindTotalTooLarge, msg: "limit of 32768 bytes"},
		{name: "compressed too large", data: validTgz, lim: archive.Limits{MaxCompressedBytes: int64(len(validTgz) - 1)},
			kind: archive.KindCompressedTooLarge},

		// Framing.
		{name: "plain tar", data: validTar, kind: archive.KindNotGzip},
		{name: "zip", data: []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), kind: archive.KindNotGzip},
		{name: "empty input", data: nil, kind: archive.KindNotGzip, msg: "empty"},
		{name: "gzip checksum", data: flip(validTgz, len(validTgz)-8, validTgz[len(validTgz)-8]^0xff),
			kind: archive.KindCorrupt, msg: "checksum"},
		{name: "gzip length", data: flip(validTgz, len(validTgz)-4, validTgz[len(validTgz)-4]^0x01),
			kind: archive.KindCorrupt},
		{name: "deflate block type", data: flip(validTgz, 10, 0x07), kind: archive.KindCorrupt, msg: "deflate"},
		{name: "gzip reserved flags", data: flip(validTgz, 3, 0xe0), kind: archive.KindCorrupt, msg: "header"},
		{name: "tar header checksum", data: gz(badTarChecksum), kind: archive.KindCorrupt, msg: "tar header"},
		{name: "zero block then header", data: gz(cat(make([]byte, 512), validTar)), kind: archive.KindCorrupt},
		{name: "dirty block padding", data: gz(rawFileDirtyPad), kind: archive.KindCorrupt, entry: "a.txt", msg: "padding"},
		{name: "truncated gzip", data: validTgz[:len(validTgz)/2], kind: archive.KindTruncated},
		{name: "gzip without trailer", data: validTgz[:len(validTgz)-8], kind: archive.KindTruncated},
		{name: "gzip header only", data: validTgz[:10], kind: archive.KindTruncated},
		{name: "tar truncated in file data", data: gz(logTar[:1024]), kind: archive.KindTruncated, entry: "logs/run.log"},
		{name: "tar truncated in header", data: gz(logTar[:100]), kind: archive.KindTruncated},
		{name: "tar without end marker", data: gz(validTar[:len(validTar)-1024]), kind: archive.KindTruncated, msg: "end-of-archive"},
		{name: "tar with half an end marker", data: gz(validTar[:len(validTar)-512]), kind: archive.KindTruncated, msg: "end-of-archive"},
		{name: "empty tar", data: gz(nil), kind: archive.KindTruncated, msg: "end-of-archive"},
		{name: "dangling PAX header", data: gz(cat(paxHeader(tar.TypeXHeader, [2]string{"path", "x"}), endMarker())),
			kind: archive.KindTruncated},
		{name: "second gzip member", data: cat(validTgz, gz([]byte("more"))), kind: archive.KindSecondGzipMember},
		{name: "second empty gzip member", data: cat(validTgz, gz(nil)), kind: archive.KindSecondGzipMember},
		{name: "non-zero bytes after end marker", data: gz(cat(validTar, []byte("junk"))), kind: archive.KindTrailingData, msg: "non-zero byte"},
		{name: "tar after end marker", data: gz(cat(validTar, tarOf(reg("hidden.txt", "x")))), kind: archive.KindTrailingData},
		{name: "bytes after gzip member", data: cat(validTgz, []byte("garbage")), kind: archive.KindTrailingData},
		{name: "zero byte after gzip member", data: cat(validTgz, []byte{0}), kind: archive.KindTrailingData},
		{name: "half gzip magic after member", data: cat(validTgz, []byte{0x1f}), kind: archive.KindTrailingData},
	}
}

func TestReadRejects(t *testing.T) {
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			c, err := read(tc.data, tc.lim)
			if c != nil {
				t.Errorf("got Contents %v along with the error", c.Files())
			}
			wantKind(t, err, tc.kind, tc.entry)
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q does not contain %q", err.Error(), tc.msg)
			}
			if !tc.kind.InvalidBundle() {
				t.Errorf("kind %q is not a bundle fault", tc.kind)
			}
		})
	}
}

// The hostile archives must differ from valid ones only in the defect:
// fixing the defect (here, for a few, by reading with the defaults or
// dropping the offending part) makes them readable. This guards against
// tests that pass because the fixture is broken in some other way.
func TestRejectFixturesAreOtherwiseValid(t *testing.T) {
	big := strings.Repeat("x", 1500)
	for _, data := range [][]byte{
		tgz(reg("logs/a.log", "12345")),
		tgz(reg("manifest.json", "123456789")),
		tgz(reg("a.txt", big), reg("b.txt", big+big+big)),
		tgz(reg("a", "1"), dir("d/"), reg("b", "2")),
		tgz(reg("logs/run.log", "x")),
		gz(cat(rawFile("logs/x.log", "x"), endMarker())),
		gz(cat(paxHeader(tar.TypeXHeader, [2]string{"comment", "c"}), rawFile("sparse.bin", "hello"), endMarker())),
		gz(cat(rawHeader([]byte("logs/"), tar.TypeDir, 0, magicUSTAR), endMarker())),
	} {
		if _, err := read(data, archive.Limits{}); err != nil {
			t.Errorf("fixture rejected: %v", err)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := read(tgz(reg("ctrf/../x", "x")), archive.Limits{})
	if got, want := err.Error(), `archive entry "ctrf/../x": path has a ".." segment`; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	_, err = read([]byte("not gzip at all"), archive.Limits{})
	if got := err.Error(); !strings.HasPrefix(got, "archive: input is not gzip") {
		t.Errorf("message = %q", got)
	}
	// A huge hostile name is shortened in the message.
	name := strings.Repeat("n", 200) + "/" + strings.Repeat("m", 2000)
	_, err = read(tgz(reg(name, "x")), archive.Limits{})
	wantKind(t, err, archive.KindPathTooLong, "")
	if len(err.Error()) > 500 {
		t.Errorf("message is %d bytes long", len(err.Error()))
	}
}

// With GODEBUG=tarinsecurepath=0, tar.Reader reports non-local names
// itself; Read must still classify them precisely and accept the rest.
func TestReadInsecurePathGODEBUG(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	_, err := read(tgz(reg("ctrf/../x", "x")), archive.Limits{})
	wantKind(t, err, archive.KindParentSegment, "ctrf/../x")
	_, err = read(tgz(reg("/etc/passwd", "x")), archive.Limits{})
	wantKind(t, err, archive.KindAbsolutePath, "/etc/passwd")
	if _, err := read(tgz(reg("recipe.yaml", "x")), archive.Limits{}); err != nil {
		t.Fatal(err)
	}
}
