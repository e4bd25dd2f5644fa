package comment_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/comment"
	"github.com/aicr/verify-evidence/internal/policy"
	"github.com/aicr/verify-evidence/internal/testutil"
	"github.com/aicr/verify-evidence/internal/trust"
	"github.com/aicr/verify-evidence/internal/verify"
)

// exampleVerifier verifies the shipped example bundles offline.
func exampleVerifier(t testing.TB) *verify.Verifier {
	t.Helper()
	examples := filepath.Join(testutil.RepoRoot(t), "testdata", "examples")
	tr, err := trust.FromFile(filepath.Join(examples, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	pb, err := os.ReadFile(filepath.Join(examples, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse(pb)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(verify.Config{Trust: tr, Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func exampleBundle(t testing.TB, recipe string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "testdata", "examples", recipe, "evidence-bundle.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rewriteMember returns the bundle with one member's bytes changed after signing.
func rewriteMember(t testing.TB, bundle []byte, name string, edit func([]byte) []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(bundle))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			body = edit(body)
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// exampleReport is the report the action builds for a PR that changes three
// recipes: one with a genuine passing bundle, one whose bundle had a CTRF report
// edited after signing (invalid: its phases must not show as verified), and an
// overlay with a hostile name and no bundle.
func exampleReport(t testing.TB) *comment.Report {
	t.Helper()
	v := exampleVerifier(t)
	ctx := context.Background()
	good := v.Verify(ctx, bytes.NewReader(exampleBundle(t, "h100-eks-ubuntu-training")), verify.Options{Name: "recipes/evidence/h100-eks-ubuntu-training/evidence-bundle.tar.gz"})
	if good.Verdict != verify.VerdictPassed {
		t.Fatalf("the shipped example must pass: %s", good.Summary)
	}
	tampered := rewriteMember(t, exampleBundle(t, "h200-oke-ubuntu-inference"), "ctrf/performance.json", func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"passed"`), []byte(`"failed"`), 1)
	})
	bad := v.Verify(ctx, bytes.NewReader(tampered), verify.Options{Name: "recipes/evidence/h200-oke-ubuntu-inference/evidence-bundle.tar.gz"})
	if bad.Verdict != verify.VerdictInvalid {
		t.Fatalf("a CTRF report edited after signing must be invalid, got %s: %s", bad.Verdict, bad.Summary)
	}
	// An AICR pointer file (issue 9): the same verified evidence, pulled
	// from a registry, signed on an instance without a CT log.
	pulled := *good
	sig := *good.Signature
	sig.SCTIgnored = true
	pulled.Signature = &sig
	logIndex := int64(101)
	r := &comment.Report{Repository: "NVIDIA/aicr", PR: 412, HeadSHA: strings.Repeat("c0ffee", 7)[:40], RunURL: runURL,
		Rows: []comment.Row{
			{Recipe: "h100-eks-ubuntu-training", RecipePath: "recipes/h100-eks-ubuntu-training.yaml", BundlePath: "recipes/evidence/h100-eks-ubuntu-training/evidence-bundle.tar.gz",
				Reason: "recipe changed", Outcome: comment.OutcomeVerified, Verdict: good.Verdict, Result: good,
				Match: &comment.RecipeMatch{Kind: "resolved", Match: true, Summary: "the bundle's recipe is the PR's recipe (canonical digest equal)"}},
			{Recipe: "h200-oke-ubuntu-inference", RecipePath: "recipes/h200-oke-ubuntu-inference.yaml", BundlePath: "recipes/evidence/h200-oke-ubuntu-inference/evidence-bundle.tar.gz",
				Reason: "bundle changed", Outcome: comment.OutcomeVerified, Verdict: bad.Verdict, Result: bad,
				Match: &comment.RecipeMatch{Kind: "overlay", Match: false, Summary: "2 paths differ", Differences: []comment.Difference{
					{Path: "spec.components[gpu-operator].version", PRSays: "v25.3.1", BundleSays: "v25.3.0", SetBy: "recipes/overlays/h200.yaml"},
					{Path: "spec.validation.performance.checks[0]", PRSays: "nccl-all-reduce-bw", BundleSays: "<absent>"},
				}}},
			{Recipe: "Evil_Name <b>@octocat</b>", RecipePath: "recipes/overlays/evil.yaml", Reason: "overlay changed; its metadata.name is not a recipe name",
				Outcome: comment.OutcomeMissing, Verdict: verify.VerdictPassed},
			{Recipe: "gb200-eks-ubuntu-training", RecipePath: "recipes/gb200-eks-ubuntu-training.yaml",
				PointerPath: "recipes/evidence/gb200-eks-ubuntu-training/058861a7ee8536cddd20f3c5a1e98b12/sha256-addd96562f556d03ae587b8397601b879fff3bbc8586970e5b6273ef46db4026.yaml",
				Reason:      "pointer file added", Outcome: comment.OutcomeVerified, Verdict: pulled.Verdict, Result: &pulled,
				Pointer: &comment.PointerInfo{Source: "058861a7ee8536cddd20f3c5a1e98b12", Identity: sig.Identity, Issuer: sig.Issuer,
					OCI: "ghcr.io/nvidia/aicr-evidence:gb200-eks-ubuntu-training-35ac98ecb1ae", Digest: "sha256:addd96562f556d03ae587b8397601b879fff3bbc8586970e5b6273ef46db4026", RekorLogIndex: &logIndex},
				Match: &comment.RecipeMatch{Kind: "resolved", Match: true, Summary: "the bundle's recipe is the PR's recipe (canonical digest equal)"}},
		},
		Notes: []string{"1 file ignored: recipes/README.md is not a recipe"},
	}
	r.Tally()
	return r
}
