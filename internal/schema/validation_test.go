package schema

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/testutil"
)

func declared(t *testing.T, recipe string) ([]DeclaredPhase, error) {
	t.Helper()
	c, err := Canonical([]byte(recipe))
	if err != nil {
		t.Fatal(err)
	}
	return DeclaredPhases(c.Root)
}

func TestDeclaredPhases(t *testing.T) {
	tests := []struct {
		name, recipe string
		want         []DeclaredPhase
		err          string
	}{
		{"no validation", "kind: RecipeResult\n", nil, ""},
		{"null validation", "validation:\n", nil, ""},
		{"phases in run order, checks once", `validation:
  conformance:
    checks: [dra-support, gang-scheduling, dra-support]
  readiness:
    constraints: [{name: K8s.server.version, value: ">= 1.32"}]
  deployment: {}
  performance:
    constraints: [{name: nccl-all-reduce-bw, value: ">= 300"}]
    checks:
`, []DeclaredPhase{{Phase: "deployment"}, {Phase: "performance"}, {Phase: "conformance", Checks: []string{"dra-support", "gang-scheduling"}}}, ""},
		{"null phase declares nothing", "validation:\n  deployment:\n  performance:\n    checks: [x]\n", []DeclaredPhase{{Phase: "performance", Checks: []string{"x"}}}, ""},
		{"validation a list", "validation: [deployment]\n", nil, "validation is not a mapping"},
		{"phase a list", "validation:\n  deployment: [a]\n", nil, "validation.deployment is not a mapping"},
		{"checks a string", "validation:\n  deployment:\n    checks: a\n", nil, "validation.deployment.checks is not a list"},
		{"check a mapping", "validation:\n  deployment:\n    checks: [{a: b}]\n", nil, "checks[0]"},
		{"empty check name", "validation:\n  deployment:\n    checks: ['']\n", nil, "checks[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := declared(t, tt.recipe)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("DeclaredPhases = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestDeclaredPhasesUpstream reads AICR's own example recipe with validation:
// deployment and performance declared, conformance left out.
func TestDeclaredPhasesUpstream(t *testing.T) {
	p := filepath.Join(testutil.SharedTestdata(t, "aicr-upstream"), "examples", "recipes", "eks-gb200-ubuntu-training-with-validation.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := declared(t, string(b))
	want := []DeclaredPhase{
		{Phase: "deployment", Checks: []string{"expected-resources"}},
		{Phase: "performance", Checks: []string{"nccl-bandwidth-test", "fabric-health-check"}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("DeclaredPhases = %+v, %v; want %+v", got, err, want)
	}
}

func report(statuses map[string]string, order ...string) *CTRFReport {
	r := &CTRFReport{ReportFormat: "CTRF"}
	for _, n := range order {
		r.Results.Tests = append(r.Results.Tests, CTRFTest{Name: n, Status: statuses[n]})
	}
	return r
}

func TestCoverage(t *testing.T) {
	decl := []DeclaredPhase{
		{Phase: PhaseDeployment, Checks: []string{"a", "b", "c", "d"}},
		{Phase: PhasePerformance},
		{Phase: PhaseConformance, Checks: []string{"x"}},
	}
	reports := map[string]*CTRFReport{
		PhaseDeployment: report(map[string]string{"a": CTRFPassed, "b": CTRFFailed, "c": CTRFSkipped, "e": CTRFPassed}, "a", "b", "c", "e"),
	}
	got := Coverage(decl, reports)
	want := []PhaseCoverage{
		{Phase: PhaseDeployment, Declared: []string{"a", "b", "c", "d"}, Covered: []string{"a", "b"}, Missing: []string{"c", "d"}},
		{Phase: PhasePerformance, Declared: []string{}, Covered: []string{}, Missing: []string{}},
		{Phase: PhaseConformance, Declared: []string{"x"}, Covered: []string{}, Missing: []string{"x"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Coverage = %+v\nwant %+v", got, want)
	}
}

// TestEvidenceGaps: a report proves a phase only with a passed test, and a
// declared phase needs a report (issue 8, finding 3).
func TestEvidenceGaps(t *testing.T) {
	decl := []DeclaredPhase{{Phase: PhaseDeployment}, {Phase: PhasePerformance}}
	reports := map[string]*CTRFReport{
		PhaseDeployment:  report(map[string]string{"a": CTRFSkipped, "b": CTRFSkipped}, "a", "b"),
		PhaseConformance: report(nil),
	}
	got := EvidenceGaps(decl, reports)
	want := []string{
		"deployment: the report has no test that passed (2 tests: 2 skipped, 0 failed, 0 pending, 0 other)",
		"performance: the recipe declares this phase under validation, but the bundle has no ctrf/performance.json",
		"conformance: the report has no test that passed (no test at all)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("EvidenceGaps = %q\nwant %q", got, want)
	}
	reports[PhaseDeployment] = report(map[string]string{"a": CTRFSkipped, "b": CTRFPassed}, "a", "b")
	reports[PhasePerformance] = report(map[string]string{"a": CTRFPassed}, "a")
	delete(reports, PhaseConformance)
	if got := EvidenceGaps(decl, reports); len(got) != 0 {
		t.Fatalf("EvidenceGaps = %q, want none", got)
	}
}
