// Package comment renders verification results as GitHub-flavoured Markdown:
// the per-bundle report, and (for the action) the sticky review comment and the
// job summary. Every string that came from a PR or a bundle is escaped so it can
// neither break the table, inject HTML or links, nor mention anyone.
package comment

import (
	"strings"
	"unicode"
)

// Text escapes untrusted text for a Markdown paragraph or table cell: every
// character with Markdown or HTML meaning becomes a numeric character reference,
// line breaks and control characters become spaces, and the result is one line.
// "@" is encoded too, so "@org/team" never pings anyone, and ":" and "www."
// are encoded so that no URL in the text becomes a link.
func Text(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	prev := []rune{0, 0, 0}
	for _, r := range s {
		www := r == '.' && strings.EqualFold(string(prev), "www")
		prev = append(prev[1:], r)
		switch {
		case www:
			b.WriteString("&#46;")
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			b.WriteRune('\uFFFD')
		case strings.ContainsRune("\\`*_{}[]()<>#!|~&@:", r):
			b.WriteString("&#")
			b.WriteString(itoa(int(r)))
			b.WriteByte(';')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Code renders untrusted text as inline code that cannot be closed early: the
// fence is one backtick longer than the longest run of backticks inside.
func Code(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	if s == "" {
		return "` `"
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || strings.HasPrefix(s, " ") {
		pad = " "
	}
	// A pipe inside a table cell ends the cell even inside code: encode it.
	s = strings.ReplaceAll(s, "|", "\\|")
	return fence + pad + s + pad + fence
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d [12]byte
	i := len(d)
	for n > 0 {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return string(d[i:])
}
