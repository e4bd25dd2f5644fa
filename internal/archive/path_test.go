package archive

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCheckPath(t *testing.T) {
	for _, p := range []string{
		"recipe.yaml",
		"ctrf/deployment.json",
		"logs/run.log",
		"logs/..hidden",
		"logs/a..b",
		"logs/...",
		"logs/.env",
		"a/b/c/d/e/f/g/h",
		strings.Repeat("x", 256),
		"logs/résumé.txt",
		"logs/with space:colon*star",
	} {
		if err := CheckPath(p); err != nil {
			t.Errorf("CheckPath(%q) = %v", p, err)
		}
	}
	for _, tc := range []struct {
		path string
		kind Kind
	}{
		{"", KindUncleanPath},
		{"/", KindAbsolutePath},
		{"/etc/passwd", KindAbsolutePath},
		{"..", KindParentSegment},
		{"../x", KindParentSegment},
		{"a/..", KindParentSegment},
		{"a/../b", KindParentSegment},
		{"/../x", KindAbsolutePath},
		{strings.Repeat("../", 100) + "x", KindParentSegment}, // also too long: the parent segment wins
		{".", KindUncleanPath},
		{"./a", KindUncleanPath},
		{"a/./b", KindUncleanPath},
		{"a/.", KindUncleanPath},
		{"a//b", KindUncleanPath},
		{"a/", KindUncleanPath},
		{`a\b`, KindUncleanPath},
		{`..\x`, KindUncleanPath},
		{"a\x00b", KindUncleanPath},
		{"a\x1fb", KindUncleanPath},
		{"a\x7fb", KindUncleanPath},
		{"a\xffb", KindNonUTF8},
		{"\xc0\xaf", KindNonUTF8}, // overlong "/"
		{strings.Repeat("x", 257), KindPathTooLong},
		{"a/b/c/d/e/f/g/h/i", KindPathTooLong},
	} {
		err := CheckPath(tc.path)
		if got := KindOf(err); got != tc.kind {
			t.Errorf("CheckPath(%q) kind = %q (%v), want %q", tc.path, got, err, tc.kind)
			continue
		}
		if e := err.(*Error); e.Entry != tc.path {
			t.Errorf("CheckPath(%q): Entry = %q", tc.path, e.Entry)
		}
	}
}

// foldKey(a) == foldKey(b) must hold exactly when strings.EqualFold(a, b).
// EqualFold compares rune by rune, each rune against the members of its
// unicode.SimpleFold orbit, so it is enough to check that foldKey is
// constant on every orbit and differs between orbits. No rune above
// U+1FFFF has a case mapping, so the check stops there.
func TestFoldKeyMatchesEqualFold(t *testing.T) {
	byKey := map[string][]rune{}
	for r := rune(0); r < 0x20000; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		k := foldKey(string(r))
		byKey[k] = append(byKey[k], r)
		if s := unicode.SimpleFold(r); foldKey(string(s)) != k {
			t.Fatalf("foldKey(%U) != foldKey(%U), its SimpleFold", r, s)
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
		if foldKey(pair[0]) != foldKey(pair[1]) {
			t.Errorf("foldKey(%q) != foldKey(%q)", pair[0], pair[1])
		}
	}
	for _, pair := range [][2]string{{"ß", "ss"}, {"a", "b"}, {"logs/a", "logs/a/"}} {
		if foldKey(pair[0]) == foldKey(pair[1]) {
			t.Errorf("foldKey(%q) == foldKey(%q)", pair[0], pair[1])
		}
	}
}

func TestPathSet(t *testing.T) {
	s := newPathSet()
	for _, step := range []struct {
		dir  bool
		path string
		kind Kind
	}{
		{false, "logs/run.log", ""},
		{true, "logs", ""},
		{true, "LOGS", ""},
		{true, "logs", ""},
		{true, "ctrf", ""},
		{false, "ctrf/deployment.json", ""},
		{false, "Ctrf/Deployment.JSON", KindCaseFoldDuplicate},
		{false, "ctrf/deployment.json", KindDuplicate},
		{false, "ctrf", KindPathConflict},
		{false, "logs/run.log/x", KindPathConflict},
		{true, "logs/run.log", KindPathConflict},
		{true, "recipe.yaml/sub", ""},
		{false, "recipe.yaml", KindPathConflict},
	} {
		var err error
		if step.dir {
			err = s.addDir(step.path)
		} else {
			err = s.addFile(step.path)
		}
		if got := KindOf(err); got != step.kind {
			t.Errorf("add(dir=%v, %q) kind = %q (%v), want %q", step.dir, step.path, got, err, step.kind)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: KindSymlink, Entry: "a", Detail: "entry is a symbolic link"}, `archive entry "a": entry is a symbolic link`},
		{&Error{Kind: KindNotGzip}, `archive: not-gzip`},
		{&Error{Kind: KindIO, Detail: "reading the bundle failed", Err: errTest}, `archive: reading the bundle failed: test cause`},
		{&Error{Kind: KindNonUTF8, Entry: "a\xff\n", Detail: "bad"}, `archive entry "a\xff\n": bad`},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if KindOf(nil) != "" || KindOf(errTest) != "" {
		t.Error("KindOf of a foreign error is not empty")
	}
}

type testError struct{}

func (testError) Error() string { return "test cause" }

var errTest error = testError{}
