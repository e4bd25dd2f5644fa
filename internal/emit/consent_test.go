package emit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aicr/verify-evidence/internal/emit"
	"github.com/aicr/verify-evidence/internal/signing"
)

// fakeLogin stands for the interactive login: it records whether a login was
// attempted and stops the emit there, before any network.
type fakeLogin struct{ calls atomic.Int32 }

var errLoginReached = errors.New("fake login reached")

func (f *fakeLogin) Name() string      { return "interactive login (fake)" }
func (f *fakeLogin) Interactive() bool { return true }
func (f *fakeLogin) Token(context.Context) (string, error) {
	f.calls.Add(1)
	return "", errLoginReached
}

func (f *fakeLogin) resolve(signing.ResolveOptions) (signing.TokenSource, error) { return f, nil }

// stdinSpy is a stdin that records whether it was read.
type stdinSpy struct {
	r    *strings.Reader
	read atomic.Bool
}

func (s *stdinSpy) Read(p []byte) (int, error) { s.read.Store(true); return s.r.Read(p) }

func newStdin(answer string) *stdinSpy { return &stdinSpy{r: strings.NewReader(answer)} }

const (
	noticeMark   = "public Rekor transparency log"
	questionMark = "[y/N]"
)

func keylessArgs(t *testing.T, extra ...string) []string {
	t.Helper()
	in := copyInputs(t, h100Example)
	// Explicit services: no signing config is fetched (the login stops first).
	return in.args(outPath(t), append([]string{"--sign", "keyless", "--fulcio-url", "https://fulcio.invalid", "--rekor-url", "https://rekor.invalid"}, extra...)...)
}

func TestInteractiveRefusedWithoutTerminalStdin(t *testing.T) {
	login := &fakeLogin{}
	stdin := newStdin("y\n")
	res := runEmit(t, keylessArgs(t), emit.Env{Tokens: login.resolve, Stdin: stdin, StdinTerminal: false})
	if !errors.Is(res.err, emit.ErrNeedsYes) || !strings.Contains(res.err.Error(), "--yes") || strings.Contains(res.err.Error(), "\n") {
		t.Fatalf("err = %v, want one line naming --yes (ErrNeedsYes)", res.err)
	}
	if login.calls.Load() != 0 {
		t.Error("a login was attempted")
	}
	if stdin.read.Load() {
		t.Error("stdin was read although it is not a terminal")
	}
	if !strings.Contains(res.stderr, noticeMark) {
		t.Errorf("no notice:\n%s", res.stderr)
	}
}

// The real resolver picks the interactive login when nothing else is there
// and stderr is a terminal; without a terminal stdin it is refused, not asked.
func TestInteractiveRefusedWithRealResolver(t *testing.T) {
	stdin := newStdin("y\n")
	res := runEmit(t, keylessArgs(t), emit.Env{Terminal: true, Stdin: stdin})
	if !errors.Is(res.err, emit.ErrNeedsYes) {
		t.Fatalf("err = %v, want ErrNeedsYes", res.err)
	}
	if stdin.read.Load() {
		t.Error("stdin was read")
	}
}

func TestInteractiveAnswers(t *testing.T) {
	for _, tc := range []struct {
		answer  string
		proceed bool
	}{
		{"n\n", false}, {"\n", false}, {"", false}, {"no\n", false}, {"yess\n", false},
		{"y\n", true}, {"YES\n", true}, {" yes \n", true},
	} {
		login := &fakeLogin{}
		res := runEmit(t, keylessArgs(t), emit.Env{Tokens: login.resolve, Stdin: newStdin(tc.answer), StdinTerminal: true})
		if !strings.Contains(res.stderr, noticeMark) || !strings.Contains(res.stderr, questionMark) {
			t.Errorf("%q: no notice or question:\n%s", tc.answer, res.stderr)
		}
		if strings.Index(res.stderr, noticeMark) > strings.Index(res.stderr, questionMark) {
			t.Errorf("%q: the question comes before the notice", tc.answer)
		}
		if tc.proceed {
			if login.calls.Load() != 1 || !errors.Is(res.err, errLoginReached) {
				t.Errorf("%q: login calls %d, err %v; want the login reached", tc.answer, login.calls.Load(), res.err)
			}
			continue
		}
		if !errors.Is(res.err, emit.ErrAborted) || strings.Contains(res.err.Error(), "\n") {
			t.Errorf("%q: err = %v, want one-line ErrAborted", tc.answer, res.err)
		}
		if login.calls.Load() != 0 {
			t.Errorf("%q: a login was attempted", tc.answer)
		}
	}
}

func TestInteractiveYesSkipsTheQuestion(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		login := &fakeLogin{}
		stdin := newStdin("n\n")
		res := runEmit(t, keylessArgs(t, "--yes"), emit.Env{Tokens: login.resolve, Stdin: stdin, StdinTerminal: terminal})
		if !strings.Contains(res.stderr, noticeMark) {
			t.Errorf("terminal %v: no notice with --yes:\n%s", terminal, res.stderr)
		}
		if strings.Contains(res.stderr, questionMark) || stdin.read.Load() {
			t.Errorf("terminal %v: asked although --yes:\n%s", terminal, res.stderr)
		}
		if login.calls.Load() != 1 || !errors.Is(res.err, errLoginReached) {
			t.Errorf("terminal %v: login calls %d, err %v; want the login reached", terminal, login.calls.Load(), res.err)
		}
	}
}

// Tokens that are not an interactive login publish no personal identity the
// user did not choose: no notice, no question, stdin untouched.
func TestNonInteractiveSourcesAskNothing(t *testing.T) {
	gha := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer gha.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("not-a.jwt.token"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		env   map[string]string
		extra []string
	}{
		"explicit":          {nil, []string{"--identity-token", tokenFile}},
		"SIGSTORE_ID_TOKEN": {map[string]string{signing.EnvSigstoreIDToken: "not-a.jwt.token"}, nil},
		"ambient": {map[string]string{signing.EnvActionsIDTokenRequestURL: gha.URL + "/token",
			signing.EnvActionsIDTokenRequestToken: "x", "GITHUB_ACTIONS": "true"}, nil},
	} {
		stdin := newStdin("n\n")
		getenv := func(k string) string { return tc.env[k] }
		res := runEmit(t, keylessArgs(t, tc.extra...), emit.Env{Terminal: true, Stdin: stdin, StdinTerminal: true, Getenv: getenv})
		if res.err == nil || errors.Is(res.err, emit.ErrAborted) || errors.Is(res.err, emit.ErrNeedsYes) {
			t.Errorf("%s: err = %v, want a token failure", name, res.err)
		}
		if strings.Contains(res.stderr, noticeMark) || strings.Contains(res.stderr, questionMark) || stdin.read.Load() {
			t.Errorf("%s: notice or question shown:\n%s", name, res.stderr)
		}
	}
}
