package signing_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/signing"
)

const (
	reqToken = "req-tok-secret"
	idToken  = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// tokenEndpoint serves the GitHub Actions token endpoint; handler runs
// after the audience and bearer checks pass.
func tokenEndpoint(t *testing.T, handler http.HandlerFunc) (*httptest.Server, func(string) string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "method", http.StatusMethodNotAllowed)
			return
		}
		if got := r.URL.Query().Get("audience"); got != "sigstore" {
			http.Error(w, "audience "+got, http.StatusBadRequest)
			return
		}
		if got := r.URL.Query().Get("api-version"); got != "2.0" {
			http.Error(w, "api-version lost: "+got, http.StatusBadRequest)
			return
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+reqToken {
			http.Error(w, "bad bearer", http.StatusUnauthorized)
			return
		}
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, envMap(map[string]string{
		signing.EnvActionsIDTokenRequestURL:   srv.URL + "/_apis/token?api-version=2.0",
		signing.EnvActionsIDTokenRequestToken: reqToken,
	})
}

func TestGitHubActionsTokenSuccess(t *testing.T) {
	_, getenv := tokenEndpoint(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"count":1,"value":"` + idToken + `"}`))
	})
	src := signing.GitHubActionsToken(getenv, nil)
	if !strings.Contains(src.Name(), "GitHub Actions") {
		t.Errorf("Name %q", src.Name())
	}
	got, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != idToken {
		t.Errorf("token %q, want %q", got, idToken)
	}
}

func TestGitHubActionsTokenErrors(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	for name, tc := range map[string]struct {
		handler http.HandlerFunc
		env     map[string]string // overrides; "" deletes
		status  int
		want    []string
	}{
		"missing URL": {
			env:  map[string]string{signing.EnvActionsIDTokenRequestURL: ""},
			want: []string{"ACTIONS_ID_TOKEN_REQUEST_URL is not set", "permissions: id-token: write"},
		},
		"missing request token": {
			env:  map[string]string{signing.EnvActionsIDTokenRequestToken: ""},
			want: []string{"ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set", "id-token: write"},
		},
		"bad URL": {
			env:  map[string]string{signing.EnvActionsIDTokenRequestURL: "not a url"},
			want: []string{"not an http(s) URL"},
		},
		"403 with body": {
			handler: func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, `{"message":"Resource not accessible by integration"}`, http.StatusForbidden)
			},
			status: http.StatusForbidden,
			want:   []string{"403", "Resource not accessible by integration", "id-token: write"},
		},
		"500 with body": {
			handler: func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "upstream\nexploded", http.StatusInternalServerError)
			},
			status: http.StatusInternalServerError,
			want:   []string{"500", "upstream exploded", "re-run"},
		},
		"500 with a huge body": {
			handler: func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, big, http.StatusBadGateway)
			},
			status: http.StatusBadGateway,
			want:   []string{"502", "xxx…"},
		},
		"malformed JSON": {
			handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"value":`)) },
			want:    []string{"malformed JSON"},
		},
		"empty value": {
			handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"count":0,"value":""}`)) },
			want:    []string{"empty token value"},
		},
		"oversized success": {
			handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"value":"` + big + `"}`)) },
			want:    []string{"larger than"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := tc.handler
			if h == nil {
				h = func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"value":"` + idToken + `"}`)) }
			}
			_, base := tokenEndpoint(t, h)
			getenv := func(k string) string {
				if v, ok := tc.env[k]; ok {
					return v
				}
				return base(k)
			}
			tok, err := signing.GitHubActionsToken(getenv, nil).Token(context.Background())
			if err == nil {
				t.Fatalf("got token %q, want an error", tok)
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			var se *signing.ServiceError
			if !errors.As(err, &se) || se.Service != signing.ServiceOIDC || se.Status != tc.status {
				t.Errorf("error %T %+v, want OIDC ServiceError with status %d", err, se, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") || len(msg) > 600 {
				t.Errorf("error is not one short line (%d bytes)", len(msg))
			}
			if strings.Contains(msg, reqToken) || strings.Contains(msg, idToken) {
				t.Error("error leaks a token")
			}
		})
	}
}

func TestGitHubActionsTokenHonoursContext(t *testing.T) {
	release := make(chan struct{})
	_, getenv := tokenEndpoint(t, func(http.ResponseWriter, *http.Request) { <-release })
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := signing.GitHubActionsToken(getenv, nil).Token(ctx)
	if err == nil || !strings.Contains(err.Error(), "did not answer in time") {
		t.Errorf("error %v, want a timeout", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	if strings.Contains(err.Error(), "api-version") {
		t.Errorf("error %q repeats the request query", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestGitHubActionsTokenUsesGivenClient(t *testing.T) {
	_, getenv := tokenEndpoint(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"value":"` + idToken + `"}`))
	})
	rt := &countingTransport{base: http.DefaultTransport}
	if _, err := signing.GitHubActionsToken(getenv, &http.Client{Transport: rt}).Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rt.n != 1 {
		t.Errorf("given client used %d times", rt.n)
	}
}

type countingTransport struct {
	base http.RoundTripper
	n    int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.base.RoundTrip(r)
}
