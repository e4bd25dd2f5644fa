//go:build unix

package source

import (
	"fmt"
	"os"
	"syscall"
)

// OpenRegular opens path read-only without following a final symlink and
// without blocking on a FIFO, then insists on a regular file.
func OpenRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open: %w", err)
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("open %s: not a regular file (%s)", path, fi.Mode().Type())
	}
	return f, nil
}
