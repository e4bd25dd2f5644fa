package docs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/cli"
)

// readmeSection returns the README text from the heading line to the next
// heading of the same level.
func readmeSection(t *testing.T, readme, heading string) string {
	t.Helper()
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no %q section", heading)
	}
	rest := readme[i+1+len(heading):]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// fencedBlocks returns the bodies of the fenced code blocks of s, in order.
func fencedBlocks(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "```")
		if i < 0 {
			return out
		}
		s = s[i+3:]
		nl := strings.Index(s, "\n")
		if nl < 0 {
			return out
		}
		s = s[nl+1:]
		j := strings.Index(s, "```")
		if j < 0 {
			return out
		}
		out = append(out, s[:j])
		s = s[j+3:]
	}
}

// relativeAge is the one part of the report that depends on today's date.
var relativeAge = regexp.MustCompile(`\(\d+ (day|days|hour|hours) ago\)`)

// TestReadmeReportIsRealOutput runs the README's first set-up command (the main
// job: verify the shipped example) in process and checks that "The report"
// shows exactly what it prints, apart from the age in days.
func TestReadmeReportIsRealOutput(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	setup := fencedBlocks(readmeSection(t, readme, "## Set up on a fresh machine"))
	if len(setup) == 0 {
		t.Fatal("README.md: no command block under \"Set up on a fresh machine\"")
	}
	var command string
	for _, line := range strings.Split(strings.ReplaceAll(setup[0], "\\\n", " "), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "go run . verify ") {
			command = strings.TrimSpace(line)
			break
		}
	}
	if command == "" {
		t.Fatalf("README.md: the first set-up block has no `go run . verify` command:\n%s", setup[0])
	}
	args := strings.Fields(strings.TrimPrefix(command, "go run . "))
	report := fencedBlocks(readmeSection(t, readme, "## The report"))
	if len(report) == 0 {
		t.Fatal("README.md: no output block under \"The report\"")
	}

	t.Chdir(repoRoot)
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, cli.IO{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
	if code != 0 {
		t.Fatalf("%s: exit %d, want 0 (passed)\n%s%s", command, code, stdout.String(), stderr.String())
	}
	got := relativeAge.ReplaceAllString(stdout.String(), "(N days ago)")
	want := relativeAge.ReplaceAllString(report[0], "(N days ago)")
	if got != want {
		t.Errorf("README.md \"The report\" is not what %q prints; real output:\n%s", command, stdout.String())
	}
}
