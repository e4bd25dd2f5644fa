package schema

import (
	"fmt"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/aicr/verify-evidence/internal/strictjson"
)

// CTRF test statuses (Common Test Report Format).
const (
	CTRFPassed  = "passed"
	CTRFFailed  = "failed"
	CTRFSkipped = "skipped"
	CTRFPending = "pending"
	CTRFOther   = "other"
)

// CTRFReport is the part of a CTRF report that evidence relies on.
type CTRFReport struct {
	ReportFormat string      `json:"reportFormat"`
	SpecVersion  string      `json:"specVersion,omitempty"`
	Timestamp    string      `json:"timestamp,omitempty"`
	GeneratedBy  string      `json:"generatedBy,omitempty"`
	Results      CTRFResults `json:"results"`
}

// CTRFResults holds the tool, the summary and the tests of a report.
type CTRFResults struct {
	Tool        CTRFTool       `json:"tool"`
	Summary     CTRFSummary    `json:"summary"`
	Tests       []CTRFTest     `json:"tests"`
	Environment jsontext.Value `json:"environment,omitempty"`
}

// CTRFTool names the tool that produced the report.
type CTRFTool struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// CTRFSummary is the report's own count of outcomes.
type CTRFSummary struct {
	Tests   int   `json:"tests"`
	Passed  int   `json:"passed"`
	Failed  int   `json:"failed"`
	Skipped int   `json:"skipped"`
	Pending int   `json:"pending"`
	Other   int   `json:"other"`
	Start   int64 `json:"start"`
	Stop    int64 `json:"stop"`
}

// CTRFTest is one test outcome.
type CTRFTest struct {
	Name     string         `json:"name"`
	Status   string         `json:"status"`
	Duration float64        `json:"duration"`
	Suite    []string       `json:"suite,omitempty"`
	Message  string         `json:"message,omitempty"`
	Stdout   []string       `json:"stdout,omitempty"`
	Extra    jsontext.Value `json:"extra,omitempty"`
}

// ParseCTRF decodes a CTRF report with the strict JSON reader (exact-case keys,
// no duplicate or case-fold-equal keys) and checks its shape: reportFormat
// "CTRF" and a known status on every test. It does not check the counts (see
// CountCTRF).
func ParseCTRF(b []byte) (*CTRFReport, error) {
	var r CTRFReport
	if err := strictjson.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("CTRF: %w", err)
	}
	if r.ReportFormat != "CTRF" {
		return nil, fmt.Errorf("CTRF: reportFormat %q, want \"CTRF\"", r.ReportFormat)
	}
	for i, t := range r.Results.Tests {
		switch t.Status {
		case CTRFPassed, CTRFFailed, CTRFSkipped, CTRFPending, CTRFOther:
		default:
			return nil, fmt.Errorf("CTRF: tests[%d] %q has unknown status %q", i, t.Name, t.Status)
		}
	}
	return &r, nil
}

// CountCTRF counts the outcomes of the report's tests themselves (not its summary).
func CountCTRF(r *CTRFReport) CTRFSummary {
	var s CTRFSummary
	for _, t := range r.Results.Tests {
		s.Tests++
		switch t.Status {
		case CTRFPassed:
			s.Passed++
		case CTRFFailed:
			s.Failed++
		case CTRFSkipped:
			s.Skipped++
		case CTRFPending:
			s.Pending++
		default:
			s.Other++
		}
	}
	s.Start, s.Stop = r.Results.Summary.Start, r.Results.Summary.Stop
	return s
}

// SameCounts reports whether two summaries count the same outcomes (start and
// stop times are not compared).
func (s CTRFSummary) SameCounts(o CTRFSummary) bool {
	return s.Tests == o.Tests && s.Passed == o.Passed && s.Failed == o.Failed &&
		s.Skipped == o.Skipped && s.Pending == o.Pending && s.Other == o.Other
}

// String renders the counts for one-line messages.
func (s CTRFSummary) String() string {
	return fmt.Sprintf("tests %d, passed %d, failed %d, skipped %d, pending %d, other %d", s.Tests, s.Passed, s.Failed, s.Skipped, s.Pending, s.Other)
}

// CheckCTRFSummary parses a report and checks that its summary counts what its
// tests say; the error says both.
func CheckCTRFSummary(b []byte) (*CTRFReport, error) {
	r, err := ParseCTRF(b)
	if err != nil {
		return nil, err
	}
	if c := CountCTRF(r); !c.SameCounts(r.Results.Summary) {
		return r, fmt.Errorf("CTRF: summary (%s) disagrees with its tests (%s)", r.Results.Summary, c)
	}
	return r, nil
}
