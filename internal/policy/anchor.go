package policy

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// compileAnchored compiles an identity pattern and accepts it only when the
// whole expression is anchored at both ends: every string it matches is then
// matched in full, from the start to the end of the text. The rule is decided
// on the parsed expression, not on the pattern's first and last characters, so
// a top-level alternation (^a|b$), multi-line anchors ((?m)^a$), an anchor
// inside an optional group ((^)?a$) or an unanchored alternative (^$|.*) is
// refused with the fixed ^(?:…)$ form in the message.
func compileAnchored(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("identity pattern %s: %w", quotePattern(pattern), err)
	}
	if !anchored(pattern) {
		return nil, fmt.Errorf("identity pattern %s is not anchored at both ends: it would match identities that merely contain a part of it (every alternative must begin with ^ and end with $, and not under (?m)). Use %s", quotePattern(pattern), quotePattern(anchoredForm(pattern)))
	}
	return re, nil
}

// anchored reports whether pattern parses (as regexp.Compile parses it, with
// syntax.Perl) to an expression anchored at the start and the end of the text.
func anchored(pattern string) bool {
	tree, err := syntax.Parse(pattern, syntax.Perl)
	return err == nil && anchoredAt(tree, syntax.OpBeginText, first) && anchoredAt(tree, syntax.OpEndText, last)
}

type end int

const (
	first end = iota
	last
)

// anchoredAt reports whether every match of re has the zero-width assertion
// op (OpBeginText or OpEndText) at its first (or last) position: nothing can be
// consumed before (after) it on any path through the expression. Anything that
// may be skipped — a repetition, an optional group, one unanchored alternative —
// is not anchored.
func anchoredAt(re *syntax.Regexp, op syntax.Op, at end) bool {
	switch re.Op {
	case op:
		return true
	case syntax.OpCapture:
		return anchoredAt(re.Sub[0], op, at)
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return false
		}
		if at == first {
			return anchoredAt(re.Sub[0], op, at)
		}
		return anchoredAt(re.Sub[len(re.Sub)-1], op, at)
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !anchoredAt(sub, op, at) {
				return false
			}
		}
		return len(re.Sub) > 0
	default:
		return false
	}
}

// anchoredForm returns the fixed form of a refused pattern: without the
// leading ^ and the trailing unescaped $ it had, anchored again as ^…$ when
// that is enough, or else wrapped as ^(?:…)$, which is always anchored.
func anchoredForm(pattern string) string {
	core := strings.TrimPrefix(pattern, "^")
	if strings.HasSuffix(core, "$") {
		backslashes := len(core[:len(core)-1]) - len(strings.TrimRight(core[:len(core)-1], `\`))
		if backslashes%2 == 0 {
			core = core[:len(core)-1]
		}
	}
	if simple := "^" + core + "$"; anchored(simple) {
		return simple
	}
	return "^(?:" + core + ")$"
}

// quotePattern quotes a pattern for a one-line message so that it can be
// copied as it is: in backquotes, or Go-quoted when it has a backquote or a
// control character.
func quotePattern(p string) string {
	if strconv.CanBackquote(p) {
		return "`" + p + "`"
	}
	return strconv.Quote(p)
}
