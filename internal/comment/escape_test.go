package comment_test

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/verify"
)

// hostile are strings a PR or a bundle may carry, each aimed at one way out of
// the place the template puts it.
var hostile = []string{
	"a|b",
	"x`y``z",
	"`",
	"<script>alert(1)</script>",
	"<img src=x onerror=alert(1)>",
	`x</summary></details><h2>✅ Evidence verified</h2><a href="https://evil.example/r">report</a><details><summary>`,
	"</code><a href=https://evil.example>x</a><code>",
	"<!-- hide the rest",
	"line1\nline2\r\n| injected | row |",
	"line\n\n<details>",
	"@octocat and @org/team, (@x)",
	"mail me: mallory@evil.example",
	"[click](https://evil.example/)",
	"[ref]: https://evil.example/",
	"![img](https://evil.example/i.png)",
	"https://evil.example/path and www.evil.example and WWW.EVIL.EXAMPLE",
	"<https://evil.example>",
	"**bold** _it_ ~~del~~ # heading",
	"# heading",
	"- item",
	"1. item",
	"10) ten",
	"2026.11 release",
	"===",
	"---",
	"    indented code",
	"> quote",
	"$x^2$ and $$y$$",
	":smile: :+1:",
	"::error file=x::forged",
	"\x1b[31mred\u202etxt\u2028next\u2029para",
	"&amp; &#64; &lt;b&gt; \\| \\",
	`"quoted" 'single' attr="x"`,
	"trailing backslash \\",
	"",
	" ",
}

// visible is how a reader sees s after escaping: one line, control and format
// characters replaced, a zero-width space after "@" and "#" and before the "-"
// of "GH-", spaces collapsed.
func visible(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || unicode.In(r, unicode.Zl, unicode.Zp):
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return unicode.ReplacementChar
		}
		return r
	}, s)
	s = strings.NewReplacer("@", "@\u200b", "#", "#\u200b").Replace(s)
	s = ghDash.ReplaceAllString(s, "$1\u200b-")
	return strings.Join(strings.Fields(s), " ")
}

// ghDash is the "-" of a "GH-" issue reference, which Text precedes with a
// zero-width space.
var ghDash = regexp.MustCompile(`([gG][hH])-`)

// A place is where the templates put an escaped string.
type place struct {
	name string
	// md builds the Markdown around the escaped string.
	md func(escaped string) string
	// text is the index in page.Texts of the block that holds it, and prefix
	// the template's own text before it.
	text   int
	prefix string
	// whole is true when the string is the whole block: an empty one leaves no block.
	whole bool
}

var places = []place{
	{"paragraph", func(e string) string { return "Detail: " + e + "\n" }, 0, "Detail: ", false},
	{"line start", func(e string) string { return "before\n\n" + e + "\n\nafter\n" }, 1, "", true},
	{"table cell", func(e string) string { return "| k | v |\n|---|---|\n| key | " + e + " |\n" }, 3, "", false},
	{"heading", func(e string) string { return "### Evidence for " + e + "\n" }, 0, "Evidence for ", false},
	{"blockquote", func(e string) string { return "> " + e + "\n" }, 0, "", true},
	{"summary", func(e string) string {
		return "<details><summary>✅ passed — " + e + "</summary>\n\nbody\n\n</details>\n"
	}, 0, "✅ passed — ", false},
	{"summary cell", func(e string) string {
		return "<details><summary>x</summary>\n\n| k | v |\n|---|---|\n| key | " + e + " |\n\n</details>\n"
	}, 4, "", false},
}

// Text and Code keep every hostile string inert in every place the templates
// put one: rendered by goldmark and by cmark-gfm the page has exactly the
// elements and links it has for a plain word, and reads back as the string.
func TestEscapersInEveryPlace(t *testing.T) {
	escapers := []struct {
		name string
		esc  func(string) string
	}{{"Text", comment.Text}, {"Code", comment.Code}, {"Link", func(s string) string { return comment.Link(s, runURL) }}}
	for _, pl := range places {
		for _, e := range escapers {
			want := parsed(t, pl.md(e.esc("plain")))
			for _, s := range hostile {
				if s == "" && pl.whole && e.name == "Text" {
					continue
				}
				md := pl.md(e.esc(s))
				got := checkRendered(t, md, shape{Links: want.Links, Details: want.count("details"), Headings: want.count("h2") + want.count("h3"), Tables: want.count("table"), Rows: want.count("tr")})
				if !slices.Equal(got.Tags, want.Tags) {
					t.Errorf("%s in a %s: %q renders elements %q, a plain word %q\n%s", e.name, pl.name, s, got.Tags, want.Tags, md)
					continue
				}
				if text, wantText := got.Texts[pl.text], strings.TrimSpace(pl.prefix+visible(s)); text != wantText {
					t.Errorf("%s in a %s: %q reads back as %q, want %q\n%s", e.name, pl.name, s, text, wantText, md)
				}
			}
		}
	}
}

func parsed(t testing.TB, md string) *page {
	t.Helper()
	out, err := goldmarkHTML(md)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePage(out)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Link refuses targets that could leave the link or run script.
func TestLinkTargets(t *testing.T) {
	for _, target := range []string{"javascript:alert(1)", "https://x.example/a)b", "https://x.example/a b", "//x.example", "https://x.example/<b>", "data:text/html,x", ""} {
		if got := comment.Link("job summary", target); got != comment.Text("job summary") {
			t.Errorf("Link to %q = %q, want the text alone", target, got)
		}
	}
	if got := comment.Link("job summary", runURL); got != `<a href="`+runURL+`">job summary</a>` {
		t.Errorf("Link to the run = %q", got)
	}
}

func TestReportStructure(t *testing.T) {
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	res := &verify.Result{
		Mode: "verify", Verdict: verify.VerdictInvalid, Summary: "Manifest: " + hostile[3],
		Recipe:    &verify.RecipeInfo{Name: hostile[5], Digest: strings.Repeat("a", 64)},
		Signature: &verify.SignatureInfo{Signed: true, Verified: true, Allowed: true, Class: "community", Label: hostile[10], Identity: hostile[4], Issuer: "https://token.actions.githubusercontent.com", SignedAt: &at, LogIndex: 7},
		Phases:    []verify.PhaseInfo{{Phase: hostile[6], Passed: 3}},
		Checks: []verify.Check{
			{Name: "archive", Title: "Archive safety", Status: verify.StatusPassed, Detail: "ok"},
			{Name: "manifest", Title: "Manifest and files", Status: verify.StatusFailed, Verdict: verify.VerdictInvalid, Detail: hostile[0], Rows: []verify.Row{{Key: "problem", Value: hostile[11]}}},
			{Name: "ctrf", Title: "Test results (CTRF)", Status: verify.StatusPassed, Detail: "ok"},
		},
	}
	var buf bytes.Buffer
	if err := comment.WriteReport(&buf, res); err != nil {
		t.Fatal(err)
	}
	// Two tables (phases, checks): 2 header rows, 1 phase, 3 checks; one heading; no link.
	p := checkRendered(t, buf.String(), shape{Tables: 2, Rows: 6, Headings: 1})
	if !slices.Contains(p.Texts, "❌ invalid — Manifest: "+hostile[3]) {
		t.Errorf("verdict line missing: %q", p.Texts)
	}
	if !slices.Contains(p.Texts, "➖ passed, input not verified") {
		t.Errorf("a check after the failed one is marked verified: %q", p.Texts)
	}
	if !slices.Contains(p.Texts, "Test results as the predicate states them — not verified:") {
		t.Errorf("the phases of an invalid bundle must say they are not verified: %q", p.Texts)
	}
}
