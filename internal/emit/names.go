package emit

import (
	"regexp"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/aicr/verify-evidence/internal/schema"
)

var recipeNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$`)

func validName(s string) bool { return recipeNameRE.MatchString(s) }

// metadataName returns metadata.name of a canonical recipe, if it has one.
func metadataName(c *schema.CanonicalRecipe) string {
	root := c.Root
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "metadata" || root.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		md := root.Content[i+1]
		for j := 0; j+1 < len(md.Content); j += 2 {
			if md.Content[j].Value == "name" && md.Content[j+1].Kind == yaml.ScalarNode {
				return md.Content[j+1].Value
			}
		}
	}
	return ""
}

func sortedUnique(s []string) []string {
	m := map[string]bool{}
	var out []string
	for _, v := range s {
		if !m[v] {
			m[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}
