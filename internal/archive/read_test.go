package archive_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/benchdata"
)

// roundTripEntries are the inputs of TestRoundTrip: documents (one of them
// empty), a small non-document and a big streamed log.
func roundTripEntries(logSize int64) []archive.Entry {
	return []archive.Entry{
		{Path: "recipe.yaml", Data: []byte("kind: RecipeResult\nmetadata:\n    name: r\n")},
		{Path: "manifest.json", Data: []byte(`{"schemaVersion": "1.0.0", "files": []}` + "\n")},
		{Path: "ctrf/deployment.json", Data: []byte{}},
		{Path: "attestation.intoto.jsonl", Data: []byte(`{"mediaType": "x"}` + "\n")},
		{Path: "logs/small.txt", Data: []byte("not a document\n")},
		{Path: "logs/run.log", Body: benchdata.NewLog(logSize, 7), Size: logSize},
	}
}

func TestRoundTrip(t *testing.T) {
	const logSize = 3<<20 + 123
	var buf bytes.Buffer
	if err := archive.Write(&buf, roundTripEntries(logSize), testMTime); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	c, err := read(data, archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}

	// Expected content: regenerate the inputs (the log reader was consumed).
	want := map[string][]byte{}
	for _, e := range roundTripEntries(logSize) {
		if e.Body != nil {
			b, err := io.ReadAll(e.Body)
			if err != nil {
				t.Fatal(err)
			}
			want[e.Path] = b
		} else {
			want[e.Path] = e.Data
		}
	}
	files := c.Files()
	gotOrder := make([]string, len(files))
	for i, f := range files {
		gotOrder[i] = f.Path
		w, ok := want[f.Path]
		if !ok {
			t.Fatalf("unexpected file %q", f.Path)
		}
		if f.Size != int64(len(w)) {
			t.Errorf("%s: size %d, want %d", f.Path, f.Size, len(w))
		}
		if f.SHA256 != sha256.Sum256(w) {
			t.Errorf("%s: sha256 mismatch", f.Path)
		}
	}
	wantOrder := "attestation.intoto.jsonl ctrf/deployment.json logs/run.log logs/small.txt manifest.json recipe.yaml"
	if got := strings.Join(gotOrder, " "); got != wantOrder {
		t.Errorf("order = %s, want %s", got, wantOrder)
	}

	for _, doc := range []string{"recipe.yaml", "manifest.json", "ctrf/deployment.json", "attestation.intoto.jsonl"} {
		content, ok := c.Document(doc)
		if !ok || !bytes.Equal(content, want[doc]) || content == nil {
			t.Errorf("Document(%q) = %q, %v; want %q", doc, content, ok, want[doc])
		}
	}
	for _, notDoc := range []string{"logs/run.log", "logs/small.txt", "snapshot.yaml"} {
		if content, ok := c.Document(notDoc); ok || content != nil {
			t.Errorf("Document(%q) = %d bytes, %v; want nothing", notDoc, len(content), ok)
		}
	}
	if f, ok := c.Lookup("logs/run.log"); !ok || f.Content != nil || f.Size != logSize {
		t.Errorf("Lookup(logs/run.log) = size %d, %d content bytes, %v", f.Size, len(f.Content), ok)
	}
	if _, ok := c.Lookup("LOGS/run.log"); ok {
		t.Error("Lookup is not exact")
	}
	if c.CompressedBytes() != int64(len(data)) {
		t.Errorf("CompressedBytes = %d, want %d", c.CompressedBytes(), len(data))
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		t.Fatal(err)
	}
	if c.DecompressedBytes() != n {
		t.Errorf("DecompressedBytes = %d, want %d", c.DecompressedBytes(), n)
	}

	// Files returns a copy.
	files[0].Path = "changed"
	if c.Files()[0].Path == "changed" {
		t.Error("Files exposes internal state")
	}
}

// A big non-document must stream: reading it allocates far less than its
// size.
func TestBigFileNotKeptInMemory(t *testing.T) {
	const logSize = 32 << 20
	// Built by hand at BestSpeed: Write's default level is slow for a test.
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: benchdata.LogPath, Size: logSize, Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(tw, benchdata.NewLog(logSize, 1)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, err := read(buf.Bytes(), archive.Limits{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := c.Lookup(benchdata.LogPath); f.Size != logSize || f.Content != nil {
		t.Fatalf("log: size %d, content %d bytes", f.Size, len(f.Content))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("reading a %d-byte log allocated %d bytes", logSize, alloc)
	}
}

func TestReadAccepts(t *testing.T) {
	recipe := reg("recipe.yaml", "kind: RecipeResult\n")
	validTar := tarOf(recipe, reg("ctrf/deployment.json", "{}"))
	padded := cat(validTar, make([]byte, 10240-len(validTar)%10240))
	if len(padded)%10240 != 0 {
		t.Fatal("bad padding")
	}
	longPath := strings.Repeat("d", 40) + "/" + strings.Repeat("e", 40) + "/" + strings.Repeat("f", 100) + ".log" // 186 bytes, needs PAX or prefix
	gnuLong := reg(strings.Repeat("g", 150)+".log", "gnu")
	gnuLong.hdr.Format = tar.FormatGNU
	paxName := reg("logs/résumé-ß.txt", "pax")

	for _, tc := range []struct {
		name  string
		data  []byte
		paths []string
	}{
		{"GNU record padding", gz(padded), []string{"recipe.yaml", "ctrf/deployment.json"}},
		{"long zero padding", gz(cat(validTar, make([]byte, 100<<10))), []string{"recipe.yaml", "ctrf/deployment.json"}},
		{"directories ignored", tgz(dir("ctrf/"), dir("ctrf"), reg("ctrf/deployment.json", "{}"), dir("logs/"), recipe),
			[]string{"ctrf/deployment.json", "recipe.yaml"}},
		{"long PAX or prefixed path", tgz(reg(longPath, "x")), []string{longPath}},
		{"GNU long name", tgz(gnuLong), []string{gnuLong.hdr.Name}},
		{"non-ASCII path", tgz(paxName), []string{"logs/résumé-ß.txt"}},
		{"legacy regular type", gz(cat(rawHeader([]byte("old.txt"), 0, 3, magicUSTAR), dataBlocks([]byte("old")), endMarker())), []string{"old.txt"}},
		{"GNU magic", gz(cat(rawHeader([]byte("gnu.txt"), tar.TypeReg, 3, magicGNU), dataBlocks([]byte("gnu")), endMarker())), []string{"gnu.txt"}},
		{"global comment header (git archive)", gz(cat(paxHeader(tar.TypeXGlobalHeader, [2]string{"comment", "0123abcd"}), validTar)),
			[]string{"recipe.yaml", "ctrf/deployment.json"}},
		{"empty archive", gz(endMarker()), nil},
		{"case differences in distinct paths", tgz(reg("logs/a.log", "1"), reg("LOGS/b.log", "2")), []string{"logs/a.log", "LOGS/b.log"}},
		{"empty file", tgz(reg("logs/empty", "")), []string{"logs/empty"}},
		{"packed with tar -C dir -czf b.tar.gz .", tgz(dir("./"), dir("./ctrf/"), reg("./ctrf/deployment.json", "{}"), reg("./recipe.yaml", "r")),
			[]string{"ctrf/deployment.json", "recipe.yaml"}},
		{"root directory written as .", tgz(dir("."), reg("recipe.yaml", "r")), []string{"recipe.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := read(tc.data, archive.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range c.Files() {
				got = append(got, f.Path)
			}
			if strings.Join(got, "|") != strings.Join(tc.paths, "|") {
				t.Errorf("files = %q, want %q", got, tc.paths)
			}
		})
	}
}

// A "./"-prefixed document is kept under its normalised path.
func TestReadDotSlashDocument(t *testing.T) {
	c, err := read(tgz(dir("./"), reg("./manifest.json", "{}")), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Document("manifest.json"); !ok || string(got) != "{}" {
		t.Errorf("Document(manifest.json) = %q, %v; want the kept document", got, ok)
	}
	if _, ok := c.Lookup("./manifest.json"); ok {
		t.Error(`Lookup("./manifest.json") found a file; paths are normalised`)
	}
}

// Odd but legal readers: one byte at a time, data returned with io.EOF.
func TestReadSourceShapes(t *testing.T) {
	data := tgz(reg("recipe.yaml", "kind: RecipeResult\n"), reg("logs/x.log", strings.Repeat("line\n", 5000)))
	for name, r := range map[string]io.Reader{
		"one byte":  iotest.OneByteReader(bytes.NewReader(data)),
		"half":      iotest.HalfReader(bytes.NewReader(data)),
		"data+EOF":  iotest.DataErrReader(bytes.NewReader(data)),
		"plain":     bytes.NewReader(data),
		"no seeker": struct{ io.Reader }{bytes.NewReader(data)},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := archive.Read(t.Context(), r, archive.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if c.CompressedBytes() != int64(len(data)) || len(c.Files()) != 2 {
				t.Errorf("compressed %d, files %d", c.CompressedBytes(), len(c.Files()))
			}
		})
	}
}

// Limits exactly at the size of the archive accept it; one less rejects.
func TestLimitBoundaries(t *testing.T) {
	doc := "0123456789"
	data := tgz(reg("manifest.json", doc), reg("logs/a.log", "abcdefghijklmnopqrst"), dir("logs/"))
	decompressed := int64(len(tarOf(reg("manifest.json", doc), reg("logs/a.log", "abcdefghijklmnopqrst"), dir("logs/"))))
	docs := func(n int64) map[string]int64 { return map[string]int64{"manifest.json": n} }
	for _, tc := range []struct {
		name     string
		ok, fail archive.Limits
		kind     archive.Kind
	}{
		{"compressed", archive.Limits{MaxCompressedBytes: int64(len(data))}, archive.Limits{MaxCompressedBytes: int64(len(data)) - 1}, archive.KindCompressedTooLarge},
		{"total", archive.Limits{MaxTotalBytes: decompressed}, archive.Limits{MaxTotalBytes: decompressed - 1}, archive.KindTotalTooLarge},
		{"file", archive.Limits{MaxFileBytes: 20}, archive.Limits{MaxFileBytes: 19}, archive.KindFileTooLarge},
		{"document", archive.Limits{Documents: docs(10)}, archive.Limits{Documents: docs(9)}, archive.KindDocumentTooLarge},
		{"entries", archive.Limits{MaxEntries: 3}, archive.Limits{MaxEntries: 2}, archive.KindTooManyEntries},
		{"path bytes", archive.Limits{MaxPathBytes: 13}, archive.Limits{MaxPathBytes: 12}, archive.KindPathTooLong},
		{"path segments", archive.Limits{MaxPathSegments: 2}, archive.Limits{MaxPathSegments: 1}, archive.KindPathTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := read(data, tc.ok); err != nil {
				t.Errorf("at the limit: %v", err)
			}
			_, err := read(data, tc.fail)
			wantKind(t, err, tc.kind, "")
		})
	}
}

func TestDocumentsConfig(t *testing.T) {
	data := tgz(reg("manifest.json", "{}"), reg("logs/notes.txt", "notes"))
	c, err := read(data, archive.Limits{}) // zero Limits: default documents
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := c.Document("manifest.json"); !ok || string(d) != "{}" {
		t.Errorf("default limits: manifest.json = %q, %v", d, ok)
	}
	c, err = read(data, archive.Limits{Documents: map[string]int64{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Document("manifest.json"); ok {
		t.Error("empty Documents map still kept manifest.json")
	}
	c, err = read(data, archive.Limits{Documents: map[string]int64{"logs/notes.txt": 5}})
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := c.Document("logs/notes.txt"); !ok || string(d) != "notes" {
		t.Errorf("custom document = %q, %v", d, ok)
	}
	if _, ok := c.Document("manifest.json"); ok {
		t.Error("custom Documents map still kept manifest.json")
	}
}

func TestLimitsDefaultsAndValidation(t *testing.T) {
	d := archive.DefaultLimits()
	if d.MaxCompressedBytes != 2<<30 || d.MaxTotalBytes != 4<<30 || d.MaxFileBytes != 4<<30 ||
		d.MaxEntries != 10000 || d.MaxPathBytes != 256 || d.MaxPathSegments != 8 {
		t.Errorf("defaults = %+v", d)
	}
	wantDocs := map[string]int64{
		"manifest.json": 1 << 20, "recipe.yaml": 1 << 20, "snapshot.yaml": 16 << 20, "bom.cdx.json": 16 << 20,
		"ctrf/deployment.json": 16 << 20, "ctrf/performance.json": 16 << 20, "ctrf/conformance.json": 16 << 20,
		"statement.intoto.json": 4 << 20, "attestation.intoto.jsonl": 10 << 20,
	}
	if len(d.Documents) != len(wantDocs) {
		t.Errorf("documents = %v", d.Documents)
	}
	for p, n := range wantDocs {
		if d.Documents[p] != n {
			t.Errorf("cap of %s = %d, want %d", p, d.Documents[p], n)
		}
	}
	d.Documents["manifest.json"] = 1
	if archive.DefaultLimits().Documents["manifest.json"] != 1<<20 {
		t.Error("DefaultLimits shares its Documents map")
	}

	data := tgz(reg("recipe.yaml", "x"))
	for _, lim := range []archive.Limits{
		{MaxCompressedBytes: -1}, {MaxTotalBytes: -1}, {MaxFileBytes: -1}, {MaxEntries: -1},
		{MaxPathBytes: -1}, {MaxPathSegments: -1}, {Documents: map[string]int64{"x": -1}},
	} {
		_, err := read(data, lim)
		wantKind(t, err, archive.KindInvalidLimits, "")
		if archive.KindInvalidLimits.InvalidBundle() {
			t.Error("invalid limits reported as a bundle fault")
		}
	}
}

// A bundle made by the system's GNU tar (directory entries, GNU headers,
// record padding) reads fine.
func TestReadGNUTarOutput(t *testing.T) {
	tarBin, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("no tar binary")
	}
	src := t.TempDir()
	for p, content := range map[string]string{
		"recipe.yaml":          "kind: RecipeResult\n",
		"ctrf/deployment.json": "{}\n",
		"logs/run.log":         strings.Repeat("log line\n", 3000),
	} {
		full := filepath.Join(src, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	cmd := exec.Command(tarBin, "-czf", out, "-C", src, "recipe.yaml", "ctrf", "logs")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	c, err := read(data, archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files()) != 3 {
		t.Errorf("files = %v", c.Files())
	}
	if d, ok := c.Document("ctrf/deployment.json"); !ok || string(d) != "{}\n" {
		t.Errorf("ctrf/deployment.json = %q, %v", d, ok)
	}
}
