package schema

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

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

// AICRRecipeName is AICR's name for a recipe without metadata.name
// (RecipeNameFor at AICR 619cf930): the criteria accelerator, service, os,
// intent and platform that are neither empty nor "any", joined with "-"
// ("recipe" when none is), then "-<profile name>-<profile value>" in lower
// case when metadata.selectedProfile is set. A profile without a name or a
// value is an error, so two profile values never collapse onto one name.
func AICRRecipeName(c *CanonicalRecipe) (string, error) {
	var v struct {
		Criteria struct {
			Accelerator, Service, OS, Intent, Platform string
		} `yaml:"criteria"`
		Metadata struct {
			SelectedProfile *struct {
				Name  string `yaml:"name"`
				Value string `yaml:"value"`
			} `yaml:"selectedProfile"`
		} `yaml:"metadata"`
	}
	if c == nil || c.Root == nil {
		return "", errors.New("recipe name: no recipe")
	}
	if err := c.Root.Decode(&v); err != nil {
		return "", fmt.Errorf("recipe name: %w", err)
	}
	cr := v.Criteria
	var parts []string
	for _, p := range []string{cr.Accelerator, cr.Service, cr.OS, cr.Intent, cr.Platform} {
		if p != "" && p != "any" {
			parts = append(parts, p)
		}
	}
	name := "recipe"
	if len(parts) > 0 {
		name = strings.Join(parts, "-")
	}
	if p := v.Metadata.SelectedProfile; p != nil {
		if p.Name == "" || p.Value == "" {
			return "", errors.New("recipe name: metadata.selectedProfile needs a name and a value")
		}
		name += "-" + strings.ToLower(p.Name) + "-" + strings.ToLower(p.Value)
	}
	return name, nil
}
