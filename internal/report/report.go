// Package report renders a verification result for people (text) and programs
// (JSON). Every string that came from a bundle is treated as hostile: control
// characters and terminal escape sequences never reach the output verbatim.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Format is an output format of the CLI.
type Format string

// Output formats.
const (
	FormatText Format = "text"
	FormatJSON Format = "json"
	// FormatMarkdown is GitHub-flavoured Markdown, as the action's comment uses.
	FormatMarkdown Format = "markdown"
)

// ParseFormat returns the Format named s.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case FormatText, FormatJSON, FormatMarkdown:
		return Format(s), nil
	}
	return "", fmt.Errorf("unknown format %q (want text, markdown or json)", s)
}

// Write renders res in format f.
func Write(w io.Writer, f Format, res *verify.Result) error {
	switch f {
	case FormatJSON:
		return WriteJSON(w, res)
	case FormatMarkdown:
		if err := comment.WriteReport(w, res); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return nil
	default:
		return WriteText(w, res)
	}
}

// WriteJSON writes res as indented JSON with a trailing newline. The JSON
// carries the same verdict as the exit code.
func WriteJSON(w io.Writer, res *verify.Result) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("render json: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

var statusMark = map[verify.Status]string{
	verify.StatusPassed:  "✓",
	verify.StatusFailed:  "✗",
	verify.StatusSkipped: "-",
	verify.StatusError:   "!",
}

// WriteText writes a readable report of res.
func WriteText(w io.Writer, res *verify.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "verify-evidence %s: %s\n", res.Mode, Clean(res.Bundle))
	if res.Recipe != nil {
		name := res.Recipe.Name
		if name == "" {
			name = "(unknown)"
		}
		fmt.Fprintf(&b, "Recipe:    %s (canonical sha256 %s)\n", Clean(name), res.Recipe.Digest)
	}
	if res.Predicate != nil {
		fmt.Fprintf(&b, "Predicate: %s, schema %s, emitted by %s\n", Clean(res.Predicate.Type), Clean(res.Predicate.SchemaVersion), Clean(res.Predicate.AICRVersion))
		fmt.Fprintf(&b, "Statement: %s\n", res.Predicate.Source)
	}
	if res.AttestedAt != nil {
		fmt.Fprintf(&b, "Attested:  %s\n", res.AttestedAt.UTC().Format("2006-01-02T15:04:05Z"))
	}
	verdict := strings.ToUpper(string(res.Verdict))
	if res.Mode == "inspect" && res.Verdict == verify.VerdictPassed {
		verdict = "PASSED (signature not checked)"
	}
	fmt.Fprintf(&b, "Verdict:   %s — %s\n\nChecks:\n", verdict, Clean(res.Summary))
	width := 0
	for _, c := range res.Checks {
		width = max(width, len([]rune(c.Title)))
	}
	for _, c := range res.Checks {
		pad := strings.Repeat(" ", width-len([]rune(c.Title)))
		fmt.Fprintf(&b, "  %s %s%s  %s\n", statusMark[c.Status], c.Title, pad, Clean(c.Detail))
		for _, r := range c.Rows {
			fmt.Fprintf(&b, "      %s: %s\n", Clean(r.Key), Clean(r.Value))
		}
	}
	if len(res.Phases) > 0 {
		if res.Verdict == verify.VerdictInvalid || res.Verdict == verify.VerdictError {
			b.WriteString("\nPhases (as the predicate states them; not verified: the bundle did not verify):\n")
		} else {
			b.WriteString("\nPhases (as the predicate states them):\n")
		}
		for _, p := range res.Phases {
			fmt.Fprintf(&b, "  %-12s passed %d, failed %d, skipped %d, pending %d, other %d\n", p.Phase, p.Passed, p.Failed, p.Skipped, p.Pending, p.Other)
		}
	}
	if len(res.Coverage) > 0 {
		b.WriteString("\nCoverage (checks the recipe declares, with a test of that name):\n")
		for _, pc := range res.Coverage {
			fmt.Fprintf(&b, "  %-12s %s\n", pc.Phase, coverageLine(pc))
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// coverageLine says how many of a phase's declared checks have a test, and
// which do not.
func coverageLine(pc schema.PhaseCoverage) string {
	if len(pc.Declared) == 0 {
		return "no checks declared"
	}
	line := fmt.Sprintf("%d of %d declared checks have a test", len(pc.Covered), len(pc.Declared))
	if len(pc.Missing) > 0 {
		names := make([]string, len(pc.Missing))
		for i, m := range pc.Missing {
			names[i] = Clean(m)
		}
		line += "; missing: " + strings.Join(names, ", ")
	}
	return line
}

// Clean makes an untrusted string safe for one line of terminal output: control
// characters (including ESC, CR, LF and the C1 range) and Unicode format
// characters such as bidi overrides are replaced by their \u escapes.
func Clean(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}
