// Package comment renders verification results as GitHub-flavoured Markdown:
// the per-bundle report, and (for the action) the sticky review comment and the
// job summary.
//
// Every string that came from a PR or a bundle reaches the Markdown through one
// escaper chosen by what it is, never by where it lands: Text for words, Code for
// names and paths shown as code. Both are correct in every place the templates
// put them — a paragraph, a table cell, a heading, link text, and inside an HTML
// block such as <summary>, where Markdown is not parsed — because they write
// only characters that mean nothing to Markdown or HTML, and numeric character
// references, which Markdown (in inline content) and HTML (in an HTML block)
// both decode to the same character. A Markdown code span would not be: its
// backticks are literal inside an HTML block, and entities are literal inside
// it. The tests render every comment with goldmark and with cmark-gfm, GitHub's
// own implementation, and check that the only elements and links are the
// template's.
package comment

import (
	"strconv"
	"strings"
	"unicode"
)

// encoded are the characters with a meaning in Markdown, GFM's extensions,
// GitHub's math and emoji shortcodes, or HTML text (elements, entities). Quotes
// are left alone: no template puts untrusted text in an attribute.
const encoded = "\\`*_{}[]()<>#!|~&:$"

// Text escapes untrusted text for any place the templates put text: a
// paragraph, a table cell, a heading, link text, or inside an HTML block.
// Characters with Markdown or HTML meaning become numeric character
// references, line breaks and tabs become spaces, control and format characters
// (bidi overrides) become U+FFFD, and the result is one line. The first
// character is a reference unless it is a letter or a digit, and so is the
// dot after leading digits, so the text cannot start a list, a heading
// underline or a code block. "@" is followed by a
// zero-width space so that "@org/team" mentions nobody and "a@b.example" is no
// mail link, and so is "#" (and the "-" of "GH-" is preceded by one) so that
// "#1", "GH-1" and "owner/repo#1" reference no issue: GitHub links those in
// the rendered text, after entities are decoded; ":" and the dot of "www." are encoded so that no URL becomes a link.
func Text(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	prev := []rune{0, 0, 0}
	first, digits := true, true // at the first character; only digits so far
	for _, r := range s {
		www := r == '.' && strings.EqualFold(string(prev), "www")
		ghDash := r == '-' && strings.EqualFold(string(prev[1:]), "gh")
		listMarker := r == '.' && digits && !first
		digits = digits && r >= '0' && r <= '9'
		prev = append(prev[1:], r)
		switch {
		case r == '\n' || r == '\r' || r == '\t' || unicode.In(r, unicode.Zl, unicode.Zp):
			r = ' '
		case r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			r = unicode.ReplacementChar
		}
		switch {
		case r == '@':
			b.WriteString("&#64;&#8203;")
		case r == '#':
			b.WriteString("&#35;&#8203;")
		case ghDash:
			b.WriteString("&#8203;-")
		case www || listMarker || strings.ContainsRune(encoded, r) || (first && !unicode.IsLetter(r) && !unicode.IsDigit(r)):
			b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
		default:
			b.WriteRune(r)
		}
		first = false
	}
	return b.String()
}

// Code renders untrusted text as code, in any place Text may go: an HTML <code>
// element around Text, which nothing inside can close.
func Code(s string) string {
	return "<code>" + Text(s) + "</code>"
}
