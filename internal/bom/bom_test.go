package bom_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/bom"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

const nested = `{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "version": 1,
  "metadata": {"component": {"type": "application", "name": "top", "components": [{"type": "library", "name": "meta-child"}]}},
  "components": [
    {"type": "application", "name": "a", "components": [
      {"type": "library", "name": "a1"},
      {"type": "library", "name": "a2", "components": [{"type": "library", "name": "a2x"}]}
    ]},
    {"type": "application", "name": "b"}
  ]
}
`

func TestSummarizeCountsTopLevelComponents(t *testing.T) {
	s, err := bom.Summarize([]byte(nested))
	if err != nil {
		t.Fatal(err)
	}
	if s.ComponentCount != 2 {
		t.Errorf("componentCount %d, want 2 (top-level only)", s.ComponentCount)
	}
	if s.Format != "CycloneDX" || s.Version != "1.6" || s.Digest != sha([]byte(nested)) {
		t.Errorf("summary %+v", s)
	}
}

func TestSummarizeDigestsExactBytes(t *testing.T) {
	a := []byte(nested)
	b := bytes.ReplaceAll(a, []byte("\n"), []byte("\r\n")) // same document, other bytes
	sa, err := bom.Summarize(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := bom.Summarize(b)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Digest == sb.Digest || sb.Digest != sha(b) || sa.ComponentCount != sb.ComponentCount {
		t.Errorf("digests %s %s", sa.Digest, sb.Digest)
	}
}

func TestSummarizeExampleBOM(t *testing.T) {
	for _, name := range []string{"h100-eks-ubuntu-training", "h200-oke-ubuntu-inference"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "examples", "inputs", name, "bom.cdx.json"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := bom.Summarize(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Digest != sha(raw) || s.ComponentCount != strings.Count(string(raw), `"bom-ref"`) {
			t.Errorf("%s: %+v", name, s)
		}
	}
}

func TestSummarizeNoComponents(t *testing.T) {
	s, err := bom.Summarize([]byte(`{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}`))
	if err != nil || s.ComponentCount != 0 {
		t.Errorf("%+v %v", s, err)
	}
	s, err = bom.Summarize([]byte(`{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}`))
	if err != nil || s.ComponentCount != 0 {
		t.Errorf("%+v %v", s, err)
	}
}

func TestSummarizeRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"specVersion 1.5":     strings.Replace(nested, `"specVersion": "1.6"`, `"specVersion": "1.5"`, 1),
		"specVersion 1.4":     strings.Replace(nested, `"specVersion": "1.6"`, `"specVersion": "1.4"`, 1),
		"specVersion missing": strings.Replace(nested, `"specVersion": "1.6",`, ``, 1),
		"bomFormat SPDX":      strings.Replace(nested, `"bomFormat": "CycloneDX"`, `"bomFormat": "SPDX"`, 1),
		"bomFormat lowercase": strings.Replace(nested, `"bomFormat": "CycloneDX"`, `"bomFormat": "cyclonedx"`, 1),
		"bomFormat missing":   strings.Replace(nested, `"bomFormat": "CycloneDX",`, ``, 1),
		"not JSON":            "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"/>",
		"empty":               "",
		"truncated":           nested[:len(nested)/2],
	} {
		if s, err := bom.Summarize([]byte(doc)); err == nil {
			t.Errorf("%s: accepted as %+v", name, s)
		} else if !strings.Contains(err.Error(), "bom.cdx.json") {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

// cyclonedx-go decodes with encoding/json, which folds keys: "Components" or
// "componentſ" beside "components" would give it another list than jq's
// .components. The strict reader refuses such a BOM, so the count the verdict
// uses is the one jq sees.
func TestSummarizeRefusesFoldedKeys(t *testing.T) {
	top := "\"components\": [\n    {" // the top-level list, not metadata's
	for name, doc := range map[string]string{
		"fold-equal components":   strings.Replace(nested, top, "\"componentſ\": [], "+top, 1),
		"case variant components": strings.Replace(nested, top, "\"Components\": [], "+top, 1),
		"case variant after":      strings.Replace(nested, "\"name\": \"b\"}\n  ]", "\"name\": \"b\"}\n  ], \"Components\": []", 1),
		"lone case variant":       strings.Replace(nested, top, "\"Components\": [\n    {", 1),
		"duplicate components":    strings.Replace(nested, top, "\"components\": [], "+top, 1),
		"fold-equal specVersion":  strings.Replace(nested, `"specVersion": "1.6"`, `"specVersion": "1.6", "SpecVersion": "1.4"`, 1),
		"nested duplicate":        strings.Replace(nested, `"name": "b"`, `"name": "b", "name": "c"`, 1),
		"nested fold-equal":       strings.Replace(nested, `"name": "b"`, `"name": "b", "Name": "c"`, 1),
	} {
		if s, err := bom.Summarize([]byte(doc)); err == nil {
			t.Errorf("%s: accepted as %+v", name, s)
		} else if !strings.Contains(err.Error(), "bom.cdx.json") || strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("%s: error %q does not name the file on one line", name, err)
		}
	}
}
