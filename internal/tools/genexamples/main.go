// Command genexamples writes the signed example bundles under testdata/examples
// and the trusted_root.json of the test Sigstore instance that signed them.
//
// Run it with `go generate ./...` from the repository root. The bundles stay valid
// indefinitely: verification uses the log's signed time, never the clock. Each run
// makes a new Sigstore instance (new keys), so rerun it only when the inputs or the
// format change, and commit the bundles together with their trusted root.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
)

// Example signer: a GitHub Actions workflow of a contributor's repository.
const (
	signerRepo     = "acme-gpu/recipe-evidence"
	signerWorkflow = ".github/workflows/evidence.yml"
	signerRef      = "refs/heads/main"
	signerSHA      = "3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a"
	signerRunID    = 12345678901
)

// example is one bundle to generate from testdata/examples/inputs/<name>.
type example struct {
	name       string
	attestedAt time.Time
	signedAt   time.Time
	signed     bool
}

func main() {
	out := flag.String("out", "testdata/examples", "output folder (inputs are read from OUT/inputs)")
	flag.Parse()
	if err := run(context.Background(), *out); err != nil {
		fmt.Fprintln(os.Stderr, "genexamples:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out string) error {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	inst, err := sigstoretest.New(sigstoretest.Options{Name: "verify-evidence-examples", Start: start})
	if err != nil {
		return err
	}
	trJSON, err := inst.TrustedRootJSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "trusted_root.json"), append(trJSON, '\n'), 0o644); err != nil {
		return err
	}
	examples := []example{
		{name: "h100-eks-ubuntu-training", attestedAt: time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC), signedAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), signed: true},
		{name: "h200-oke-ubuntu-inference", attestedAt: time.Date(2026, 11, 21, 14, 2, 0, 0, time.UTC), signedAt: time.Date(2026, 11, 21, 14, 3, 0, 0, time.UTC), signed: true},
	}
	id := sigstoretest.GitHubActionsIdentity(signerRepo, signerWorkflow, signerRef, signerSHA, signerRunID)
	for _, ex := range examples {
		b, err := build(filepath.Join(out, "inputs", ex.name), ex)
		if err != nil {
			return fmt.Errorf("%s: %w", ex.name, err)
		}
		if ex.signed {
			if err := b.Sign(ctx, signer{inst: inst, opts: sigstoretest.SignOptions{Identity: id, Time: ex.signedAt}}); err != nil {
				return fmt.Errorf("%s: %w", ex.name, err)
			}
		}
		var buf bytes.Buffer
		if err := b.Write(&buf); err != nil {
			return fmt.Errorf("%s: %w", ex.name, err)
		}
		dir := filepath.Join(out, ex.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "evidence-bundle.tar.gz"), buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Printf("wrote %s (%d bytes, recipe digest %s)\n", filepath.Join(dir, "evidence-bundle.tar.gz"), buf.Len(), b.Predicate.Recipe.Digest)
	}
	return nil
}

type signer struct {
	inst *sigstoretest.Instance
	opts sigstoretest.SignOptions
}

func (s signer) SignStatement(ctx context.Context, stmt []byte) ([]byte, error) {
	return s.inst.SignStatement(ctx, stmt, s.opts)
}

func build(dir string, ex example) (*assemble.Bundle, error) {
	in, err := assemble.LoadInputs(dir, ex.name)
	if err != nil {
		return nil, err
	}
	in.AttestedAt = ex.attestedAt
	in.AICRVersion = "v0.18.0"
	in.ValidatorCatalogVersion = "v0.18.0"
	in.ValidatorImages = []schema.ValidatorImage{
		{Image: "ghcr.io/nvidia/aicr-validators/performance:v0.18.0"},
		{Image: "ghcr.io/nvidia/aicr-validators/deployment:v0.18.0"},
		{Image: "ghcr.io/nvidia/aicr-validators/conformance:v0.18.0"},
	}
	return assemble.Build(in)
}
