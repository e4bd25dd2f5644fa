package trust

import (
	"context"
	"fmt"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
)

// TUF targets of the public-good signing config. AICR signs with the Rekor v2
// one (it lists a Rekor v2 shard, the Rekor v1 log as fallback and the
// Sigstore timestamp authority); the default target still lists Rekor v1
// only, and is read when a repository has no v2 target.
const (
	SigningConfigRekorV2Target = "signing_config_rekor_v2.v0.2.json"
	SigningConfigTarget        = "signing_config.v0.2.json"
)

// MaxSigningConfigBytes bounds a signing_config.json file.
const MaxSigningConfigBytes = 1 << 20

// PublicGood is what the public-good TUF repository says about signing: where
// to sign (the signing config) and what verifies the result (the trusted
// root), from one TUF client.
type PublicGood struct {
	SigningConfig *root.SigningConfig
	// Target is the TUF target the signing config was read from.
	Target      string
	TrustedRoot *root.TrustedRoot
}

// SigningConfigFromTUF fetches the public-good signing config and trusted
// root through TUF, caching metadata in cacheDir (empty: sigstore-go's
// default). Network and cache failures wrap [ErrUnavailable].
func SigningConfigFromTUF(ctx context.Context, cacheDir string) (*PublicGood, error) {
	return signingConfigFromTUF(ctx, publicGoodTUFOptions(ctx, cacheDir))
}

func signingConfigFromTUF(ctx context.Context, opts *tuf.Options) (*PublicGood, error) {
	const offline = "(pass --signing-config FILE to sign without it)"
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: Sigstore TUF repository: %w %s", ErrUnavailable, err, offline)
	}
	client, err := tuf.New(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: Sigstore TUF repository: %w %s", ErrUnavailable, err, offline)
	}
	target := SigningConfigRekorV2Target
	b, err := client.GetTarget(target)
	if err != nil {
		first := err
		target = SigningConfigTarget
		if b, err = client.GetTarget(target); err != nil {
			return nil, fmt.Errorf("%w: Sigstore TUF signing config: %w %s", ErrUnavailable, first, offline)
		}
	}
	if len(b) > MaxSigningConfigBytes {
		return nil, fmt.Errorf("the Sigstore TUF target %s: larger than %d bytes", target, MaxSigningConfigBytes)
	}
	sc, err := root.NewSigningConfigFromJSON(b)
	if err != nil {
		return nil, fmt.Errorf("the Sigstore TUF target %s: %w", target, err)
	}
	tr, err := root.GetTrustedRoot(client)
	if err != nil {
		return nil, fmt.Errorf("%w: Sigstore TUF trusted root: %w %s", ErrUnavailable, err, offline)
	}
	return &PublicGood{SigningConfig: sc, Target: target, TrustedRoot: tr}, nil
}
