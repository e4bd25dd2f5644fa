package schema_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
)

func ctrfDoc(format string, statuses ...string) []byte {
	var tests []string
	for i, s := range statuses {
		tests = append(tests, fmt.Sprintf(`{"name": "t%d", "status": %q, "duration": %d}`, i, s, i*10))
	}
	return []byte(fmt.Sprintf(`{"reportFormat": %q, "specVersion": "0.0.0",
	  "results": {"tool": {"name": "x"}, "summary": {"tests": 0, "passed": 0, "failed": 0, "skipped": 0, "pending": 0, "other": 0, "start": 100, "stop": 200},
	  "tests": [%s]}}`, format, strings.Join(tests, ",")))
}

func TestParseCTRFAccepts(t *testing.T) {
	r, err := schema.ParseCTRF(ctrfDoc("CTRF", "passed", "failed", "skipped", "pending", "other"))
	if err != nil {
		t.Fatal(err)
	}
	if r.ReportFormat != "CTRF" || r.Results.Tool.Name != "x" || len(r.Results.Tests) != 5 || r.Results.Tests[4].Status != "other" || r.Results.Summary.Stop != 200 {
		t.Errorf("decoded %+v", r)
	}
	// No tests at all is a well-formed report.
	if _, err := schema.ParseCTRF(ctrfDoc("CTRF")); err != nil {
		t.Errorf("empty tests: %v", err)
	}
}

func TestParseCTRFRejects(t *testing.T) {
	for name, doc := range map[string][]byte{
		"reportFormat lower case": ctrfDoc("ctrf", "passed"),
		"reportFormat JUnit":      ctrfDoc("JUnit", "passed"),
		"reportFormat empty":      ctrfDoc("", "passed"),
		"reportFormat missing":    []byte(`{"results": {"tests": []}}`),
		"status error":            ctrfDoc("CTRF", "passed", "error"),
		"status PASSED":           ctrfDoc("CTRF", "PASSED"),
		"status empty":            ctrfDoc("CTRF", ""),
		"status flaky":            ctrfDoc("CTRF", "passed", "flaky"),
		"not JSON":                []byte("reportFormat: CTRF\n"),
		"empty":                   nil,
		"trailing data":           append(ctrfDoc("CTRF", "passed"), []byte(` {}`)...),
		"tests not a list":        []byte(`{"reportFormat": "CTRF", "results": {"tests": {}}}`),
	} {
		if r, err := schema.ParseCTRF(doc); err == nil {
			t.Errorf("%s: accepted as %+v", name, r)
		}
	}
	_, err := schema.ParseCTRF(ctrfDoc("CTRF", "passed", "bogus"))
	if err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("unknown status error %v does not name it", err)
	}
	_, err = schema.ParseCTRF(ctrfDoc("JUnit"))
	if err == nil || !strings.Contains(err.Error(), "JUnit") {
		t.Errorf("reportFormat error %v does not name it", err)
	}
}

func TestCountCTRF(t *testing.T) {
	r, err := schema.ParseCTRF(ctrfDoc("CTRF",
		"passed", "passed", "passed",
		"failed", "failed",
		"skipped",
		"pending", "pending", "pending", "pending",
		"other", "other", "other", "other", "other", "other", "other"))
	if err != nil {
		t.Fatal(err)
	}
	got := schema.CountCTRF(r)
	want := schema.CTRFSummary{Tests: 17, Passed: 3, Failed: 2, Skipped: 1, Pending: 4, Other: 7, Start: 100, Stop: 200}
	if got != want {
		t.Errorf("CountCTRF = %+v, want %+v", got, want)
	}
	// Counts come from the tests, not from the report's own (here: zero) summary.
	if r.Results.Summary.Tests != 0 {
		t.Fatal("fixture summary should be zero")
	}
	empty, _ := schema.ParseCTRF(ctrfDoc("CTRF"))
	if got := schema.CountCTRF(empty); got != (schema.CTRFSummary{Start: 100, Stop: 200}) {
		t.Errorf("empty report counts %+v", got)
	}
}

// §5: in every shipped input, the summary equals the counts of the tests.
func TestExampleCTRFSummariesMatchTests(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "examples", "inputs", "*", "ctrf", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example CTRF inputs (%v)", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := schema.ParseCTRF(b)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		// Reference count, independent of CountCTRF.
		var raw struct {
			Results struct {
				Tests []struct {
					Status string `json:"status"`
				} `json:"tests"`
			} `json:"results"`
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		by := map[string]int{}
		for _, tc := range raw.Results.Tests {
			by[tc.Status]++
		}
		got := schema.CountCTRF(r)
		want := schema.CTRFSummary{Tests: len(raw.Results.Tests), Passed: by["passed"], Failed: by["failed"], Skipped: by["skipped"],
			Pending: by["pending"], Other: by["other"], Start: r.Results.Summary.Start, Stop: r.Results.Summary.Stop}
		if got != want {
			t.Errorf("%s: CountCTRF %+v, want %+v", p, got, want)
		}
		if got != r.Results.Summary {
			t.Errorf("%s: summary %+v disagrees with its tests %+v", p, r.Results.Summary, got)
		}
	}
}
