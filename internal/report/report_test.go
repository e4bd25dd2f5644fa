package report_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aicr/verify-evidence/internal/report"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/verify"
)

func TestCleanEscapes(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain ascii", "plain ascii"},
		{"ünïcødé ✓ 日本", "ünïcødé ✓ 日本"},
		{"\x1b[31mred\x1b[0m", `\u001b[31mred\u001b[0m`},
		{"a\rb", `a\u000db`},
		{"a\nb", `a\u000ab`},
		{"a\tb", `a\u0009b`},
		{"nul\x00", `nul\u0000`},
		{"del\x7f", `del\u007f`},
		{"c1 \u0085 nel", `c1 \u0085 nel`},
		{"csi \u009b31m", `csi \u009b31m`},
		{"osc \u009d0;title\u009c", `osc \u009d0;title\u009c`},
		{"evil\u202Etxt.exe", `evil\u202etxt.exe`},
		{"bidi \u2066isolate\u2069", `bidi \u2066isolate\u2069`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"bom\ufeff", `bom\ufeff`},
		{"bad \xff utf8", `bad \ufffd utf8`},
		{"truncated \xe2\x82", `truncated \ufffd\ufffd`},
	} {
		got := report.Clean(tt.in)
		if got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
		assertSafe(t, "Clean("+tt.in+")", got)
	}
}

// assertSafe fails when s holds anything a terminal or a CI log could act on.
func assertSafe(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8 in output %q", what, s)
	}
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			t.Errorf("%s: raw %U in output %q", what, r, s)
			return
		}
	}
}

func hostileResult() *verify.Result {
	at := time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC)
	return &verify.Result{
		Bundle:  "evil\x1b]0;pwned\x07.tar.gz",
		Mode:    "inspect",
		Verdict: verify.VerdictInvalid,
		Summary: "Manifest and files: \"x\rOK\" is in the bundle\n::error::injected",
		Checks: []verify.Check{
			{Name: verify.CheckArchive, Title: "Archive safety", Status: verify.StatusPassed, Detail: "7 files"},
			{Name: verify.CheckManifest, Title: "Manifest and files", Status: verify.StatusFailed, Verdict: verify.VerdictInvalid,
				Detail: "listed\n::error::x \u202Egnp.exe",
				Rows:   []verify.Row{{Key: "problem\x1b[2J", Value: "value\r\n::warning::y\u009b"}}},
		},
		Recipe:     &verify.RecipeInfo{Name: "\x1b[31mrecipe\x1b[0m\n::error::name", Digest: strings.Repeat("a", 64)},
		Phases:     []verify.PhaseInfo{{Phase: "deployment", Passed: 4}},
		AttestedAt: &at,
		Predicate: &verify.PredicateInfo{Type: "https://aicr.run/recipe-evidence/v1\n::error::t", SchemaVersion: "1.0.0\x1b[1m",
			AICRVersion: "v0.18.0\r\x1b[Kfake", Source: verify.SourceAttestation},
	}
}

func TestTextReportHasNoRawControlCharacters(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteText(&buf, hostileResult()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	assertSafe(t, "text report", out)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "::") {
			t.Errorf("an untrusted string starts a line (CI workflow command): %q", line)
		}
	}
	// The hostile content is still visible, escaped, not dropped.
	for _, want := range []string{`\u001b[31mrecipe\u001b[0m\u000a::error::name`, `listed\u000a::error::x \u202egnp.exe`, `value\u000d\u000a::warning::y\u009b`} {
		if !strings.Contains(out, want) {
			t.Errorf("report does not show %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "INVALID") {
		t.Errorf("report does not carry the verdict:\n%s", out)
	}
}

func TestTextReportPassedInspectSaysSignatureNotChecked(t *testing.T) {
	res := &verify.Result{Bundle: "b.tar.gz", Mode: "inspect", Verdict: verify.VerdictPassed, Summary: "ok",
		Checks: []verify.Check{{Name: verify.CheckSignature, Title: "Signature", Status: verify.StatusSkipped, Detail: "not checked"}}}
	var buf bytes.Buffer
	if err := report.Write(&buf, report.FormatText, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "signature not checked") {
		t.Errorf("an inspect pass must not read as verified:\n%s", buf.String())
	}
}

// The phases of a bundle that failed verification are what its predicate
// claims, and the report says they are not verified (issue 8).
func TestTextReportInvalidPhasesNotVerified(t *testing.T) {
	res := &verify.Result{Bundle: "b.tar.gz", Mode: "verify", Verdict: verify.VerdictInvalid, Summary: "Test results (CTRF): digest mismatch",
		Phases: []verify.PhaseInfo{{Phase: "deployment", Passed: 4}}}
	var buf bytes.Buffer
	if err := report.Write(&buf, report.FormatText, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Phases (as the predicate states them; not verified: the bundle did not verify):") {
		t.Errorf("the phases of an invalid bundle read as verified:\n%s", buf.String())
	}
}

func TestJSONReportRoundTrips(t *testing.T) {
	res := hostileResult()
	var buf bytes.Buffer
	if err := report.Write(&buf, report.FormatJSON, res); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "}\n") {
		t.Errorf("JSON report does not end with one newline")
	}
	var back verify.Result
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, res) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, *res)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["verdict"] != "invalid" {
		t.Errorf("verdict %v", m["verdict"])
	}
	// JSON escapes C0 controls itself: no raw ESC, CR or LF inside strings.
	if bytes.ContainsAny(buf.Bytes(), "\x1b\r\x07") {
		t.Errorf("raw control bytes in JSON output")
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"text", "json"} {
		if f, err := report.ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("%s: %v %v", s, f, err)
		}
	}
	for _, s := range []string{"", "JSON", "yaml", "text "} {
		if _, err := report.ParseFormat(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

// TestTextReportShowsCoverage renders the coverage of the declared checks, with
// hostile check names escaped, and carries it in the JSON report.
func TestTextReportShowsCoverage(t *testing.T) {
	res := &verify.Result{Bundle: "b.tar.gz", Mode: "verify", Verdict: verify.VerdictPassed, Summary: "ok",
		Coverage: []schema.PhaseCoverage{
			{Phase: "deployment", Declared: []string{"a", "b\n::error::x"}, Covered: []string{"a"}, Missing: []string{"b\n::error::x"}},
			{Phase: "performance", Declared: []string{}, Covered: []string{}, Missing: []string{}},
			{Phase: "conformance", Declared: []string{"c"}, Covered: []string{"c"}, Missing: []string{}},
		}}
	var buf bytes.Buffer
	if err := report.WriteText(&buf, res); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	assertSafe(t, "text report", out)
	for _, want := range []string{
		"deployment   1 of 2 declared checks have a test; missing: b\\u000a::error::x\n",
		"performance  no checks declared\n",
		"conformance  1 of 1 declared checks have a test\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report does not show %q:\n%s", want, out)
		}
	}
	buf.Reset()
	if err := report.WriteJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	var back verify.Result
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Coverage, res.Coverage) {
		t.Errorf("JSON coverage %+v, want %+v", back.Coverage, res.Coverage)
	}
}
