package github

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const (
	// backoffBase and backoffCap bound the exponential backoff used for 5xx
	// and network errors (before jitter).
	backoffBase = time.Second
	backoffCap  = 30 * time.Second
	// secondaryLimitDefaultWait is what GitHub's documentation asks for when a
	// secondary rate limit response says nothing: "wait for at least one
	// minute before retrying".
	secondaryLimitDefaultWait = time.Minute
	// peekLimit bounds how much of a 403 body is read to recognise a
	// secondary rate limit; the body is handed on intact either way.
	peekLimit = 64 << 10
	// drainLimit bounds how much of a discarded response is read so that the
	// connection can be reused.
	drainLimit = 64 << 10
)

// noRetryAmbiguousKey marks a request whose ambiguous failures (5xx, network
// error: the server may have applied it) must not be retried by the
// transport, because the caller checks the outcome first (comment creation).
type noRetryAmbiguousKey struct{}

// withoutAmbiguousRetry returns ctx marked with noRetryAmbiguousKey.
func withoutAmbiguousRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetryAmbiguousKey{}, true)
}

// transport authenticates, counts and retries the client's HTTP requests.
//
// Retry policy (at most maxRetries retries after the first attempt):
//   - 5xx: exponential backoff with jitter (or Retry-After when sent);
//   - 429 and secondary rate limits (403 with Retry-After, or whose message
//     or documentation URL names a secondary rate limit): Retry-After, else
//     x-ratelimit-reset when x-ratelimit-remaining is 0, else one minute;
//   - primary rate limit (403 with x-ratelimit-remaining: 0): until
//     x-ratelimit-reset;
//   - network errors: backoff, but only for idempotent methods (GET, HEAD,
//     OPTIONS, PUT, DELETE);
//   - anything else, notably 401, 403 (permissions), 404 and 422: never.
//
// A wait longer than maxWait is not waited out: the response is returned
// as is and surfaces as an *APIError with RetryAfter set. POST and PATCH
// are retried only after a 5xx or rate-limit response, and requests marked
// with withoutAmbiguousRetry not even after a 5xx.
type transport struct {
	base       http.RoundTripper
	token      string
	apiOrigin  string // scheme://host[:port] that receives the token
	maxRetries int
	maxWait    time.Duration
	sleep      func(context.Context, time.Duration) error
	calls      atomic.Int64
}

// RoundTrip sends req, retrying as described on [transport].
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	noAmbiguous := ctx.Value(noRetryAmbiguousKey{}) != nil
	for attempt := 0; ; attempt++ {
		r := req.Clone(ctx)
		if attempt > 0 && req.Body != nil && req.Body != http.NoBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r.Body = body
		}
		if t.token != "" && origin(r) == t.apiOrigin {
			// Only the API origin gets the token: never a redirect target
			// on another host.
			r.Header.Set("Authorization", "Bearer "+t.token)
		}
		t.calls.Add(1)
		resp, err := t.base.RoundTrip(r)

		wait, retry := t.decide(r, resp, err, attempt, noAmbiguous)
		if !retry {
			return resp, err
		}
		if resp != nil {
			_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
			_ = resp.Body.Close()
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// decide reports whether the outcome of attempt should be retried, and after
// how long. It may replace resp.Body (to peek at a 403) with an equivalent
// reader.
func (t *transport) decide(req *http.Request, resp *http.Response, err error, attempt int, noAmbiguous bool) (time.Duration, bool) {
	if attempt >= t.maxRetries {
		return 0, false
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return 0, false // cannot replay the body
	}
	if err != nil {
		if req.Context().Err() != nil || noAmbiguous || !idempotent(req.Method) {
			return 0, false
		}
		return backoff(attempt), true
	}
	now := time.Now()
	var wait time.Duration
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		wait = secondaryLimitDefaultWait
		if d, ok := rateLimitWait(resp.Header, now); ok {
			wait = d
		}
	case code == http.StatusForbidden:
		d, limited := forbiddenRateLimitWait(resp, now)
		if !limited {
			return 0, false
		}
		wait = d
	case code >= 500 && code != http.StatusNotImplemented:
		if noAmbiguous {
			return 0, false
		}
		wait = backoff(attempt)
		if d, ok := retryAfter(resp.Header, now); ok {
			wait = d
		}
	default:
		return 0, false
	}
	if wait > t.maxWait {
		return 0, false
	}
	return wait, true
}

// forbiddenRateLimitWait classifies a 403: it reports whether it is a primary
// or secondary rate limit and how long to wait. The body is peeked at and
// restored.
func forbiddenRateLimitWait(resp *http.Response, now time.Time) (time.Duration, bool) {
	h := resp.Header
	if h.Get("X-RateLimit-Remaining") == "0" {
		if d, ok := rateLimitWait(h, now); ok {
			return d, true
		}
		return secondaryLimitDefaultWait, true
	}
	if d, ok := retryAfter(h, now); ok {
		return d, true
	}
	var body struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	peeked, _ := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(peeked), resp.Body), resp.Body}
	if json.Unmarshal(peeked, &body) != nil || !isSecondaryLimitMessage(body.Message, body.DocumentationURL) {
		return 0, false
	}
	return secondaryLimitDefaultWait, true
}

// rateLimitWait returns the wait GitHub asks for in h: Retry-After, or the
// time until x-ratelimit-reset when x-ratelimit-remaining is 0.
func rateLimitWait(h http.Header, now time.Time) (time.Duration, bool) {
	if d, ok := retryAfter(h, now); ok {
		return d, true
	}
	if h.Get("X-RateLimit-Remaining") != "0" {
		return 0, false
	}
	reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
	if err != nil {
		return 0, false
	}
	// One second of margin for clock skew, as go-github does.
	return max(0, time.Unix(reset, 0).Sub(now)+time.Second), true
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, true
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// backoff returns the exponential backoff before retry number attempt+1,
// with "equal jitter": half fixed, half random.
func backoff(attempt int) time.Duration {
	d := backoffCap
	if attempt < 16 {
		d = min(backoffCap, backoffBase<<attempt)
	}
	return d/2 + rand.N(d/2+1)
}

// idempotent reports whether a request with method may be resent after a
// network error without risk of applying it twice.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// origin returns scheme://host of r's URL.
func origin(r *http.Request) string {
	return strings.ToLower(r.URL.Scheme + "://" + r.URL.Host)
}

// sleepContext waits for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
