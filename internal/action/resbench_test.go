package action_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

// TestResourceBench is scripts/bench-action-resources.sh's workload, not a
// timed test: it runs only with VERIFY_EVIDENCE_RESBENCH set to a scenario
// (overlay4000, big40 or baseline). It runs the real binary against the fake
// GitHub API under /usr/bin/time -v (its output file is
// $VERIFY_EVIDENCE_RESBENCH_TIME) and prints one "resbench" line with the
// API calls the fake served and the action's own log line.
//
//   - overlay4000: a PR that modifies one overlay, with 4,000 tiny recipe
//     files at the head (unrelated overlays in other folders).
//   - big40: a PR that adds 40 resolved recipes of about 1 MiB of dense
//     mappings each.
//   - under40: a PR that adds 40 resolved recipes just under the nodes
//     parsed of one file (diff.MaxDocNodes), about 780 KiB each.
//   - baseline: a PR that adds one small resolved recipe.
func TestResourceBench(t *testing.T) {
	scenario := os.Getenv("VERIFY_EVIDENCE_RESBENCH")
	if scenario == "" {
		t.Skip("set VERIFY_EVIDENCE_RESBENCH (scripts/bench-action-resources.sh)")
	}
	timeOut := os.Getenv("VERIFY_EVIDENCE_RESBENCH_TIME")
	if timeOut == "" {
		t.Fatal("VERIFY_EVIDENCE_RESBENCH_TIME: the /usr/bin/time -v output file")
	}
	srv := newServer(t)
	head := sha('e')
	var files []githubtest.File
	switch scenario {
	case "overlay4000":
		eksOld := []byte("kind: RecipeMetadata\nmetadata:\n  name: eks\nspec:\n  criteria:\n    service: eks\n")
		eksNew := []byte("kind: RecipeMetadata\nmetadata:\n  name: eks\nspec:\n  criteria:\n    service: eks\n  constraints:\n    - name: K8s.server.version\n      value: '>= 1.30'\n")
		files = []githubtest.File{{Path: "recipes/overlays/eks.yaml", Status: "modified", Content: eksNew}}
		tree := []githubtest.TreeFile{{Path: "recipes/overlays/eks.yaml", Content: eksNew}}
		for i := 0; i < 4000; i++ {
			name := fmt.Sprintf("r-%04d", i)
			tree = append(tree, githubtest.TreeFile{Path: fmt.Sprintf("recipes/more/d%02d/%s.yaml", i/100, name),
				Content: []byte("kind: RecipeMetadata\nmetadata:\n  name: " + name + "\nspec:\n  criteria:\n    service: gke\n")})
		}
		srv.Fake.SetTree(e2eRepo, head, tree)
		srv.Fake.SetTree(e2eRepo, sha('b'), []githubtest.TreeFile{{Path: "recipes/overlays/eks.yaml", Content: eksOld}})
	case "big40":
		for i := 0; i < 40; i++ {
			var b strings.Builder
			b.WriteString("kind: RecipeResult\nspec:\n  m: {")
			for j := 0; b.Len() < 1<<20-32; j++ {
				fmt.Fprintf(&b, "k%d: %d, ", j, j%10)
			}
			b.WriteString("z: 0}\n")
			files = append(files, githubtest.File{Path: fmt.Sprintf("recipes/big-%02d.yaml", i), Status: "added", Content: []byte(b.String())})
		}
	case "under40":
		for i := 0; i < 40; i++ {
			var b strings.Builder
			b.WriteString("kind: RecipeResult\nspec:\n  m:\n")
			for j := 0; 3*j < 199_000; j++ {
				fmt.Fprintf(&b, "    k%d: %d\n", j, j%10)
			}
			files = append(files, githubtest.File{Path: fmt.Sprintf("recipes/dense-%02d.yaml", i), Status: "added", Content: []byte(b.String())})
		}
	case "alias40":
		// 40 small files whose aliases expand to about 670,000 nodes each:
		// the byte-based estimate does not see them; schema.Canonical
		// refuses them before emitting (schema.MaxRecipeNodes).
		for i := 0; i < 40; i++ {
			var b strings.Builder
			b.WriteString("kind: RecipeResult\nspec:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
			for j := 1; j <= 5; j++ {
				fmt.Fprintf(&b, "  a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", j, j, j-1, j-1, j-1, j-1, j-1, j-1, j-1, j-1, j-1)
			}
			files = append(files, githubtest.File{Path: fmt.Sprintf("recipes/alias-%02d.yaml", i), Status: "added", Content: []byte(b.String())})
		}
	case "baseline":
		files = []githubtest.File{{Path: "recipes/small.yaml", Status: "added", Content: []byte("kind: RecipeResult\nspec:\n  m: {a: 1}\n")}}
	default:
		t.Fatalf("unknown scenario %q", scenario)
	}
	srv.Fake.AddPR(e2eRepo, githubtest.PR{Number: 30, HeadSHA: head, BaseSHA: sha('b')}, files)
	r := runActionWrapped(t, []string{"/usr/bin/time", "-v", "-o", filepath.Clean(timeOut)}, srv, prEvent(t, srv, 30, head, ""), "pull_request", nil)
	logLine := ""
	if m := regexp.MustCompile(`verdict [a-z]+: [^\n]*GitHub API calls`).FindString(r.stdout); m != "" {
		logLine = m
	}
	fmt.Printf("resbench %s exit=%d fake-api-calls=%d action-log=%q\n", scenario, r.code, srv.Fake.Total(), logLine)
	if logLine == "" || r.code < 0 {
		t.Fatalf("no API-call log line; exit %d\n%s", r.code, r.stdout)
	}
}
