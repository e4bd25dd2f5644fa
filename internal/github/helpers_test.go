package github_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aicr/verify-evidence/internal/github"
	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

// testRepo is the base repository of the tests.
var testRepo = github.Repo{Owner: "acme", Name: "recipes"}

const testToken = "test-token"

// sleeps records the waits the client asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newServer starts a validated fake requiring testToken.
func newServer(t *testing.T, opts ...githubtest.Option) *githubtest.Server {
	t.Helper()
	return githubtest.NewServer(t, append([]githubtest.Option{githubtest.WithToken(testToken)}, opts...)...)
}

// newClient returns a client of s whose sleeps are recorded; edit adjusts
// the options.
func newClient(t *testing.T, s *githubtest.Server, edit ...func(*github.Options)) (*github.Client, *sleeps) {
	t.Helper()
	rec := &sleeps{}
	opts := github.Options{Token: testToken, BaseURL: s.URL(), Sleep: rec.sleep}
	for _, e := range edit {
		e(&opts)
	}
	c, err := github.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

// files makes n modified files recipes/rNNNN.yaml.
func files(n int) []githubtest.File {
	out := make([]githubtest.File, n)
	for i := range out {
		out[i] = githubtest.File{
			Path:    fmt.Sprintf("recipes/r%04d.yaml", i),
			Status:  "modified",
			Content: []byte(fmt.Sprintf("name: r%d\n", i)),
		}
	}
	return out
}

// addPR adds PR #7 to s with fs.
func addPR(s *githubtest.Server, fs []githubtest.File) githubtest.PR {
	pr := githubtest.PR{Number: 7, Title: "Add recipes", HeadRef: "feature", BaseRef: "main"}
	s.AddPR(testRepo.String(), pr, fs)
	return pr
}

// wantOneLine fails when err's message spans lines or lacks the prefix.
func wantOneLine(t *testing.T, err error, prefix string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error starting %q", prefix)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if !strings.HasPrefix(msg, prefix) {
		t.Errorf("error %q does not start with %q", msg, prefix)
	}
}

// calls returns the fake's count for endpoint.
func calls(s *githubtest.Server, endpoint string) int { return s.Calls()[endpoint] }
