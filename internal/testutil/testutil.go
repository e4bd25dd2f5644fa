// Package testutil holds helpers shared by the project's tests.
package testutil

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot returns the repository root, found from this file's location.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository root")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedTestdata returns the path of rel under ../shared/testdata beside the
// repository. When it is absent the test is skipped with a message, except under
// CI=true, where its absence is a failure.
func SharedTestdata(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), "..", "shared", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data %s is missing (CI=true requires ../shared/testdata beside the clone): %v", p, err)
		}
		t.Skipf("shared test data %s is absent (../shared/testdata beside the clone); skipping", p)
	}
	return p
}
