package archive

import (
	"strings"
	"testing"
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
