package archive_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
)

func smallEntries() []archive.Entry {
	return []archive.Entry{
		{Path: "recipe.yaml", Data: []byte("kind: RecipeResult\n")},
		{Path: "ctrf/deployment.json", Data: []byte("{}\n")},
		{Path: "manifest.json", Data: []byte(`{"files": []}`)},
		{Path: "logs/" + strings.Repeat("long-dir-", 10) + "/long-file.log", Data: []byte("long path\n")}, // 109 bytes: USTAR prefix split
		{Path: "logs/" + strings.Repeat("x", 120), Data: []byte("needs PAX\n")},                           // name part > 100 bytes
		{Path: "logs/naïve.txt", Data: []byte("non-ASCII\n")},
		{Path: "logs/big.log", Body: strings.NewReader(strings.Repeat("abc\n", 10000)), Size: 40000},
	}
}

func mustWrite(t *testing.T, entries []archive.Entry, mtime time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := archive.Write(&buf, entries, mtime); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteDeterministic(t *testing.T) {
	a := mustWrite(t, smallEntries(), testMTime)
	b := mustWrite(t, smallEntries(), testMTime)
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same entries differ")
	}
	reversed := smallEntries()
	slices.Reverse(reversed)
	if !bytes.Equal(a, mustWrite(t, reversed, testMTime)) {
		t.Error("entry order changes the output")
	}
	// Body or Data for the same content: same bytes.
	asData := smallEntries()
	asData[6] = archive.Entry{Path: "logs/big.log", Data: []byte(strings.Repeat("abc\n", 10000))}
	if !bytes.Equal(a, mustWrite(t, asData, testMTime)) {
		t.Error("Body and Data give different output")
	}
	// Sub-second parts and time zones do not matter; the second does.
	if !bytes.Equal(a, mustWrite(t, smallEntries(), testMTime.Add(999*time.Millisecond).In(time.FixedZone("X", 3600)))) {
		t.Error("sub-second mtime or zone changes the output")
	}
	if bytes.Equal(a, mustWrite(t, smallEntries(), testMTime.Add(time.Second))) {
		t.Error("mtime is not written")
	}
	// The caller's slice is not reordered.
	in := smallEntries()
	_ = mustWrite(t, in, testMTime)
	if in[0].Path != "recipe.yaml" {
		t.Error("Write sorted the caller's slice")
	}
}

func TestWriteFormat(t *testing.T) {
	data := mustWrite(t, smallEntries(), testMTime.Add(500*time.Millisecond))

	// gzip header: magic, deflate, no flags (no name, comment, extra),
	// mtime 0, XFL 0, OS 255.
	if want := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}; !bytes.Equal(data[:10], want) {
		t.Errorf("gzip header = % x, want % x", data[:10], want)
	}
	// One member, nothing after it.
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	tarBytes, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := zr.Reset(bytes.NewReader(nil)); err != io.EOF {
		t.Errorf("reset on empty input: %v", err)
	}

	tr := tar.NewReader(bytes.NewReader(tarBytes))
	var paths []string
	formats := map[string]tar.Format{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, hdr.Name)
		formats[hdr.Name] = hdr.Format
		if hdr.Typeflag != tar.TypeReg || hdr.Mode != 0o644 || hdr.Uid != 0 || hdr.Gid != 0 ||
			hdr.Uname != "" || hdr.Gname != "" || !hdr.ModTime.Equal(testMTime) || hdr.Linkname != "" {
			t.Errorf("header of %s: %+v", hdr.Name, hdr)
		}
		if !hdr.AccessTime.IsZero() || !hdr.ChangeTime.IsZero() {
			t.Errorf("%s has access or change time", hdr.Name)
		}
	}
	if !slices.IsSorted(paths) || len(paths) != len(smallEntries()) {
		t.Errorf("paths not sorted or missing: %q", paths)
	}
	for _, p := range []string{"recipe.yaml", "ctrf/deployment.json", "logs/" + strings.Repeat("long-dir-", 10) + "/long-file.log"} {
		if formats[p] != tar.FormatUSTAR {
			t.Errorf("%s written as %v, want USTAR", p, formats[p])
		}
	}
	for _, p := range []string{"logs/" + strings.Repeat("x", 120), "logs/naïve.txt"} {
		if formats[p] != tar.FormatPAX {
			t.Errorf("%s written as %v, want PAX", p, formats[p])
		}
	}
	// The end-of-archive marker closes the tar, with nothing after it.
	if end := tarBytes[len(tarBytes)-1024:]; !bytes.Equal(end, make([]byte, 1024)) || len(tarBytes)%512 != 0 {
		t.Error("tar does not end with the end-of-archive marker")
	}

	// And the reader takes it.
	c, err := read(data, archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files()) != len(smallEntries()) {
		t.Errorf("read back %d files", len(c.Files()))
	}
}

func TestWriteEmpty(t *testing.T) {
	c, err := read(mustWrite(t, nil, testMTime), archive.Limits{})
	if err != nil || len(c.Files()) != 0 {
		t.Fatalf("files %v, err %v", c, err)
	}
}

func TestWriteRejectsPaths(t *testing.T) {
	for _, tc := range []struct {
		paths []string
		kind  archive.Kind
	}{
		{[]string{"/etc/passwd"}, archive.KindAbsolutePath},
		{[]string{"ctrf/../x"}, archive.KindParentSegment},
		{[]string{"a//b"}, archive.KindUncleanPath},
		{[]string{"./a"}, archive.KindUncleanPath},
		{[]string{`a\b`}, archive.KindUncleanPath},
		{[]string{"a/"}, archive.KindUncleanPath},
		{[]string{""}, archive.KindUncleanPath},
		{[]string{"a\tb"}, archive.KindUncleanPath},
		{[]string{"a\xffb"}, archive.KindNonUTF8},
		{[]string{strings.Repeat("p", 257)}, archive.KindPathTooLong},
		{[]string{"1/2/3/4/5/6/7/8/9"}, archive.KindPathTooLong},
		{[]string{"recipe.yaml", "recipe.yaml"}, archive.KindDuplicate},
		{[]string{"Recipe.yaml", "recipe.YAML"}, archive.KindCaseFoldDuplicate},
		{[]string{"logs", "logs/run.log"}, archive.KindPathConflict},
		{[]string{"LOGS", "logs/run.log"}, archive.KindPathConflict},
	} {
		var entries []archive.Entry
		for _, p := range tc.paths {
			entries = append(entries, archive.Entry{Path: p, Data: []byte("x")})
		}
		var buf bytes.Buffer
		err := archive.Write(&buf, entries, testMTime)
		if got := archive.KindOf(err); got != tc.kind {
			t.Errorf("%q: kind %q (%v), want %q", tc.paths, got, err, tc.kind)
		}
		if buf.Len() != 0 {
			t.Errorf("%q: %d bytes written before the error", tc.paths, buf.Len())
		}
	}
}

func TestWriteRejectsSizes(t *testing.T) {
	errBody := errors.New("body failed")
	for name, e := range map[string]archive.Entry{
		"short body":    {Path: "a", Body: strings.NewReader("abc"), Size: 4},
		"long body":     {Path: "a", Body: strings.NewReader("abcde"), Size: 4},
		"data and body": {Path: "a", Data: []byte("x"), Body: strings.NewReader("x"), Size: 1},
		"size and data": {Path: "a", Data: []byte("xy"), Size: 1},
		"negative size": {Path: "a", Body: strings.NewReader(""), Size: -1},
		"body error":    {Path: "a", Body: iotest.ErrReader(errBody), Size: 3},
		"late error":    {Path: "a", Body: io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(errBody)), Size: 3},
	} {
		err := archive.Write(io.Discard, []archive.Entry{e}, testMTime)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !strings.Contains(err.Error(), `"a"`) {
			t.Errorf("%s: error %q does not name the entry", name, err)
		}
		if strings.Contains(name, "error") && !errors.Is(err, errBody) {
			t.Errorf("%s: error %v does not wrap the body's error", name, err)
		}
	}
	// Data with Size equal to len(Data) is fine.
	if err := archive.Write(io.Discard, []archive.Entry{{Path: "a", Data: []byte("xy"), Size: 2}}, testMTime); err != nil {
		t.Error(err)
	}
}

func TestWriteDestinationError(t *testing.T) {
	errFull := errors.New("no space")
	err := archive.Write(&failingWriter{n: 100, err: errFull}, smallEntries(), testMTime)
	if !errors.Is(err, errFull) {
		t.Errorf("error %v does not wrap the writer's error", err)
	}
}

type failingWriter struct {
	n   int
	err error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		n := w.n
		w.n = 0
		return n, w.err
	}
	w.n -= len(p)
	return len(p), nil
}
