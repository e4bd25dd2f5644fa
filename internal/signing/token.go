package signing

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"
)

// TokenSource yields OIDC identity tokens for Fulcio.
type TokenSource interface {
	// Name says where tokens come from, for messages ("SIGSTORE_ID_TOKEN",
	// "GitHub Actions", "file /path", …). It never contains a token.
	Name() string
	// Token returns a fresh identity token (a compact JWT). Sources that
	// talk to the network do so here, never before.
	Token(ctx context.Context) (string, error)
}

// EnvSigstoreIDToken is the environment variable holding an identity token,
// as in cosign.
const EnvSigstoreIDToken = "SIGSTORE_ID_TOKEN"

// Sigstore public-good OAuth defaults for interactive logins.
const (
	DefaultOIDCIssuer   = "https://oauth2.sigstore.dev/auth"
	DefaultOIDCClientID = "sigstore"
)

// maxTokenFile bounds an identity token file.
const maxTokenFile = 64 << 10

// ResolveOptions says which token sources [Resolve] may use.
type ResolveOptions struct {
	// TokenFile is the --identity-token value: a path to a file holding the
	// token, or the token itself (a compact JWT, when no file of that name
	// exists). A literal token on a command line is visible to other local
	// users; prefer a file or SIGSTORE_ID_TOKEN.
	TokenFile string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Interactive allows an interactive login. Set it only when the user did
	// not opt out and stderr is a terminal the login's prompts can reach. An
	// interactive login publishes the user's identity (see [IsInteractive]):
	// callers ask before its Token is called.
	Interactive bool
	// DeviceFlow forces the OAuth device flow for interactive logins instead
	// of choosing it only on headless hosts.
	DeviceFlow bool
	// OIDCIssuer is the issuer of interactive logins; default
	// https://oauth2.sigstore.dev/auth.
	OIDCIssuer string
	// OIDCClientID is the OAuth client of interactive logins; default sigstore.
	OIDCClientID string
	// HTTPClient is used for the GitHub Actions token request; nil means a
	// plain client with a 10 s timeout.
	HTTPClient *http.Client
	// Stderr receives the prompts of interactive logins (URL, user code);
	// nil discards them.
	Stderr io.Writer
}

// NoTokenError is returned by [Resolve] when no source is available.
type NoTokenError struct {
	// Tried lists each source considered and why it was not used.
	Tried []string
}

// Error lists the sources tried and how to provide a token.
func (e *NoTokenError) Error() string {
	return "no OIDC identity token for keyless signing: tried " + strings.Join(e.Tried, "; ") +
		". Pass --identity-token FILE, set " + EnvSigstoreIDToken + ", or run in a GitHub Actions job with `permissions: id-token: write`"
}

// Resolve picks the first available token source, in this order: the
// explicit token (opts.TokenFile), SIGSTORE_ID_TOKEN, the ambient GitHub
// Actions token (both ACTIONS_ID_TOKEN_REQUEST_URL and
// ACTIONS_ID_TOKEN_REQUEST_TOKEN set), an interactive login (only when
// opts.Interactive). It fetches nothing: a source's Token is called later,
// right before signing. It fails early when opts.TokenFile names neither a
// readable file nor a JWT, and with a [*NoTokenError] listing what was tried
// when no source is available.
func Resolve(opts ResolveOptions) (TokenSource, error) {
	getenv := orOSGetenv(opts.Getenv)
	var tried []string

	if opts.TokenFile != "" {
		return explicitToken(opts.TokenFile)
	}
	tried = append(tried, "--identity-token (not given)")

	if strings.TrimSpace(getenv(EnvSigstoreIDToken)) != "" {
		return &envSource{getenv: getenv, name: EnvSigstoreIDToken}, nil
	}
	tried = append(tried, EnvSigstoreIDToken+" (not set)")

	reqURL, reqTok := strings.TrimSpace(getenv(EnvActionsIDTokenRequestURL)), strings.TrimSpace(getenv(EnvActionsIDTokenRequestToken))
	if reqURL != "" && reqTok != "" {
		return GitHubActionsToken(getenv, opts.HTTPClient), nil
	}
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		tried = append(tried, "GitHub Actions OIDC token ("+EnvActionsIDTokenRequestURL+" not set: "+idTokenWriteHint+")")
	default:
		tried = append(tried, "GitHub Actions OIDC token ("+EnvActionsIDTokenRequestURL+" not set: not in a GitHub Actions job)")
	}

	if opts.Interactive {
		return InteractiveToken(opts), nil
	}
	tried = append(tried, "interactive login (not allowed: no terminal, or turned off)")
	return nil, &NoTokenError{Tried: tried}
}

// IsInteractive reports whether tokens come from an interactive login, whose
// identity (usually the user's e-mail address) ends up in the Fulcio
// certificate and the public transparency log: callers must say so, and ask,
// before its Token is called. A source is interactive when it has a method
// Interactive() bool that returns true ([InteractiveToken]'s does; test
// doubles can too).
func IsInteractive(ts TokenSource) bool {
	i, ok := ts.(interface{ Interactive() bool })
	return ok && i.Interactive()
}

// StdioIsTerminal reports whether stdin and stderr are both terminals, the
// condition for offering an interactive login.
func StdioIsTerminal() bool {
	return isTerminal(os.Stdin) && isTerminal(os.Stderr)
}

func orOSGetenv(getenv func(string) string) func(string) string {
	if getenv == nil {
		return os.Getenv
	}
	return getenv
}

// jwtRE matches a compact JWS: three base64url segments (the last may be
// empty for unsigned tokens).
var jwtRE = regexp.MustCompile(`^[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]*={0,2}$`)

// explicitToken interprets the --identity-token value.
func explicitToken(v string) (TokenSource, error) {
	if fi, err := os.Stat(v); err == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("--identity-token %s: is a directory, want a file holding the token", v)
		}
		return &fileSource{path: v}, nil
	} else if lit := strings.TrimSpace(v); jwtRE.MatchString(lit) {
		return &literalSource{token: lit}, nil
	} else if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("--identity-token %s: no such file, and not a JWT", v)
	} else {
		return nil, fmt.Errorf("--identity-token: %w", err)
	}
}

// fileSource reads the token file at Token time, so a file refreshed by a
// sidecar (a projected service account token, say) is read fresh.
type fileSource struct{ path string }

func (f *fileSource) Name() string { return "file " + f.path }

func (f *fileSource) Token(context.Context) (string, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		return "", &ServiceError{Service: ServiceOIDC, URL: f.Name(), Err: err}
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxTokenFile+1))
	if err != nil {
		return "", &ServiceError{Service: ServiceOIDC, URL: f.Name(), Err: err}
	}
	if len(b) > maxTokenFile {
		return "", &ServiceError{Service: ServiceOIDC, URL: f.Name(), Err: fmt.Errorf("larger than %d bytes; not an identity token", maxTokenFile)}
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", &ServiceError{Service: ServiceOIDC, URL: f.Name(), Err: errors.New("the file is empty")}
	}
	return tok, nil
}

type literalSource struct{ token string }

func (l *literalSource) Name() string { return "--identity-token (literal)" }

func (l *literalSource) Token(context.Context) (string, error) { return l.token, nil }

// envSource reads an environment variable at Token time.
type envSource struct {
	getenv func(string) string
	name   string
}

func (e *envSource) Name() string { return e.name }

func (e *envSource) Token(context.Context) (string, error) {
	tok := strings.TrimSpace(e.getenv(e.name))
	if tok == "" {
		return "", &ServiceError{Service: ServiceOIDC, URL: e.name, Err: errors.New("the variable is empty")}
	}
	return tok, nil
}

// tokenClaims are the identity token claims checked before Fulcio sees it.
type tokenClaims struct {
	Audience json.RawMessage `json:"aud"`
	Expiry   *json.Number    `json:"exp"`
}

// checkToken parses the token's claims without verifying them, so that a
// malformed or already expired token fails with a clear message instead of a
// Fulcio 401.
func checkToken(tok string, now time.Time) (tokenClaims, error) {
	c, err := parseClaims(tok)
	if err != nil {
		return c, err
	}
	if c.Expiry != nil {
		exp, err := c.Expiry.Float64()
		if err == nil && exp > 0 {
			at := time.Unix(int64(exp), 0)
			if !now.Before(at) {
				return c, &expiredError{at: at, ago: now.Sub(at).Round(time.Second)}
			}
		}
	}
	return c, nil
}

// audiences returns the aud claim, a string or an array of strings.
func (c tokenClaims) audiences() []string {
	var one string
	if json.Unmarshal(c.Audience, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(c.Audience, &many)
	return many
}

// expiredError says when a token expired.
type expiredError struct {
	at  time.Time
	ago time.Duration
}

func (e *expiredError) Error() string {
	return fmt.Sprintf("the token expired at %s (%s ago)", e.at.UTC().Format(time.RFC3339), e.ago)
}

// parseClaims decodes the claims of a compact JWT without verifying it.
func parseClaims(tok string) (tokenClaims, error) {
	var c tokenClaims
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return c, fmt.Errorf("not a JWT: %d dot-separated parts, want 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return c, fmt.Errorf("not a JWT: claims are not base64url: %v", err)
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return c, fmt.Errorf("not a JWT: claims are not a JSON object: %v", err)
	}
	return c, nil
}
