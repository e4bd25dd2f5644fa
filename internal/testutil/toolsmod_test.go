package testutil_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/oci/ocitest"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// scripts/test.sh installs the registry version the registry tests expect.
func TestScriptInstallsTheTestedRegistry(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "scripts", "test.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "REGISTRY_VERSION=" + ocitest.RegistryVersion + " "; !strings.Contains(string(b), want) {
		t.Errorf("scripts/test.sh does not set %q (ocitest.RegistryVersion)", strings.TrimSpace(want))
	}
}
