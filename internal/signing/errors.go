package signing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/sigstore/rekor/pkg/generated/models"
)

// Service names used in [ServiceError.Service].
const (
	ServiceOIDC   = "OIDC"
	ServiceFulcio = "Fulcio"
	ServiceRekor  = "Rekor"
	ServiceTSA    = "timestamp authority"
	ServiceVerify = "self-verification"
)

// maxDetail bounds the server message quoted in an error.
const maxDetail = 300

// ServiceError is a failure of one step of signing, with the service that
// failed, what it answered, and a hint at the likely cause.
type ServiceError struct {
	// Service is one of ServiceOIDC, ServiceFulcio, ServiceRekor, ServiceTSA
	// or ServiceVerify.
	Service string
	// URL is the service endpoint; for ServiceOIDC, the token source's Name.
	URL string
	// Status is the HTTP status the service answered, 0 when there was none
	// (network failure, timeout, local error).
	Status int
	// Hint says what probably went wrong and what to do; may be empty.
	Hint string
	// Err is the underlying error.
	Err error
}

// Error renders "<service> <url>: <status>: <detail> — <hint>" on one line
// ("OIDC identity token from <source>: …" for token sources), with the
// detail cut to a few hundred characters.
func (e *ServiceError) Error() string {
	var b strings.Builder
	switch {
	case e.Service == ServiceOIDC && e.URL != "":
		b.WriteString("OIDC identity token from " + e.URL)
	case e.Service == ServiceOIDC:
		b.WriteString("OIDC identity token")
	default:
		b.WriteString(e.Service)
		if e.URL != "" {
			b.WriteString(" " + e.URL)
		}
	}
	b.WriteString(": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d %s: ", e.Status, http.StatusText(e.Status))
	}
	if e.Err != nil {
		b.WriteString(excerpt(e.Err.Error(), maxDetail))
	}
	if e.Hint != "" {
		b.WriteString(" — " + e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ServiceError) Unwrap() error { return e.Err }

// excerpt collapses whitespace to single spaces and cuts s to at most n
// bytes (on a rune boundary), marking the cut.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// jsonMessage returns the "message" of a {"code":…, "message":…} error body
// (the shape Fulcio and Rekor use), or body itself.
func jsonMessage(body string) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(strings.TrimSpace(body)), &m) == nil && m.Message != "" {
		return m.Message
	}
	return body
}

var (
	fulcioStatusRE = regexp.MustCompile(`(?s)^Fulcio returned (\d{3}): (.*)$`)
	tsaStatusRE    = regexp.MustCompile(`(?s)^timestamp authority returned (\d{3}): (.*)$`)
	// rekorStatusRE matches go-openapi's "[POST /log/entries][500] …" and the
	// rekor client's retry handler's "giving up after N attempt(s): status 500: …".
	rekorStatusRE = regexp.MustCompile(`(?s)(?:\]\[(\d{3})\]|status (\d{3}))(?::? ?)(.*)$`)
	// rekorV2StatusRE matches rekor-tiles' write client: "unexpected response: 400 <body>".
	rekorV2StatusRE = regexp.MustCompile(`(?s)unexpected response: (\d{3}) ?(.*)$`)
)

// innermost strips the *url.Error layers (each repeats the method and URL)
// and keeps the cause, e.g. "dial tcp …: connection refused".
func innermost(err error) error {
	for {
		var ue *url.Error
		if !errors.As(err, &ue) || ue.Err == nil {
			return err
		}
		err = ue.Err
	}
}

// isNetworkError reports whether err is a transport failure (no HTTP answer).
func isNetworkError(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne)
}

// contextHint explains a cancelled or timed-out step.
func contextHint(err error, service string) (string, bool) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return service + " did not answer in time; retry, or raise the timeout", true
	case errors.Is(err, context.Canceled):
		return "signing was cancelled", true
	}
	return "", false
}

// fulcioError classifies an error from sigstore-go's Fulcio client.
func fulcioError(endpoint string, err error) *ServiceError {
	se := &ServiceError{Service: ServiceFulcio, URL: endpoint, Err: err}
	if h, ok := contextHint(err, ServiceFulcio); ok {
		se.Err, se.Hint = innermost(err), h
		return se
	}
	if m := fulcioStatusRE.FindStringSubmatch(err.Error()); m != nil {
		se.Status, _ = strconv.Atoi(m[1])
		se.Err = errors.New(jsonMessage(m[2]))
		switch {
		case se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden:
			se.Hint = `the identity token expired, was issued too long ago, or has the wrong audience (Fulcio wants aud "sigstore"); fetch a fresh token right before signing`
		case se.Status == http.StatusBadRequest:
			se.Hint = "Fulcio refused the request: this Fulcio may not accept the token's issuer, or the token is malformed"
		case se.Status == http.StatusNotFound:
			se.Hint = "no Fulcio v2 API at this URL; check the Fulcio URL"
		case se.Status == http.StatusTooManyRequests || se.Status >= 500:
			se.Hint = "Fulcio is unavailable; retry later"
		}
		return se
	}
	if isNetworkError(err) {
		se.Err = innermost(err)
		se.Hint = "could not reach Fulcio; check the URL, the network and any proxy"
	}
	return se
}

// rekorError classifies an error from sigstore-go's Rekor client.
func rekorError(endpoint string, version uint32, err error) *ServiceError {
	se := &ServiceError{Service: ServiceRekor, URL: endpoint, Err: err}
	if h, ok := contextHint(err, ServiceRekor); ok {
		se.Err, se.Hint = innermost(err), h
		return se
	}
	var coder interface{ Code() int }
	var payload interface{ GetPayload() *models.Error }
	if errors.As(err, &coder) {
		se.Status = coder.Code()
		if errors.As(err, &payload) && payload.GetPayload() != nil && payload.GetPayload().Message != "" {
			se.Err = errors.New(payload.GetPayload().Message)
		}
	} else if m := rekorV2StatusRE.FindStringSubmatch(err.Error()); m != nil {
		se.Status, _ = strconv.Atoi(m[1])
		if msg := strings.TrimSpace(m[2]); msg != "" {
			se.Err = errors.New(jsonMessage(msg))
		}
	} else if m := rekorStatusRE.FindStringSubmatch(err.Error()); m != nil {
		s := m[1]
		if s == "" {
			s = m[2]
		}
		se.Status, _ = strconv.Atoi(s)
		if msg := strings.TrimSpace(m[3]); msg != "" {
			se.Err = errors.New(jsonMessage(msg))
		}
	}
	switch {
	case se.Status == http.StatusBadRequest:
		se.Hint = "Rekor refused the entry; the envelope or the certificate is not acceptable to this log"
	case se.Status == http.StatusNotFound || se.Status == http.StatusMethodNotAllowed:
		if version == 1 {
			se.Hint = "no Rekor v1 API at this URL; for a Rekor v2 log set the Rekor version to 2 (with a timestamp authority)"
		} else {
			se.Hint = "no Rekor v2 API at this URL; check the log URL (v2 logs are yearly shards such as " + DefaultRekorV2URL + ")"
		}
	case se.Status == http.StatusRequestEntityTooLarge:
		se.Hint = "the entry is too large for Rekor"
	case se.Status == http.StatusTooManyRequests || se.Status >= 500:
		se.Hint = "Rekor is unavailable; retry later"
	case se.Status == 0 && isNetworkError(err):
		se.Err = innermost(err)
		se.Hint = "could not reach Rekor; check the URL, the network and any proxy"
	}
	return se
}

// tsaError classifies an error from sigstore-go's timestamp authority client.
func tsaError(endpoint string, err error) *ServiceError {
	se := &ServiceError{Service: ServiceTSA, URL: endpoint, Err: err}
	if h, ok := contextHint(err, ServiceTSA); ok {
		se.Err, se.Hint = innermost(err), h
		return se
	}
	if m := tsaStatusRE.FindStringSubmatch(err.Error()); m != nil {
		se.Status, _ = strconv.Atoi(m[1])
		se.Err = errors.New(jsonMessage(m[2]))
		switch {
		case se.Status == http.StatusNotFound:
			se.Hint = "no timestamp endpoint at this URL; the TSA URL is the full endpoint, e.g. " + SigstoreTSAURL
		case se.Status == http.StatusTooManyRequests || se.Status >= 500:
			se.Hint = "the timestamp authority is unavailable; retry later"
		}
		return se
	}
	if isNetworkError(err) {
		se.Err = innermost(err)
		se.Hint = "could not reach the timestamp authority; check the URL, the network and any proxy"
	}
	return se
}
