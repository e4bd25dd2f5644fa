package diff

import (
	"strings"
	"testing"
)

// A recipe file too large to parse within the run's bounds makes the plan
// undecided ("too large to verify"), never a recipe that cannot be read.
func TestPlanTooLargeToVerify(t *testing.T) {
	big := "kind: RecipeResult\nspec:\n  m: {" + strings.Repeat("k: 1, ", MaxDocNodes/3+1) + "z: 0}\n"
	head := MapTree{"recipes/big.yaml": []byte(big)}
	_, err := NewPlan([]Change{{Path: "recipes/big.yaml", Status: StatusAdded}}, head, Config{})
	if err == nil || !IsTooLarge(err) || !IsReadError(err) || !strings.Contains(err.Error(), "too large to verify") {
		t.Fatalf("err = %v, want a too-large-to-verify read error", err)
	}
}

func TestKeptNodesBudget(t *testing.T) {
	var b parseBudget
	if err := b.parse("a.yaml", []byte("a: 1\n")); err != nil {
		t.Fatal(err)
	}
	b.kept = MaxKeptNodes
	if err := b.keep("a.yaml", newMapping()); !IsTooLarge(err) {
		t.Fatalf("err = %v, want too large", err)
	}
}
