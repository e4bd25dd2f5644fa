package sweep_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/sweep/sweeptest"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Each recipe says since when its verdict holds and what changed then: a
// policy that trusts nobody, a recipe edited without new evidence, evidence
// that aged past the maximum. The issue body of an unchanged state is the
// same the next day (no edit), and changes when the state does.
func TestSweepTracksChanges(t *testing.T) {
	dir := sweeptest.Checkout(t, false)
	cfg := sweeptest.Config(t, dir)
	cfg.CacheDir = t.TempDir()
	first := run(t, cfg)
	report := filepath.Join(t.TempDir(), "report.json")
	f, err := os.Create(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := sweep.WriteJSON(f, first); err != nil {
		t.Fatal(err)
	}
	f.Close()
	prev, err := sweep.ReadReport(report)
	if err != nil {
		t.Fatal(err)
	}
	body1, open := sweep.IssueBody(first, "")
	if !open {
		t.Fatal("a failing recipe and a missing one: the issue should be open")
	}

	next := cfg
	next.Now = sweeptest.Now.AddDate(0, 0, 1)
	next.Previous = prev
	same := run(t, next)
	if body2, _ := sweep.IssueBody(same, ""); body2 != body1 {
		t.Errorf("the same state a day later gives another issue body:\n%s\n---\n%s", body1, body2)
	}
	for _, r := range same.Recipes {
		if r.VerdictSince == nil || !r.VerdictSince.Equal(sweeptest.Now) || r.Change != "" {
			t.Errorf("%s: since %v, change %q", r.Name, r.VerdictSince, r.Change)
		}
	}

	nobody := next
	nobody.Verify.Policy = &policy.Policy{}
	nobody.PolicyDigest = "sha256:trusts-nobody"
	r := byName(t, run(t, nobody), sweeptest.Examples[0])
	if r.Verdict == verify.VerdictPassed || r.Change != "policy changed" || !r.VerdictSince.Equal(next.Now) {
		t.Errorf("policy trusting nobody: %s since %v because %q", r.Verdict, r.VerdictSince, r.Change)
	}

	p := filepath.Join(dir, "recipes", sweeptest.Examples[0]+".yaml")
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), "nodes: 0", "nodes: 8", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	changed := run(t, next)
	if r := byName(t, changed, sweeptest.Examples[0]); r.Verdict != verify.VerdictInvalid || r.Change != "recipe changed" {
		t.Errorf("recipe changed: %s because %q", r.Verdict, r.Change)
	}
	if body3, _ := sweep.IssueBody(changed, ""); body3 == body1 || !strings.Contains(body3, "recipe changed") {
		t.Errorf("issue body after the recipe changed:\n%s", body3)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}

	late := next
	late.Now = sweeptest.Now.AddDate(1, 0, 0)
	if r := byName(t, run(t, late), sweeptest.Examples[0]); r.Verdict != verify.VerdictFailing || r.Change != "expired" {
		t.Errorf("a year later: %s because %q", r.Verdict, r.Change)
	}
}

// A previous report that is not one (wrong version, unknown key) is refused.
func TestReadReportStrict(t *testing.T) {
	for _, doc := range []string{`{"reportVersion":"0"}`, `{"reportVersion":"1","extra":1}`, `{"reportVersion":"1","reportVersion":"1"}`} {
		p := filepath.Join(t.TempDir(), "r.json")
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := sweep.ReadReport(p); err == nil {
			t.Errorf("%s: accepted", doc)
		}
	}
}
