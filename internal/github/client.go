// Package github is the action's GitHub REST client: it reads a pull
// request, its changed files, blobs and trees, and keeps one sticky review
// comment up to date.
//
// It wraps github.com/google/go-github/v62 with what an action needs on top:
//
//   - bounded retries in the HTTP transport: 5xx and network errors with
//     exponential backoff and jitter, 429 and secondary rate limits after
//     Retry-After or x-ratelimit-reset, never other 4xx (see [Options]);
//   - one error type, [APIError], one line each, wrapped with the operation
//     ("github: list files of PR #12: 403 Resource not accessible by
//     integration"), classified by [IsForbidden], [IsNotFound] and
//     [IsTransient];
//   - a count of the HTTP requests sent ([Client.Calls]), retries included.
//
// The token is sent only to the API origin (never to a redirect target on
// another host). Tests run it against the fake server of package
// githubtest, which checks every exchange against GitHub's OpenAPI
// description.
package github

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// DefaultBaseURL is the API root of github.com (GITHUB_API_URL there).
const DefaultBaseURL = "https://api.github.com/"

// Defaults applied by [New] to zero [Options] fields.
const (
	DefaultMaxRetries   = 3
	DefaultMaxRetryWait = 2 * time.Minute
	DefaultUserAgent    = "verify-evidence"
)

// Options configures a [Client]. The zero value (plus a token) talks to
// github.com.
type Options struct {
	// Token authenticates requests ("Authorization: Bearer TOKEN"); it is
	// sent only to BaseURL's origin. Empty means anonymous.
	Token string
	// BaseURL is the REST API root: GITHUB_API_URL, e.g.
	// https://api.github.com (the default) or https://HOST/api/v3 on GitHub
	// Enterprise Server. It is used as given (a trailing slash is added).
	BaseURL string
	// HTTPClient is the client whose transport carries the requests; nil
	// means a transport with connection and header timeouts. Its Timeout, if
	// any, covers retries and their waits too.
	HTTPClient *http.Client
	// MaxRetries is how many times a failed request may be retried
	// (so at most MaxRetries+1 requests); 0 means DefaultMaxRetries, a
	// negative value disables retries.
	MaxRetries int
	// MaxRetryWait is the longest wait the client accepts before a retry
	// (rate limits can ask for up to an hour); a longer wait is not waited
	// out and the error reports it in [APIError.RetryAfter]. 0 means
	// DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// Sleep waits between retries; nil means a timer that stops when ctx is
	// done. Tests inject a recorder.
	Sleep func(context.Context, time.Duration) error
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
}

// Client is a GitHub REST API client for the action. It is safe for
// concurrent use.
type Client struct {
	gh         *gh.Client
	tr         *transport
	maxRetries int
	maxWait    time.Duration
	sleep      func(context.Context, time.Duration) error

	loginMu   sync.Mutex
	login     string // authenticated login from GET /user, once known
	loginDone bool   // GET /user was answered (login may be "" when refused)
}

// New returns a client configured by opts.
func New(opts Options) (*Client, error) {
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("github: base URL %q: %w", base, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("github: base URL %q: want http(s)://host[/path] without credentials, query or fragment", base)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}

	maxRetries := opts.MaxRetries
	switch {
	case maxRetries == 0:
		maxRetries = DefaultMaxRetries
	case maxRetries < 0:
		maxRetries = 0
	}
	maxWait := opts.MaxRetryWait
	if maxWait <= 0 {
		maxWait = DefaultMaxRetryWait
	}
	sleep := opts.Sleep
	if sleep == nil {
		sleep = sleepContext
	}

	hc := &http.Client{}
	if opts.HTTPClient != nil {
		*hc = *opts.HTTPClient
	}
	base0 := hc.Transport
	if base0 == nil {
		base0 = defaultTransport()
	}
	tr := &transport{
		base:       base0,
		token:      opts.Token,
		apiOrigin:  strings.ToLower(u.Scheme + "://" + u.Host),
		maxRetries: maxRetries,
		maxWait:    maxWait,
		sleep:      sleep,
	}
	hc.Transport = tr

	g := gh.NewClient(hc)
	g.BaseURL = u
	g.UploadURL = u
	g.UserAgent = opts.UserAgent
	if g.UserAgent == "" {
		g.UserAgent = DefaultUserAgent
	}
	return &Client{gh: g, tr: tr, maxRetries: maxRetries, maxWait: maxWait, sleep: sleep}, nil
}

// defaultTransport is http.DefaultTransport's configuration with a bound on
// the wait for response headers, so a hung connection ends in an error
// (retried for reads) instead of hanging the job.
func defaultTransport() http.RoundTripper {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Calls returns the number of HTTP requests sent so far, retries included
// (requests go-github refuses locally because of a known rate limit are not
// sent and not counted).
func (c *Client) Calls() int { return int(c.tr.calls.Load()) }

// Repo names a repository.
type Repo struct {
	Owner, Name string
}

// String returns "owner/name".
func (r Repo) String() string { return r.Owner + "/" + r.Name }

var (
	ownerRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
)

// Validate checks that r is a well-formed owner/name pair: GitHub's
// character sets, so that neither part can alter a request path.
func (r Repo) Validate() error {
	if !ownerRE.MatchString(r.Owner) || !nameRE.MatchString(r.Name) || r.Name == "." || r.Name == ".." {
		return fmt.Errorf("github: invalid repository %q", r.String())
	}
	return nil
}

// ParseRepo parses "owner/name" (GITHUB_REPOSITORY).
func ParseRepo(s string) (Repo, error) {
	owner, name, ok := strings.Cut(s, "/")
	r := Repo{Owner: owner, Name: name}
	if !ok {
		return Repo{}, fmt.Errorf("github: invalid repository %q: want owner/name", s)
	}
	if err := r.Validate(); err != nil {
		return Repo{}, err
	}
	return r, nil
}

// hexSHA matches a full SHA-1 or SHA-256 object name.
var hexSHA = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)

// checkSHA validates a full object name given by the caller.
func checkSHA(op, sha string) error {
	if !hexSHA.MatchString(sha) {
		return &APIError{Op: op, Err: fmt.Errorf("invalid object name %q: want 40 or 64 lowercase hex digits", sha)}
	}
	return nil
}

// checkRepo validates repo for op.
func checkRepo(op string, repo Repo) error {
	if err := repo.Validate(); err != nil {
		return &APIError{Op: op, Err: errors.New(strings.TrimPrefix(err.Error(), "github: "))}
	}
	return nil
}
