package diff

import (
	"errors"
	"path"
	"strings"
)

// checkGlob validates a recipe glob: slash-separated, relative, each segment
// either "**" or a valid [path.Match] pattern.
func checkGlob(g string) error {
	switch {
	case g == "":
		return errors.New("empty pattern")
	case strings.HasPrefix(g, "/"):
		return errors.New("pattern is absolute")
	case strings.Contains(g, `\`):
		return errors.New("pattern has a backslash (use / and character classes)")
	}
	for _, seg := range strings.Split(g, "/") {
		switch seg {
		case "":
			return errors.New("pattern has an empty segment")
		case "**":
			continue
		case "..":
			return errors.New(`pattern has a ".." segment`)
		}
		if _, err := path.Match(seg, ""); err != nil {
			return err
		}
	}
	return nil
}

// matchGlob reports whether the slash-separated name matches pattern. Each
// pattern segment matches one name segment with [path.Match], except "**",
// which matches any number of segments, none included ("recipes/**/*.yaml"
// matches "recipes/a.yaml" and "recipes/x/y/a.yaml"). The pattern must have
// passed checkGlob.
func matchGlob(pattern, name string) bool {
	ps := strings.Split(pattern, "/")
	ns := strings.Split(name, "/")
	// memo[i][j]: 0 unknown, 1 false, 2 true. Patterns and paths are short,
	// but "**/**/**" must not explode.
	memo := make([][]uint8, len(ps)+1)
	for i := range memo {
		memo[i] = make([]uint8, len(ns)+1)
	}
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if i == len(ps) {
			return j == len(ns)
		}
		if m := memo[i][j]; m != 0 {
			return m == 2
		}
		res := false
		if ps[i] == "**" {
			for k := j; k <= len(ns) && !res; k++ {
				res = match(i+1, k)
			}
		} else if j < len(ns) {
			ok, _ := path.Match(ps[i], ns[j])
			res = ok && match(i+1, j+1)
		}
		memo[i][j] = 1
		if res {
			memo[i][j] = 2
		}
		return res
	}
	return match(0, 0)
}
