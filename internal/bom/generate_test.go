package bom_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/bom"
)

func TestFromRecipe(t *testing.T) {
	recipe, err := os.ReadFile("../../testdata/examples/inputs/h100-eks-ubuntu-training/recipe.yaml")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC)
	a, err := bom.FromRecipe(recipe, "h100-eks-ubuntu-training", at)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bom.FromRecipe(recipe, "h100-eks-ubuntu-training", at)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("same recipe gave two different BOMs")
	}
	doc, err := bom.Parse(a)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Components == nil || len(*doc.Components) != 3 {
		t.Fatalf("want the recipe's 3 componentRefs as components, got %v", doc.Components)
	}
	c := (*doc.Components)[1]
	if c.Name != "gpu-operator" || c.Version != "v25.10.1" || !strings.HasPrefix(c.PackageURL, "pkg:helm/gpu-operator@v25.10.1?repository_url=https") {
		t.Errorf("gpu-operator component = %+v", c)
	}
	s, err := bom.Summarize(a)
	if err != nil || s.ComponentCount != 3 {
		t.Fatalf("summary %+v, %v", s, err)
	}
	if doc.Metadata == nil || doc.Metadata.Timestamp != "2026-11-20T09:58:00Z" {
		t.Errorf("metadata timestamp = %+v", doc.Metadata)
	}
}

func TestFromRecipeRejects(t *testing.T) {
	for name, recipe := range map[string]string{
		"no refs":   "kind: RecipeResult\n",
		"nameless":  "componentRefs:\n  - version: v1\n",
		"duplicate": "componentRefs:\n  - name: a\n  - name: a\n",
		"not yaml":  "componentRefs: [\n",
	} {
		if _, err := bom.FromRecipe([]byte(recipe), "r", time.Unix(0, 0)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
