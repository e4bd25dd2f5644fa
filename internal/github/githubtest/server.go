package githubtest

import (
	"errors"
	"net/http/httptest"
	"os"
	"testing"
)

// Server is a [Fake] served on a loopback address for the duration of a test.
type Server struct {
	*Fake
	srv *httptest.Server
}

// WithReport sends OpenAPI violations to report instead of failing the test
// (for tests that send invalid requests on purpose).
func WithReport(report func(msg string)) Option {
	return func(f *Fake) { f.report = report }
}

// WithoutValidation turns the OpenAPI validation off.
func WithoutValidation() Option {
	return func(f *Fake) { f.desc, f.noValidation = nil, true }
}

// NewServer starts a fake GitHub API on a loopback address and stops it
// when the test ends. Every exchange is validated against GitHub's OpenAPI
// description (a violation fails the test with t.Errorf) when the pinned
// npm package is installed; otherwise validation is skipped with a logged
// message, except under CI=true, where its absence fails the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	probe := &Fake{}
	for _, o := range opts {
		o(probe)
	}
	var all []Option
	if !probe.noValidation {
		d, err := LoadDescription()
		switch {
		case err == nil:
			report := probe.report
			if report == nil {
				report = func(msg string) { t.Errorf("%s", msg) }
			}
			all = append(all, WithValidation(d, report))
		case errors.Is(err, ErrFixturesMissing) && os.Getenv("CI") != "true":
			t.Logf("OpenAPI validation skipped: %v", err)
		default:
			t.Fatalf("OpenAPI validation unavailable (CI=true requires it): %v", err)
		}
	}
	all = append(all, opts...)
	f := NewHandler(all...)
	s := &Server{Fake: f, srv: httptest.NewServer(f)}
	t.Cleanup(s.srv.Close)
	return s
}

// URL returns the API root, to use as GITHUB_API_URL or [Options.BaseURL]
// of the client: http://127.0.0.1:PORT/api/v3 (with the default prefix).
func (s *Server) URL() string { return s.srv.URL + s.Fake.Prefix() }

// Close stops the server (also done at the end of the test).
func (s *Server) Close() { s.srv.Close() }
