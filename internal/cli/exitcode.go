package cli

import "github.com/aicr/verify-evidence/internal/verify"

// Exit codes of verify-evidence, documented in the README and in --help.
const (
	// ExitPassed: the evidence verified and shows a pass.
	ExitPassed = 0
	// ExitFailing: the evidence verified but shows a failing, pending or errored test, or a criteria mismatch.
	ExitFailing = 1
	// ExitInvalid: integrity, signature, identity or schema is broken.
	ExitInvalid = 2
	// ExitError: the verifier could not decide (I/O, trust root unavailable); retrying may help.
	ExitError = 3
	// ExitUsage: bad command line.
	ExitUsage = 64
)

// ExitCode maps a verdict to the process exit code.
func ExitCode(v verify.Verdict) int {
	switch v {
	case verify.VerdictPassed:
		return ExitPassed
	case verify.VerdictFailing:
		return ExitFailing
	case verify.VerdictInvalid:
		return ExitInvalid
	default:
		return ExitError
	}
}
