package fingerprint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/aicr/verify-evidence/internal/schema"
)

// FuzzCompute: Compute never panics; when it succeeds, the result is the same
// through ParseSnapshot + ComputeFromSnapshot, fits the predicate schema's
// limits, survives a JSON round trip unchanged, and can be matched.
// The seed corpus is testdata/fuzz/FuzzCompute plus the example snapshots.
func FuzzCompute(f *testing.F) {
	for _, name := range []string{"h100-eks-ubuntu-training", "h200-oke-ubuntu-inference"} {
		if b, err := readExample(name, "snapshot.yaml"); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fp, err := Compute(b)
		if err != nil {
			if !reflect.DeepEqual(fp, schema.Fingerprint{}) {
				t.Fatalf("Compute returned %+v with error %v", fp, err)
			}
			return
		}
		s, err := ParseSnapshot(b)
		if err != nil {
			t.Fatalf("Compute succeeded but ParseSnapshot failed: %v", err)
		}
		if again := ComputeFromSnapshot(s); !reflect.DeepEqual(again, fp) {
			t.Fatalf("ComputeFromSnapshot = %+v, Compute = %+v", again, fp)
		}
		checkLimits(t, fp)
		j, err := json.Marshal(fp)
		if err != nil {
			t.Fatal(err)
		}
		var back schema.Fingerprint
		if err := json.Unmarshal(j, &back); err != nil {
			t.Fatal(err)
		}
		if d := CompareFingerprint(back, fp); len(d) != 0 {
			t.Fatalf("JSON round trip changed the fingerprint: %q", d)
		}
		m := Match(Criteria{Service: "eks", Accelerator: "h100", OS: "ubuntu", Intent: "training", Nodes: 4}, fp)
		if len(m.PerDimension) != 6 {
			t.Fatalf("Match gave %d dimensions", len(m.PerDimension))
		}
		if d := CompareMatch(m, m); len(d) != 0 {
			t.Fatalf("CompareMatch(m, m) = %q", d)
		}
	})
}

// checkLimits asserts the string lengths and counts the predicate schema allows.
func checkLimits(t *testing.T, fp schema.Fingerprint) {
	t.Helper()
	str := func(name, s string, max int) {
		if n := utf8.RuneCountInString(s); n > max {
			t.Fatalf("%s has %d characters, over %d", name, n, max)
		}
	}
	for name, d := range map[string]*schema.Dimension{
		"service": fp.Service, "accelerator": fp.Accelerator, "gpuModel": fp.GPUModel, "k8sVersion": fp.K8sVersion, "region": fp.Region,
	} {
		if d != nil {
			str(name+".value", d.Value, 256)
			str(name+".source", d.Source, 256)
			str(name+".note", d.Note, 256)
		}
	}
	if fp.OS != nil {
		str("os.value", fp.OS.Value, 128)
		str("os.version", fp.OS.Version, 128)
	}
	for name, c := range map[string]*schema.CountDimension{"nodeCount": fp.NodeCount, "gpuNodeCount": fp.GPUNodeCount} {
		if c != nil && (c.Value < 0 || c.Value > MaxCount) {
			t.Fatalf("%s = %d, out of range", name, c.Value)
		}
	}
}

// FuzzCriteriaFromRecipe: CriteriaFromRecipe never panics, and what it accepts
// matches within the predicate schema's limits.
func FuzzCriteriaFromRecipe(f *testing.F) {
	for _, name := range []string{"h100-eks-ubuntu-training", "h200-oke-ubuntu-inference"} {
		if b, err := readExample(name, "recipe.yaml"); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("criteria: {service: generic, nodes: 2, fabric: nvlink}\n"))
	f.Add([]byte("criteria:\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := CriteriaFromRecipe(b)
		if err != nil {
			return
		}
		m := Match(c, wantH100Example())
		if len(m.PerDimension) > 64 {
			t.Fatalf("%d dimensions, over 64", len(m.PerDimension))
		}
		seen := map[string]bool{}
		for _, d := range m.PerDimension {
			if d.Dimension == "" || utf8.RuneCountInString(d.Dimension) > 64 || seen[d.Dimension] {
				t.Fatalf("bad or repeated dimension name %q", d.Dimension)
			}
			seen[d.Dimension] = true
			if utf8.RuneCountInString(d.RecipeRequires) > 256 {
				t.Fatalf("%s.recipeRequires too long", d.Dimension)
			}
		}
	})
}

func readExample(name, file string) ([]byte, error) {
	return os.ReadFile(filepath.Join(examplesDir, name, file))
}
