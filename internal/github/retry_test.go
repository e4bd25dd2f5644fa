package github_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

func TestRetryServerErrorsThenSuccess(t *testing.T) {
	s := newServer(t)
	addPR(s, files(3))
	s.InjectFault(githubtest.ServerError(githubtest.EndpointListFiles, http.StatusBadGateway, 2))
	c, sl := newClient(t, s)

	list, err := c.PullRequestFiles(context.Background(), testRepo, 7)
	if err != nil || len(list.Files) != 3 {
		t.Fatalf("files=%v err=%v", list, err)
	}
	if got := calls(s, githubtest.EndpointListFiles); got != 3 {
		t.Errorf("list calls = %d, want 3 (2 x 502 + success)", got)
	}
	if c.Calls() != 3 || s.Total() != 3 {
		t.Errorf("Calls() = %d, fake total = %d, want 3", c.Calls(), s.Total())
	}
	d := sl.get()
	if len(d) != 2 || d[0] < 500*time.Millisecond || d[0] > time.Second || d[1] < time.Second || d[1] > 2*time.Second {
		t.Errorf("backoff waits %v, want [0.5s..1s] then [1s..2s]", d)
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	t.Run("429 seconds", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		s.InjectFault(githubtest.TooManyRequests(githubtest.EndpointGetPR, 7*time.Second))
		c, sl := newClient(t, s)
		if _, err := c.PullRequest(context.Background(), testRepo, 7); err != nil {
			t.Fatal(err)
		}
		if d := sl.get(); len(d) != 1 || d[0] != 7*time.Second {
			t.Errorf("waits %v, want [7s]", d)
		}
		if c.Calls() != 2 {
			t.Errorf("Calls() = %d, want 2", c.Calls())
		}
	})
	t.Run("429 HTTP date", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		s.InjectFault(githubtest.Fault{Endpoint: githubtest.EndpointGetPR, Status: http.StatusTooManyRequests,
			Header: map[string]string{"Retry-After": time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)}})
		c, sl := newClient(t, s)
		if _, err := c.PullRequest(context.Background(), testRepo, 7); err != nil {
			t.Fatal(err)
		}
		if d := sl.get(); len(d) != 1 || d[0] < 17*time.Second || d[0] > 20*time.Second {
			t.Errorf("waits %v, want about 20s", d)
		}
	})
	t.Run("secondary rate limit on create", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		s.InjectFault(githubtest.SecondaryRateLimit(githubtest.EndpointCreateComment, 3*time.Second))
		c, sl := newClient(t, s)
		_, action, err := c.UpsertStickyComment(context.Background(), testRepo, 7, marker, "r "+marker, "github-actions[bot]")
		if err != nil || action != github.CommentCreated {
			t.Fatalf("action=%s err=%v", action, err)
		}
		if d := sl.get(); len(d) != 1 || d[0] != 3*time.Second {
			t.Errorf("waits %v, want [3s]", d)
		}
		if got := calls(s, githubtest.EndpointCreateComment); got != 2 {
			t.Errorf("POST sent %d times, want 2", got)
		}
		if got := len(s.Comments(testRepo.String(), 7)); got != 1 {
			t.Errorf("%d comments, want 1", got)
		}
	})
	t.Run("secondary rate limit without retry-after", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		ft := githubtest.SecondaryRateLimit(githubtest.EndpointGetPR, 0)
		ft.Header = nil
		s.InjectFault(ft)
		c, sl := newClient(t, s)
		if _, err := c.PullRequest(context.Background(), testRepo, 7); err != nil {
			t.Fatal(err)
		}
		if d := sl.get(); len(d) != 1 || d[0] != time.Minute {
			t.Errorf("waits %v, want [1m] (GitHub: at least one minute)", d)
		}
	})
	t.Run("primary rate limit resets soon", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		s.InjectFault(githubtest.PrimaryRateLimit(githubtest.EndpointGetPR, time.Now().Add(30*time.Second)))
		c, sl := newClient(t, s)
		if _, err := c.PullRequest(context.Background(), testRepo, 7); err != nil {
			t.Fatal(err)
		}
		if d := sl.get(); len(d) != 1 || d[0] < 28*time.Second || d[0] > 32*time.Second {
			t.Errorf("waits %v, want about 31s (reset + 1s)", d)
		}
	})
}

func TestRateLimitTooLongIsNotWaited(t *testing.T) {
	s := newServer(t)
	addPR(s, nil)
	s.InjectFault(githubtest.PrimaryRateLimit(githubtest.EndpointGetPR, time.Now().Add(time.Hour)))
	c, sl := newClient(t, s)
	_, err := c.PullRequest(context.Background(), testRepo, 7)
	var ae *github.APIError
	if !errors.As(err, &ae) || !ae.RateLimited || ae.RetryAfter < 59*time.Minute || !github.IsTransient(err) || github.IsForbidden(err) {
		t.Fatalf("want a transient rate-limit error with RetryAfter ~1h, got %#v", err)
	}
	wantOneLine(t, err, "github: get PR #7: 403 API rate limit exceeded")
	if c.Calls() != 1 || len(sl.get()) != 0 {
		t.Errorf("calls %d, waits %v; want 1 call, no wait", c.Calls(), sl.get())
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		fault  *githubtest.Fault
		token  string
		status int
		check  func(error) bool
	}{
		{name: "404", status: 404, check: github.IsNotFound},
		{name: "401", token: "wrong-token", status: 401},
		{name: "422", fault: &githubtest.Fault{Endpoint: githubtest.EndpointGetPR, Status: 422, Message: "Validation Failed"}, status: 422},
		{name: "403", fault: &githubtest.Fault{Endpoint: githubtest.EndpointGetPR, Status: 403, Message: "Must have admin rights to Repository."}, status: 403, check: github.IsForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			addPR(s, nil)
			if tc.fault != nil {
				s.InjectFault(*tc.fault)
			}
			c, sl := newClient(t, s, func(o *github.Options) {
				if tc.token != "" {
					o.Token = tc.token
				}
			})
			number := 7
			if tc.status == 404 {
				number = 404
			}
			_, err := c.PullRequest(ctx, testRepo, number)
			var ae *github.APIError
			if !errors.As(err, &ae) || ae.Status != tc.status || github.IsTransient(err) {
				t.Fatalf("want %d, got %v", tc.status, err)
			}
			if tc.check != nil && !tc.check(err) {
				t.Errorf("classification failed for %v", err)
			}
			if c.Calls() != 1 || s.Total() != 1 || len(sl.get()) != 0 {
				t.Errorf("calls %d (fake %d), waits %v; want exactly one request", c.Calls(), s.Total(), sl.get())
			}
		})
	}
}

func TestRetriesExhausted(t *testing.T) {
	s := newServer(t)
	addPR(s, nil)
	s.InjectFault(githubtest.ServerError(githubtest.EndpointGetPR, http.StatusInternalServerError, -1))
	c, sl := newClient(t, s)
	_, err := c.PullRequest(context.Background(), testRepo, 7)
	if !github.IsTransient(err) {
		t.Fatalf("want transient, got %v", err)
	}
	wantOneLine(t, err, "github: get PR #7: 500 Internal Server Error")
	if c.Calls() != github.DefaultMaxRetries+1 || len(sl.get()) != github.DefaultMaxRetries {
		t.Errorf("calls %d, waits %v; want %d calls", c.Calls(), sl.get(), github.DefaultMaxRetries+1)
	}

	off, _ := newClient(t, s, func(o *github.Options) { o.MaxRetries = -1 })
	if _, err := off.PullRequest(context.Background(), testRepo, 7); !github.IsTransient(err) || off.Calls() != 1 {
		t.Errorf("retries disabled: %d calls, %v", off.Calls(), err)
	}
}

// TestCreateAmbiguousFailure: a create that fails with a 5xx is not resent
// blindly: the comments are listed again first.
func TestCreateAmbiguousFailure(t *testing.T) {
	t.Run("stored despite the 502", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		s.InjectFault(githubtest.Fault{Endpoint: githubtest.EndpointCreateComment, Status: http.StatusBadGateway, Apply: true})
		c, sl := newClient(t, s)
		id, action, err := c.UpsertStickyComment(context.Background(), testRepo, 7, marker, "r "+marker, "github-actions[bot]")
		if err != nil || action != github.CommentCreated {
			t.Fatalf("action=%s err=%v", action, err)
		}
		cs := s.Comments(testRepo.String(), 7)
		if len(cs) != 1 || cs[0].ID != id {
			t.Errorf("comments = %+v, want exactly the one created", cs)
		}
		if got := calls(s, githubtest.EndpointCreateComment); got != 1 {
			t.Errorf("POST sent %d times, want 1", got)
		}
		if got := calls(s, githubtest.EndpointListComments); got != 2 {
			t.Errorf("listed %d times, want 2 (before and after the failure)", got)
		}
		if len(sl.get()) != 1 {
			t.Errorf("waits %v", sl.get())
		}
	})
	t.Run("not stored", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		s.InjectFault(githubtest.ServerError(githubtest.EndpointCreateComment, http.StatusServiceUnavailable, 1))
		c, _ := newClient(t, s)
		_, action, err := c.UpsertStickyComment(context.Background(), testRepo, 7, marker, "r "+marker, "github-actions[bot]")
		if err != nil || action != github.CommentCreated {
			t.Fatalf("action=%s err=%v", action, err)
		}
		if n, p := len(s.Comments(testRepo.String(), 7)), calls(s, githubtest.EndpointCreateComment); n != 1 || p != 2 {
			t.Errorf("%d comments after %d POSTs; want 1 after 2", n, p)
		}
	})
}

// flakyTransport fails the first request matching method with a network
// error.
type flakyTransport struct {
	method string
	failed atomic.Bool
	base   http.RoundTripper
}

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == f.method && f.failed.CompareAndSwap(false, true) {
		return nil, errors.New("connection reset by peer")
	}
	return f.base.RoundTrip(r)
}

func TestNetworkErrors(t *testing.T) {
	t.Run("GET retried", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		c, sl := newClient(t, s, func(o *github.Options) {
			o.HTTPClient = &http.Client{Transport: &flakyTransport{method: "GET", base: http.DefaultTransport}}
		})
		if _, err := c.PullRequest(context.Background(), testRepo, 7); err != nil {
			t.Fatal(err)
		}
		if c.Calls() != 2 || s.Total() != 1 || len(sl.get()) != 1 {
			t.Errorf("calls %d (fake saw %d), waits %v", c.Calls(), s.Total(), sl.get())
		}
	})
	t.Run("POST not resent blindly", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		c, _ := newClient(t, s, func(o *github.Options) {
			o.HTTPClient = &http.Client{Transport: &flakyTransport{method: "POST", base: http.DefaultTransport}}
		})
		_, action, err := c.UpsertStickyComment(context.Background(), testRepo, 7, marker, "r "+marker, "github-actions[bot]")
		if err != nil || action != github.CommentCreated {
			t.Fatalf("action=%s err=%v", action, err)
		}
		if got := calls(s, githubtest.EndpointListComments); got != 2 {
			t.Errorf("listed %d times, want 2", got)
		}
		if got := len(s.Comments(testRepo.String(), 7)); got != 1 {
			t.Errorf("%d comments", got)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close() // nothing listens there any more
		rec := &sleeps{}
		c, err := github.New(github.Options{BaseURL: url, Sleep: rec.sleep})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.PullRequest(context.Background(), testRepo, 7)
		if !github.IsTransient(err) || github.IsForbidden(err) || github.IsNotFound(err) {
			t.Errorf("want a transient network error, got %v", err)
		}
		wantOneLine(t, err, "github: get PR #7: ")
		if c.Calls() != github.DefaultMaxRetries+1 || len(rec.get()) != github.DefaultMaxRetries {
			t.Errorf("calls %d, waits %v", c.Calls(), rec.get())
		}
	})
	t.Run("cancelled wait", func(t *testing.T) {
		s := newServer(t)
		addPR(s, nil)
		s.InjectFault(githubtest.ServerError(githubtest.EndpointGetPR, 500, 1))
		c, _ := newClient(t, s, func(o *github.Options) {
			o.Sleep = func(context.Context, time.Duration) error { return context.Canceled }
		})
		_, err := c.PullRequest(context.Background(), testRepo, 7)
		if !errors.Is(err, context.Canceled) || github.IsTransient(err) {
			t.Errorf("want a cancelled, non-transient error, got %v", err)
		}
		wantOneLine(t, err, "github: get PR #7: ")
	})
}

// TestTokenStaysOnAPIOrigin: a redirect to another origin does not carry
// the token.
func TestTokenStaysOnAPIOrigin(t *testing.T) {
	var leaked atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/vnd.github.raw")
		_, _ = w.Write([]byte("moved\n"))
	}))
	defer other.Close()
	var sent atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Store(r.Header.Get("Authorization"))
		http.Redirect(w, r, other.URL+"/blob", http.StatusFound)
	}))
	defer api.Close()
	c, err := github.New(github.Options{BaseURL: api.URL, Token: "secret-token"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Blob(context.Background(), testRepo, githubtest.BlobSHA([]byte("moved\n")), 0)
	if err != nil || string(b) != "moved\n" {
		t.Fatalf("blob %q, %v", b, err)
	}
	if sent.Load() != "Bearer secret-token" {
		t.Errorf("API origin got Authorization %q", sent.Load())
	}
	if v, _ := leaked.Load().(string); v != "" {
		t.Errorf("redirect target got Authorization %q", v)
	}
}

func TestNewAndParseRepo(t *testing.T) {
	for _, bad := range []string{"ftp://x", "https://", "https://u:p@host/", "https://host/?q=1", "::"} {
		if _, err := github.New(github.Options{BaseURL: bad}); err == nil {
			t.Errorf("New accepted base URL %q", bad)
		}
	}
	c, err := github.New(github.Options{BaseURL: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PullRequest(context.Background(), github.Repo{Owner: "o", Name: "../x"}, 1)
	if err == nil || github.IsTransient(err) || c.Calls() != 0 {
		t.Errorf("invalid repository: %v (transient=%v), %d calls", err, github.IsTransient(err), c.Calls())
	}
	wantOneLine(t, err, "github: get PR #1: invalid repository")
	r, err := github.ParseRepo("NVIDIA/aicr.recipes-1")
	if err != nil || r.Owner != "NVIDIA" || r.Name != "aicr.recipes-1" || r.String() != "NVIDIA/aicr.recipes-1" {
		t.Errorf("ParseRepo = %+v, %v", r, err)
	}
	for _, bad := range []string{"", "owner", "/name", "owner/", "a/b/c", "o/..", "o/na me", "o/n?x", "-o/n"} {
		if _, err := github.ParseRepo(bad); err == nil {
			t.Errorf("ParseRepo accepted %q", bad)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line error %q", err)
		}
	}
}
