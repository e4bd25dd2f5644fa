// Command emit packages the evidence of an AICR recipe validation into a signed
// evidence-bundle.tar.gz (format v1, docs/bundle-format.md): canonical recipe,
// cluster snapshot (client-go + NVML), CTRF test reports and a CycloneDX BOM,
// in an in-toto Statement signed keyless with Sigstore.
//
// It is its own binary, built with cgo where NVML is used; the verifier stays a
// static binary that never links NVML.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/aicr/verify-evidence/internal/emit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx)
	stop()
	os.Exit(code)
}

func run(ctx context.Context) int {
	// What the flag parser prints: the help for -h/--help goes to stdout (`emit --help | less`),
	// anything else (a bad flag) to stderr.
	var parseOut bytes.Buffer
	opts, err := emit.Parse(os.Args[1:], &parseOut)
	if errors.Is(err, flag.ErrHelp) {
		_, _ = os.Stdout.Write(parseOut.Bytes())
		return emit.ExitOK
	}
	_, _ = os.Stderr.Write(parseOut.Bytes())
	if err != nil {
		fmt.Fprintf(os.Stderr, "emit: %v\n", err)
		return emit.ExitUsage
	}
	env := emit.Env{Stderr: os.Stderr, Terminal: emit.IsTerminal(os.Stderr), Getenv: os.Getenv,
		Stdin: os.Stdin, StdinTerminal: emit.IsTerminal(os.Stdin)}
	if err := emit.Run(ctx, opts, env); err != nil {
		fmt.Fprintf(os.Stderr, "emit: %v\n", err)
		switch {
		case errors.Is(err, emit.ErrAborted):
			return emit.ExitAborted
		case errors.Is(err, emit.ErrNeedsYes):
			return emit.ExitUsage
		}
		return emit.ExitError
	}
	return emit.ExitOK
}
