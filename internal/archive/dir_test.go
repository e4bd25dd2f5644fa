package archive_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aicr/verify-evidence/internal/archive"
)

// writeTree writes files (path -> content) under a fresh directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadDirReadsLikeAnArchive(t *testing.T) {
	dir := writeTree(t, map[string]string{"recipe.yaml": "r", "ctrf/deployment.json": "{}", "logs/big.log": strings.Repeat("x", 5000)})
	c, err := archive.ReadDir(t.Context(), dir, archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range c.Files() {
		paths = append(paths, f.Path)
	}
	if got := strings.Join(paths, "|"); got != "ctrf/deployment.json|logs/big.log|recipe.yaml" {
		t.Errorf("paths %s", got)
	}
	if doc, ok := c.Document("recipe.yaml"); !ok || string(doc) != "r" {
		t.Errorf("recipe.yaml document = %q, %v", doc, ok)
	}
	big, _ := c.Lookup("logs/big.log")
	if big.Content != nil || big.Size != 5000 || big.SHA256 != sha256.Sum256([]byte(strings.Repeat("x", 5000))) {
		t.Errorf("logs/big.log: size %d, kept %v, wrong digest", big.Size, big.Content != nil)
	}
	if c.DecompressedBytes() != 5003 {
		t.Errorf("DecompressedBytes = %d, want 5003", c.DecompressedBytes())
	}
}

func TestReadDirRefuses(t *testing.T) {
	outside := writeTree(t, map[string]string{"secret": "s"})
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		lim   archive.Limits
		kind  archive.Kind
		entry string
	}{
		{name: "symlink to a file outside", setup: func(t *testing.T, dir string) {
			must(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "snapshot.yaml")))
		}, kind: archive.KindSymlink, entry: "snapshot.yaml"},
		{name: "symlink to a directory", setup: func(t *testing.T, dir string) {
			must(t, os.Symlink(outside, filepath.Join(dir, "ctrf")))
		}, kind: archive.KindSymlink, entry: "ctrf"},
		{name: "symlink inside the tree", setup: func(t *testing.T, dir string) {
			must(t, os.Symlink("recipe.yaml", filepath.Join(dir, "copy.yaml")))
		}, kind: archive.KindSymlink, entry: "copy.yaml"},
		{name: "FIFO", setup: func(t *testing.T, dir string) {
			must(t, syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644))
		}, kind: archive.KindFIFO, entry: "pipe"},
		{name: "case-fold duplicate", setup: func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "Recipe.yaml"), []byte("x"), 0o644))
		}, kind: archive.KindCaseFoldDuplicate, entry: "recipe.yaml"},
		{name: "backslash in a name", setup: func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, `a\b`), []byte("x"), 0o644))
		}, kind: archive.KindUncleanPath, entry: `a\b`},
		{name: "too deep", setup: func(t *testing.T, dir string) {
			must(t, os.MkdirAll(filepath.Join(dir, "a/b/c/d/e/f/g/h"), 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "a/b/c/d/e/f/g/h/i"), []byte("x"), 0o644))
		}, kind: archive.KindPathTooLong, entry: "a/b/c/d/e/f/g/h/i"},
		{name: "file too large", lim: archive.Limits{MaxFileBytes: 0}, setup: func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "manifest.json"), make([]byte, 1<<20+1), 0o644))
		}, kind: archive.KindDocumentTooLarge, entry: "manifest.json"},
		{name: "too many entries", lim: archive.Limits{MaxEntries: 1}, setup: func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "z"), []byte("x"), 0o644))
		}, kind: archive.KindTooManyEntries, entry: "z"},
		{name: "total too large", lim: archive.Limits{MaxTotalBytes: 2}, setup: func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "z"), []byte("xx"), 0o644))
		}, kind: archive.KindTotalTooLarge, entry: "z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{"recipe.yaml": "r"})
			tc.setup(t, dir)
			_, err := archive.ReadDir(t.Context(), dir, tc.lim)
			wantKind(t, err, tc.kind, tc.entry)
			if !archive.KindOf(err).InvalidBundle() {
				t.Errorf("kind %s is not a bundle fault", archive.KindOf(err))
			}
		})
	}
}

func TestReadDirTopLevel(t *testing.T) {
	dir := writeTree(t, map[string]string{"recipe.yaml": "r"})
	link := filepath.Join(t.TempDir(), "link")
	must(t, os.Symlink(dir, link))
	_, err := archive.ReadDir(t.Context(), link, archive.Limits{})
	wantKind(t, err, archive.KindSymlink, "")

	_, err = archive.ReadDir(t.Context(), filepath.Join(dir, "missing"), archive.Limits{})
	wantKind(t, err, archive.KindIO, "")
	if archive.KindOf(err).InvalidBundle() {
		t.Error("a missing directory is reported as an invalid bundle; it is an input error")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The OCI form adds the Sigstore bundle pulled as a referrer to the layer's
// files: checked like an archive entry.
func TestWithDocument(t *testing.T) {
	c, err := read(tgz(reg("recipe.yaml", "r")), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.WithDocument("attestation.intoto.jsonl", []byte("{}"), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if doc, ok := got.Document("attestation.intoto.jsonl"); !ok || string(doc) != "{}" || len(got.Files()) != 2 || len(c.Files()) != 1 {
		t.Errorf("document %q, %v; files %d (original %d)", doc, ok, len(got.Files()), len(c.Files()))
	}
	_, err = got.WithDocument("Attestation.intoto.jsonl", []byte("{}"), archive.Limits{})
	wantKind(t, err, archive.KindCaseFoldDuplicate, "Attestation.intoto.jsonl")
	_, err = c.WithDocument("attestation.intoto.jsonl", make([]byte, 10<<20+1), archive.Limits{})
	wantKind(t, err, archive.KindDocumentTooLarge, "attestation.intoto.jsonl")
}
