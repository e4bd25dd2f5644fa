package docs_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is where the documented commands run: paths in the spec are relative to it.
const repoRoot = ".."

// thirdPartyScript returns the two shell blocks of spec §10: the variables and the
// verification script between the third-party-verification markers.
func thirdPartyScript(t *testing.T) (vars, script string) {
	t.Helper()
	spec, err := os.ReadFile("bundle-format.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(spec)
	const begin, end = "<!-- third-party-verification:begin -->", "<!-- third-party-verification:end -->"
	i, j := strings.Index(text, begin), strings.Index(text, end)
	sec := strings.Index(text, "## 10. Verifying without this project")
	if i < 0 || j < i || sec < 0 || sec > i {
		t.Fatal("bundle-format.md: §10 or its third-party-verification markers are missing")
	}
	script = shellBlock(t, text[i+len(begin):j])
	before := text[sec:i]
	k := strings.LastIndex(before, "```sh\n")
	if k < 0 {
		t.Fatal("bundle-format.md §10: no variables block before the script")
	}
	vars = shellBlock(t, before[k:])
	return vars, script
}

func shellBlock(t *testing.T, s string) string {
	t.Helper()
	start := strings.Index(s, "```sh\n")
	if start < 0 {
		t.Fatalf("no ```sh block in %q", s[:min(len(s), 80)])
	}
	body := s[start+len("```sh\n"):]
	stop := strings.Index(body, "```")
	if stop < 0 {
		t.Fatal("unterminated ```sh block")
	}
	return body[:stop]
}

func needTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"cosign", "jq", "tar", "sha256sum", "base64", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not on PATH; .ci/run installs cosign (scripts/test.sh) and the others come with the machine", tool)
			}
			t.Skipf("%s is not on PATH (run scripts/test.sh, which installs cosign v3.1.3)", tool)
		}
	}
}

// runDocumented runs the documented variables block, then the test's overrides,
// then the documented script, from the repository root.
func runDocumented(t *testing.T, overrides string) (string, error) {
	t.Helper()
	vars, script := thirdPartyScript(t)
	cmd := exec.Command("bash", "-c", vars+"\n"+overrides+"\n"+script)
	cmd.Dir = repoRoot
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestThirdPartyVerification(t *testing.T) {
	needTools(t)
	out, err := runDocumented(t, "")
	if err != nil {
		t.Fatalf("the documented verification failed on the shipped example: %v\n%s", err, out)
	}
	for _, want := range []string{"Verified OK", "bundle verified", `"recipe": "h100-eks-ubuntu-training"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// readEntries unpacks the example bundle into path → bytes.
func readEntries(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = b
	}
}

// writeBundle writes files (and an optional symlink entry) as a tar.gz.
func writeBundle(t *testing.T, files map[string][]byte, symlink string) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, b := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if symlink != "" {
		if err := tw.WriteHeader(&tar.Header{Name: symlink, Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "tampered.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func sha(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }

// TestThirdPartyVerificationRejectsTampering proves the documented commands catch
// each way of lying that they claim to catch.
func TestThirdPartyVerificationRejectsTampering(t *testing.T) {
	needTools(t)
	example := filepath.Join(repoRoot, "testdata/examples/h100-eks-ubuntu-training/evidence-bundle.tar.gz")
	orig := readEntries(t, example)
	clone := func() map[string][]byte {
		m := make(map[string][]byte, len(orig))
		for k, v := range orig {
			m[k] = append([]byte(nil), v...)
		}
		return m
	}
	flipCTRF := func(m map[string][]byte) {
		m["ctrf/deployment.json"] = bytes.Replace(m["ctrf/deployment.json"], []byte(`"status": "passed"`), []byte(`"status": "failed"`), 1)
	}
	rewriteManifest := func(m map[string][]byte) {
		var man struct {
			SchemaVersion string           `json:"schemaVersion"`
			Files         []map[string]any `json:"files"`
		}
		if err := json.Unmarshal(m["manifest.json"], &man); err != nil {
			t.Fatal(err)
		}
		for _, f := range man.Files {
			p := f["path"].(string)
			f["sha256"], f["size"] = sha(m[p]), len(m[p])
		}
		b, _ := json.MarshalIndent(man, "", "  ")
		m["manifest.json"] = append(b, '\n')
	}
	cases := []struct {
		name      string
		overrides func() string
		want      string
	}{
		{"edited CTRF report", func() string {
			m := clone()
			flipCTRF(m)
			return "BUNDLE=" + writeBundle(t, m, "")
		}, "FAILED"},
		{"edited CTRF report with a rewritten manifest", func() string {
			m := clone()
			flipCTRF(m)
			rewriteManifest(m)
			return "BUNDLE=" + writeBundle(t, m, "")
		}, "manifest.json: FAILED"},
		{"unlisted extra file", func() string {
			m := clone()
			m["logs/extra.log"] = []byte("not in the manifest\n")
			return "BUNDLE=" + writeBundle(t, m, "")
		}, "+logs/extra.log"},
		{"symlink entry", func() string {
			return "BUNDLE=" + writeBundle(t, clone(), "logs/link")
		}, "not a regular file"},
		{"another recipe", func() string {
			m := clone()
			m["recipe.yaml"] = append(m["recipe.yaml"], []byte("extra: true\n")...)
			return "BUNDLE=" + writeBundle(t, m, "")
		}, "Error"},
		{"unexpected signer", func() string {
			return `IDENTITY_REGEXP='^https://github\.com/someone-else/.*$'`
		}, "Error"},
		{"genuine evidence of a failure", func() string {
			return "BUNDLE=testdata/examples/h200-oke-ubuntu-inference/evidence-bundle.tar.gz"
		}, "does not show a pass"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runDocumented(t, tc.overrides())
			if err == nil {
				t.Fatalf("the documented commands accepted it:\n%s", out)
			}
			if !strings.Contains(out, tc.want) {
				t.Fatalf("failed, but output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}
