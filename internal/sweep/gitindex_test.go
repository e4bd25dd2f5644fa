package sweep

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// The index parser reads what git wrote, in both object formats and index
// versions 2 to 4, as `git ls-files -s` does: the stage-0 regular files with
// their object ids; symbolic links and intent-to-add entries (version 3's
// extended flags) are not taken for files. Every truncation is refused
// (its checksum), without a panic.
func TestParseGitIndex(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		for _, version := range []string{"2", "4"} {
			dir := t.TempDir()
			gitIn(t, dir, "init", "-q", "--object-format="+format)
			for name, body := range map[string]string{"a.txt": "a\n", "recipes/evidence/x/evidence-bundle.tar.gz": "bundle", "recipes/evidence/x/long-" + strings.Repeat("n", 40): "n", "tool.sh": "#!/bin/sh\n", "later.txt": "intent"} {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(filepath.Join(dir, "tool.sh"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			gitIn(t, dir, "add", "a.txt", "recipes", "tool.sh", "link")
			gitIn(t, dir, "add", "-N", "later.txt")
			gitIn(t, dir, "update-index", "--index-version", version)
			b, err := os.ReadFile(filepath.Join(dir, ".git", "index"))
			if err != nil {
				t.Fatal(err)
			}
			g, err := parseGitIndex(b)
			if err != nil || g == nil || g.algo != format {
				t.Fatalf("%s v%s: %+v %v", format, version, g, err)
			}
			want := map[string]string{}
			for _, line := range strings.Split(strings.TrimSpace(gitIn(t, dir, "ls-files", "-s")), "\n") {
				meta, path, _ := strings.Cut(line, "\t")
				f := strings.Fields(meta)
				if f[0] == "100644" || f[0] == "100755" {
					want[path] = f[1]
				}
			}
			delete(want, "later.txt") // intent to add: not a file of the index yet
			if len(g.entries) != len(want) || len(want) != 4 {
				t.Errorf("%s v%s: %d entries, want %d: %v", format, version, len(g.entries), len(want), g.entries)
			}
			for p, oid := range want {
				if g.entries[p].oid != oid {
					t.Errorf("%s v%s: %s: %q, want %q", format, version, p, g.entries[p].oid, oid)
				}
			}
			if oid := strings.TrimSpace(gitIn(t, dir, "hash-object", "recipes/evidence/x/evidence-bundle.tar.gz")); g.entries["recipes/evidence/x/evidence-bundle.tar.gz"].oid != oid {
				t.Errorf("%s v%s: bundle object id %q, git hash-object %q", format, version, g.entries["recipes/evidence/x/evidence-bundle.tar.gz"].oid, oid)
			}
			for i := range len(b) {
				if g, _ := parseGitIndex(b[:i]); g != nil {
					t.Fatalf("%s v%s: an index cut at %d of %d bytes was used", format, version, i, len(b))
				}
			}
		}
	}
}

// A file's own git object id, computed while it is hashed, is git's.
func TestDigestFileObjectID(t *testing.T) {
	dir := t.TempDir()
	gitIn(t, dir, "init", "-q")
	p := "recipes/evidence/x/evidence-bundle.tar.gz"
	if err := os.MkdirAll(filepath.Join(dir, "recipes/evidence/x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), []byte(strings.Repeat("bundle bytes ", 10000)), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "add", "-A")
	co, err := openCheckout(t.Context(), dir)
	if err != nil || co.index == nil {
		t.Fatalf("%v, index %v", err, co.index)
	}
	_, oid, _, err := digestFile(co, p)
	if want := "sha1:" + strings.TrimSpace(gitIn(t, dir, "hash-object", p)); err != nil || oid != want {
		t.Fatalf("object id %q (%v), want %q", oid, err, want)
	}
}
