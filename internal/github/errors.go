package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// readOnlyMessage is GitHub's message for a write refused to a token that
// lacks the permission, typically the read-only GITHUB_TOKEN of a pull
// request from a fork.
const readOnlyMessage = "Resource not accessible by integration"

// APIError is the error of a failed GitHub API operation. Every error returned
// by [Client] methods for a request that was sent (or refused locally because
// of a known rate limit) is an *APIError; use errors.As to inspect it, or the
// helpers [IsForbidden], [IsNotFound] and [IsTransient].
type APIError struct {
	// Op names the operation, e.g. "list files of PR #12".
	Op string
	// Status is the HTTP status code of the final response, 0 when no
	// response was received (network error, cancelled context).
	Status int
	// Message is GitHub's error message (with validation details for 422),
	// on one line.
	Message string
	// RetryAfter is how long GitHub asked the client to wait (Retry-After or
	// x-ratelimit-reset), 0 when it did not say.
	RetryAfter time.Duration
	// ReadOnly reports a 403 "Resource not accessible by integration": the
	// token may read but not write (a fork pull request's GITHUB_TOKEN, or a
	// workflow without the needed permissions).
	ReadOnly bool
	// AcceptedPermissions is GitHub's X-Accepted-GitHub-Permissions header
	// of a refused request (e.g. "issues=write; pull_requests=write"), when
	// present.
	AcceptedPermissions string
	// RateLimited reports a primary or secondary rate limit (429, or 403
	// with a rate-limit message, Retry-After or x-ratelimit-remaining: 0).
	RateLimited bool
	// Err is the underlying error (go-github's error or the transport error).
	Err error
}

// Error returns one line: "github: OP: STATUS MESSAGE" or "github: OP: ERR".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("github: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.Status != 0:
		b.WriteString(strconv.Itoa(e.Status))
		if e.Message != "" {
			b.WriteString(" ")
			b.WriteString(e.Message)
		} else if t := http.StatusText(e.Status); t != "" {
			b.WriteString(" ")
			b.WriteString(t)
		}
		if e.AcceptedPermissions != "" {
			b.WriteString(" (accepted permissions: ")
			b.WriteString(e.AcceptedPermissions)
			b.WriteString(")")
		}
		if e.RateLimited && e.RetryAfter > 0 {
			fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter.Round(time.Second))
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("unknown error")
	}
	return oneLine(b.String())
}

// Unwrap returns the underlying error.
func (e *APIError) Unwrap() error { return e.Err }

// IsForbidden reports whether err is a 403 that is not a rate limit: a
// missing permission or a read-only token (see [APIError.ReadOnly]).
func IsForbidden(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusForbidden && !e.RateLimited
}

// IsNotFound reports whether err is a 404. GitHub also answers 404 for
// private resources the token cannot see.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// IsTransient reports whether retrying later may succeed: a 5xx, a 429, a
// primary or secondary rate limit, or a network error (not a cancelled or
// expired context).
func IsTransient(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	switch {
	case e.RateLimited, e.Status == http.StatusTooManyRequests, e.Status >= 500:
		return true
	case e.Status != 0:
		return false
	}
	return isNetworkError(e.Err)
}

// isNetworkError reports whether err is a failure to exchange with the
// server (not a cancelled or expired context, not a refusal by the client
// itself such as an invalid argument).
func isNetworkError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// isAmbiguous reports whether a failed write may nevertheless have been
// applied by the server: a 5xx or a network error (no response). Rate-limit
// refusals are not ambiguous: GitHub rejected the request.
func isAmbiguous(err error) bool {
	var e *APIError
	if !errors.As(err, &e) || e.RateLimited {
		return false
	}
	return e.Status >= 500 || (e.Status == 0 && IsTransient(err))
}

// wrap converts an error from go-github into an *APIError for op. It returns
// nil for a nil err.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	e := &APIError{Op: op, Err: err}
	var (
		rl  *gh.RateLimitError
		ab  *gh.AbuseRateLimitError
		er  *gh.ErrorResponse
		acc *gh.AcceptedError
	)
	switch {
	case errors.As(err, &rl):
		e.Status = statusOf(rl.Response, http.StatusForbidden)
		e.Message = rl.Message
		e.RateLimited = true
		if !rl.Rate.Reset.IsZero() {
			e.RetryAfter = max(0, time.Until(rl.Rate.Reset.Time))
		}
	case errors.As(err, &ab):
		e.Status = statusOf(ab.Response, http.StatusForbidden)
		e.Message = ab.Message
		e.RateLimited = true
		if ab.RetryAfter != nil {
			e.RetryAfter = max(0, *ab.RetryAfter)
		}
	case errors.As(err, &er):
		e.Status = statusOf(er.Response, 0)
		e.Message = errorMessage(er)
		if er.Response != nil {
			e.AcceptedPermissions = er.Response.Header.Get("X-Accepted-GitHub-Permissions")
			if d, ok := rateLimitWait(er.Response.Header, time.Now()); ok {
				e.RetryAfter = d
			}
		}
		switch {
		case e.Status == http.StatusTooManyRequests:
			e.RateLimited = true
		case e.Status == http.StatusForbidden && isSecondaryLimitMessage(er.Message, er.DocumentationURL):
			e.RateLimited = true
		case e.Status == http.StatusForbidden && strings.Contains(er.Message, readOnlyMessage):
			e.ReadOnly = true
		}
	case errors.As(err, &acc):
		// 202: GitHub is computing the answer; the caller may retry later.
		e.Status = http.StatusAccepted
		e.Message = "accepted, result not ready yet"
	}
	return e
}

// statusOf returns resp's status code, or def when resp is nil.
func statusOf(resp *http.Response, def int) int {
	if resp == nil {
		return def
	}
	return resp.StatusCode
}

// errorMessage renders an ErrorResponse's message and validation errors on
// one line: "Validation Failed: body is too long (maximum is 65536 characters)".
func errorMessage(er *gh.ErrorResponse) string {
	msg := er.Message
	var details []string
	for _, d := range er.Errors {
		switch {
		case d.Message != "":
			details = append(details, d.Message)
		case d.Code != "":
			details = append(details, strings.TrimSpace(d.Code+" "+d.Field))
		}
	}
	if len(details) > 0 {
		if msg != "" {
			msg += ": "
		}
		msg += strings.Join(details, "; ")
	}
	return oneLine(msg)
}

// isSecondaryLimitMessage reports whether a 403's message or documentation
// URL identifies a secondary (formerly "abuse") rate limit.
func isSecondaryLimitMessage(message, docURL string) bool {
	m := strings.ToLower(message)
	return strings.Contains(m, "secondary rate limit") ||
		strings.Contains(m, "abuse detection") ||
		strings.HasSuffix(docURL, "secondary-rate-limits") ||
		strings.HasSuffix(docURL, "#abuse-rate-limits")
}

// oneLine replaces line breaks and other control characters with spaces so
// that an error (which may quote server text) stays on one line.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, isControl), " ")
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' }

// BlobTooLargeError is returned by [Client.Blob] when a blob exceeds the
// caller's size limit. The body is not read beyond the limit.
type BlobTooLargeError struct {
	// SHA is the requested blob.
	SHA string
	// Limit is the caller's maximum, in bytes.
	Limit int64
	// Size is the size announced by the server (Content-Length), or -1 when
	// the blob was cut off while reading.
	Size int64
}

// Error describes the refusal on one line.
func (e *BlobTooLargeError) Error() string {
	if e.Size >= 0 {
		return fmt.Sprintf("github: get blob %s: %d bytes exceeds the limit of %d bytes", e.SHA, e.Size, e.Limit)
	}
	return fmt.Sprintf("github: get blob %s: more than the limit of %d bytes", e.SHA, e.Limit)
}

// BlobMismatchError is returned by [Client.Blob] when the bytes received do
// not hash to the requested blob SHA (git's sha1("blob <len>\x00" + content)).
type BlobMismatchError struct {
	// SHA is the requested blob; Got is the SHA of the bytes received.
	SHA, Got string
}

// Error describes the mismatch on one line.
func (e *BlobMismatchError) Error() string {
	return fmt.Sprintf("github: get blob %s: content hashes to %s", e.SHA, e.Got)
}
