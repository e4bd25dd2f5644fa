//go:build unix

package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/cli"
)

// runWithin fails the test instead of hanging when Run blocks (a FIFO opened
// for reading without O_NONBLOCK waits for a writer forever).
func runWithin(t *testing.T, d time.Duration, args ...string) runResult {
	t.Helper()
	done := make(chan runResult, 1)
	go func() { done <- run(t, nil, args...) }()
	select {
	case r := <-done:
		return r
	case <-time.After(d):
		t.Fatalf("%q still running after %s", args, d)
		return runResult{}
	}
}

func TestInspectRefusesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bundle.tar.gz")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	r := runWithin(t, 10*time.Second, "inspect", p)
	r.want(t, cli.ExitUsage)
	if !strings.Contains(r.stderr, "BUNDLE "+p+": not a regular file: a named pipe") {
		t.Errorf("stderr does not say why: %q", r.stderr)
	}
}

func TestInspectRefusesSymlink(t *testing.T) {
	abs, err := filepath.Abs(h100Bundle)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "link.tar.gz")
	if err := os.Symlink(abs, p); err != nil {
		t.Skipf("symlink: %v", err)
	}
	r := runWithin(t, 10*time.Second, "inspect", p)
	r.want(t, cli.ExitUsage)
	if !strings.Contains(r.stderr, "BUNDLE "+p+": a symlink: give the file itself") {
		t.Errorf("stderr does not say why: %q", r.stderr)
	}
	// The target itself is fine.
	run(t, nil, "inspect", abs).want(t, cli.ExitPassed)
}

func TestInspectRefusesDevice(t *testing.T) {
	if _, err := os.Stat("/dev/null"); err != nil {
		t.Skip("no /dev/null")
	}
	r := runWithin(t, 10*time.Second, "inspect", "/dev/null")
	r.want(t, cli.ExitUsage)
	if !strings.Contains(r.stderr, "BUNDLE /dev/null: not a regular file: a device") {
		t.Errorf("stderr: %q", r.stderr)
	}
}
