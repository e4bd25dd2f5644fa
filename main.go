//go:generate go run ./internal/tools/genexamples -out testdata/examples

// Command verify-evidence verifies AICR recipe evidence bundles, on the command
// line and (in a later mode) as a GitHub Action.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/aicr/verify-evidence/internal/cli"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Version: version, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
