package verify

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aicr/verify-evidence/internal/strictjson"
)

// jsonUnmarshal is the strict JSON reader (internal/strictjson): every JSON the
// verdict reads goes through it.
func jsonUnmarshal(b []byte, v any) error { return strictjson.Unmarshal(b, v) }

// short abbreviates a hex digest (with or without its "sha256:" prefix) for one-line messages.
func short(d string) string {
	prefix := ""
	if strings.HasPrefix(d, "sha256:") {
		prefix, d = "sha256:", d[len("sha256:"):]
	}
	if len(d) > 12 {
		d = d[:12] + "…"
	}
	return prefix + d
}

// quote quotes an attacker-controlled name so that it stays on one line.
func quote(s string) string { return strconv.Quote(s) }

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
