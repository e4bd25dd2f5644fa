package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/emit"
)

// A bad flag goes to stderr, not stdout (help goes to stdout: TestEmitHelp).
func TestEmitBadFlagOnStderr(t *testing.T) {
	code, stdout, stderr := runBin(t, "--no-such-flag")
	if code != emit.ExitUsage || stdout != "" || !strings.Contains(stderr, "flag provided but not defined: -no-such-flag") {
		t.Errorf("bad flag: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// --results DIR without a CTRF report says which of the cases it is.
func TestEmitResultsSaysWhyNoReport(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	other := filepath.Join(dir, "other")
	for _, d := range []string{empty, other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(other, "junit.xml"), filepath.Join(other, "results.json")} {
		if err := os.WriteFile(f, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := "(want deployment.json, performance.json and/or conformance.json)"
	for _, tc := range []struct{ results, want string }{
		{filepath.Join(dir, "missing"), "no CTRF report: no such folder"},
		{empty, "no CTRF report: the folder is empty " + want},
		{other, `no CTRF report: no file of a known phase; the folder holds "junit.xml", "results.json" ` + want},
	} {
		out := filepath.Join(t.TempDir(), "evidence-bundle.tar.gz")
		args := append(exampleArgs(t, out), "--results", tc.results)
		code, _, stderr := runBin(t, args...)
		if code == emit.ExitOK {
			t.Errorf("%s: exit 0", tc.results)
		}
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if got, w := lines[len(lines)-1], "emit: --results "+tc.results+": "+tc.want; got != w {
			t.Errorf("last stderr line\n got %q\nwant %q", got, w)
		}
	}
}
