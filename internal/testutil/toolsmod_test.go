package testutil_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/oci/ocitest"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// The cosign the tests run is built by scripts/test.sh from scripts/tools/cosign, a module that
// requires cosign and every requirement of the root module at the root's version, so the packages
// both need compile once. A root requirement raised without regenerating that module makes the
// first test run compile them twice (minutes): this test says so.
func TestCosignToolModuleFollowsRoot(t *testing.T) {
	root := testutil.RepoRoot(t)
	rootReqs := requirements(t, filepath.Join(root, "go.mod"))
	toolReqs := requirements(t, filepath.Join(root, "scripts", "tools", "cosign", "go.mod"))
	if toolReqs["github.com/sigstore/cosign/v3"] == "" {
		t.Fatal("scripts/tools/cosign/go.mod does not require github.com/sigstore/cosign/v3")
	}
	for mod, want := range rootReqs {
		got, ok := toolReqs[mod]
		if !ok {
			continue // cosign does not use it: nothing to share
		}
		if compareVersions(got, want) < 0 {
			t.Errorf("scripts/tools/cosign/go.mod requires %s %s, the root module %s: run bash scripts/regen-cosign-tools.sh", mod, got, want)
		}
	}
}

// The ordering the test relies on, on the forms go.mod files hold.
func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"v1.2.3", "v1.2.3", 0},
		{"v1.10.0", "v1.9.9", 1},
		{"v0.37.2", "v0.36.2", 1},
		{"v3.18.0", "v3.17.0", 1},
		{"v1.2.3", "v1.2.3-rc.1", 1},
		{"v0.0.0-20230811132847-661be99b8267", "v0.0.0-20211028175153-1c139d1cc84b", 1},
		{"v1.36.12-0.20260120151049-f2248ac996af", "v1.36.11", 1},
		{"v3.5.1+incompatible", "v3.5.0+incompatible", 1},
		{"v0.13.4-1", "v0.13.4-0", 1},
		{"v1.0.0-alpha.2", "v1.0.0-alpha.10", -1},
	} {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := compareVersions(tc.b, tc.a); got != -tc.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

// requirements reads the require lines of a go.mod file: module path → version.
func requirements(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reqs := map[string]string{}
	block := false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case line == "require (":
			block = true
			continue
		case block && line == ")":
			block = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimSpace(strings.TrimPrefix(line, "require "))
		case !block:
			continue
		}
		if f := strings.Fields(line); len(f) == 2 {
			reqs[f[0]] = f[1]
		}
	}
	if len(reqs) == 0 {
		t.Fatalf("%s: no requirements", path)
	}
	return reqs
}

// compareVersions orders two semantic versions as Go modules do (build metadata ignored): -1, 0 or 1.
func compareVersions(a, b string) int {
	coreA, preA := splitVersion(a)
	coreB, preB := splitVersion(b)
	for i := range 3 {
		if c := compareIdent(coreA[i], coreB[i]); c != 0 {
			return c
		}
	}
	switch {
	case preA == preB:
		return 0
	case preA == "":
		return 1
	case preB == "":
		return -1
	}
	idsA, idsB := strings.Split(preA, "."), strings.Split(preB, ".")
	for i := 0; i < len(idsA) && i < len(idsB); i++ {
		if c := compareIdent(idsA[i], idsB[i]); c != 0 {
			return c
		}
	}
	return sign(len(idsA) - len(idsB))
}

// splitVersion splits "v1.2.3-pre+meta" into ["1","2","3"] and "pre".
func splitVersion(v string) ([3]string, string) {
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	pre := ""
	if i := strings.IndexByte(v, '-'); i >= 0 {
		v, pre = v[:i], v[i+1:]
	}
	var core [3]string
	copy(core[:], strings.SplitN(v, ".", 3))
	return core, pre
}

// compareIdent compares numeric identifiers numerically, and others as strings (a number first).
func compareIdent(a, b string) int {
	na, errA := strconv.ParseUint(a, 10, 64)
	nb, errB := strconv.ParseUint(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		return sign(int(na) - int(nb))
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

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
