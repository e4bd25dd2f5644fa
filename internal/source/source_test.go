package source_test

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/archive"
	"github.com/aicr/verify-evidence/internal/source"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/verify"
)

// The three forms of one AICR-written bundle read to the same contents: the
// summary-bundle directory, a tar.gz packed the way most people pack a
// folder (`tar -C dir -czf b.tar.gz .`, "./"-prefixed names), and the same
// fed through stdin.
func TestFormsReadTheSameContents(t *testing.T) {
	dir := testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/v1-eks-minimal/summary-bundle")
	tarBin, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("tar is not installed")
	}
	tgz := filepath.Join(t.TempDir(), "b.tar.gz")
	if out, err := exec.Command(tarBin, "-C", dir, "-czf", tgz, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	listing, _ := exec.Command(tarBin, "-tzf", tgz).Output()
	if !strings.HasPrefix(string(listing), "./\n") {
		t.Fatalf("tar did not write the ./ form this test is about:\n%s", listing)
	}
	stdin, err := os.Open(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()

	want := contentsOf(t, dir, nil, source.FormDirectory)
	for _, tc := range []struct {
		arg  string
		form string
	}{{tgz, source.FormArchive}, {"-", source.FormArchive}} {
		if got := contentsOf(t, tc.arg, stdin, tc.form); got != want {
			t.Errorf("%s reads as\n%s\nthe directory as\n%s", tc.arg, got, want)
		}
	}
	if !strings.Contains(want, "recipe.yaml ") || !strings.Contains(want, "ctrf/deployment.json ") {
		t.Errorf("unexpected contents:\n%s", want)
	}
}

func contentsOf(t *testing.T, arg string, stdin *os.File, form string) string {
	t.Helper()
	src, err := source.Open(arg, stdin, source.RemoteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Form != form {
		t.Errorf("%s: form %q, want %q", arg, src.Form, form)
	}
	c, err := src.Load(t.Context(), archive.Limits{})
	if err != nil {
		t.Fatalf("%s: %v", arg, err)
	}
	var lines []string
	for _, f := range c.Files() {
		lines = append(lines, f.Path+" "+hex.EncodeToString(f.SHA256[:])+"\n")
	}
	sort.Strings(lines)
	return strings.Join(lines, "")
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{link, filepath.Join(dir, "missing")} {
		if _, err := source.Open(arg, nil, source.RemoteOptions{}); err == nil {
			t.Errorf("Open(%s) succeeded; want an error", arg)
		}
	}
}

// A pointer read from a pull request's blob, at a repository path that does
// not fit it (another signer's source slug): invalid before anything is pulled.
func TestPointerSourceChecksItsPath(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/v1-eks-signed-pushed"), "pointer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.NewInspector()
	if err != nil {
		t.Fatal(err)
	}
	path := "recipes/evidence/h100-eks-ubuntu-training/00000000000000000000000000000000/sha256-addd96562f556d03ae587b8397601b879fff3bbc8586970e5b6273ef46db4026.yaml"
	src := source.PointerSource(path, raw, source.RemoteOptions{})
	res := source.Verify(t.Context(), v, src, verify.Options{})
	if res.Verdict != verify.VerdictInvalid || !strings.Contains(res.Checks[0].Detail, "source segment") {
		t.Errorf("verdict %s: %+v", res.Verdict, res.Checks[0])
	}
}
