package signing

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/aicr/verify-evidence/internal/schema"
	"github.com/aicr/verify-evidence/internal/verify"
)

// Sigstore public-good endpoints, named in hints. The services a Signer
// uses come from explicit URLs or a signing config, never from these.
const (
	// DefaultRekorV2URL is the Rekor v2 shard of the public-good signing
	// config at the time of writing. Shards rotate (yearly).
	DefaultRekorV2URL = "https://log2025-1.rekor.sigstore.dev"
	// SigstoreTSAURL is the public-good RFC 3161 timestamp authority.
	SigstoreTSAURL = "https://timestamp.sigstore.dev/api/v1/timestamp"
)

// Default network timeouts per request, and retries on 5xx/429.
const (
	defaultFulcioTimeout = 30 * time.Second
	defaultRekorTimeout  = 60 * time.Second
	defaultTSATimeout    = 30 * time.Second
	serviceRetries       = 2
)

// Config configures a [Signer]. Each service is either given explicitly
// (FulcioURL, RekorURL with RekorVersion, TSAURL) or chosen from
// SigningConfig; an explicit URL always wins.
type Config struct {
	// FulcioURL is the Fulcio base URL; empty: chosen from SigningConfig.
	FulcioURL string
	// RekorURL is the Rekor base URL, spoken to with RekorVersion (default
	// 1); empty: chosen from SigningConfig.
	RekorURL string
	// RekorVersion is the Rekor API, 1 or 2; 0 means 1 for an explicit
	// RekorURL and, with a signing config, the highest version it offers
	// (v2 preferred, v1 when it offers only v1). Set with an empty RekorURL
	// it pins the version chosen from the signing config. Rekor v2 entries
	// carry no signed time, so v2 requires a timestamp authority.
	RekorVersion uint32
	// TSAURL is the full URL of an RFC 3161 timestamp authority endpoint
	// (e.g. [SigstoreTSAURL]); empty: those of SigningConfig, if any.
	TSAURL string
	// SigningConfig is a Sigstore signing config (signing_config.json, e.g.
	// the one the public-good TUF repository distributes); see
	// [Config.LoadSigningConfig]. Needed when an explicit URL is missing.
	SigningConfig *root.SigningConfig
	// TrustedRoot, when set, makes the Signer verify every bundle it produces
	// with the production verifier options (SCT, log entry, signed time)
	// before returning it, so a bundle its verifiers would reject is never
	// written.
	TrustedRoot root.TrustedMaterial
	// Timeout bounds each request to Fulcio, Rekor and the TSA; 0 means 30 s
	// for Fulcio and the TSA and 60 s for Rekor.
	Timeout time.Duration
	// Progress, when set, is told each step as it starts ("fetching identity
	// token", "requesting certificate", "requesting timestamp", "uploading to
	// Rekor", "verifying the bundle").
	Progress func(step string)
}

// Signer signs in-toto Statements keyless with Sigstore. It implements
// assemble.Signer and is safe for concurrent use.
type Signer struct {
	cfg       Config
	services  Services
	tokens    TokenSource
	transport http.RoundTripper
	now       func() time.Time

	mu              sync.Mutex
	issuer, subject string
}

// NewSigner checks cfg, picks its services (see [Config]) and returns a
// Signer that takes identity tokens from tokens. Service URLs must be https;
// plain http is accepted only for loopback hosts (tests). Rekor v2 without a
// timestamp authority is refused: its entries would have no verifiable
// signing time.
func NewSigner(cfg Config, tokens TokenSource) (*Signer, error) {
	if tokens == nil {
		return nil, errors.New("signing: no identity token source")
	}
	switch cfg.RekorVersion {
	case 0, 1, 2:
	default:
		return nil, fmt.Errorf("signing: Rekor version %d is not supported; want 1 or 2", cfg.RekorVersion)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("signing: negative timeout %s", cfg.Timeout)
	}
	svc, err := resolveServices(cfg, time.Now())
	if err != nil {
		return nil, err
	}
	if svc.FulcioURL, err = checkServiceURL("Fulcio", svc.FulcioURL, true); err != nil {
		return nil, err
	}
	for i := range svc.Rekor {
		if svc.Rekor[i].URL, err = checkServiceURL("Rekor", svc.Rekor[i].URL, true); err != nil {
			return nil, err
		}
	}
	for i := range svc.TSAURLs {
		if svc.TSAURLs[i], err = checkServiceURL("timestamp authority", svc.TSAURLs[i], false); err != nil {
			return nil, err
		}
	}
	var transport http.RoundTripper = http.DefaultTransport
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		transport = t.Clone()
	}
	return &Signer{cfg: cfg, services: svc, tokens: tokens, transport: transport, now: time.Now}, nil
}

// Services returns the endpoints the Signer signs with.
func (s *Signer) Services() Services {
	out := s.services
	out.Rekor = slices.Clone(out.Rekor)
	out.TSAURLs = slices.Clone(out.TSAURLs)
	return out
}

// checkServiceURL requires an absolute https URL (http only for loopback
// hosts) without credentials, query or fragment, and returns it without a
// trailing slash when base is set (the clients append API paths).
func checkServiceURL(name, raw string, base bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("signing: %s URL %q: %v", name, raw, err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("signing: %s URL %q: want an absolute https URL", name, raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("signing: %s URL %q: plain http is allowed only for loopback hosts; use https", name, raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("signing: %s URL %q: must not carry credentials, a query or a fragment", name, raw)
	}
	if base {
		return strings.TrimRight(raw, "/"), nil
	}
	return raw, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Identity returns the OIDC issuer and the subject (SAN: the email if any,
// else the URI) of the certificate of the last successful signature; empty
// before the first.
func (s *Signer) Identity() (issuer, subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuer, s.subject
}

// phase is how far one signature got, so that errors sign.Bundle returns
// unwrapped are attributed to the right service.
type phase int

const (
	phaseStart phase = iota
	phaseTimestamp
	phaseRekor
)

// run is the state of one SignStatement call.
type run struct {
	s     *Signer
	phase phase
	der   []byte // the Fulcio certificate
}

func (r *run) progress(step string) {
	if r.s.cfg.Progress != nil {
		r.s.cfg.Progress(step)
	}
}

// ctxTransport gives requests the signing context: sigstore-go's Fulcio and
// TSA clients build requests without one, so cancelling would not stop them.
// The request's own context (which carries the client's timeout) still
// applies: the request ends when either is done.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(t.ctx)
	reqCtx := req.Context()
	stop := context.AfterFunc(reqCtx, func() { cancel(context.Cause(reqCtx)) })
	release := func() { stop(); cancel(nil) }
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// releaseBody releases the request's context when the body is closed.
type releaseBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// timeout is the per-request timeout: Config.Timeout, else def.
func (s *Signer) timeout(def time.Duration) time.Duration {
	if s.cfg.Timeout > 0 {
		return s.cfg.Timeout
	}
	return def
}

// SignStatement signs the in-toto Statement and returns a Sigstore bundle
// (protobuf JSON, media type application/vnd.dev.sigstore.bundle.v0.3+json)
// holding a DSSE envelope of payload type application/vnd.in-toto+json, the
// Fulcio certificate, the Rekor entry and, with a TSA, an RFC 3161
// timestamp. The key is ephemeral (ECDSA P-256, never stored); the identity
// token is fetched right before the Fulcio request. With
// [Config.TrustedRoot] set the bundle is verified before it is returned.
// Errors are [*ServiceError]s naming the step that failed.
func (s *Signer) SignStatement(ctx context.Context, statement []byte) ([]byte, error) {
	if len(statement) == 0 || !json.Valid(statement) {
		return nil, errors.New("signing: the statement is not JSON")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, fmt.Errorf("signing: generating an ephemeral key: %w", err)
	}
	r := &run{s: s}
	opts := sign.BundleOptions{
		Context:                    ctx,
		CertificateProvider:        (*fulcioStep)(r),
		CertificateProviderOptions: &sign.CertificateProviderOptions{},
	}
	for _, l := range s.services.Rekor {
		opts.TransparencyLogs = append(opts.TransparencyLogs, &rekorStep{r: r, svc: l})
	}
	for _, u := range s.services.TSAURLs {
		opts.TimestampAuthorities = append(opts.TimestampAuthorities, sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{
			URL:       u,
			Timeout:   s.timeout(defaultTSATimeout),
			Retries:   serviceRetries,
			Transport: ctxTransport{ctx: ctx, base: s.transport},
		}))
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: statement, PayloadType: schema.PayloadTypeInToto}, kp, opts)
	if err != nil {
		var se *ServiceError
		switch {
		case errors.As(err, &se):
			return nil, se
		case r.phase == phaseTimestamp && len(s.services.TSAURLs) > 0:
			return nil, tsaError(strings.Join(s.services.TSAURLs, ", "), err)
		default:
			return nil, fmt.Errorf("signing: %w", err)
		}
	}
	js, err := protojson.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("signing: encoding the bundle: %w", err)
	}
	issuer, subject, err := certIdentity(r.der)
	if err != nil {
		return nil, fmt.Errorf("signing: the Fulcio certificate: %w", err)
	}
	if s.cfg.TrustedRoot != nil {
		r.progress("verifying the bundle")
		if err := selfVerify(js, s.cfg.TrustedRoot); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.issuer, s.subject = issuer, subject
	s.mu.Unlock()
	return js, nil
}

// selfVerify checks the bundle as the verifier will (production options, no
// identity policy: the identity is whatever the token proved).
func selfVerify(js []byte, tm root.TrustedMaterial) error {
	fail := func(err error) error {
		return &ServiceError{Service: ServiceVerify, Err: err,
			Hint: "the signed bundle does not verify against the trusted root; are the Fulcio, Rekor and TSA URLs the services that root trusts?"}
	}
	sb, err := verify.LoadSigstoreBundle(js)
	if err != nil {
		return fail(err)
	}
	if _, err := verify.VerifySigstoreBundle(sb, sgverify.WithoutArtifactUnsafe(), tm); err != nil {
		return fail(err)
	}
	return nil
}

// certIdentity reads the OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8,
// or the legacy .1.1) and the SAN (email, else URI) of a Fulcio certificate.
func certIdentity(der []byte) (issuer, subject string, err error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", err
	}
	ext, err := certificate.ParseExtensions(cert.Extensions)
	if err != nil {
		return "", "", err
	}
	switch {
	case len(cert.EmailAddresses) > 0:
		subject = cert.EmailAddresses[0]
	case len(cert.URIs) > 0:
		subject = cert.URIs[0].String()
	}
	return ext.Issuer, subject, nil
}

// fulcioStep is the certificate provider of one signature: it fetches the
// identity token, then asks Fulcio for the certificate.
type fulcioStep run

func (f *fulcioStep) GetCertificate(ctx context.Context, kp sign.Keypair, _ *sign.CertificateProviderOptions) ([]byte, error) {
	r := (*run)(f)
	s := r.s
	r.progress("fetching identity token (" + s.tokens.Name() + ")")
	tok, err := s.tokens.Token(ctx)
	if err != nil {
		var se *ServiceError
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, &ServiceError{Service: ServiceOIDC, URL: s.tokens.Name(), Err: err}
	}
	claims, err := checkToken(tok, s.now())
	if err != nil {
		hint := "the source did not give an OIDC identity token (a compact JWT)"
		var expired *expiredError
		if errors.As(err, &expired) {
			hint = "fetch a fresh identity token right before signing"
		}
		return nil, &ServiceError{Service: ServiceOIDC, URL: s.tokens.Name(), Err: err, Hint: hint}
	}
	endpoint := s.services.FulcioURL
	r.progress("requesting certificate from Fulcio " + endpoint)
	fulcio := sign.NewFulcio(&sign.FulcioOptions{
		BaseURL:   endpoint,
		Timeout:   s.timeout(defaultFulcioTimeout),
		Retries:   serviceRetries,
		Transport: ctxTransport{ctx: ctx, base: s.transport},
	})
	der, err := fulcio.GetCertificate(ctx, kp, &sign.CertificateProviderOptions{IDToken: tok})
	if err != nil {
		se := fulcioError(endpoint, err)
		if se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden {
			if aud := claims.audiences(); len(aud) > 0 && !slices.Contains(aud, SigstoreAudience) {
				se.Hint += fmt.Sprintf(" (this token's aud is %q)", excerpt(strings.Join(aud, ","), 80))
			}
		}
		return nil, se
	}
	r.der = der
	r.phase = phaseTimestamp
	if len(s.services.TSAURLs) > 0 {
		r.progress("requesting timestamp from " + strings.Join(s.services.TSAURLs, ", "))
	}
	return der, nil
}

// rekorStep uploads the entry of one signature to one log.
type rekorStep struct {
	r   *run
	svc RekorService
}

func (t *rekorStep) GetTransparencyLogEntry(ctx context.Context, keyOrCertPEM []byte, b *protobundle.Bundle) error {
	r, s := t.r, t.r.s
	r.phase = phaseRekor
	r.progress(fmt.Sprintf("uploading to Rekor %s (v%d)", t.svc.URL, t.svc.Version))
	rekor := sign.NewRekor(&sign.RekorOptions{
		BaseURL: t.svc.URL,
		Timeout: s.timeout(defaultRekorTimeout),
		Retries: serviceRetries,
		Version: t.svc.Version,
	})
	if t.svc.Version == 2 {
		// sigstore-go's Rekor v2 client ignores Timeout; bound it by the context.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout(defaultRekorTimeout))
		defer cancel()
	}
	if err := rekor.GetTransparencyLogEntry(ctx, keyOrCertPEM, b); err != nil {
		return rekorError(t.svc.URL, t.svc.Version, err)
	}
	return nil
}
