package bom

import (
	"bytes"
	"fmt"
	"net/url"
	"sort"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"go.yaml.in/yaml/v3"
)

// recipeRefs is the part of a recipe a generated BOM reads.
type recipeRefs struct {
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	ComponentRefs []struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
		Chart     string `yaml:"chart"`
		Type      string `yaml:"type"`
		Source    string `yaml:"source"`
		Version   string `yaml:"version"`
	} `yaml:"componentRefs"`
}

// FromRecipe generates a CycloneDX 1.6 JSON BOM from a recipe's componentRefs:
// one application component per ref, with a Helm package URL when the ref names
// a chart. The output depends only on the recipe, the name and the timestamp,
// so the same inputs give the same bytes.
func FromRecipe(recipeYAML []byte, name string, at time.Time) ([]byte, error) {
	var r recipeRefs
	if err := yaml.Unmarshal(recipeYAML, &r); err != nil {
		return nil, fmt.Errorf("recipe componentRefs: %w", err)
	}
	if len(r.ComponentRefs) == 0 {
		return nil, fmt.Errorf("recipe has no componentRefs to build a BOM from; pass --bom")
	}
	comps := make([]cdx.Component, 0, len(r.ComponentRefs))
	seen := map[string]bool{}
	for i, ref := range r.ComponentRefs {
		if ref.Name == "" {
			return nil, fmt.Errorf("recipe componentRefs[%d] has no name", i)
		}
		if seen[ref.Name] {
			return nil, fmt.Errorf("recipe componentRefs: %q listed twice", ref.Name)
		}
		seen[ref.Name] = true
		c := cdx.Component{BOMRef: ref.Name, Type: cdx.ComponentTypeApplication, Name: ref.Name, Version: ref.Version}
		if ref.Chart != "" && ref.Version != "" {
			c.PackageURL = "pkg:helm/" + url.PathEscape(ref.Chart) + "@" + url.PathEscape(ref.Version)
			if ref.Source != "" {
				c.PackageURL += "?repository_url=" + url.QueryEscape(ref.Source)
			}
		}
		var props []cdx.Property
		if ref.Namespace != "" {
			props = append(props, cdx.Property{Name: "aicr:namespace", Value: ref.Namespace})
		}
		if ref.Type != "" {
			props = append(props, cdx.Property{Name: "aicr:type", Value: ref.Type})
		}
		if len(props) > 0 {
			c.Properties = &props
		}
		comps = append(comps, c)
	}
	sort.SliceStable(comps, func(i, j int) bool { return comps[i].Name < comps[j].Name })
	doc := cdx.NewBOM()
	doc.SpecVersion = cdx.SpecVersion1_6
	doc.Version = 1
	doc.Metadata = &cdx.Metadata{
		Timestamp: at.UTC().Format(time.RFC3339),
		Component: &cdx.Component{Type: cdx.ComponentTypeApplication, Name: name, BOMRef: "recipe:" + name},
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "verify-evidence emit"}}},
	}
	doc.Components = &comps
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(doc, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("encode BOM: %w", err)
	}
	if _, err := Parse(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("generated BOM does not parse: %w", err)
	}
	return buf.Bytes(), nil
}
