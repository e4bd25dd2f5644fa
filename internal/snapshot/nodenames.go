package snapshot

import (
	"strings"

	"github.com/aicr/verify-evidence/internal/fingerprint"
)

// NodeNames returns the node names of a raw snapshot, once each, in the
// order found: the keys of NodeTopology.nodes ("<node name>.<field>") and
// the node lists of the NodeTopology label and taint subtypes in AICR's
// encoding ("…|<node>,<node>", possibly ending " (+N more)"). Minimal
// redaction scrubs them wherever they appear (scrub.WithNodeNames).
func NodeNames(s *fingerprint.Snapshot) []string {
	if s == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if n = strings.TrimSpace(n); n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, m := range s.Measurements {
		if m.Type != "NodeTopology" {
			continue
		}
		for _, st := range m.Subtypes {
			switch st.Subtype {
			case "nodes":
				for k := range st.Data {
					if i := strings.LastIndexByte(k, '.'); i > 0 {
						add(k[:i])
					}
				}
			case "label", "taint":
				for _, v := range st.Data {
					str, _ := v.(string)
					i := strings.LastIndexByte(str, '|')
					if i < 0 {
						continue
					}
					list := str[i+1:]
					if m := moreRE.FindStringIndex(list); m != nil {
						list = list[:m[0]]
					}
					for _, n := range strings.Split(list, ",") {
						add(n)
					}
				}
			}
		}
	}
	return out
}
