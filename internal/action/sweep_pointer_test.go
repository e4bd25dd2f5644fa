package action_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/oci/ocitest"
	"github.com/aicr/verify-evidence/internal/testutil"
)

// issue 11 + 9: sweep mode verifies AICR pointer files with the action's
// registry inputs (registry-plain-http, insecure-ignore-sct): the shipped
// signed pointer passes, pulled from the loopback registry it names; the
// second run answers from the cache in the sweep folder.
func TestSweepModeAICRPointer(t *testing.T) {
	ocitest.Start(t, aicrRegistry)
	ocitest.PushLayout(t, testutil.SharedTestdata(t, "aicr-upstream-bundles/registry/oci-layout-aicr-evidence"), aicrRegistry, "aicr-evidence")
	srv := newServer(t)
	srv.AddRepo(e2eRepo, false)
	ws := t.TempDir()
	recipe := aicrRecipeFile(t)
	p, signed := aicrPointer(t, "v1-eks-signed-pushed")
	root, err := os.ReadFile(testutil.SharedTestdata(t, "aicr-upstream-bundles/trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	for path, b := range map[string][]byte{recipe.Path: recipe.Content, p: signed, "aicr_root.json": root} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(ws, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ws, path), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := aicrInputs(aicrRegistry)
	delete(in, "report-path")
	in["trusted-root"] = "aicr_root.json"
	first := runSweepMode(t, srv, ws, in)
	if first.code != 0 || first.outputs["verdict"] != "passed" || first.outputs["passed"] != "1" || first.outputs["missing"] != "0" {
		t.Fatalf("first sweep: exit %d, outputs %v\n%s", first.code, first.outputs, first.stdout)
	}
	if !strings.Contains(first.summary, p) || !strings.Contains(first.stdout, "(1 verified, 0 from the cache)") {
		t.Errorf("first sweep: the pointer is not in the summary, or not verified:\n%s\n%s", first.summary, first.stdout)
	}
	second := runSweepMode(t, srv, ws, in)
	if second.outputs["verdict"] != "passed" || !strings.Contains(second.stdout, "(0 verified, 1 from the cache)") {
		t.Errorf("second sweep: outputs %v\n%s", second.outputs, second.stdout)
	}
	// Without the opt-out the signature is invalid (the test Sigstore has no CT log).
	delete(in, "insecure-ignore-sct")
	if strict := runSweepMode(t, srv, ws, in); strict.outputs["verdict"] != "invalid" {
		t.Errorf("without insecure-ignore-sct: outputs %v\n%s", strict.outputs, strict.stdout)
	}
}
