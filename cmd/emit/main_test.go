package main_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/verify"
)

// emitBin is the emit binary built by TestMain; buildErr says why there is none.
var (
	emitBin  string
	buildErr error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "emit-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	emitBin, buildErr = build(dir)
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles this command with the go tool that runs the tests, cgo as
// the environment has it.
func build(dir string) (string, error) {
	// go test puts its own GOROOT/bin first on PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("no go tool: %w", err)
	}
	bin := filepath.Join(dir, "emit")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

func binary(t *testing.T) string {
	t.Helper()
	if buildErr != nil {
		t.Fatalf("building cmd/emit: %v", buildErr)
	}
	return emitBin
}

// runBin runs the binary with args and returns its exit code and stderr.
func runBin(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	// No cluster configuration and no Sigstore token may leak in from the host.
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	default:
		t.Fatalf("running emit: %v", err)
		return -1, "", ""
	}
}

func exampleArgs(t *testing.T, out string) []string {
	t.Helper()
	in := filepath.Join(testutil.RepoRoot(t), "testdata", "examples", "inputs", "h100-eks-ubuntu-training")
	return []string{
		"--recipe", filepath.Join(in, "recipe.yaml"), "--recipe-name", "h100-eks-ubuntu-training",
		"--results", filepath.Join(in, "ctrf"), "--bom", filepath.Join(in, "bom.cdx.json"),
		"--snapshot", filepath.Join(in, "snapshot.yaml"), "--nvml", "off", "--sign", "none",
		"--attested-at", "2026-11-20T09:58:00Z", "--out", out,
	}
}

func TestEmitExampleInspectsAsPassed(t *testing.T) {
	out := filepath.Join(t.TempDir(), "evidence-bundle.tar.gz")
	code, stdout, stderr := runBin(t, exampleArgs(t, out)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("emit wrote to stdout: %q", stdout)
	}
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if !strings.HasPrefix(l, "emit: ") {
			t.Errorf("stderr line %q lacks the \"emit: \" prefix", l)
		}
	}
	if !strings.Contains(stderr, "emit: wrote "+filepath.Base(out)) {
		t.Errorf("stderr:\n%s", stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.NewInspector()
	if err != nil {
		t.Fatal(err)
	}
	res := v.Inspect(context.Background(), bytes.NewReader(data), verify.Options{Name: out})
	if res.Verdict != verify.VerdictPassed {
		t.Errorf("inspect: %s: %s", res.Verdict, res.Summary)
		for _, c := range res.Checks {
			t.Logf("  %s %s: %s", c.Name, c.Status, c.Detail)
		}
	}
	if res.Recipe == nil || res.Recipe.Name != "h100-eks-ubuntu-training" {
		t.Errorf("recipe %+v", res.Recipe)
	}
	// The bundle is unsigned: nothing in the report may call its digests signed.
	for _, c := range res.Checks {
		if strings.Contains(c.Detail, "signed digests") {
			t.Errorf("check %s of an unsigned bundle: %q", c.Name, c.Detail)
		}
		if c.Name == verify.CheckCTRF && !strings.Contains(c.Detail, "match the predicate's digests") {
			t.Errorf("check %s: %q", c.Name, c.Detail)
		}
	}

	// The binary and the library give the same bytes: the bundle does not
	// depend on the build (protojson's per-binary whitespace, map order, …).
	lib := filepath.Join(t.TempDir(), "lib.tar.gz")
	opts, err := emit.Parse(exampleArgs(t, lib), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if err := emit.Run(context.Background(), opts, emit.Env{Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}); err != nil {
		t.Fatal(err)
	}
	libData, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, libData) {
		t.Error("the bundle of the emit binary differs from the one emit.Run writes for the same inputs")
	}
}

func TestEmitQuiet(t *testing.T) {
	out := filepath.Join(t.TempDir(), "evidence-bundle.tar.gz")
	code, stdout, stderr := runBin(t, append(exampleArgs(t, out), "--quiet")...)
	if code != 0 || stdout != "" || stderr != "" {
		t.Errorf("--quiet: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}

func TestEmitHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		code, stdout, stderr := runBin(t, arg)
		if code != emit.ExitOK {
			t.Errorf("%s: exit %d, want 0", arg, code)
		}
		// Help goes to stdout (`emit --help | less`), nothing to stderr.
		if stderr != "" {
			t.Errorf("%s wrote to stderr: %q", arg, stderr)
		}
		if !strings.Contains(stdout, "Usage:") || !strings.Contains(stdout, "-identity-token") || !strings.Contains(stdout, "-yes") {
			t.Errorf("%s: stdout lacks the usage:\n%s", arg, stdout)
		}
		if strings.Contains(stdout+stderr, "emit: flag: help requested") {
			t.Errorf("%s is reported as an error:\n%s", arg, stderr)
		}
	}
}

func TestEmitUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "emit: flag provided but not defined: -bogus"},
		{[]string{"--results", "x"}, "emit: --recipe is required"},
		{[]string{"--recipe", "r.yaml", "--results", "x", "--sign", "bogus"}, `emit: --sign "bogus": want keyless or none`},
	} {
		out := filepath.Join(t.TempDir(), "evidence-bundle.tar.gz")
		code, _, stderr := runBin(t, append(tc.args, "--out", out)...)
		if code != emit.ExitUsage {
			t.Errorf("%q: exit %d, want %d", tc.args, code, emit.ExitUsage)
		}
		if !strings.Contains(stderr, tc.want+"\n") {
			t.Errorf("%q: stderr lacks %q:\n%s", tc.args, tc.want, stderr)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%q: --out written", tc.args)
		}
	}
}

func TestEmitRunError(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "evidence-bundle.tar.gz")
	empty := filepath.Join(dir, "results")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runBin(t, append(exampleArgs(t, out), "--results", empty)...)
	if code != emit.ExitError {
		t.Errorf("exit %d, want %d", code, emit.ExitError)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "emit: --results "+empty+": no CTRF report") {
		t.Errorf("last stderr line %q", last)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("files left in the output folder: %v", entries)
	}
}
