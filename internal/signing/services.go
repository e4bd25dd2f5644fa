package signing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/aicr/verify-evidence/internal/trust"
)

// Services are the Sigstore endpoints a [Signer] signs with.
type Services struct {
	// FulcioURL is the Fulcio base URL.
	FulcioURL string
	// Rekor are the transparency logs every signature is recorded in (one,
	// unless a signing config's selector asks for several).
	Rekor []RekorService
	// TSAURLs are the RFC 3161 timestamp authority endpoints; empty means no
	// signed timestamp (Rekor v1 only: its SET carries the signed time).
	TSAURLs []string
}

// RekorService is one Rekor log and the API version spoken to it.
type RekorService struct {
	URL     string
	Version uint32
}

// NeedsSigningConfig reports whether c leaves a service to a signing config:
// the Fulcio URL, the Rekor URL, or (for Rekor v2) the timestamp authority.
// When it does, [NewSigner] needs [Config.SigningConfig].
func (c Config) NeedsSigningConfig() bool {
	return c.FulcioURL == "" || c.RekorURL == "" || (c.RekorVersion == 2 && c.TSAURL == "")
}

// LoadSigningConfig sets c.SigningConfig from the signing_config.json file at
// path, or, with path empty, from the public-good Sigstore TUF repository
// (the Rekor v2 target AICR signs with, see [trust.SigningConfigFromTUF];
// tufCacheDir empty means sigstore-go's default cache). From TUF it also sets
// c.TrustedRoot, when unset, to the public-good trusted root, so the signer
// checks what it signed against the root its verifiers use.
func (c *Config) LoadSigningConfig(ctx context.Context, path, tufCacheDir string) error {
	if path != "" {
		sc, err := ReadSigningConfig(path)
		if err != nil {
			return err
		}
		c.SigningConfig = sc
		return nil
	}
	pg, err := trust.SigningConfigFromTUF(ctx, tufCacheDir)
	if err != nil {
		return fmt.Errorf("signing: public-good signing config: %w", err)
	}
	c.SigningConfig = pg.SigningConfig
	if c.TrustedRoot == nil {
		c.TrustedRoot = pg.TrustedRoot
	}
	return nil
}

// ReadSigningConfig reads a Sigstore signing config (signing_config.json,
// media type application/vnd.dev.sigstore.signingconfig.v0.2+json) of at
// most [trust.MaxSigningConfigBytes].
func ReadSigningConfig(path string) (*root.SigningConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("signing config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, trust.MaxSigningConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("signing config %s: %w", path, err)
	}
	if len(b) > trust.MaxSigningConfigBytes {
		return nil, fmt.Errorf("signing config %s: larger than %d bytes", path, trust.MaxSigningConfigBytes)
	}
	sc, err := root.NewSigningConfigFromJSON(b)
	if err != nil {
		return nil, fmt.Errorf("signing config %s: %s", path, excerpt(err.Error(), maxDetail))
	}
	return sc, nil
}

// resolveServices picks the services of cfg: each explicit URL as given, the
// rest from cfg.SigningConfig at now, the way cosign and AICR pick them
// (sigstore-go's root.SelectService(s) with the API versions sigstore-go's
// clients speak: the highest version offered wins, so Rekor v2 when the
// config offers it and Rekor v1 when it offers only v1; cfg.RekorVersion
// pins one). A Rekor v2 log needs a timestamp authority.
func resolveServices(cfg Config, now time.Time) (Services, error) {
	var svc Services
	sc := cfg.SigningConfig
	if sc == nil && cfg.RekorVersion == 2 && cfg.TSAURL == "" {
		return Services{}, fmt.Errorf("signing: Rekor v2 requires a timestamp authority: its entries carry no signed time, so the bundle could not be verified; set a TSA URL (e.g. %s), give a signing config that lists one, or use Rekor v1", SigstoreTSAURL)
	}
	if cfg.NeedsSigningConfig() && sc == nil {
		return Services{}, errors.New("signing: no signing config, and not every service is given: set the Fulcio and Rekor URLs (and a TSA URL for Rekor v2), or give a signing config")
	}

	svc.FulcioURL = cfg.FulcioURL
	if svc.FulcioURL == "" {
		s, err := root.SelectService(sc.FulcioCertificateAuthorityURLs(), sign.FulcioAPIVersions, now)
		if err != nil {
			return Services{}, noService("Fulcio", sc.FulcioCertificateAuthorityURLs(), sign.FulcioAPIVersions, now)
		}
		svc.FulcioURL = s.URL
	}

	if cfg.RekorURL != "" {
		v := cfg.RekorVersion
		if v == 0 {
			v = 1
		}
		svc.Rekor = []RekorService{{URL: cfg.RekorURL, Version: v}}
	} else {
		versions := sign.RekorAPIVersions
		if cfg.RekorVersion != 0 {
			versions = []uint32{cfg.RekorVersion}
		}
		logs, err := root.SelectServices(sc.RekorLogURLs(), sc.RekorLogURLsConfig(), versions, now)
		if err != nil {
			if len(selectable(sc.RekorLogURLs(), versions, now)) > 0 {
				return Services{}, fmt.Errorf("signing: signing config: Rekor logs: %s", excerpt(err.Error(), maxDetail))
			}
			return Services{}, noService("Rekor", sc.RekorLogURLs(), versions, now)
		}
		for _, l := range logs {
			svc.Rekor = append(svc.Rekor, RekorService{URL: l.URL, Version: l.MajorAPIVersion})
		}
	}

	if cfg.TSAURL != "" {
		svc.TSAURLs = []string{cfg.TSAURL}
	} else if sc != nil && len(sc.TimestampAuthorityURLs()) > 0 {
		// Best effort, as cosign and AICR: a Rekor v1 entry carries its own
		// signed time; the v2 check below fails closed.
		tsas, err := root.SelectServices(sc.TimestampAuthorityURLs(), sc.TimestampAuthorityURLsConfig(), sign.TimestampAuthorityAPIVersions, now)
		if err == nil {
			for _, t := range tsas {
				svc.TSAURLs = append(svc.TSAURLs, t.URL)
			}
		}
	}

	if len(svc.TSAURLs) == 0 && slices.ContainsFunc(svc.Rekor, func(r RekorService) bool { return r.Version == 2 }) {
		return Services{}, fmt.Errorf("signing: Rekor v2 (%s) requires a timestamp authority, and the signing config offers none valid now: Rekor v2 entries carry no signed time, so the bundle could not be verified", svc.Rekor[0].URL)
	}
	return svc, nil
}

// selectable returns the services of an API version in versions that are
// valid at now.
func selectable(services []root.Service, versions []uint32, now time.Time) []root.Service {
	var out []root.Service
	for _, s := range services {
		if slices.Contains(versions, s.MajorAPIVersion) && s.ValidAtTime(now) {
			out = append(out, s)
		}
	}
	return out
}

// noService explains on one line why a signing config has no usable
// service of a kind: what it offers, and what this signer speaks.
func noService(kind string, offered []root.Service, versions []uint32, now time.Time) error {
	if len(offered) == 0 {
		return fmt.Errorf("signing: the signing config lists no %s service", kind)
	}
	var list []string
	for _, s := range offered {
		d := fmt.Sprintf("%s (API v%d", s.URL, s.MajorAPIVersion)
		if !s.ValidAtTime(now) {
			d += ", not valid now"
		}
		list = append(list, d+")")
	}
	if len(list) > 4 {
		list = append(list[:4], fmt.Sprintf("and %d more", len(list)-4))
	}
	var vs []string
	for _, v := range versions {
		vs = append(vs, fmt.Sprintf("v%d", v))
	}
	return fmt.Errorf("signing: the signing config offers no %s service this signer can use (API %s, valid at %s); it offers %s",
		kind, strings.Join(vs, " or "), now.UTC().Format(time.RFC3339), strings.Join(list, ", "))
}
