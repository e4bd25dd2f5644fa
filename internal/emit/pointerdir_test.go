package emit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/emit"
)

// TestPointerDirInnerSymlinkRefused: a symlink deeper in the pointer
// path, even one that stays inside --pointer-dir, is refused with one line
// naming --pointer-dir; nothing is written through it.
func TestPointerDirInnerSymlinkRefused(t *testing.T) {
	r := newRecordingRegistry(t)
	in := copyInputs(t, h100Example)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "recipes"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "other"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../other", filepath.Join(dir, "recipes", "evidence")); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	res := runEmit(t, append(in.args(outPath(t)), fakePushArgs(r, dir)...), emit.Env{})
	if res.err == nil {
		t.Fatal("emit wrote the pointer through recipes/evidence, a symlink")
	}
	assertOneLine(t, res.err, "--pointer-dir")
	if !strings.Contains(res.err.Error(), "symlink") {
		t.Errorf("error does not say why: %v", res.err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "other")); len(entries) != 0 {
		t.Errorf("written through the symlink: %v", entries)
	}
}

// TestPointerDirReplacesFileSymlink: a symlink standing at the pointer's
// own path is replaced by the pointer file, not written through.
func TestPointerDirReplacesFileSymlink(t *testing.T) {
	r := newRecordingRegistry(t)
	in := copyInputs(t, h100Example)
	dir, elsewhere := t.TempDir(), t.TempDir()
	res := runEmit(t, append(in.args(outPath(t)), fakePushArgs(r, dir)...), emit.Env{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	rel, _, raw := findPointer(t, dir)
	target := filepath.Join(elsewhere, "target")
	if err := os.WriteFile(target, []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	if res := runEmit(t, append(in.args(outPath(t)), fakePushArgs(r, dir)...), emit.Env{}); res.err != nil {
		t.Fatal(res.err)
	}
	if b, _ := os.ReadFile(target); string(b) != "untouched" {
		t.Errorf("the pointer was written through the symlink at its path: %q", b)
	}
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("pointer path is not a regular file: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(p); string(b) != string(raw) {
		t.Errorf("pointer differs from the first emit's")
	}
}

// TestRecipeNameNamesNode: a recipe name holding a node name of the
// cluster (known once the snapshot is read) is refused like any other
// private name, without echoing it, and nothing is written.
func TestRecipeNameNamesNode(t *testing.T) {
	in := copyInputs(t, h100Example)
	s := string(readFile(t, in.snapshot))
	const anchor = "          instance-types: p5.48xlarge,m6i.2xlarge\n"
	if !strings.Contains(s, anchor) {
		t.Fatal("the example snapshot changed: no instance-types line")
	}
	s = strings.Replace(s, anchor, anchor+"      - subtype: label\n        data:\n"+
		"          nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3|dgx-prod-07\n", 1)
	writeFile(t, in.snapshot, []byte(s))
	out := outPath(t)
	res := runEmit(t, append(dropFlags(in.args(out), "--recipe-name"), "--recipe-name", "h100-dgx-prod-07-training"), emit.Env{})
	assertOneLine(t, res.err, "recipe name", "scrub:node")
	if strings.Contains(res.err.Error()+res.stderr, "dgx-prod") {
		t.Errorf("LEAK the refusal echoes the node name: %v\n%s", res.err, res.stderr)
	}
	assertNothingWritten(t, out)
}

// TestPushPrivateRegistryWarns: a --push registry the scrubber would
// change (a host under a private-use name) is published in the pointer and
// the signed subject: emit warns, naming the rule, not the host.
func TestPushPrivateRegistryWarns(t *testing.T) {
	in := copyInputs(t, h100Example)
	res := runEmit(t, append(in.args(outPath(t)), "--push", "oci://registry.lab.corp/evidence", "--pointer-dir", t.TempDir(), "--quiet"), emit.Env{})
	if !strings.Contains(res.stderr, "--push: the registry and repository are published") || !strings.Contains(res.stderr, "scrub:host") {
		t.Errorf("no warning for a private registry (err %v); stderr:\n%s", res.err, res.stderr)
	}
	if strings.Contains(res.stderr, "registry.lab.corp") {
		t.Errorf("LEAK the warning echoes the registry:\n%s", res.stderr)
	}
}
