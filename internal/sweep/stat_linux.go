package sweep

import (
	"io/fs"
	"syscall"
	"time"
)

// statOf returns the stat data a git index entry is compared with.
func statOf(fi fs.FileInfo) (fileStat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, false
	}
	return fileStat{
		ctime: time.Unix(st.Ctim.Sec, st.Ctim.Nsec),
		mtime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec),
		ino:   st.Ino,
		size:  st.Size,
	}, true
}
