package docs_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/cli"
)

// Parts of the sweep's report that depend on today's date and the build.
var sweepVolatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`Swept \d{4}-\d\d-\d\d \d\d:\d\dZ with verifier <code>[^<]*</code>`), "Swept DATE with verifier VERSION"},
	{regexp.MustCompile(`\(\d+ days ago\)`), "(N days ago)"},
	{regexp.MustCompile(`\(in \d+ days\)`), "(in N days)"},
}

func normalizeSweep(s string) string {
	for _, v := range sweepVolatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}

// docs/sweep.md "Usage": the shell block builds the checkout, its `go run . sweep` command
// prints the report the output block shows (its beginning, apart from dates and ages) and the
// stderr line the text quotes; run again, it is served by the cache.
func TestSweepDocUsage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "sweep.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	usage := doc[strings.Index(doc, "## Usage"):]
	blocks := fencedBlocks(usage)
	if len(blocks) < 2 {
		t.Fatal("docs/sweep.md: Usage needs the command block and the output block")
	}
	demo := t.TempDir()
	script := strings.ReplaceAll(blocks[0], "/tmp/demo", demo)
	var shell, command []string
	for _, line := range strings.Split(strings.ReplaceAll(script, "\\\n", " "), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "go run . sweep ") {
			command = strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "go run . "))
			continue
		}
		shell = append(shell, line)
	}
	if command == nil {
		t.Fatalf("docs/sweep.md: no `go run . sweep` command in\n%s", blocks[0])
	}
	sh := exec.Command("bash", "-euo", "pipefail", "-c", strings.Join(shell, "\n"))
	sh.Dir = repoRoot
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("docs/sweep.md shell lines: %v\n%s", err, out)
	}
	t.Chdir(repoRoot)
	run := func() (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := cli.Run(context.Background(), command, cli.IO{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
		return code, stdout.String(), stderr.String()
	}
	code, stdout, stderr := run()
	if code != cli.ExitFailing {
		t.Fatalf("exit %d, want %d (the h200 example is failing)\n%s%s", code, cli.ExitFailing, stdout, stderr)
	}
	if want := normalizeSweep(blocks[1]); !strings.HasPrefix(normalizeSweep(stdout), want) {
		t.Errorf("docs/sweep.md output block is not the beginning of the real output:\n%s", stdout)
	}
	line := strings.TrimSpace(stderr)
	quoted := "verify-evidence sweep: 2 recipes: 1 passed, 1 failing, 0 invalid, 0 error, 0 without evidence, 0 expiring within 30 days (2 verified, 0 from the cache)"
	if line != quoted || !strings.Contains(strings.Join(strings.Fields(usage), " "), "`"+quoted+"`") {
		t.Errorf("stderr %q; docs/sweep.md must quote it", line)
	}
	if _, _, again := run(); !strings.HasSuffix(strings.TrimSpace(again), "(0 verified, 2 from the cache)") {
		t.Errorf("second run: %q", again)
	}
	for _, f := range []string{"page/index.html", "page/report.json", "page/badges/h100-eks-ubuntu-training.json"} {
		if _, err := os.Stat(filepath.Join(demo, f)); err != nil {
			t.Errorf("the page: %v", err)
		}
	}
}
