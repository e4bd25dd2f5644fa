// Package maxage is the one rule for the maximum age of evidence: how a
// maximum age is written (the --max-age flag, the action's max-age input, a
// policy's maxAge) and how two of them combine.
package maxage

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Parse parses a maximum age: a Go duration ("8760h") or whole days
// ("365d"); "0" (or "0d") disables the check.
func Parse(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("bad age %q: want e.g. 365d or 8760h", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad age %q: want e.g. 365d or 8760h", v)
	}
	return d, nil
}

// Stricter returns the stricter of two maximum ages, where 0 means none: a
// setting can tighten the age another allows, never loosen it.
func Stricter(a, b time.Duration) time.Duration {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}
