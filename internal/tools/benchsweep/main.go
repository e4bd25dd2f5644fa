// Command benchsweep writes a synthetic recipes repository for the sweep
// benchmark (scripts/bench-sweep.sh): -n recipes (resolved recipes, the
// example h100 recipe under -n names), each with a signed bundle of the
// example inputs plus a generated logs/validation.log (internal/benchdata)
// of -log bytes, so that each bundle is about 1 MB; the trusted root of the
// test Sigstore instance that signed them and a policy trusting its signer
// are written beside the repository.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/benchdata"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
)

const policy = `schemaVersion: "1.0"
community:
  - label: bench
    issuer: https://token.actions.githubusercontent.com
    identityPattern: ^https://github\.com/acme-gpu/recipe-evidence/\.github/workflows/evidence\.yml@refs/heads/main$
`

func main() {
	n := flag.Int("n", 1000, "number of recipes")
	logSize := flag.Int64("log", 4600<<10, "bytes of generated log per bundle (4.6 MiB gives about 1 MB of gzip)")
	inputs := flag.String("inputs", "testdata/examples/inputs/h100-eks-ubuntu-training", "example inputs folder")
	out := flag.String("out", "", "output folder: repo/, trusted_root.json, policy.yaml")
	flag.Parse()
	if err := run(*n, *logSize, *inputs, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchsweep:", err)
		os.Exit(1)
	}
}

func run(n int, logSize int64, inputs, out string) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	inst, err := sigstoretest.New(sigstoretest.Options{Name: "bench", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		return err
	}
	tr, err := inst.TrustedRootJSON()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "repo", "recipes", "evidence"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "trusted_root.json"), tr, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "policy.yaml"), []byte(policy), 0o644); err != nil {
		return err
	}
	id := sigstoretest.GitHubActionsIdentity("acme-gpu/recipe-evidence", ".github/workflows/evidence.yml", "refs/heads/main", strings.Repeat("ab", 20), 1)
	attested := time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC)
	var mu sync.Mutex // the test Sigstore's log is sequential
	work := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				errs <- one(inst, &mu, id, attested, inputs, out, fmt.Sprintf("bench-%04d", i), logSize)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func one(inst *sigstoretest.Instance, mu *sync.Mutex, id sigstoretest.Identity, attested time.Time, inputs, out, name string, logSize int64) error {
	in, err := assemble.LoadInputs(inputs, name)
	if err != nil {
		return err
	}
	in.AttestedAt, in.AICRVersion = attested, "v0.18.0"
	in.Streams = []assemble.StreamFile{{Path: "logs/validation.log", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(benchdata.NewLog(logSize, benchdata.Seed)), nil
	}}}
	b, err := assemble.Build(in)
	if err != nil {
		return err
	}
	mu.Lock()
	att, err := inst.SignStatement(context.Background(), b.Statement, sigstoretest.SignOptions{Identity: id, Time: attested.Add(time.Minute)})
	mu.Unlock()
	if err != nil {
		return err
	}
	b.Attestation = att
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		return err
	}
	dir := filepath.Join(out, "repo", "recipes", "evidence", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "evidence-bundle.tar.gz"), buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "repo", "recipes", name+".yaml"), in.Recipe, 0o644)
}
