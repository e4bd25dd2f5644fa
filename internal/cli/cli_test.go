package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/cli"
	"github.com/aicr/verify-evidence/internal/source"
	"github.com/aicr/verify-evidence/internal/verify"
)

var (
	h100Bundle  = filepath.Join("..", "..", "testdata", "examples", "h100-eks-ubuntu-training", "evidence-bundle.tar.gz")
	h200Bundle  = filepath.Join("..", "..", "testdata", "examples", "h200-oke-ubuntu-inference", "evidence-bundle.tar.gz")
	trustedRoot = filepath.Join("..", "..", "testdata", "examples", "trusted_root.json")
)

type runResult struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, stdin []byte, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, cli.IO{Stdin: bytes.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return runResult{code: code, stdout: out.String(), stderr: errb.String()}
}

func (r runResult) want(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// jsonReport decodes a --format json report.
func jsonReport(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	if dec.More() {
		t.Fatalf("more than one JSON document on stdout:\n%s", s)
	}
	return m
}

func TestInspectExampleText(t *testing.T) {
	r := run(t, nil, "inspect", h100Bundle)
	r.want(t, cli.ExitPassed)
	for _, want := range []string{"h100-eks-ubuntu-training", "PASSED", "signature not checked"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text report does not mention %q:\n%s", want, r.stdout)
		}
	}
}

func TestInspectExampleJSON(t *testing.T) {
	for _, args := range [][]string{
		{"inspect", "--format", "json", h100Bundle},
		{"inspect", h100Bundle, "--format", "json"}, // flags after the positional argument
		{"inspect", h100Bundle, "--format=json"},
		{"inspect", "-format", "json", "--", h100Bundle},
	} {
		r := run(t, nil, args...)
		r.want(t, cli.ExitPassed)
		m := jsonReport(t, r.stdout)
		if m["verdict"] != "passed" || m["mode"] != "inspect" || m["bundle"] != h100Bundle {
			t.Errorf("%v: verdict %v mode %v bundle %v", args, m["verdict"], m["mode"], m["bundle"])
		}
		if rec, _ := m["recipe"].(map[string]any); rec["name"] != "h100-eks-ubuntu-training" {
			t.Errorf("%v: recipe %v", args, m["recipe"])
		}
		// People still get the verdict on stderr when stdout is JSON.
		if !strings.Contains(r.stderr, "PASSED") {
			t.Errorf("%v: stderr %q", args, r.stderr)
		}
	}
}

// The h200 example records a failed performance test: exit 1, "failing".
func TestInspectFailingEvidenceExitsOne(t *testing.T) {
	r := run(t, nil, "inspect", h200Bundle, "--format", "json")
	r.want(t, cli.ExitFailing)
	if m := jsonReport(t, r.stdout); m["verdict"] != "failing" {
		t.Errorf("verdict %v", m["verdict"])
	}
}

func TestInspectOutputFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(out, []byte(strings.Repeat("stale ", 10000)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "inspect", h100Bundle, "--output", out, "--format", "json")
	r.want(t, cli.ExitPassed)
	if r.stdout != "" {
		t.Errorf("stdout not empty with --output: %q", r.stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if m := jsonReport(t, string(b)); m["verdict"] != "passed" {
		t.Errorf("file verdict %v", m["verdict"])
	}
	if !strings.Contains(r.stderr, "PASSED") {
		t.Errorf("stderr %q", r.stderr)
	}
	// Text to a file.
	txt := filepath.Join(t.TempDir(), "report.txt")
	run(t, nil, "inspect", "--output", txt, h100Bundle).want(t, cli.ExitPassed)
	if b, _ := os.ReadFile(txt); !strings.Contains(string(b), "h100-eks-ubuntu-training") {
		t.Errorf("text report file: %q", b)
	}
	// An unwritable output is an error of the verifier, not of the bundle.
	bad := filepath.Join(t.TempDir(), "no-such-dir", "report.json")
	run(t, nil, "inspect", "--output", bad, h100Bundle).want(t, cli.ExitError)
}

func TestInspectStdin(t *testing.T) {
	b, err := os.ReadFile(h100Bundle)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, b, "inspect", "-", "--format", "json")
	r.want(t, cli.ExitPassed)
	if m := jsonReport(t, r.stdout); m["bundle"] != "-" || m["verdict"] != "passed" {
		t.Errorf("bundle %v verdict %v", m["bundle"], m["verdict"])
	}
	// Garbage on stdin is an invalid bundle.
	run(t, []byte("not a bundle"), "inspect", "-").want(t, cli.ExitInvalid)
}

// tamperedBundle is the h100 example with one byte of snapshot.yaml changed.
func tamperedBundle(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(h100Bundle)
	if err != nil {
		t.Fatal(err)
	}
	c, err := archive.Read(context.Background(), bytes.NewReader(raw), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []archive.Entry
	for _, f := range c.Files() {
		data := bytes.Clone(f.Content)
		if f.Path == "snapshot.yaml" {
			data[len(data)/2] ^= 0x01
		}
		entries = append(entries, archive.Entry{Path: f.Path, Data: data})
	}
	var buf bytes.Buffer
	if err := archive.Write(&buf, entries, time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "tampered.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInspectTamperedExitsTwo(t *testing.T) {
	p := tamperedBundle(t)
	r := run(t, nil, "inspect", p)
	r.want(t, cli.ExitInvalid)
	if !strings.Contains(r.stdout, "INVALID") || !strings.Contains(r.stdout, "snapshot.yaml") {
		t.Errorf("report:\n%s", r.stdout)
	}
	r = run(t, nil, "inspect", p, "--format", "json")
	r.want(t, cli.ExitInvalid)
	if m := jsonReport(t, r.stdout); m["verdict"] != "invalid" {
		t.Errorf("verdict %v", m["verdict"])
	}
}

// A missing file means the verifier could not decide (3), never "invalid" (2).
// A BUNDLE that does not exist, or a directory, is the user's mistake: a usage error (64)
// that names the argument, never "could not decide" (3, retrying may help) nor invalid.
func TestInspectMissingFileIsUsageError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "does-not-exist.tar.gz")
	for _, args := range [][]string{{"inspect", p}, {"inspect", "--format", "json", p}} {
		r := run(t, nil, args...)
		r.want(t, cli.ExitUsage)
		if want := "verify-evidence inspect: BUNDLE " + p + ": no such file or directory\n"; r.stderr != want {
			t.Errorf("%q: stderr %q, want %q", args, r.stderr, want)
		}
		if r.stdout != "" {
			t.Errorf("%q: a report was written for a usage error:\n%s", args, r.stdout)
		}
	}
	dir := t.TempDir()
	r := run(t, nil, "inspect", dir)
	r.want(t, cli.ExitUsage)
	if want := "verify-evidence inspect: BUNDLE " + dir + ": " + source.ErrNotBundleDir.Error() + "\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"inspect"},
		{"inspect", h100Bundle, h200Bundle},
		{"inspect", h100Bundle, "--format", "xml"},
		{"inspect", h100Bundle, "--format"},
		{"inspect", "--bogus", h100Bundle},
		{"inspect", "--", h100Bundle, h200Bundle},
		{"--format", "json"},
	} {
		r := run(t, nil, args...)
		if r.code != cli.ExitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %q)", args, r.code, cli.ExitUsage, r.stderr)
		}
		if r.stderr == "" {
			t.Errorf("%q: no message on stderr", args)
		}
		if strings.Contains(r.stdout, `"verdict"`) {
			t.Errorf("%q: a report was written for a usage error", args)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	r := run(t, nil, "version")
	r.want(t, cli.ExitPassed)
	if !strings.HasPrefix(r.stdout, "verify-evidence ") {
		t.Errorf("version: %q", r.stdout)
	}
	var out bytes.Buffer
	if code := cli.Run(context.Background(), []string{"--version"}, cli.IO{Stdout: &out, Stderr: &out, Version: "v9.8.7"}); code != 0 || out.String() != "verify-evidence v9.8.7\n" {
		t.Errorf("--version with a build version: %d %q", code, out.String())
	}
	for _, h := range []string{"help", "-h", "--help"} {
		r := run(t, nil, h)
		r.want(t, cli.ExitPassed)
		if !strings.Contains(r.stdout, "inspect") || !strings.Contains(r.stdout, "64") {
			t.Errorf("%s: %q", h, r.stdout)
		}
	}
	run(t, nil, "inspect", "-h").want(t, cli.ExitPassed)
}

// Exit codes are the verdicts of §7.
func TestExitCodes(t *testing.T) {
	for verdict, want := range map[string]int{"passed": 0, "failing": 1, "invalid": 2, "error": 3, "unknown": 3} {
		if got := cli.ExitCode(verify.Verdict(verdict)); got != want {
			t.Errorf("ExitCode(%s) = %d, want %d", verdict, got, want)
		}
	}
}

// The shipped example verifies offline against its own trusted root with the
// signer pinned, as docs/bundle-format.md §10 does with cosign.
func TestVerifyExampleWithPinnedSigner(t *testing.T) {
	args := []string{"verify", h100Bundle, "--trusted-root", trustedRoot, "--max-age", "0",
		"--certificate-oidc-issuer", "https://token.actions.githubusercontent.com",
		"--certificate-identity-regexp", `^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main$`,
		"--format", "json"}
	r := run(t, nil, args...)
	r.want(t, cli.ExitPassed)
	m := jsonReport(t, r.stdout)
	if m["verdict"] != "passed" || m["mode"] != "verify" {
		t.Errorf("verdict %v mode %v", m["verdict"], m["mode"])
	}
	// Another signer is not trusted: invalid.
	other := append([]string{}, args...)
	other[len(other)-3] = `^https://github\.com/someone-else/.*$`
	run(t, nil, other...).want(t, cli.ExitInvalid)
	// No signer policy at all: could not decide.
	run(t, nil, "verify", h100Bundle, "--trusted-root", trustedRoot, "--max-age", "0").want(t, cli.ExitError)
	// A tampered bundle is invalid under verify too.
	tampered := append([]string{}, args...)
	tampered[1] = tamperedBundle(t)
	run(t, nil, tampered...).want(t, cli.ExitInvalid)
}
