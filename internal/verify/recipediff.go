package verify

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// RecipeDifference is one path where two canonical recipes differ.
type RecipeDifference struct {
	Path string `json:"path"`
	// Want is the value in the recipe file given with --recipe; Got is the bundle's.
	Want string `json:"want"`
	Got  string `json:"got"`
}

// maxDifferences bounds the differences reported.
const maxDifferences = 50

// DiffRecipes lists the paths where two canonical recipe trees differ, in
// document order, at most maxDifferences of them.
func DiffRecipes(want, got *yaml.Node) []RecipeDifference {
	var out []RecipeDifference
	diffNode("", want, got, &out)
	return out
}

func diffNode(path string, a, b *yaml.Node, out *[]RecipeDifference) {
	if len(*out) >= maxDifferences {
		return
	}
	if a == nil || b == nil {
		if a != b {
			*out = append(*out, RecipeDifference{Path: orRoot(path), Want: describe(a), Got: describe(b)})
		}
		return
	}
	if a.Kind == yaml.DocumentNode && len(a.Content) == 1 {
		a = a.Content[0]
	}
	if b.Kind == yaml.DocumentNode && len(b.Content) == 1 {
		b = b.Content[0]
	}
	if a.Kind != b.Kind {
		*out = append(*out, RecipeDifference{Path: orRoot(path), Want: describe(a), Got: describe(b)})
		return
	}
	switch a.Kind {
	case yaml.MappingNode:
		av, bv := pairs(a), pairs(b)
		keys := mergedKeys(a, b)
		for _, k := range keys {
			diffNode(path+"."+k, av[k], bv[k], out)
		}
	case yaml.SequenceNode:
		n := max(len(a.Content), len(b.Content))
		for i := 0; i < n; i++ {
			var x, y *yaml.Node
			if i < len(a.Content) {
				x = a.Content[i]
			}
			if i < len(b.Content) {
				y = b.Content[i]
			}
			diffNode(path+"["+strconv.Itoa(i)+"]", x, y, out)
		}
	default:
		if a.Value != b.Value || a.Tag != b.Tag || a.Style != b.Style {
			*out = append(*out, RecipeDifference{Path: orRoot(path), Want: describe(a), Got: describe(b)})
		}
	}
}

func pairs(n *yaml.Node) map[string]*yaml.Node {
	m := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i+1]
	}
	return m
}

// mergedKeys returns the keys of both mappings in sorted order (both are canonical, hence sorted).
func mergedKeys(a, b *yaml.Node) []string {
	var out []string
	i, j := 0, 0
	for i < len(a.Content) || j < len(b.Content) {
		switch {
		case j >= len(b.Content) || (i < len(a.Content) && a.Content[i].Value < b.Content[j].Value):
			out = append(out, a.Content[i].Value)
			i += 2
		case i >= len(a.Content) || b.Content[j].Value < a.Content[i].Value:
			out = append(out, b.Content[j].Value)
			j += 2
		default:
			out = append(out, a.Content[i].Value)
			i, j = i+2, j+2
		}
	}
	return out
}

func describe(n *yaml.Node) string {
	if n == nil {
		return "(absent)"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return fmt.Sprintf("(mapping of %d keys)", len(n.Content)/2)
	case yaml.SequenceNode:
		return fmt.Sprintf("(list of %d)", len(n.Content))
	}
	v := n.Value
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		v = strconv.Quote(v)
	}
	if len(v) > 80 {
		v = v[:80] + "…"
	}
	return v
}

func orRoot(p string) string {
	if p == "" {
		return "(document)"
	}
	return p
}
