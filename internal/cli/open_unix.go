//go:build unix

package cli

import (
	"os"

	"github.com/aicr/verify-evidence/internal/source"
)

// openRegular opens path read-only without following a final symlink and
// without blocking on a FIFO, then insists on a regular file (one rule for
// every input: source.OpenRegular).
func openRegular(path string) (*os.File, error) { return source.OpenRegular(path) }
