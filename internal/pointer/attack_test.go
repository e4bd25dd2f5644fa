package pointer_test

// Adversarial review of AICR compatibility (issue 9), pointer files. New
// file only: a TestAICRAttack… that fails now exposes a weakness.

import (
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/pointer"
)

// Attack (layout check skipped by nesting): CheckPath recognises AICR's
// layout only when "recipes/evidence" sits exactly 4 (or 2) segments above
// the file. A signed pointer filed one level deeper,
// recipes/evidence/<recipe>/<another signer's source slug>/x/sha256-<hex>.yaml,
// or with an empty segment (recipes/evidence//<recipe>/…), is "not in the
// layout" and not checked at all: checked=false, err=nil.
//
// Gain: a pointer can sit under another signer's source directory (or
// another recipe's directory) of the evidence tree, which is how a reader
// of the repository attributes evidence, and `verify` still passes it with
// the path check silently skipped. Fix: any path with a "recipes/evidence"
// prefix (after path.Clean, and refusing empty or dot segments) must be
// exactly one of the two layouts.
func TestAICRAttackNestedPointerPathSkipsLayoutCheck(t *testing.T) {
	p, err := pointer.Parse(shipped(t, "v1-eks-signed-pushed"))
	if err != nil {
		t.Fatal(err)
	}
	good := p.Path()
	if checked, err := p.CheckPath(good); !checked || err != nil {
		t.Fatalf("%s: checked %v, %v", good, checked, err)
	}
	other := strings.Repeat("0", 32)
	file := strings.Replace(p.Attestation().Bundle.Digest, ":", "-", 1) + ".yaml"
	// Defence that holds: the wrong source slug at the layout's depth.
	if checked, err := p.CheckPath("recipes/evidence/" + p.Recipe + "/" + other + "/" + file); !checked || err == nil {
		t.Errorf("wrong source slug: checked %v, err %v; want refused", checked, err)
	}
	for _, bad := range []string{
		"recipes/evidence/" + p.Recipe + "/" + other + "/nested/" + file,
		"recipes/evidence/h200-eks-ubuntu-training/" + other + "/nested/" + file,
		"recipes/evidence//" + p.Recipe + "/" + other + "/" + file,
		"recipes/evidence/" + p.Recipe + "/" + other + "/./" + file,
	} {
		checked, err := p.CheckPath(bad)
		if !checked || err == nil {
			t.Errorf("%s: checked %v, err %v; want a refused path", bad, checked, err)
		}
	}
}

// Defences that hold: duplicate keys, unknown keys, a second document,
// two attestations, a v2 pointer without profile.
func TestAICRAttackPointerStrictness(t *testing.T) {
	base := string(shipped(t, "v1-eks-signed-pushed"))
	for name, s := range map[string]string{
		"duplicate recipe key":    base + "recipe: h200-eks-ubuntu-training\n",
		"duplicate nested key":    strings.Replace(base, "      issuer: https://oidc.fake-sigstore.invalid\n", "      issuer: https://oidc.fake-sigstore.invalid\n      issuer: https://token.actions.githubusercontent.com\n", 1),
		"unknown key":             strings.Replace(base, "recipe:", "extra: 1\nrecipe:", 1),
		"second document":         base + "---\nrecipe: x\n",
		"v2 without profile":      strings.Replace(base, "recipe-evidence/v1", "recipe-evidence/v2", 1),
		"profile on v1":           base + "profile: gpuStack=x\n",
		"digest upper-case":       strings.Replace(base, "sha256:addd", "sha256:ADDD", 1),
		"signer without identity": strings.Replace(base, "      identity: https://github.com/fake-org/fake-aicr/.github/workflows/evidence-publish.yaml@refs/heads/main\n", "", 1),
	} {
		if s == base {
			t.Fatalf("%s: edit changed nothing", name)
		}
		if _, err := pointer.Parse([]byte(s)); err == nil {
			t.Errorf("%s: parsed, want refused", name)
		}
	}
}

// A case variant of recipes/evidence/ (the same folder on a case-insensitive
// file system) is refused, not left unchecked.
func TestPointerPathCaseVariantRefused(t *testing.T) {
	p, err := pointer.Parse(shipped(t, "v1-eks-signed-pushed"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{strings.Replace(p.Path(), "recipes/evidence/", "Recipes/Evidence/", 1), strings.Replace(p.Path(), "evidence/", "EVIDENCE/", 1)} {
		if checked, err := p.CheckPath(bad); !checked || err == nil {
			t.Errorf("%s: checked %v, err %v; want refused", bad, checked, err)
		}
	}
}
