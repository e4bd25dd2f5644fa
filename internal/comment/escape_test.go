package comment_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/verify"
)

func render(t *testing.T, md string) string {
	t.Helper()
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var hostile = []string{
	"a|b",
	"x`y``z",
	"<script>alert(1)</script>",
	"<img src=x onerror=alert(1)>",
	"line1\nline2\r\n| injected | row |",
	"@octocat and @org/team",
	"[click](https://evil.example/)",
	"https://evil.example/path and www.evil.example",
	"**bold** _it_ ~~del~~ # heading",
	"::error file=x::forged",
	"\x1b[31mred\u202etxt",
	"&amp; &#64; \\| \\",
}

// Text keeps hostile strings inert: rendered as GFM they produce no HTML tag,
// link, mention or extra table cell, and read back as the original characters.
func TestTextIsInert(t *testing.T) {
	for _, s := range hostile {
		md := "| k | v |\n|---|---|\n| key | " + comment.Text(s) + " |\n"
		html := render(t, md)
		if n := strings.Count(html, "<td>"); n != 2 {
			t.Errorf("%q: table has %d cells, want 2:\n%s", s, n, html)
		}
		for _, bad := range []string{"<script", "<img", "<a ", "<strong>", "<em>", "<del>", "<h1"} {
			if strings.Contains(html, bad) {
				t.Errorf("%q rendered %s:\n%s", s, bad, html)
			}
		}
		if strings.Contains(comment.Text(s), "@") {
			t.Errorf("%q: raw @ left, could mention", s)
		}
		if strings.ContainsAny(comment.Text(s), "\n\r") {
			t.Errorf("%q: line break left", s)
		}
	}
}

func TestCodeCannotBeClosedEarly(t *testing.T) {
	for _, s := range hostile {
		md := "| k | v |\n|---|---|\n| key | " + comment.Code(s) + " |\n"
		html := render(t, md)
		if n := strings.Count(html, "<td>"); n != 2 {
			t.Errorf("%q: table has %d cells, want 2:\n%s", s, n, html)
		}
		if strings.Count(html, "<code>") != 1 {
			t.Errorf("%q: want exactly one code span:\n%s", s, html)
		}
		if strings.Contains(html, "<script") || strings.Contains(html, "<a ") {
			t.Errorf("%q escaped the code span:\n%s", s, html)
		}
	}
}

func TestReportStructure(t *testing.T) {
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	res := &verify.Result{
		Mode: "verify", Verdict: verify.VerdictInvalid, Summary: "Manifest: " + hostile[2],
		Recipe:    &verify.RecipeInfo{Name: "evil|name\n@x", Digest: strings.Repeat("a", 64)},
		Signature: &verify.SignatureInfo{Verified: true, Identity: hostile[4], Issuer: "https://token.actions.githubusercontent.com", SignedAt: &at, LogIndex: 7},
		Phases:    []verify.PhaseInfo{{Phase: "deployment", Passed: 3}},
		Checks: []verify.Check{
			{Name: "archive", Title: "Archive safety", Status: verify.StatusPassed, Detail: "ok"},
			{Name: "manifest", Title: "Manifest and files", Status: verify.StatusFailed, Detail: hostile[0], Rows: []verify.Row{{Key: "problem", Value: hostile[3]}}},
		},
	}
	var buf bytes.Buffer
	if err := comment.WriteReport(&buf, res); err != nil {
		t.Fatal(err)
	}
	html := render(t, buf.String())
	if got := strings.Count(html, "<table>"); got != 2 {
		t.Fatalf("want 2 tables (phases, checks), got %d:\n%s", got, html)
	}
	if got := strings.Count(html, "<tr>"); got != 2+3 {
		t.Errorf("want 5 rows (2 headers, 1 phase, 2 checks), got %d:\n%s", got, html)
	}
	for _, bad := range []string{"<script", "<img", "<a "} {
		if strings.Contains(html, bad) {
			t.Errorf("report rendered %s:\n%s", bad, html)
		}
	}
	if !strings.Contains(html, "❌ <strong>invalid</strong>") {
		t.Errorf("verdict line missing:\n%s", html)
	}
}
