package cli_test

import (
	"testing"

	"github.com/aicr/verify-evidence/internal/cli"
)

// TestVerifyCmdRequireFullCoverage: the shipped H100 example has a test for
// every check its recipe declares, so it passes with full coverage required,
// and the report shows the coverage of each declared phase.
func TestVerifyCmdRequireFullCoverage(t *testing.T) {
	r := vtRun(t, append(vtPinned(vtH100), "--require-full-coverage")...).want(t, cli.ExitPassed)
	r.mentions(t, "stdout", "Coverage", "deployment   2 of 2 declared checks have a test", "performance  no checks declared")
}
