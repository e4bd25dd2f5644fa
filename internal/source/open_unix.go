//go:build unix

package source

import (
	"fmt"
	"io/fs"
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
		return nil, &fs.PathError{Op: "open", Path: path, Err: NotRegularError{Mode: fi.Mode()}}
	}
	return f, nil
}

// NotRegularError: a path names something other than a regular file (a
// directory where a file was wanted, a FIFO, a socket, a device).
type NotRegularError struct{ Mode fs.FileMode }

func (e NotRegularError) Error() string {
	var what string
	switch t := e.Mode.Type(); {
	case t&fs.ModeDir != 0:
		what = "a directory"
	case t&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case t&fs.ModeSocket != 0:
		what = "a socket"
	case t&fs.ModeDevice != 0:
		what = "a device"
	default:
		what = t.String()
	}
	return "not a regular file: " + what
}
