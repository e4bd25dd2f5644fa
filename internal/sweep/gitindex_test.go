package sweep

import (
	"crypto/sha1"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// An index entry vouches for a file only with the stat data it recorded and
// when the file was last changed before the index was written: a file
// changed in that clock tick (racily clean), or since, is hashed.
func TestGitIndexObjectIDRules(t *testing.T) {
	written := time.Date(2026, 12, 5, 4, 0, 0, 500, time.UTC)
	at := written.Add(-time.Second)
	st := fileStat{ctime: at, mtime: at, ino: 1<<32 + 7, size: 1234}
	g := &gitIndex{algo: "sha1", written: written, entries: map[string]indexEntry{"b": {
		ctimeS: uint32(at.Unix()), ctimeNs: uint32(at.Nanosecond()), mtimeS: uint32(at.Unix()), mtimeNs: uint32(at.Nanosecond()),
		ino: 7, size: 1234, oid: strings.Repeat("ab", 20),
	}}}
	if oid, ok := g.objectID("b", st); !ok || oid != "sha1:"+strings.Repeat("ab", 20) {
		t.Fatalf("matching stat data: %q %v", oid, ok)
	}
	for name, change := range map[string]func(*fileStat){
		"size":              func(s *fileStat) { s.size++ },
		"inode":             func(s *fileStat) { s.ino++ },
		"modification time": func(s *fileStat) { s.mtime = s.mtime.Add(time.Nanosecond) },
		"change time":       func(s *fileStat) { s.ctime = s.ctime.Add(time.Nanosecond) },
	} {
		s := st
		change(&s)
		if _, ok := g.objectID("b", s); ok {
			t.Errorf("another %s: vouched for", name)
		}
	}
	if _, ok := g.objectID("other", st); ok {
		t.Error("a path the index lacks: vouched for")
	}
	// Racily clean: recorded in the tick the index was written in.
	racy := *g
	racy.written = at
	if _, ok := racy.objectID("b", st); ok {
		t.Error("a file changed when the index was written: vouched for")
	}
	var none *gitIndex
	if _, ok := none.objectID("b", st); ok {
		t.Error("no index: vouched for")
	}
}

// FuzzParseGitIndex: any bytes, with a valid checksum appended (so the
// parser gets past it), parse without a panic, and an index that parses has
// only well-formed object ids.
func FuzzParseGitIndex(f *testing.F) {
	dir := f.TempDir()
	cmd := exec.Command("git", "init", "-q")
	cmd.Dir = dir
	if err := cmd.Run(); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "a"), []byte("a"), 0o644)
		cmd = exec.Command("git", "add", "a")
		cmd.Dir = dir
		if cmd.Run() == nil {
			if b, err := os.ReadFile(filepath.Join(dir, ".git", "index")); err == nil {
				f.Add(b[:len(b)-20])
			}
		}
	}
	f.Add([]byte("DIRC\x00\x00\x00\x04\x00\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, body []byte) {
		sum := sha1.Sum(body) //nolint:gosec // git's checksum
		g, _ := parseGitIndex(append(body[:len(body):len(body)], sum[:]...))
		if g == nil {
			return
		}
		for p, e := range g.entries {
			if len(e.oid) != 40 {
				t.Fatalf("%q: object id %q", p, e.oid)
			}
		}
	})
}
