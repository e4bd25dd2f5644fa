package archive

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/aicr/verify-evidence/internal/casefold"
)

// CheckPath reports whether p is an acceptable path for a file of a bundle,
// by the format's rule: relative, slash-separated, valid UTF-8, with no
// leading "/", no ".." segment, no empty or "." segment (so no trailing
// slash and no "//"), no backslash, no control character (U+0000-U+001F,
// U+007F), at most 8 segments and at most 256 bytes, and local in the sense
// of [filepath.IsLocal]. The error is an [*Error] whose Entry is p and whose
// Kind is one of [KindNonUTF8], [KindAbsolutePath], [KindParentSegment],
// [KindUncleanPath] and [KindPathTooLong].
//
// Both [Read] and [Write] apply this rule (Read with the path limits of its
// [Limits]), and so should any other check of bundle paths, such as the
// paths listed in manifest.json.
func CheckPath(p string) error {
	return checkPath(p, DefaultMaxPathBytes, DefaultMaxPathSegments)
}

// checkPath is CheckPath with configurable length limits. Security-relevant
// problems are reported before limits, so that "../../x" reads as a parent
// segment even when it is also too long.
func checkPath(p string, maxBytes, maxSegments int) error {
	fail := func(kind Kind, format string, args ...any) error {
		return newError(kind, p, fmt.Sprintf(format, args...), nil)
	}
	if p == "" {
		return fail(KindUncleanPath, "path is empty")
	}
	if !utf8.ValidString(p) {
		return fail(KindNonUTF8, "path is not valid UTF-8")
	}
	if p[0] == '/' {
		return fail(KindAbsolutePath, "path is absolute")
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == ".." {
			return fail(KindParentSegment, `path has a ".." segment`)
		}
	}
	if strings.HasSuffix(p, "/") {
		return fail(KindUncleanPath, "path ends with a slash")
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return fail(KindUncleanPath, "path has an empty segment")
		case ".":
			return fail(KindUncleanPath, `path has a "." segment`)
		}
	}
	if strings.IndexByte(p, '\\') >= 0 {
		return fail(KindUncleanPath, "path has a backslash")
	}
	if i := strings.IndexFunc(p, isControl); i >= 0 {
		return fail(KindUncleanPath, "path has control character %U at byte %d", rune(p[i]), i)
	}
	if len(p) > maxBytes {
		return fail(KindPathTooLong, "path is %d bytes long, the limit is %d", len(p), maxBytes)
	}
	if segments := strings.Count(p, "/") + 1; segments > maxSegments {
		return fail(KindPathTooLong, "path has %d segments, the limit is %d", segments, maxSegments)
	}
	// Defense in depth: the rules above are stricter than IsLocal on every
	// platform this runs on, so this never fires unless they are broken.
	if !filepath.IsLocal(filepath.FromSlash(p)) {
		return fail(KindUncleanPath, "path is not local")
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// pathSet detects duplicate paths, case-fold duplicates, and paths used both
// as a regular file and as a directory, for the reader and the writer alike.
// All comparisons except the exact-duplicate one use casefold.Key.
type pathSet struct {
	exact map[string]struct{} // regular files, exact paths
	files map[string]string   // casefold.Key(file) -> file path as first seen
	dirs  map[string]string   // casefold.Key(dir) -> entry that made it a directory
}

func newPathSet() *pathSet {
	return &pathSet{
		exact: make(map[string]struct{}),
		files: make(map[string]string),
		dirs:  make(map[string]string),
	}
}

// addFile records the regular file p, which must already pass checkPath.
func (s *pathSet) addFile(p string) error {
	if _, ok := s.exact[p]; ok {
		return newError(KindDuplicate, p, "path occurs more than once", nil)
	}
	key := casefold.Key(p)
	if first, ok := s.files[key]; ok {
		return newError(KindCaseFoldDuplicate, p,
			fmt.Sprintf("path differs only by case from entry %q", first), nil)
	}
	if by, ok := s.dirs[key]; ok {
		return newError(KindPathConflict, p,
			fmt.Sprintf("path is also a directory (because of entry %q)", by), nil)
	}
	if err := s.addParents(p); err != nil {
		return err
	}
	s.exact[p] = struct{}{}
	s.files[key] = p
	return nil
}

// addDir records the directory p (without trailing slash), which must
// already pass checkPath. Repeated directory entries are fine.
func (s *pathSet) addDir(p string) error {
	key := casefold.Key(p)
	if file, ok := s.files[key]; ok {
		return newError(KindPathConflict, p,
			fmt.Sprintf("directory has the same path as regular file %q", file), nil)
	}
	if err := s.addParents(p); err != nil {
		return err
	}
	if _, ok := s.dirs[key]; !ok {
		s.dirs[key] = p
	}
	return nil
}

// addParents records every proper parent directory of p, failing if one of
// them is a regular file.
func (s *pathSet) addParents(p string) error {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		parent := p[:i]
		pk := casefold.Key(parent)
		if file, ok := s.files[pk]; ok {
			return newError(KindPathConflict, p,
				fmt.Sprintf("parent directory %q is a regular file (entry %q)", parent, file), nil)
		}
		if _, ok := s.dirs[pk]; !ok {
			s.dirs[pk] = p
		}
	}
	return nil
}
