// Package trust loads the Sigstore trust material a verifier checks signatures
// against: a pinned trusted_root.json, or the public-good root through
// sigstore-go's TUF client with a local cache.
package trust

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
)

// ErrUnavailable marks trust material that could not be obtained (network,
// cache, file system): the verifier cannot decide, which is never "invalid".
var ErrUnavailable = errors.New("trust material unavailable")

// MaxTrustedRootBytes bounds a trusted_root.json file.
const MaxTrustedRootBytes = 8 << 20

// FromFile loads a pinned trusted_root.json (offline, private instances, tests).
func FromFile(path string) (*root.TrustedRoot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: trusted root: %w", ErrUnavailable, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxTrustedRootBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: trusted root %s: %w", ErrUnavailable, path, err)
	}
	if len(b) > MaxTrustedRootBytes {
		return nil, fmt.Errorf("trusted root %s: larger than %d bytes", path, MaxTrustedRootBytes)
	}
	tr, err := root.NewTrustedRootFromJSON(b)
	if err != nil {
		return nil, fmt.Errorf("trusted root %s: %w", path, err)
	}
	return tr, nil
}

// FromTUF fetches the Sigstore public-good trusted root through TUF, caching
// metadata in cacheDir (empty: sigstore-go's default, ~/.sigstore/root).
func FromTUF(ctx context.Context, cacheDir string) (*root.TrustedRoot, error) {
	// sigstore-go's TUF client does not honour the context for its fetches.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: Sigstore TUF repository: %w (pass --trusted-root FILE to verify offline)", ErrUnavailable, err)
	}
	client, err := tuf.New(publicGoodTUFOptions(ctx, cacheDir))
	if err != nil {
		return nil, fmt.Errorf("%w: Sigstore TUF repository: %w (pass --trusted-root FILE to verify offline)", ErrUnavailable, err)
	}
	tr, err := root.GetTrustedRoot(client)
	if err != nil {
		return nil, fmt.Errorf("%w: Sigstore TUF trusted root: %w (pass --trusted-root FILE to verify offline)", ErrUnavailable, err)
	}
	return tr, nil
}

// publicGoodTUFOptions are sigstore-go's production TUF options (embedded
// root, public-good repository) with the given cache directory (empty:
// sigstore-go's default, ~/.sigstore/root).
func publicGoodTUFOptions(ctx context.Context, cacheDir string) *tuf.Options {
	opts := tuf.DefaultOptions().WithContext(ctx)
	if cacheDir != "" {
		opts = opts.WithCachePath(cacheDir)
	}
	return opts
}

// FromJSON parses trusted_root.json bytes (already read with a bound).
func FromJSON(b []byte) (*root.TrustedRoot, error) {
	if len(b) > MaxTrustedRootBytes {
		return nil, fmt.Errorf("trusted root: larger than %d bytes", MaxTrustedRootBytes)
	}
	tr, err := root.NewTrustedRootFromJSON(b)
	if err != nil {
		return nil, fmt.Errorf("trusted root: %w", err)
	}
	return tr, nil
}
