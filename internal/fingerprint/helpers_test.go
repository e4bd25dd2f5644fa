package fingerprint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// examplesDir holds the repository's example bundle inputs.
const examplesDir = "../../testdata/examples/inputs"

// sharedTestdata returns a path under ../shared/testdata (relative to the
// repository root). When it is absent the test is skipped, or fails under CI=true.
func sharedTestdata(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data %s is missing and CI=true: %v", p, err)
		}
		t.Skipf("shared test data %s is absent, skipping: %v", p, err)
	}
	return p
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snapshotYAML builds a snapshot from measurement YAML snippets, each already
// indented as a list item under measurements.
func snapshotYAML(measurements ...string) []byte {
	if len(measurements) == 0 {
		return []byte("measurements: []\n")
	}
	return []byte("measurements:\n" + strings.Join(measurements, ""))
}

// measurementYAML renders one measurement with one subtype whose data lines are
// given as "key: value" strings.
func measurementYAML(typ, subtype string, data ...string) string {
	var b strings.Builder
	b.WriteString("  - type: " + typ + "\n    subtypes:\n      - subtype: " + subtype + "\n        data:\n")
	if len(data) == 0 {
		b.WriteString("          {}\n")
	}
	for _, d := range data {
		b.WriteString("          " + d + "\n")
	}
	return b.String()
}
