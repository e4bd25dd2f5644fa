package schema

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/aicr/verify-evidence/internal/strictjson"
)

// DimensionMatches is the per-dimension list of a criteria match. It marshals as a
// JSON array; it also reads the older object form {"service": {…}, …} that early
// AICR bundles wrote, taking the dimension name from the key.
type DimensionMatches []DimensionMatch

// UnmarshalJSON accepts both the list form and the older map form.
func (d *DimensionMatches) UnmarshalJSON(b []byte) error {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var m map[string]DimensionMatch
		if err := strictjson.Unmarshal(trimmed, &m); err != nil {
			return fmt.Errorf("criteriaMatch.perDimension (map form): %w", err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(DimensionMatches, 0, len(m))
		for _, k := range keys {
			e := m[k]
			if e.Dimension == "" {
				e.Dimension = k
			}
			out = append(out, e)
		}
		*d = out
		return nil
	}
	var list []DimensionMatch
	if err := strictjson.Unmarshal(trimmed, &list); err != nil {
		return fmt.Errorf("criteriaMatch.perDimension: %w", err)
	}
	*d = list
	return nil
}
