// Package sweeptest builds checkouts for the sweep's and the status page's
// tests: the shipped example bundles with their recipes, a recipe without
// evidence, and hostile entries whose names and contents carry HTML and
// script.
package sweeptest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Examples are the shipped example recipes (testdata/examples).
var Examples = []string{"h100-eks-ubuntu-training", "h200-oke-ubuntu-inference"}

// Now is a time at which the examples are a week old.
var Now = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// Hostile strings that a page or a Markdown report must show as text.
const (
	HostileDir  = `<img src=x onerror="document.title='pwned'">`
	HostileFile = `<script>document.title='pwned'</script>.txt`
)

// Write writes path (slash-separated, under dir) with b.
func Write(t testing.TB, dir, path string, b []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t testing.TB, rel ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{testutil.RepoRoot(t), "testdata", "examples"}, rel...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Checkout returns a checkout with the example recipes and bundles and a
// recipe without evidence ("b200-gke-cos-training"); with hostile, also a
// bundle without a Statement in a folder whose name is HTML (an orphan) and a recipe ("evil")
// whose bundle holds a file whose name is a script.
func Checkout(t testing.TB, hostile bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range Examples {
		Write(t, dir, "recipes/"+name+".yaml", read(t, "inputs", name, "recipe.yaml"))
		Write(t, dir, "recipes/evidence/"+name+"/evidence-bundle.tar.gz", read(t, name, "evidence-bundle.tar.gz"))
	}
	missing := bytes.Replace(read(t, "inputs", Examples[0], "recipe.yaml"), []byte("accelerator: h100"), []byte("accelerator: b200"), 1)
	Write(t, dir, "recipes/b200-gke-cos-training.yaml", missing)
	Write(t, dir, "README.md", []byte("not a recipe\n"))
	if hostile {
		// No Statement names a recipe: it stays an orphan, listed by its folder's name.
		Write(t, dir, "recipes/evidence/"+HostileDir+"/evidence-bundle.tar.gz", TarGz(t, map[string]string{"recipe.yaml": "kind: RecipeResult\n"}))
		Write(t, dir, "recipes/evil.yaml", bytes.Replace(read(t, "inputs", Examples[0], "recipe.yaml"), []byte("nodes: 0"), []byte("nodes: 1"), 1))
		Write(t, dir, "recipes/evidence/evil/evidence-bundle.tar.gz", TarGz(t, map[string]string{"recipe.yaml": "kind: RecipeResult\n", HostileFile: "x"}))
	}
	return dir
}

// TarGz builds a gzip'd tar of regular files.
func TarGz(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Config is the sweep configuration of the examples: their pinned trust
// root and signer policy, a maximum age of a year, at Now.
func Config(t testing.TB, root string) sweep.Config {
	t.Helper()
	tr, err := trust.FromJSON(read(t, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	pb := read(t, "policy.yaml")
	pol, err := policy.Parse(pb)
	if err != nil {
		t.Fatal(err)
	}
	td, err := sweep.TrustRootDigest(tr)
	if err != nil {
		t.Fatal(err)
	}
	return sweep.Config{
		Root:            root,
		Verify:          verify.Config{Trust: tr, Policy: pol, MaxAge: 365 * 24 * time.Hour},
		TrustRootDigest: td,
		PolicyDigest:    sweep.PolicyDigest(pb, nil),
		VerifierVersion: "test",
		Now:             Now,
	}
}
