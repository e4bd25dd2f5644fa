//go:build !cgo

package gpu

import "fmt"

// Open always fails with ErrUnavailable in a build without cgo: go-nvml loads
// libnvidia-ml.so.1 through cgo and does not compile without it. The returned
// func is a no-op.
func Open() (Reader, func(), error) {
	return nil, func() {}, fmt.Errorf("%w: built without cgo", ErrUnavailable)
}
