package sweep_test

import (
	"testing"

	"github.com/aicr/verify-evidence/internal/sweep"
	"github.com/aicr/verify-evidence/internal/sweep/sweeptest"
)

// The trust root's digest keys the cache and tells "trust root changed": it
// must not change with the build (protojson varies its whitespace by build),
// so it is pinned here for the example root.
func TestTrustRootDigestStable(t *testing.T) {
	if got := sweeptest.Config(t, t.TempDir()).TrustRootDigest; got != "sha256:845e12631d4f139286e5a74c14077f8a145ce9dcf9e4399e887cd1f89ef43bb2" {
		t.Errorf("example trust root digest %s", got)
	}
	if d, err := sweep.TrustRootDigest(nil); d != "" || err != nil {
		t.Errorf("no trust root: %q %v", d, err)
	}
}
