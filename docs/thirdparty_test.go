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
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/testutil"
)

// repoRoot is where the documented commands run: paths in the spec are relative to it.
const repoRoot = ".."

func needTools(t *testing.T) { testutil.NeedThirdPartyTools(t) }

func runDocumented(t *testing.T, overrides string) (string, error) {
	return testutil.RunThirdParty(t, overrides)
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
