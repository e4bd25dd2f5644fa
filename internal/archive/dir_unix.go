//go:build unix

package archive

import "syscall"

// oNonblock keeps ReadDir from blocking on a FIFO swapped in for a file
// between listing and opening (the Stat after opening then refuses it), and
// O_NOFOLLOW refuses a symbolic link swapped in the same way.
const oNonblock = syscall.O_NONBLOCK | syscall.O_NOFOLLOW
