// Package casefold is the one case-folding rule of the format (bundle format
// v1 §1): two strings are the same name when strings.EqualFold says so. The
// archive applies it to paths (case-fold duplicates, reserved names) and the
// strict JSON reader to object keys (fold-equal keys).
package casefold

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Key maps s to a key that is equal for two strings exactly when
// strings.EqualFold reports them equal: each rune is replaced by the smallest
// rune of its unicode.SimpleFold orbit (so "K", "k" and U+212A KELVIN SIGN
// share a key, as do "S", "s" and U+017F LONG S). This is simple case
// folding, as used by strings.EqualFold; full folding ("ß" vs "ss") and
// Unicode normalization (NFC vs NFD) are not applied: the standard library has
// neither, and the format asks for EqualFold-equivalence.
func Key(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// Equal reports whether a and b are the same name under the rule.
func Equal(a, b string) bool { return Key(a) == Key(b) }

// foldRune returns the smallest rune of r's simple folding orbit.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}
