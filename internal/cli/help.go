package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"syscall"
	"time"

	"github.com/aicr/verify-evidence/internal/source"
)

// exitCodesText is the exit-code table of every command's help (README "Exit codes").
const exitCodesText = `Exit codes:
  0   passed: every check passed
  1   failing: the evidence is genuine but shows a failed, pending or errored
      test, or a criteria mismatch
  2   invalid: integrity, signature, identity or schema is broken
  3   could not decide: I/O error, trust root unavailable (retrying may help)
  64  usage error: a bad flag, or a BUNDLE, --recipe or --policy file that
      cannot be opened as given
`

// bundleArgText describes the BUNDLE argument of verify and inspect.
const bundleArgText = `BUNDLE is the evidence bundle: the path of an evidence-bundle.tar.gz (a
regular file; a symlink, directory or device is refused), or - to read it
from stdin.
`

var commandHelp = map[string]string{
	"verify": `Usage: verify-evidence verify BUNDLE [flags]

Verifies an evidence bundle: archive safety, Sigstore signature (certificate
chain at the log's signed time, SCT, Rekor inclusion), signer identity
against the policy, Statement and predicate types, subject ↔ recipe digest,
predicate schema, manifest and every file's size and sha256, CTRF counts,
BOM, fingerprint and criteria match, freshness (--max-age).

` + bundleArgText + `
Trust: --trusted-root FILE pins the Sigstore trust root (offline); without it
the public-good root is fetched through TUF (network). Signers: --policy FILE
and/or --certificate-oidc-issuer with --certificate-identity-regexp; with
neither, no signer is trusted and the verdict is "could not decide" (exit 3),
unless --allow-any-signer is given (local checks only).

` + exitCodesText + `
Flags (they may come before or after BUNDLE):
`,
	"inspect": `Usage: verify-evidence inspect BUNDLE [flags]

Runs every check of verify that needs no trust material: archive safety
(sizes, names, no links or traversal), Statement and predicate types, the
subject ↔ recipe digest binding, the predicate schema, the manifest with
every file's size and sha256, the CTRF reports and their counts, the BOM,
the fingerprint and criteria match, and freshness. The signature and the
signer are NOT checked, so a PASSED here says nothing about who made the
bundle: use verify for that.

` + bundleArgText + `
` + exitCodesText + `
Flags (they may come before or after BUNDLE):
`,
}

// writeTracker remembers whether anything was written through it since the last reset. The
// flag package writes an error message before it calls Usage, and nothing before it calls
// Usage for -h/--help: that tells the two apart.
type writeTracker struct {
	w       io.Writer
	written bool
}

func (t *writeTracker) Write(p []byte) (int, error) {
	t.written = true
	return t.w.Write(p)
}

// newFlagSet returns the flag set of a sub-command: -h/--help prints the command's help to
// stdout; a bad flag prints the flag package's one-line error and a pointer to --help to stderr.
func newFlagSet(name string, stdio IO) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	errOut := &writeTracker{w: stdio.Stderr}
	fs.SetOutput(errOut)
	fs.Usage = func() {
		if errOut.written {
			fmt.Fprintf(stdio.Stderr, "run 'verify-evidence %s --help' for its usage\n", name)
			errOut.written = false
			return
		}
		fmt.Fprint(stdio.Stdout, commandHelp[name])
		fs.SetOutput(stdio.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(errOut)
	}
	return fs
}

// formatMaxAge writes a maximum age as --max-age accepts it: whole days as "365d".
func formatMaxAge(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	if d == 0 {
		return "0"
	}
	return d.String()
}

// argumentError reports whether err, from opening a file the user named on the command
// line, is the user's mistake (the file does not exist, is not readable, is a symlink, a
// directory or not a regular file) rather than something retrying may fix.
func argumentError(err error) bool {
	var nr source.NotRegularError
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) ||
		errors.Is(err, syscall.ELOOP) || errors.As(err, &nr) || errors.Is(err, source.ErrNotBundleDir)
}

// argError names the command-line argument or flag whose file could not be opened.
func argError(what, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, syscall.ELOOP) {
		err = errors.New("a symlink: give the file itself")
	}
	return fmt.Errorf("%s %s: %w", what, path, err)
}
