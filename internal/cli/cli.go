// Package cli is the verify-evidence command line: it parses arguments, runs
// the pipeline and maps the verdict to an exit code. main.go stays thin.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aicr/verify-evidence/internal/report"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Version is the verify-evidence version, set at build time with -ldflags "-X".
const defaultVersion = "v0.1.0-dev"

// IO is the process environment the CLI runs in.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Version printed by the version command; empty means the built-in default.
	Version string
	// Getenv reads the environment (action mode); nil means no environment.
	Getenv func(string) string
}

const usageText = `verify-evidence — check AICR recipe evidence bundles

Usage:
  verify-evidence verify BUNDLE [--recipe FILE] [--trusted-root FILE] [--policy FILE]
        [--certificate-oidc-issuer ISS]... [--certificate-identity-regexp RE]...
        [--allow-any-signer] [--max-age DUR] [--format text|markdown|json] [--output FILE]
  verify-evidence inspect BUNDLE [--format text|markdown|json] [--output FILE]
  verify-evidence sweep [CHECKOUT] [--trusted-root FILE] [--policy FILE] [--cache DIR]
        [--json FILE] [--markdown FILE] [--page DIR]
  verify-evidence action      (GitHub Action mode: inputs from INPUT_* and the runner's environment)
  verify-evidence version

Commands:
  verify    Verify a bundle: archive safety, Sigstore signature (certificate chain
            at the log's signed time, SCT, Rekor inclusion), signer identity
            against the policy, Statement and predicate types, subject ↔ recipe,
            predicate schema, manifest and every file, CTRF counts, BOM,
            fingerprint and criteria match, freshness. Without --trusted-root the
            Sigstore public-good root is fetched through TUF (network). Without
            --policy or --certificate-* pins no signer is trusted (exit 3), unless
            --allow-any-signer is given.
  inspect   Run every check of verify that needs no trust material: archive
            safety, Statement and predicate types, subject ↔ recipe, predicate
            schema, manifest and every file, CTRF counts, BOM, fingerprint and
            criteria match, freshness. The signature and the signer are NOT
            checked.
  sweep     Verify the evidence of every recipe in a checkout (verify's checks,
            with a cache), and report verdicts, signers, expiry and recipes
            without evidence as JSON, Markdown and a static status page.

BUNDLE is an evidence-bundle.tar.gz, - for stdin, a bundle directory, an AICR
pointer file (*.yaml), or oci://REGISTRY/REPO@sha256:DIGEST. Run
verify-evidence COMMAND --help for a command's arguments and flags.

` + exitCodesText + `
The JSON report (--format json) carries the same verdict in "verdict".
`

// Run executes the command line args (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, stdio IO) int {
	if len(args) == 0 && stdio.Getenv != nil && stdio.Getenv("GITHUB_ACTIONS") == "true" {
		return runAction(ctx, nil, stdio)
	}
	if len(args) == 0 {
		fmt.Fprint(stdio.Stderr, usageText)
		return ExitUsage
	}
	switch args[0] {
	case "inspect":
		return runInspect(ctx, args[1:], stdio)
	case "verify":
		return runVerify(ctx, args[1:], stdio)
	case "action":
		return runAction(ctx, args[1:], stdio)
	case "sweep":
		return runSweep(ctx, args[1:], stdio)
	case "version", "--version":
		v := stdio.Version
		if v == "" {
			v = defaultVersion
		}
		fmt.Fprintf(stdio.Stdout, "verify-evidence %s\n", v)
		return ExitPassed
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdio.Stdout, usageText)
		return ExitPassed
	}
	fmt.Fprintf(stdio.Stderr, "verify-evidence: unknown command %q (run verify-evidence help)\n", args[0])
	return ExitUsage
}

type outputFlags struct {
	format string
	output string
}

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "format", "text", "report format: text, markdown or json")
	fs.StringVar(&o.output, "output", "", "write the report to `FILE` instead of stdout")
}

// parseInterspersed parses flags that may come before or after positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func runInspect(ctx context.Context, args []string, stdio IO) int {
	fs := newFlagSet("inspect", stdio)
	var out outputFlags
	out.register(fs)
	var src sourceFlags
	src.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPassed
		}
		return ExitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(stdio.Stderr, "verify-evidence inspect: want exactly one BUNDLE argument")
		return ExitUsage
	}
	format, err := report.ParseFormat(out.format)
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "verify-evidence inspect: %v\n", err)
		return ExitUsage
	}
	return checkBundle(ctx, "inspect", verify.Config{}, pos[0], verify.Options{}, src, format, out.output, stdio)
}

// checkBundle runs the pipeline configured by cfg over the bundle named by arg
// and reports the result; mode names the command in messages.
func checkBundle(ctx context.Context, mode string, cfg verify.Config, arg string, opts verify.Options, src sourceFlags, format report.Format, output string, stdio IO) int {
	v, err := verify.New(cfg)
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "verify-evidence %s: %v\n", mode, err)
		return ExitError
	}
	res, usage := verifySource(ctx, v, mode, arg, opts, src, stdio)
	if usage != nil {
		fmt.Fprintf(stdio.Stderr, "verify-evidence %s: %v\n", mode, usage)
		return ExitUsage
	}
	return emit(res, format, output, stdio)
}

// emit writes the report and returns the exit code of its verdict.
func emit(res *verify.Result, format report.Format, output string, stdio IO) int {
	w := stdio.Stdout
	var f *os.File
	if output != "" {
		var err error
		f, err = os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			fmt.Fprintf(stdio.Stderr, "verify-evidence: %v\n", err)
			return ExitError
		}
		w = f
	}
	err := report.Write(w, format, res)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "verify-evidence: %v\n", err)
		return ExitError
	}
	if output != "" || format != report.FormatText {
		// Keep a one-line verdict on stderr for people when stdout is not the text report.
		fmt.Fprintf(stdio.Stderr, "verify-evidence: %s: %s\n", strings.ToUpper(string(res.Verdict)), report.Clean(res.Summary))
	}
	return ExitCode(res.Verdict)
}
