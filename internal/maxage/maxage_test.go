package maxage

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	day := 24 * time.Hour
	for in, want := range map[string]time.Duration{"365d": 365 * day, "0": 0, "0d": 0, "720h": 30 * day, "90m": 90 * time.Minute} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1d", "1.5d", "forever", "-5h", "36501d", "d"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestStricter(t *testing.T) {
	h := time.Hour
	for _, c := range []struct{ a, b, want time.Duration }{{0, 0, 0}, {0, 5 * h, 5 * h}, {5 * h, 0, 5 * h}, {3 * h, 5 * h, 3 * h}, {5 * h, 3 * h, 3 * h}} {
		if got := Stricter(c.a, c.b); got != c.want {
			t.Errorf("Stricter(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
