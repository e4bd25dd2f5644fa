package signing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Environment variables of the GitHub Actions OIDC token endpoint. The runner
// sets them only for jobs with `permissions: id-token: write`.
const (
	EnvActionsIDTokenRequestURL   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	EnvActionsIDTokenRequestToken = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// SigstoreAudience is the audience Fulcio requires of identity tokens.
const SigstoreAudience = "sigstore"

const (
	// githubTokenTimeout bounds one request to the GitHub Actions token endpoint.
	githubTokenTimeout = 10 * time.Second
	// maxGitHubTokenResponse bounds the token endpoint's response body.
	maxGitHubTokenResponse = 64 << 10
)

const idTokenWriteHint = "the job needs `permissions: id-token: write` (pull_request runs from forks never get a token)"

// GitHubActionsToken returns the ambient GitHub Actions token source: it GETs
// $ACTIONS_ID_TOKEN_REQUEST_URL with audience=sigstore added to the query and
// "Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN", and returns the
// "value" of the JSON answer. This is the request of actions/toolkit's
// core.getIDToken and of go-githubactions' GetIDToken, with errors that say
// what went wrong on one line: a missing variable (the job lacks
// `permissions: id-token: write`), the HTTP status with an excerpt of the
// body, malformed JSON, an empty value. The body read is bounded and each
// request times out after 10 s.
//
// getenv nil means os.Getenv; the variables are read at Token time. hc nil
// means a plain client; neither the request token nor the identity token ever
// appears in an error.
func GitHubActionsToken(getenv func(string) string, hc *http.Client) TokenSource {
	return &githubActionsSource{getenv: orOSGetenv(getenv), hc: hc}
}

type githubActionsSource struct {
	getenv func(string) string
	hc     *http.Client
}

func (g *githubActionsSource) Name() string { return "GitHub Actions" }

func (g *githubActionsSource) Token(ctx context.Context) (string, error) {
	reqURL := strings.TrimSpace(g.getenv(EnvActionsIDTokenRequestURL))
	if reqURL == "" {
		return "", g.err(0, fmt.Errorf("%s is not set", EnvActionsIDTokenRequestURL), idTokenWriteHint)
	}
	reqToken := strings.TrimSpace(g.getenv(EnvActionsIDTokenRequestToken))
	if reqToken == "" {
		return "", g.err(0, fmt.Errorf("%s is not set", EnvActionsIDTokenRequestToken), idTokenWriteHint)
	}
	u, err := url.Parse(reqURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", g.err(0, fmt.Errorf("%s is not an http(s) URL", EnvActionsIDTokenRequestURL), "")
	}
	q := u.Query()
	q.Set("audience", SigstoreAudience)
	u.RawQuery = q.Encode()
	where := u.Scheme + "://" + u.Host + u.Path // never the query

	ctx, cancel := context.WithTimeout(ctx, githubTokenTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", g.err(0, fmt.Errorf("building the request: %w", err), "")
	}
	req.Header.Set("Authorization", "Bearer "+reqToken)
	req.Header.Set("Accept", "application/json")
	hc := g.hc
	if hc == nil {
		hc = &http.Client{Timeout: githubTokenTimeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		hint := "could not reach the token endpoint"
		if errors.Is(err, context.DeadlineExceeded) {
			hint = "the token endpoint did not answer in time"
		}
		// *url.Error repeats the URL, query included; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", g.err(0, fmt.Errorf("GET %s: %w", where, err), hint)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxGitHubTokenResponse+1))
	if err != nil {
		return "", g.err(0, fmt.Errorf("GET %s: reading the response: %w", where, err), "")
	}
	if resp.StatusCode != http.StatusOK {
		hint := ""
		switch {
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			hint = "the request token was refused; " + idTokenWriteHint
		case resp.StatusCode >= 500:
			hint = "the GitHub token service failed; re-run the job"
		}
		detail := excerpt(string(body), 200)
		if detail == "" {
			detail = "(empty body)"
		}
		return "", g.err(resp.StatusCode, fmt.Errorf("GET %s: %s", where, detail), hint)
	}
	if len(body) > maxGitHubTokenResponse {
		return "", g.err(0, fmt.Errorf("GET %s: response larger than %d bytes", where, maxGitHubTokenResponse), "")
	}
	var tr struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", g.err(0, fmt.Errorf("GET %s: malformed JSON response: %v", where, err), "")
	}
	if strings.TrimSpace(tr.Value) == "" {
		return "", g.err(0, fmt.Errorf("GET %s: the response has an empty token value", where), "")
	}
	return strings.TrimSpace(tr.Value), nil
}

func (g *githubActionsSource) err(status int, err error, hint string) error {
	return &ServiceError{Service: ServiceOIDC, URL: g.Name(), Status: status, Err: err, Hint: hint}
}
