// Command benchbundle writes a large signed evidence bundle for the verification
// benchmark (scripts/bench-verify.sh): the example h100 inputs plus one big
// logs/validation.log of generated log lines, listed in the manifest, signed by
// a fresh test Sigstore instance whose trusted_root.json is written beside it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aicr/verify-evidence/internal/assemble"
	"github.com/aicr/verify-evidence/internal/benchdata"
	"github.com/aicr/verify-evidence/internal/sigstoretest"
)

func main() {
	size := flag.String("size", "1GiB", "size of logs/validation.log (KiB, MiB, GiB suffixes)")
	inputs := flag.String("inputs", "testdata/examples/inputs/h100-eks-ubuntu-training", "example inputs folder")
	out := flag.String("out", "", "output folder (evidence-bundle.tar.gz, trusted_root.json)")
	flag.Parse()
	if err := run(*size, *inputs, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchbundle:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	units := map[string]int64{"GiB": 1 << 30, "MiB": 1 << 20, "KiB": 1 << 10, "": 1}
	for suf, mul := range units {
		if suf != "" && strings.HasSuffix(s, suf) {
			var n int64
			if _, err := fmt.Sscan(strings.TrimSuffix(s, suf), &n); err != nil {
				return 0, fmt.Errorf("bad size %q", s)
			}
			return n * mul, nil
		}
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n, nil
}

func run(sizeArg, inputs, out string) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	size, err := parseSize(sizeArg)
	if err != nil {
		return err
	}
	in, err := assemble.LoadInputs(inputs, "h100-eks-ubuntu-training")
	if err != nil {
		return err
	}
	attested := time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC)
	in.AttestedAt, in.AICRVersion = attested, "v0.18.0"
	in.Streams = []assemble.StreamFile{{Path: "logs/validation.log", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(benchdata.NewLog(size, benchdata.Seed)), nil
	}}}
	b, err := assemble.Build(in)
	if err != nil {
		return err
	}
	inst, err := sigstoretest.New(sigstoretest.Options{Name: "bench", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		return err
	}
	id := sigstoretest.GitHubActionsIdentity("acme-gpu/recipe-evidence", ".github/workflows/evidence.yml", "refs/heads/main", strings.Repeat("ab", 20), 1)
	att, err := inst.SignStatement(context.Background(), b.Statement, sigstoretest.SignOptions{Identity: id, Time: attested.Add(time.Minute)})
	if err != nil {
		return err
	}
	b.Attestation = att
	tr, err := inst.TrustedRootJSON()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "trusted_root.json"), tr, 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(out, "evidence-bundle.tar.gz"))
	if err != nil {
		return err
	}
	if err := b.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
