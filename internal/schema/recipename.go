package schema

import "regexp"

// recipeNameRE is the recipe name rule of format v1 §5 (also in the JSON Schema).
var recipeNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$`)

// ValidRecipeName reports whether s is a valid recipe (and overlay) name:
// lowercase letters, digits, '.', '_', '-', starting and ending with a letter
// or digit, at most 128 bytes (format v1 §5). Only such names become paths.
func ValidRecipeName(s string) bool { return recipeNameRE.MatchString(s) }

// RecipeHeader is the kind and metadata.name of a recipe document.
type RecipeHeader struct {
	Kind string `yaml:"kind"`
	Name string
}

// Header reads kind and metadata.name from the canonical tree ("" when absent).
func (c *CanonicalRecipe) Header() RecipeHeader {
	var v struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	}
	if c == nil || c.Root == nil || c.Root.Decode(&v) != nil {
		return RecipeHeader{}
	}
	return RecipeHeader{Kind: v.Kind, Name: v.Metadata.Name}
}
