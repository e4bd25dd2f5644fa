package docs_test

// Documented commands with their output are run, and the output compared: a drifted document
// fails. A transcript is a fenced block of README.md, CONTRIBUTING.md or docs/*.md with lines
// that start with "$ " (a command; a line ending in "\" continues it); the lines up to the next
// command are its expected output (stdout and stderr together). A line "…" in the expected
// output (indented or not) stands for any number of lines (an excerpt). All transcripts of a document run in
// one bash session (variables and `cd` carry over) in a scratch folder that holds a copy of
// testdata/examples and the binaries bin/verify-evidence and bin/emit built from this tree —
// the layout of a clone after the documented `go build` commands. Compared after normalising
// what changes from run to run: timestamps, "N days ago", and the scratch folder's path.
//
// The README's "The report" block is compared by TestReadmeReportIsRealOutput; any other
// block that shows a verdict line must be a transcript (TestDocsOutputBlocksAreTranscripts).

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// transcript is one command of a document and the output the document shows for it.
type transcript struct {
	doc     string
	line    int // of the "$ " line, 1-based
	command string
	want    []string
}

// docFiles are the documents whose transcripts are run.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "CONTRIBUTING.md"}
	m, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m {
		rel, _ := filepath.Rel(repoRoot, f)
		files = append(files, rel)
	}
	return files
}

// fencedBlocksAt returns the fenced blocks of s with the line number of their first body line,
// their common indentation removed (blocks inside list items are indented).
func fencedBlocksAt(s string) (blocks [][]string, lines []int) {
	all := strings.Split(s, "\n")
	for i := 0; i < len(all); i++ {
		open := strings.TrimSpace(all[i])
		if !strings.HasPrefix(open, "```") {
			continue
		}
		indent := all[i][:len(all[i])-len(strings.TrimLeft(all[i], " "))]
		var body []string
		j := i + 1
		for ; j < len(all) && strings.TrimSpace(all[j]) != "```"; j++ {
			body = append(body, strings.TrimPrefix(all[j], indent))
		}
		blocks = append(blocks, body)
		lines = append(lines, i+2)
		i = j
	}
	return blocks, lines
}

// transcripts parses the transcripts of one document.
func transcripts(t *testing.T, doc string) []transcript {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, doc))
	if err != nil {
		t.Fatal(err)
	}
	var out []transcript
	blocks, starts := fencedBlocksAt(string(b))
	for bi, block := range blocks {
		var cur *transcript
		for i := 0; i < len(block); i++ {
			l := block[i]
			if !strings.HasPrefix(l, "$ ") {
				if cur != nil {
					cur.want = append(cur.want, l)
				}
				continue
			}
			out = append(out, transcript{doc: doc, line: starts[bi] + i})
			cur = &out[len(out)-1]
			cmd := strings.TrimPrefix(l, "$ ")
			for strings.HasSuffix(cmd, "\\") && i+1 < len(block) {
				i++
				cmd = strings.TrimSuffix(cmd, "\\") + " " + strings.TrimSpace(block[i])
			}
			cur.command = cmd
		}
	}
	return out
}

var (
	timestampRe = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	agoRe       = regexp.MustCompile(`\(\d+ (day|days|hour|hours) ago`)
)

// normalize replaces what changes from run to run.
func normalize(l, scratch string) string {
	l = strings.ReplaceAll(l, scratch, "<scratch>")
	l = timestampRe.ReplaceAllString(l, "<time>")
	return agoRe.ReplaceAllString(l, "(<N> days ago")
}

// matchLines reports whether got matches want, where a want line "…" (indented or not) matches
// any run of lines.
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if strings.TrimSpace(want[0]) == "…" {
		for k := 0; k <= len(got); k++ {
			if matchLines(want[1:], got[k:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && want[0] == got[0] && matchLines(want[1:], got[1:])
}

// scratchClone builds the folder the transcripts run in: testdata/examples and bin/.
func scratchClone(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cp := exec.Command("cp", "-r", filepath.Join(repoRoot, "testdata", "examples"), filepath.Join(dir, "testdata", "examples"))
	if err := os.MkdirAll(filepath.Join(dir, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("copy testdata/examples: %v\n%s", err, out)
	}
	for name, pkg := range map[string]string{"verify-evidence": ".", "emit": "./cmd/emit"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, "bin", name), pkg)
		build.Dir = repoRoot
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return dir
}

// runSession runs the commands in one bash session in dir and returns each one's output.
func runSession(t *testing.T, dir string, cmds []transcript) [][]string {
	t.Helper()
	marker := fmt.Sprintf("@@transcript-%d@@", os.Getpid())
	var script strings.Builder
	script.WriteString("exec 2>&1\n")
	for _, c := range cmds {
		fmt.Fprintf(&script, "echo %s\n%s\n", marker, c.command)
	}
	fmt.Fprintf(&script, "echo %s\n", marker)
	cmd := exec.Command("bash", "--noprofile", "--norc", "-c", script.String())
	cmd.Dir = dir
	// No host configuration leaks in: no cluster, no Sigstore token, no GitHub environment.
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "LC_ALL=C.UTF-8", "TZ=UTC"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("transcript session: %v\n%s", err, out.String())
	}
	parts := strings.Split(out.String(), marker+"\n")
	if len(parts) != len(cmds)+2 {
		t.Fatalf("transcript session: %d outputs for %d commands:\n%s", len(parts)-2, len(cmds), out.String())
	}
	var res [][]string
	for _, p := range parts[1 : len(parts)-1] {
		res = append(res, strings.Split(strings.TrimSuffix(p, "\n"), "\n"))
	}
	return res
}

func TestDocsTranscripts(t *testing.T) {
	var dir string
	for _, doc := range docFiles(t) {
		ts := transcripts(t, doc)
		if len(ts) == 0 {
			continue
		}
		t.Run(doc, func(t *testing.T) {
			if dir == "" {
				dir = scratchClone(t)
			}
			got := runSession(t, dir, ts)
			for i, tr := range ts {
				want := make([]string, len(tr.want))
				for k, l := range tr.want {
					want[k] = normalize(l, dir)
				}
				for len(want) > 0 && want[len(want)-1] == "" {
					want = want[:len(want)-1]
				}
				g := make([]string, len(got[i]))
				for k, l := range got[i] {
					g[k] = normalize(l, dir)
				}
				for len(g) > 0 && g[len(g)-1] == "" {
					g = g[:len(g)-1]
				}
				if !matchLines(want, g) {
					t.Errorf("%s:%d: $ %s\nthe document shows:\n%s\nthe command prints:\n%s", tr.doc, tr.line, tr.command,
						strings.Join(want, "\n"), strings.Join(g, "\n"))
				}
			}
		})
	}
}

// A block that shows a verdict is real output only when its command is in it, so the
// transcript test runs it.
func TestDocsOutputBlocksAreTranscripts(t *testing.T) {
	for _, doc := range docFiles(t) {
		b, err := os.ReadFile(filepath.Join(repoRoot, doc))
		if err != nil {
			t.Fatal(err)
		}
		blocks, starts := fencedBlocksAt(string(b))
		for i, block := range blocks {
			var verdict, command bool
			for _, l := range block {
				verdict = verdict || strings.HasPrefix(strings.TrimSpace(l), "Verdict:")
				command = command || strings.HasPrefix(l, "$ ")
			}
			if verdict && !command && !(doc == "README.md" && readmeReportBlock(t, starts[i])) {
				t.Errorf("%s:%d: a block shows a verdict but no \"$ \" command: make it a transcript so that a test runs it", doc, starts[i])
			}
		}
	}
}

// readmeReportBlock reports whether the README block starting at line is the first block of
// "## The report" (compared by TestReadmeReportIsRealOutput).
func readmeReportBlock(t *testing.T, line int) bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i := line - 2; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "## ") {
			return lines[i] == "## The report"
		}
	}
	return false
}
