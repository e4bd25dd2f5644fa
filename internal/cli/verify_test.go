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
	"github.com/aicr/verify-evidence/internal/verify"
)

var (
	vtH100        = filepath.Join("..", "..", "testdata", "examples", "h100-eks-ubuntu-training", "evidence-bundle.tar.gz")
	vtH200        = filepath.Join("..", "..", "testdata", "examples", "h200-oke-ubuntu-inference", "evidence-bundle.tar.gz")
	vtRoot        = filepath.Join("..", "..", "testdata", "examples", "trusted_root.json")
	vtInputRecipe = filepath.Join("..", "..", "testdata", "examples", "inputs", "h100-eks-ubuntu-training", "recipe.yaml")
	// When the h100 example was attested (internal/tools/genexamples).
	vtH100AttestedAt = time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC)
)

const (
	vtIssuer   = "https://token.actions.githubusercontent.com"
	vtIdentity = "https://github.com/acme-gpu/recipe-evidence/.github/workflows/evidence.yml@refs/heads/main"
	vtPattern  = `^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main$`
)

type vtResult struct {
	code           int
	stdout, stderr string
}

func vtRun(t *testing.T, args ...string) vtResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, cli.IO{Stdin: bytes.NewReader(nil), Stdout: &out, Stderr: &errb})
	return vtResult{code: code, stdout: out.String(), stderr: errb.String()}
}

func (r vtResult) want(t *testing.T, code int) vtResult {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

func (r vtResult) mentions(t *testing.T, where string, subs ...string) {
	t.Helper()
	text := r.stdout
	if where == "stderr" {
		text = r.stderr
	}
	for _, s := range subs {
		if !strings.Contains(text, s) {
			t.Errorf("%s does not mention %q:\n%s", where, s, text)
		}
	}
}

// vtPinned is a verify command line with the example's trusted root and signer
// pins, age check disabled so that the result does not depend on the clock.
func vtPinned(bundle string, extra ...string) []string {
	args := []string{"verify", bundle, "--trusted-root", vtRoot,
		"--certificate-oidc-issuer", vtIssuer, "--certificate-identity-regexp", vtPattern, "--max-age", "0"}
	return append(args, extra...)
}

func vtJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, s)
	}
	return m
}

// vtCheck returns the named check of a JSON report.
func vtCheck(t *testing.T, m map[string]any, name string) map[string]any {
	t.Helper()
	checks, _ := m["checks"].([]any)
	for _, c := range checks {
		if c, ok := c.(map[string]any); ok && c["name"] == name {
			return c
		}
	}
	t.Fatalf("report has no check %q", name)
	return nil
}

func vtWrite(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// vtTampered writes a copy of the h100 example whose snapshot.yaml has one
// byte changed, repacked the way the emitter writes bundles.
func vtTampered(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(vtH100)
	if err != nil {
		t.Fatal(err)
	}
	c, err := archive.Read(context.Background(), bytes.NewReader(raw), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []archive.Entry
	changed := false
	for _, f := range c.Files() {
		data := bytes.Clone(f.Content)
		if f.Path == "snapshot.yaml" {
			i := bytes.Index(data, []byte("H100"))
			if i < 0 {
				t.Fatal("snapshot.yaml does not mention H100")
			}
			data[i+3] = '1' // H100 → H101
			changed = true
		}
		entries = append(entries, archive.Entry{Path: f.Path, Data: data})
	}
	if !changed {
		t.Fatal("the example has no snapshot.yaml")
	}
	var buf bytes.Buffer
	if err := archive.Write(&buf, entries, vtH100AttestedAt); err != nil {
		t.Fatal(err)
	}
	return vtWrite(t, "tampered.tar.gz", buf.Bytes())
}

func TestVerifyCmdPinnedSignerPasses(t *testing.T) {
	r := vtRun(t, vtPinned(vtH100)...).want(t, cli.ExitPassed)
	r.mentions(t, "stdout", "PASSED", "h100-eks-ubuntu-training", vtIdentity, "command-line")
	if r.stderr != "" {
		t.Errorf("text report to stdout, yet stderr has %q", r.stderr)
	}
}

func TestVerifyCmdDefaultMaxAgeIsOneYear(t *testing.T) {
	args := []string{"verify", vtH100, "--trusted-root", vtRoot, "--certificate-oidc-issuer", vtIssuer, "--certificate-identity-regexp", vtPattern}
	want := cli.ExitPassed
	if time.Since(vtH100AttestedAt) > cli.DefaultMaxAge {
		want = cli.ExitFailing
	}
	vtRun(t, args...).want(t, want)
	if cli.DefaultMaxAge != 365*24*time.Hour {
		t.Errorf("DefaultMaxAge %v, want one year (format §7)", cli.DefaultMaxAge)
	}
}

func TestVerifyCmdGenuineFailingEvidenceExitsOne(t *testing.T) {
	r := vtRun(t, vtPinned(vtH200)...).want(t, cli.ExitFailing)
	r.mentions(t, "stdout", "FAILING")

	j := vtRun(t, vtPinned(vtH200, "--format", "json")...).want(t, cli.ExitFailing)
	m := vtJSON(t, j.stdout)
	if m["verdict"] != "failing" || m["mode"] != "verify" {
		t.Errorf("verdict %v mode %v, want failing/verify", m["verdict"], m["mode"])
	}
	if sig, _ := m["signature"].(map[string]any); sig["verified"] != true || sig["allowed"] != true {
		t.Errorf("signature %v: genuine evidence must be verified and allowed", sig)
	}
	// The one-line verdict goes to stderr when stdout is JSON.
	j.mentions(t, "stderr", "FAILING")
}

func TestVerifyCmdJSONPassed(t *testing.T) {
	r := vtRun(t, vtPinned(vtH100, "--format", "json")...).want(t, cli.ExitPassed)
	m := vtJSON(t, r.stdout)
	if m["verdict"] != "passed" {
		t.Fatalf("verdict %v", m["verdict"])
	}
	sig, _ := m["signature"].(map[string]any)
	if sig["identity"] != vtIdentity || sig["issuer"] != vtIssuer || sig["class"] != "command-line" {
		t.Errorf("signature %v", sig)
	}
}

func TestVerifyCmdWithoutSignerPolicyExitsThree(t *testing.T) {
	r := vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--max-age", "0").want(t, cli.ExitError)
	r.mentions(t, "stdout", "no signer policy", "--allow-any-signer", vtIdentity)
	m := vtJSON(t, vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--max-age", "0", "--format", "json").want(t, cli.ExitError).stdout)
	if c := vtCheck(t, m, "identity"); c["status"] != "error" || c["verdict"] != "error" {
		t.Errorf("identity check %v, want error", c)
	}
}

func TestVerifyCmdAllowAnySigner(t *testing.T) {
	r := vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--max-age", "0", "--allow-any-signer").want(t, cli.ExitPassed)
	r.mentions(t, "stdout", "PASSED", "any (explicitly allowed)")
}

func TestVerifyCmdUnanchoredRegexpIsUsageError(t *testing.T) {
	r := vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--certificate-oidc-issuer", vtIssuer,
		"--certificate-identity-regexp", `https://github\.com/acme-gpu/.*`).want(t, cli.ExitUsage)
	r.mentions(t, "stderr", "not anchored", "`^https://github\\.com/acme-gpu/.*$`")
	if r.stdout != "" {
		t.Errorf("a usage error wrote a report: %q", r.stdout)
	}
}

func TestVerifyCmdIssuerWithoutRegexpIsUsageError(t *testing.T) {
	vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--certificate-oidc-issuer", vtIssuer).want(t, cli.ExitUsage).
		mentions(t, "stderr", "together")
}

func TestVerifyCmdMaxAge(t *testing.T) {
	if time.Since(vtH100AttestedAt) < 25*time.Hour {
		t.Skip("the clock is less than a day after the example's attestedAt")
	}
	r := vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--certificate-oidc-issuer", vtIssuer,
		"--certificate-identity-regexp", vtPattern, "--max-age", "1d").want(t, cli.ExitFailing)
	r.mentions(t, "stdout", "FAILING", "older than the maximum age")
	// 24h is the same as 1d.
	vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--certificate-oidc-issuer", vtIssuer,
		"--certificate-identity-regexp", vtPattern, "--max-age", "24h").want(t, cli.ExitFailing)
	for _, bad := range []string{"bogus", "-1d", "1w", "-5h"} {
		vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--allow-any-signer", "--max-age", bad).want(t, cli.ExitUsage)
	}
}

func TestVerifyCmdParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"0": 0, "365d": 365 * 24 * time.Hour, "1d": 24 * time.Hour, "720h": 720 * time.Hour, "90m": 90 * time.Minute} {
		got, err := verify.ParseMaxAge(in)
		if err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "x1d", "1.5d", "-1d", "-1h", "soon"} {
		if got, err := verify.ParseMaxAge(in); err == nil {
			t.Errorf("ParseAge(%q) = %v, want an error", in, got)
		}
	}
}

func TestVerifyCmdRecipeFile(t *testing.T) {
	vtRun(t, vtPinned(vtH100, "--recipe", vtInputRecipe)...).want(t, cli.ExitPassed).
		mentions(t, "stdout", "PASSED")

	orig, err := os.ReadFile(vtInputRecipe)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(orig, []byte("accelerator: h100"), []byte("accelerator: h200"), 1)
	if bytes.Equal(changed, orig) {
		t.Fatal("the input recipe has no accelerator: h100")
	}
	r := vtRun(t, vtPinned(vtH100, "--recipe", vtWrite(t, "recipe.yaml", changed))...).want(t, cli.ExitInvalid)
	r.mentions(t, "stdout", "criteria.accelerator")

	// A recipe file that cannot be read is a usage error, not a verdict.
	vtRun(t, vtPinned(vtH100, "--recipe", filepath.Join(t.TempDir(), "missing.yaml"))...).want(t, cli.ExitUsage)
}

func TestVerifyCmdPolicyFile(t *testing.T) {
	pol := "schemaVersion: \"1.0\"\ncommunity:\n  - label: acme-gpu-lab\n    issuer: " + vtIssuer + "\n    identityPattern: '" + vtPattern + "'\n"
	path := vtWrite(t, "policy.yaml", []byte(pol))
	r := vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--max-age", "0", "--policy", path).want(t, cli.ExitPassed)
	r.mentions(t, "stdout", "PASSED", "community", "acme-gpu-lab")

	j := vtJSON(t, vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--max-age", "0", "--policy", path, "--format", "json").want(t, cli.ExitPassed).stdout)
	if sig, _ := j["signature"].(map[string]any); sig["class"] != "community" || sig["label"] != "acme-gpu-lab" {
		t.Errorf("signature %v, want class community label acme-gpu-lab", sig)
	}

	// A policy that does not list the signer: invalid, and it says so.
	other := vtWrite(t, "other.yaml", []byte("schemaVersion: \"1.0\"\nmaintainers:\n  - issuer: "+vtIssuer+"\n    identityPattern: '^https://github\\.com/NVIDIA/.+$'\n"))
	vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--max-age", "0", "--policy", other).want(t, cli.ExitInvalid).
		mentions(t, "stdout", "not on the list")

	// --policy and the pins combine: a signer allowed by either is allowed.
	vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--max-age", "0", "--policy", other,
		"--certificate-oidc-issuer", vtIssuer, "--certificate-identity-regexp", vtPattern).want(t, cli.ExitPassed).
		mentions(t, "stdout", "command-line")

	// A malformed policy file is a usage error naming the file.
	bad := vtWrite(t, "bad.yaml", []byte("schemaVersion: \"1.0\"\ncommunity:\n  - issuer: "+vtIssuer+"\n    identity: "+vtIdentity+"\n"))
	vtRun(t, "verify", vtH100, "--trusted-root", vtRoot, "--policy", bad).want(t, cli.ExitUsage).mentions(t, "stderr", bad)
}

func TestVerifyCmdTrustedRootProblems(t *testing.T) {
	// Missing: the trust material is unavailable, the verifier could not decide.
	missing := filepath.Join(t.TempDir(), "trusted_root.json")
	args := []string{"verify", vtH100, "--trusted-root", missing, "--certificate-oidc-issuer", vtIssuer, "--certificate-identity-regexp", vtPattern}
	res := vtRun(t, args...).want(t, cli.ExitError)
	res.mentions(t, "stdout", "ERROR", "trust material unavailable")

	// Even then a tampered bundle is invalid: the archive and manifest checks
	// still run and a hard verdict beats "could not decide".
	args[1] = vtTampered(t)
	vtRun(t, args...).want(t, cli.ExitInvalid)

	// Malformed: a bad command-line input, not an infrastructure failure.
	bad := vtWrite(t, "trusted_root.json", []byte("{not json"))
	vtRun(t, "verify", vtH100, "--trusted-root", bad, "--allow-any-signer").want(t, cli.ExitUsage).mentions(t, "stderr", bad)
}

func TestVerifyCmdTamperedBundleExitsTwo(t *testing.T) {
	r := vtRun(t, vtPinned(vtTampered(t), "--format", "json")...).want(t, cli.ExitInvalid)
	m := vtJSON(t, r.stdout)
	if m["verdict"] != "invalid" {
		t.Errorf("verdict %v", m["verdict"])
	}
	if c := vtCheck(t, m, "manifest"); c["status"] != "failed" || !strings.Contains(c["detail"].(string), "snapshot.yaml") {
		t.Errorf("manifest check %v, want failed on snapshot.yaml", c)
	}
}

func TestVerifyCmdMissingBundleIsUsageError(t *testing.T) {
	r := vtRun(t, vtPinned(filepath.Join(t.TempDir(), "nope.tar.gz"))...)
	r.want(t, cli.ExitUsage)
	if !strings.Contains(r.stderr, "verify-evidence verify: BUNDLE ") || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("stderr does not name BUNDLE and why: %q", r.stderr)
	}
}

func TestVerifyCmdBundleFromStdin(t *testing.T) {
	raw, err := os.ReadFile(vtH100)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), vtPinned("-", "--format", "json"), cli.IO{Stdin: bytes.NewReader(raw), Stdout: &out, Stderr: &errb})
	if code != cli.ExitPassed {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if m := vtJSON(t, out.String()); m["bundle"] != "-" {
		t.Errorf("bundle %v, want -", m["bundle"])
	}
}

func TestVerifyCmdArgumentCount(t *testing.T) {
	vtRun(t, "verify", "--trusted-root", vtRoot, "--allow-any-signer").want(t, cli.ExitUsage).mentions(t, "stderr", "exactly one BUNDLE")
	vtRun(t, "verify", vtH100, vtH200, "--trusted-root", vtRoot, "--allow-any-signer").want(t, cli.ExitUsage)
	vtRun(t, vtPinned(vtH100, "--format", "yaml")...).want(t, cli.ExitUsage)
}
