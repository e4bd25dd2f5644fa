package statuspage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/statuspage"
	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/sweep/sweeptest"
)

// The page carries the report as inert JSON that no string of it can leave,
// allows only its own hashed style and script, loads nothing, and every
// recipe with a valid name gets a shields.io endpoint badge.
func TestPageAndBadges(t *testing.T) {
	rep, err := sweep.Run(context.Background(), sweeptest.Config(t, sweeptest.Checkout(t, true)))
	if err != nil {
		t.Fatal(err)
	}
	// A name no recipe can have, but a report could carry: it must stay inside the JSON.
	rep.Notes = append(rep.Notes, "</script><script>alert(1)</script>\u2028")
	b, err := statuspage.HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if n := strings.Count(page, "<script"); n != 2 {
		t.Errorf("%d script elements, want 2", n)
	}
	if n := strings.Count(page, "</script>"); n != 2 {
		t.Errorf("%d </script>: a report string closed the data element", n)
	}
	for _, bad := range []string{"<img", "http://", "https://", "src=", "@import", "url("} {
		if i := strings.Index(strings.ToLower(page), bad); i >= 0 && !strings.Contains(page[max(0, i-200):i], `type="application/json"`) && !insideJSON(page, i) {
			t.Errorf("the page has %q outside its data: …%s…", bad, page[max(0, i-40):min(len(page), i+40)])
		}
	}
	csp := statuspage.CSP()
	if !strings.HasPrefix(csp, "default-src 'none'; script-src 'sha256-") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	dir := t.TempDir()
	if err := statuspage.WriteDir(dir, rep); err != nil {
		t.Fatal(err)
	}
	badges, _ := os.ReadDir(filepath.Join(dir, statuspage.BadgeDir))
	var names []string
	for _, e := range badges {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "b200-gke-cos-training.json,evil.json,h100-eks-ubuntu-training.json,h200-oke-ubuntu-inference.json" {
		t.Errorf("badges %v (the hostile orphan has no valid name: no badge)", names)
	}
	want := map[string]statuspage.Badge{
		"h100-eks-ubuntu-training.json":  {SchemaVersion: 1, Label: "evidence", Message: "passed", Color: "brightgreen"},
		"h200-oke-ubuntu-inference.json": {SchemaVersion: 1, Label: "evidence", Message: "failing", Color: "red"},
		"b200-gke-cos-training.json":     {SchemaVersion: 1, Label: "evidence", Message: "no evidence", Color: "lightgrey"},
		"evil.json":                      {SchemaVersion: 1, Label: "evidence", Message: "invalid", Color: "critical"},
	}
	for name, w := range want {
		raw, err := os.ReadFile(filepath.Join(dir, statuspage.BadgeDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var got statuspage.Badge
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil || got != w {
			t.Errorf("%s: %+v (%v), want %+v", name, got, err, w)
		}
	}
	// Passed evidence that expires within 30 days says so on its badge.
	late := sweeptest.Config(t, sweeptest.Checkout(t, false))
	late.Now = sweeptest.Now.AddDate(0, 11, 10)
	lrep, err := sweep.Run(context.Background(), late)
	if err != nil {
		t.Fatal(err)
	}
	for i := range lrep.Recipes {
		if r := &lrep.Recipes[i]; r.Name == "h100-eks-ubuntu-training" {
			if b := statuspage.BadgeOf(r, lrep); b.Color != "yellow" || !strings.HasPrefix(b.Message, "passed, expires in ") {
				t.Errorf("expiring badge %+v", b)
			}
		}
	}
}

// insideJSON reports whether offset i of page lies inside the report's data element.
func insideJSON(page string, i int) bool {
	start := strings.Index(page, `<script type="application/json" id="report">`)
	end := strings.Index(page[max(start, 0):], "</script>")
	return start >= 0 && i > start && i < start+end
}

// A recipe with two rows (its own bundle, and a misplaced bundle naming it)
// gets the worse verdict on its badge, whichever row comes first.
func TestBadgeOfTwoRowsIsTheWorse(t *testing.T) {
	passed := sweep.Recipe{Name: "r", BundlePath: "recipes/evidence/r/evidence-bundle.tar.gz", Outcome: "verified", Verdict: "passed"}
	moved := sweep.Recipe{Name: "r", BundlePath: "recipes/evidence/x/evidence-bundle.tar.gz", Outcome: "verified", Verdict: "invalid"}
	for _, rows := range [][]sweep.Recipe{{passed, moved}, {moved, passed}} {
		dir := filepath.Join(t.TempDir(), "page")
		if err := statuspage.WriteDir(dir, &sweep.Report{Recipes: rows}); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(dir, statuspage.BadgeDir, "r.json"))
		if err != nil {
			t.Fatal(err)
		}
		var got statuspage.Badge
		if err := json.Unmarshal(raw, &got); err != nil || got.Message != "invalid" {
			t.Errorf("rows %s then %s: badge %+v (%v), want invalid", rows[0].Verdict, rows[1].Verdict, got, err)
		}
	}
}
