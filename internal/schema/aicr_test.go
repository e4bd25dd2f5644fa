package schema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// aicrPredicate returns the predicate type and JSON of a shipped AICR bundle.
func aicrPredicate(t *testing.T, bundle string) (string, []byte) {
	t.Helper()
	dir := testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/"+bundle+"/summary-bundle")
	raw, err := os.ReadFile(filepath.Join(dir, "statement.intoto.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := schema.ParseStatement(raw)
	if err != nil {
		t.Fatal(err)
	}
	pj, err := schema.PredicateJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return st.GetPredicateType(), pj
}

func TestAICRPredicatesValidateInTheirDialect(t *testing.T) {
	v, err := schema.NewPredicateValidator()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"v1-eks-minimal", "v1-eks-full", "v1-eks-failed-phase", "v2-aks-profile-minimal", "cli-publish-nosign", "v1-eks-signed-pushed"} {
		ptype, pj := aicrPredicate(t, b)
		if !schema.IsAcceptedPredicateType(ptype) {
			t.Errorf("%s: predicate type %s not accepted", b, ptype)
		}
		d := schema.PredicateDialect(ptype, pj)
		if d != schema.DialectAICR {
			t.Errorf("%s: dialect %s, want aicr", b, d)
		}
		if err := v.ValidateAs(d, pj); err != nil {
			t.Errorf("%s: %v", b, err)
		}
		// The format's own schema keeps its rules: AICR records no pending/other.
		if err := v.Validate(pj); err == nil || !strings.Contains(err.Error(), "pending") {
			t.Errorf("%s: format-v1 schema: %v, want missing pending", b, err)
		}
		p, err := schema.DecodePredicate(pj)
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.CheckAICRTypeRules(ptype, p); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
}

func TestAICRDialectRules(t *testing.T) {
	v, err := schema.NewPredicateValidator()
	if err != nil {
		t.Fatal(err)
	}
	ptype, pj := aicrPredicate(t, "v2-aks-profile-minimal")
	if ptype != schema.PredicateTypeAICRV2 {
		t.Fatalf("type %s", ptype)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"redaction version outside v1..v4", `"version":"v2"`, `"version":"v9"`, "/redaction/version"},
		{"bom without imageCount", `"imageCount":17`, `"images":17`, "imageCount"},
		{"profile without identity", `"policyDescriptorIdentity"`, `"policyDescriptor"`, "policyDescriptorIdentity"},
		{"phase without skipped", `"skipped":1`, `"skip":1`, "skipped"},
	} {
		mod := strings.Replace(string(pj), tc.from, tc.to, 1)
		if mod == string(pj) {
			t.Fatalf("%s: %q not in the predicate", tc.name, tc.from)
		}
		if err := v.ValidateAs(schema.DialectAICR, []byte(mod)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a violation naming %s", tc.name, err, tc.want)
		}
	}
	p, err := schema.DecodePredicate(pj)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.CheckAICRTypeRules(schema.PredicateTypeV1, p); err == nil {
		t.Error("v1 with a profile block accepted")
	}
	p.Profile = nil
	if err := schema.CheckAICRTypeRules(schema.PredicateTypeAICRV2, p); err == nil {
		t.Error("v2 without a profile block accepted")
	}
	if err := schema.CheckAICRTypeRules(schema.PredicateTypeAICRV3, p); err != nil {
		t.Errorf("v3 without a profile block: %v", err)
	}
}

func TestPredicateDialectOfOwnFormat(t *testing.T) {
	pj := []byte(`{"bom":{"format":"CycloneDX","componentCount":3,"imageCount":3}}`)
	if d := schema.PredicateDialect(schema.PredicateTypeV1, pj); d != schema.DialectV1 {
		t.Errorf("componentCount present: dialect %s, want format-v1", d)
	}
	if d := schema.PredicateDialect(schema.PredicateTypeAICRV3, pj); d != schema.DialectAICR {
		t.Errorf("v3: dialect %s, want aicr", d)
	}
}

func TestRecipeDigestV3(t *testing.T) {
	digest := func(y string) string {
		c, err := schema.Canonical([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		return c.Digest
	}
	v3 := func(y string) string {
		c, err := schema.Canonical([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		d, err := schema.RecipeDigestFor(c, schema.PredicateTypeAICRV3)
		if err != nil {
			t.Fatal(err)
		}
		if legacy, _ := schema.RecipeDigestFor(c, schema.PredicateTypeAICRV2); legacy != c.Digest {
			t.Errorf("v2 digest %s is not the §3 digest %s", legacy, c.Digest)
		}
		return d
	}
	for _, tc := range []struct{ name, recipe, same string }{
		{"version dropped, name kept", "kind: RecipeResult\nmetadata:\n  version: v0.19.0\n  name: x\n", "kind: RecipeResult\nmetadata:\n  name: x\n"},
		{"empty metadata dropped", "kind: RecipeResult\nmetadata:\n  version: v0.19.0\n", "kind: RecipeResult\n"},
		{"no metadata.version: §3 digest", "kind: RecipeResult\nspec:\n  version: 3\n", "kind: RecipeResult\nspec:\n  version: 3\n"},
		{"nested version kept", "kind: RecipeResult\nspec:\n  metadata:\n    version: 1\n", "kind: RecipeResult\nspec:\n  metadata:\n    version: 1\n"},
	} {
		if got, want := v3(tc.recipe), digest(tc.same); got != want {
			t.Errorf("%s: v3 digest %s, want %s (the digest of the recipe without metadata.version)", tc.name, got, want)
		}
	}
	// The tree of the canonical recipe is not changed by the v3 digest.
	c, _ := schema.Canonical([]byte("kind: RecipeResult\nmetadata:\n  version: v1\n"))
	_, _ = schema.RecipeDigestFor(c, schema.PredicateTypeAICRV3)
	if again, _ := schema.RecipeDigestFor(c, schema.PredicateTypeAICRV3); again != digest("kind: RecipeResult\n") {
		t.Error("v3 digest is not repeatable")
	}
}

// AICR's recipe naming rule gives the names AICR's own tool gave the shipped
// bundles' recipes.
func TestAICRRecipeName(t *testing.T) {
	for bundle, want := range map[string]string{
		"v1-eks-minimal":         "h100-eks-ubuntu-training",
		"v2-aks-profile-minimal": "h100-aks-ubuntu-training-gpustack-azure-managed",
	} {
		raw, err := os.ReadFile(filepath.Join(testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/"+bundle+"/summary-bundle"), "recipe.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := schema.Canonical(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := schema.AICRRecipeName(c); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", bundle, got, err, want)
		}
	}
	for y, want := range map[string]string{
		"kind: RecipeResult\ncriteria:\n  accelerator: any\n  service: ''\n":               "recipe",
		"kind: RecipeResult\ncriteria:\n  service: gke\n  platform: slurm\n":               "gke-slurm",
		"kind: RecipeResult\nmetadata:\n  selectedProfile:\n    name: A\n    value: B-C\n": "recipe-a-b-c",
	} {
		c, err := schema.Canonical([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := schema.AICRRecipeName(c); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", y, got, err, want)
		}
	}
	c, _ := schema.Canonical([]byte("kind: RecipeResult\nmetadata:\n  selectedProfile:\n    name: gpuStack\n"))
	if _, err := schema.AICRRecipeName(c); err == nil {
		t.Error("a profile without a value named the recipe")
	}
}
