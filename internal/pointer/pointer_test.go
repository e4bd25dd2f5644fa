package pointer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/pointer"
	"github.com/aicr/verify-evidence/internal/testutil"
)

func shipped(t *testing.T, bundle string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testutil.SharedTestdata(t, "aicr-upstream-bundles/bundles/"+bundle), "pointer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseShippedPointers(t *testing.T) {
	signed, err := pointer.Parse(shipped(t, "v1-eks-signed-pushed"))
	if err != nil {
		t.Fatal(err)
	}
	a := signed.Attestation()
	if signed.Pending() || a.Signer == nil || a.Signer.RekorLogIndex == nil || *a.Signer.RekorLogIndex != 101 || a.AttestedAt != "2026-12-04T21:40:33Z" ||
		a.Bundle.Digest != "sha256:addd96562f556d03ae587b8397601b879fff3bbc8586970e5b6273ef46db4026" {
		t.Errorf("signed pointer %+v", signed)
	}
	unsigned, err := pointer.Parse(shipped(t, "cli-publish-nosign"))
	if err != nil || unsigned.Pending() || unsigned.Attestation().Signer != nil {
		t.Errorf("unsigned pushed pointer: %+v, %v", unsigned, err)
	}
	pending, err := pointer.Parse(shipped(t, "v1-eks-minimal"))
	if err != nil || !pending.Pending() {
		t.Errorf("pending pointer: %+v, %v", pending, err)
	}
	// AICR's repository layout: <recipe>/<source>/sha256-<hex>.yaml.
	good := "recipes/evidence/h100-eks-ubuntu-training/058861a7ee8536cddd20f3c5a1e98b12/sha256-addd96562f556d03ae587b8397601b879fff3bbc8586970e5b6273ef46db4026.yaml"
	if signed.Path() != good || pending.Path() != "recipes/evidence/h100-eks-ubuntu-training.yaml" {
		t.Errorf("Path() = %s, %s", signed.Path(), pending.Path())
	}
	if checked, err := signed.CheckPath(good); !checked || err != nil {
		t.Errorf("CheckPath(%s) = %v, %v", good, checked, err)
	}
	for _, bad := range []string{
		strings.Replace(good, "h100-eks-ubuntu-training", "h200-eks-ubuntu-training", 1),
		strings.Replace(good, "058861a7", "158861a7", 1),
		strings.Replace(good, "sha256-addd", "sha256-bddd", 1),
		"recipes/evidence/h100-eks-ubuntu-training.yaml",
	} {
		if checked, err := signed.CheckPath(bad); !checked || err == nil {
			t.Errorf("CheckPath(%s) = %v, %v; want refused", bad, checked, err)
		}
	}
	if checked, err := pending.CheckPath("recipes/evidence/h100-eks-ubuntu-training.yaml"); !checked || err != nil {
		t.Errorf("flat pending pointer: %v, %v", checked, err)
	}
	if checked, _ := signed.CheckPath("pointer.yaml"); checked {
		t.Error("a path outside recipes/evidence was checked")
	}
}

func TestParseRefuses(t *testing.T) {
	base := string(shipped(t, "v1-eks-signed-pushed"))
	for name, tc := range map[string]struct{ from, to, want string }{
		"unknown key":        {"recipe: h100", "recipes: x\nrecipe: h100", "recipes"},
		"duplicate key":      {"recipe: h100", "recipe: x\nrecipe: h100", "already defined"},
		"schema 2":           {"schemaVersion: 1.0.0", "schemaVersion: 2.0.0", "schemaVersion"},
		"tag-less oci":       {"aicr-evidence:h100-eks-ubuntu-training-35ac98ecb1ae", "aicr-evidence", "bundle.oci"},
		"digest not pinned":  {"digest: sha256:addd", "digest: sha512:addd", "bundle.digest"},
		"signer without iss": {"      issuer: https://oidc.fake-sigstore.invalid\n", "", "identity and issuer"},
		"unknown type":       {"recipe-evidence/v1", "recipe-evidence/v9", "predicateType"},
		"v2 without profile": {"recipe-evidence/v1", "recipe-evidence/v2", "profile"},
	} {
		mod := strings.Replace(base, tc.from, tc.to, 1)
		if mod == base {
			t.Fatalf("%s: %q not found", name, tc.from)
		}
		if _, err := pointer.Parse([]byte(mod)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", name, err, tc.want)
		}
	}
}

// Our pointer writer gives the bytes AICR's code wrote for the shipped pointers.
func TestMarshalIsAICRs(t *testing.T) {
	for _, b := range []string{"v1-eks-signed-pushed", "cli-publish-nosign", "v1-eks-minimal", "v2-aks-profile-minimal"} {
		raw := shipped(t, b)
		p, err := pointer.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		got, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(raw) {
			t.Errorf("%s: marshalled\n%s\nAICR wrote\n%s", b, got, raw)
		}
	}
}
