//go:build !cgo

package gpu

import (
	"errors"
	"strings"
	"testing"
)

// TestOpenWithoutCgo: a build without cgo cannot load NVML.
func TestOpenWithoutCgo(t *testing.T) {
	r, closeFn, err := Open()
	closeFn()
	if r != nil || !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "built without cgo") {
		t.Errorf("Open = %v, %v; want ErrUnavailable: built without cgo", r, err)
	}
}
