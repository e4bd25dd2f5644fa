package archive_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
)

// knownKinds are the kinds Read may return for in-memory input (no I/O
// errors, no cancellation, valid limits).
var knownKinds = map[archive.Kind]bool{
	archive.KindSymlink: true, archive.KindHardLink: true, archive.KindDevice: true, archive.KindFIFO: true,
	archive.KindUnsupportedType: true, archive.KindAbsolutePath: true, archive.KindParentSegment: true,
	archive.KindUncleanPath: true, archive.KindPathTooLong: true, archive.KindNonUTF8: true,
	archive.KindDuplicate: true, archive.KindCaseFoldDuplicate: true, archive.KindPathConflict: true,
	archive.KindTooManyEntries: true, archive.KindFileTooLarge: true, archive.KindDocumentTooLarge: true,
	archive.KindTotalTooLarge: true, archive.KindCompressedTooLarge: true, archive.KindNotGzip: true,
	archive.KindCorrupt: true, archive.KindTruncated: true, archive.KindSecondGzipMember: true,
	archive.KindTrailingData: true,
}

// fuzzLimits keep each input cheap: small total, few entries.
func fuzzLimits() archive.Limits {
	return archive.Limits{
		MaxCompressedBytes: 1 << 20,
		MaxTotalBytes:      4 << 20,
		MaxFileBytes:       2 << 20,
		MaxEntries:         64,
		Documents:          map[string]int64{"manifest.json": 4096, "recipe.yaml": 4096, "ctrf/deployment.json": 64},
	}
}

// fuzzSeeds are small valid and hostile archives; they are added with f.Add
// and also written to testdata/fuzz/FuzzRead by TestWriteFuzzCorpus.
func fuzzSeeds() map[string][]byte {
	seeds := map[string][]byte{}
	var buf bytes.Buffer
	if err := archive.Write(&buf, []archive.Entry{
		{Path: "manifest.json", Data: []byte(`{"schemaVersion": "1.0.0", "files": []}`)},
		{Path: "recipe.yaml", Data: []byte("kind: RecipeResult\n")},
		{Path: "ctrf/deployment.json", Data: []byte(`{"results": {}}`)},
		{Path: "logs/run.log", Data: bytes.Repeat([]byte("2025-01-01T00:00:00Z INFO ok\n"), 20)},
		{Path: "logs/" + strings.Repeat("p", 120), Data: []byte("pax")},
	}, time.Unix(1735689600, 0)); err != nil {
		panic(err)
	}
	seeds["valid-written"] = buf.Bytes()
	seeds["valid-gnu-padded"] = gz(cat(tarOf(dir("ctrf/"), reg("ctrf/deployment.json", "{}")), make([]byte, 8192)))
	for _, tc := range hostileCases() {
		if len(tc.data) < 2048 {
			seeds[regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(tc.name), "-")] = tc.data
		}
	}
	return seeds
}

func FuzzRead(f *testing.F) {
	for _, data := range fuzzSeeds() {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := archive.Read(ctx, bytes.NewReader(data), fuzzLimits())
		if err != nil {
			if c != nil {
				t.Fatalf("Contents along with error %v", err)
			}
			if k := archive.KindOf(err); !knownKinds[k] {
				t.Fatalf("unexpected kind %q: %v", k, err)
			}
			return
		}
		checkContents(t, c, data)
	})
}

// checkContents verifies an accepted archive: paths pass CheckPath, kept
// documents match their hashes, and an independent read with archive/tar
// finds the same regular files with the same hashes.
func checkContents(t *testing.T, c *archive.Contents, data []byte) {
	t.Helper()
	lim := fuzzLimits()
	files := c.Files()
	for _, f := range files {
		if err := archive.CheckPath(f.Path); err != nil {
			t.Fatalf("accepted path: %v", err)
		}
		if _, isDoc := lim.Documents[f.Path]; isDoc != (f.Content != nil) {
			t.Fatalf("%q: document %v but content kept %v", f.Path, isDoc, f.Content != nil)
		}
		if f.Content != nil && (int64(len(f.Content)) != f.Size || sha256.Sum256(f.Content) != f.SHA256) {
			t.Fatalf("%q: content does not match size or hash", f.Path)
		}
	}
	ref, err := referenceFiles(data)
	if err != nil {
		t.Fatalf("accepted an archive archive/tar cannot read: %v", err)
	}
	if len(ref) != len(files) {
		t.Fatalf("%d files, archive/tar sees %d", len(files), len(ref))
	}
	for i, f := range files {
		if f.Path != ref[i].Path || f.Size != ref[i].Size || f.SHA256 != ref[i].SHA256 {
			t.Fatalf("file %d: got %q %d %x, archive/tar sees %q %d %x",
				i, f.Path, f.Size, f.SHA256, ref[i].Path, ref[i].Size, ref[i].SHA256)
		}
	}
	if c.CompressedBytes() != int64(len(data)) {
		t.Fatalf("CompressedBytes %d, input %d", c.CompressedBytes(), len(data))
	}
}

// referenceFiles reads the regular files of data with the standard library
// alone.
func referenceFiles(data []byte) ([]archive.File, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	tr := tar.NewReader(zr)
	var files []archive.File
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		h := sha256.New()
		n, err := io.Copy(h, tr)
		if err != nil {
			return nil, err
		}
		f := archive.File{Path: hdr.Name, Size: n}
		h.Sum(f.SHA256[:0])
		files = append(files, f)
	}
}

// corpusSeeds are the seeds committed under testdata/fuzz/FuzzRead (all
// seeds are added with f.Add anyway; the files give "go test -fuzz" and
// other fuzzers a starting point that does not depend on this code).
var corpusSeeds = []string{
	"valid-written", "valid-gnu-padded", "symlink", "hard-link", "fifo", "old-gnu-sparse",
	"pax-sparse-0-1", "pax-global-header-with-path", "parent-segment", "non-utf-8-name",
	"case-fold-duplicate-beyond-ascii", "file-then-file-below-it", "dirty-block-padding",
	"tar-without-end-marker", "second-gzip-member", "non-zero-bytes-after-end-marker",
	"bytes-after-gzip-member", "gzip-checksum", "tar-truncated-in-file-data", "dangling-pax-header",
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/FuzzRead from fuzzSeeds
// when ARCHIVE_WRITE_FUZZ_CORPUS=1; otherwise it checks that every corpus
// seed has its file.
func TestWriteFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	write := os.Getenv("ARCHIVE_WRITE_FUZZ_CORPUS") == "1"
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seeds := fuzzSeeds()
	for _, name := range corpusSeeds {
		data, ok := seeds[name]
		if !ok {
			t.Fatalf("no seed named %s", name)
		}
		path := filepath.Join(dir, name)
		if write {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("seed %s has no corpus file (run with ARCHIVE_WRITE_FUZZ_CORPUS=1): %v", name, err)
		}
	}
}
