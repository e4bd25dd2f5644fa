package casefold

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func FuzzKeyAgreesWithEqualFold(f *testing.F) {
	f.Add("status", "ſtatus")
	f.Add("ctrf", "CTRF")
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.ToValidUTF8(a, "") != a || strings.ToValidUTF8(b, "") != b {
			return
		}
		if Equal(a, b) != strings.EqualFold(a, b) {
			t.Fatalf("Equal(%q, %q) = %v, strings.EqualFold says %v", a, b, Equal(a, b), strings.EqualFold(a, b))
		}
	})
}

// Key(a) == Key(b) must hold exactly when strings.EqualFold(a, b).
// EqualFold compares rune by rune, each rune against the members of its
// unicode.SimpleFold orbit, so it is enough to check that Key is
// constant on every orbit and differs between orbits. No rune above
// U+1FFFF has a case mapping, so the check stops there.
func TestFoldKeyMatchesEqualFold(t *testing.T) {
	byKey := map[string][]rune{}
	for r := rune(0); r < 0x20000; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		k := Key(string(r))
		byKey[k] = append(byKey[k], r)
		if s := unicode.SimpleFold(r); Key(string(s)) != k {
			t.Fatalf("Key(%U) != Key(%U), its SimpleFold", r, s)
		}
	}
	for k, rs := range byKey {
		for _, a := range rs {
			for _, b := range rs {
				if !strings.EqualFold(string(a), string(b)) {
					t.Fatalf("%U and %U share key %q but are not EqualFold", a, b, k)
				}
			}
		}
	}
	for _, pair := range [][2]string{
		{"K", "\u212a"}, {"s", "\u017f"}, {"Σ", "ς"}, {"σ", "ς"}, {"ǅ", "ǆ"}, {"LOGS/Run.LOG", "logs/run.log"},
	} {
		if Key(pair[0]) != Key(pair[1]) {
			t.Errorf("Key(%q) != Key(%q)", pair[0], pair[1])
		}
	}
	for _, pair := range [][2]string{{"ß", "ss"}, {"a", "b"}, {"logs/a", "logs/a/"}} {
		if Key(pair[0]) == Key(pair[1]) {
			t.Errorf("Key(%q) == Key(%q)", pair[0], pair[1])
		}
	}
}
