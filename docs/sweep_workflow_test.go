package docs_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// The nightly sweep workflow (docs/sweep.md) asks for least privilege: nothing at the top,
// contents: read and issues: write to sweep and keep the issue, pages: write and id-token: write
// only in the job that deploys; it runs the action in sweep mode and publishes the folder the
// action writes the page to.
func TestSweepWorkflow(t *testing.T) {
	w := loadWorkflow(t, "docs/workflows/sweep.yml")
	if got := w.events(); !slices.Equal(got, []string{"schedule", "workflow_dispatch"}) {
		t.Errorf("sweep.yml triggers on %v, want [schedule workflow_dispatch]", got)
	}
	if p := permissions(t, w.Permissions); len(p) != 0 {
		t.Errorf("sweep.yml top-level permissions %v, want none", p)
	}
	want := map[string]map[string]string{
		"sweep": {"contents": "read", "issues": "write"},
		"pages": {"pages": "write", "id-token": "write"},
	}
	if got := slices.Sorted(maps.Keys(w.Jobs)); !slices.Equal(got, []string{"pages", "sweep"}) {
		t.Fatalf("sweep.yml jobs %v", got)
	}
	for name, job := range w.Jobs {
		if p := permissions(t, job.Permissions); !maps.Equal(p, want[name]) {
			t.Errorf("sweep.yml job %s permissions %v, want %v", name, p, want[name])
		}
	}
	var dir, uploaded string
	for _, s := range w.Jobs["sweep"].Steps {
		if s.ID == "sweep" {
			if s.With["mode"] != "sweep" {
				t.Errorf("the action step runs mode %q, want sweep", s.With["mode"])
			}
			dir = s.With["sweep-dir"]
		}
		if strings.HasPrefix(s.Uses, "actions/upload-pages-artifact@") {
			uploaded = s.With["path"]
		}
	}
	if dir == "" || uploaded != dir+"/page" {
		t.Errorf("the page uploaded is %q; the action writes it to %q/page", uploaded, dir)
	}
}
