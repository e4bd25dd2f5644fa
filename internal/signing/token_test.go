package signing_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aicr/verify-evidence/internal/signing"
)

const (
	fileToken    = "aaa.file.sig"
	envToken     = "bbb.env.sig"
	literalToken = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."
)

func writeTokenFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "oidc-token")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolveOrder(t *testing.T) {
	_, ambient := tokenEndpoint(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"value":"ccc.ambient.sig"}`))
	})
	all := map[string]string{
		signing.EnvSigstoreIDToken:            envToken,
		signing.EnvActionsIDTokenRequestURL:   ambient(signing.EnvActionsIDTokenRequestURL),
		signing.EnvActionsIDTokenRequestToken: reqToken,
	}
	without := func(keys ...string) func(string) string {
		m := map[string]string{}
		for k, v := range all {
			m[k] = v
		}
		for _, k := range keys {
			delete(m, k)
		}
		return envMap(m)
	}
	file := writeTokenFile(t, "  "+fileToken+"\n")

	for name, tc := range map[string]struct {
		opts      signing.ResolveOptions
		wantName  string
		wantToken string
	}{
		"file beats env and ambient": {signing.ResolveOptions{TokenFile: file, Getenv: without(), Interactive: true}, "file " + file, fileToken},
		"literal beats env":          {signing.ResolveOptions{TokenFile: literalToken, Getenv: without()}, "--identity-token (literal)", literalToken},
		"env beats ambient":          {signing.ResolveOptions{Getenv: without(), Interactive: true}, "SIGSTORE_ID_TOKEN", envToken},
		"ambient beats interactive": {signing.ResolveOptions{Getenv: without(signing.EnvSigstoreIDToken), Interactive: true},
			"GitHub Actions", "ccc.ambient.sig"},
		"blank env is not a token": {signing.ResolveOptions{Getenv: func(k string) string {
			if k == signing.EnvSigstoreIDToken {
				return "  "
			}
			return without()(k)
		}}, "GitHub Actions", "ccc.ambient.sig"},
	} {
		t.Run(name, func(t *testing.T) {
			src, err := signing.Resolve(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if src.Name() != tc.wantName {
				t.Errorf("Name %q, want %q", src.Name(), tc.wantName)
			}
			tok, err := src.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tok != tc.wantToken {
				t.Errorf("token %q, want %q", tok, tc.wantToken)
			}
		})
	}
}

func TestResolveFetchesNothing(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	getenv := envMap(map[string]string{
		signing.EnvActionsIDTokenRequestURL:   srv.URL + "/token",
		signing.EnvActionsIDTokenRequestToken: reqToken,
	})
	src, err := signing.Resolve(signing.ResolveOptions{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if src.Name() != "GitHub Actions" {
		t.Errorf("Name %q", src.Name())
	}
	if hits.Load() != 0 {
		t.Errorf("Resolve made %d requests", hits.Load())
	}
}

func TestResolveFileIsReadAtTokenTime(t *testing.T) {
	file := writeTokenFile(t, "old.token.sig")
	src, err := signing.Resolve(signing.ResolveOptions{TokenFile: file, Getenv: envMap(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("new.token.sig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := src.Token(context.Background()); err != nil || tok != "new.token.sig" {
		t.Errorf("Token = %q, %v; want the refreshed file content", tok, err)
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: error %v", err)
	}
}

func TestResolveExplicitErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		value, want string
	}{
		"missing file":  {filepath.Join(t.TempDir(), "nope"), "no such file, and not a JWT"},
		"directory":     {t.TempDir(), "is a directory"},
		"not a JWT":     {"hello", "no such file"},
		"two segments":  {"a.b", "not a JWT"},
		"spaces inside": {"a.b c.d", "not a JWT"},
	} {
		t.Run(name, func(t *testing.T) {
			// An explicit value that is unusable fails; it never falls back
			// to the environment.
			_, err := signing.Resolve(signing.ResolveOptions{TokenFile: tc.value, Getenv: envMap(map[string]string{signing.EnvSigstoreIDToken: envToken})})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestResolveNothingAvailable(t *testing.T) {
	_, err := signing.Resolve(signing.ResolveOptions{Getenv: envMap(nil)})
	var nt *signing.NoTokenError
	if !errors.As(err, &nt) {
		t.Fatalf("error %v (%T), want *NoTokenError", err, err)
	}
	if len(nt.Tried) != 4 {
		t.Errorf("tried %q, want 4 sources", nt.Tried)
	}
	msg := err.Error()
	t.Log(msg)
	for _, w := range []string{"--identity-token", "SIGSTORE_ID_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "interactive login (not allowed"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q lacks %q", msg, w)
		}
	}
	// In a GitHub Actions job without the permission, say so.
	_, err = signing.Resolve(signing.ResolveOptions{Getenv: envMap(map[string]string{"GITHUB_ACTIONS": "true", signing.EnvActionsIDTokenRequestToken: "x"})})
	if err == nil || !strings.Contains(err.Error(), "permissions: id-token: write") {
		t.Errorf("in Actions without id-token: error %v", err)
	}
}

func TestResolveInteractiveOnlyWhenAllowed(t *testing.T) {
	var hits atomic.Int32
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.NotFound(w, nil)
	}))
	t.Cleanup(issuer.Close)
	var prompts bytes.Buffer
	opts := signing.ResolveOptions{Getenv: envMap(map[string]string{"DISPLAY": ":0"}), OIDCIssuer: issuer.URL, Stderr: &prompts}

	if _, err := signing.Resolve(opts); err == nil {
		t.Fatal("Resolve chose a source with nothing available and Interactive false")
	}
	opts.Interactive = true
	src, err := signing.Resolve(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(src.Name(), "interactive login") || !strings.Contains(src.Name(), issuer.URL) {
		t.Errorf("Name %q", src.Name())
	}
	if hits.Load() != 0 {
		t.Fatalf("constructing the interactive source made %d requests", hits.Load())
	}

	// A cancelled context never starts a login.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("a cancelled login made %d requests", hits.Load())
	}
	// An issuer whose discovery fails fails before any browser or prompt.
	_, err = src.Token(context.Background())
	var se *signing.ServiceError
	if !errors.As(err, &se) || se.Service != signing.ServiceOIDC || !strings.Contains(err.Error(), "interactive login") {
		t.Errorf("error %v, want an OIDC ServiceError naming the login", err)
	}
	if hits.Load() != 1 {
		t.Errorf("discovery requests: %d, want 1", hits.Load())
	}
	if prompts.Len() != 0 {
		t.Errorf("prompted although the login could not start: %q", prompts.String())
	}
}

func TestInteractiveFlowChoice(t *testing.T) {
	for name, tc := range map[string]struct {
		env    map[string]string
		device bool
		want   string
	}{
		"forced device flow": {map[string]string{"DISPLAY": ":0"}, true, "device flow"},
		"ssh session":        {map[string]string{"DISPLAY": ":0", "SSH_CONNECTION": "10.0.0.1 22 10.0.0.2 50000"}, false, "device flow"},
	} {
		t.Run(name, func(t *testing.T) {
			src := signing.InteractiveToken(signing.ResolveOptions{Getenv: envMap(tc.env), DeviceFlow: tc.device})
			if !strings.Contains(src.Name(), tc.want) || !strings.Contains(src.Name(), signing.DefaultOIDCIssuer) {
				t.Errorf("Name %q, want %q and the default issuer", src.Name(), tc.want)
			}
		})
	}
	if runtime.GOOS == "linux" {
		if name := signing.InteractiveToken(signing.ResolveOptions{Getenv: envMap(nil)}).Name(); !strings.Contains(name, "device flow") {
			t.Errorf("Linux without a display: %q, want the device flow", name)
		}
		if name := signing.InteractiveToken(signing.ResolveOptions{Getenv: envMap(map[string]string{"WAYLAND_DISPLAY": "wayland-0"})}).Name(); !strings.Contains(name, "browser") {
			t.Errorf("Linux desktop: %q, want the browser flow", name)
		}
	}
}

func TestIsInteractive(t *testing.T) {
	if !signing.IsInteractive(signing.InteractiveToken(signing.ResolveOptions{Getenv: envMap(nil)})) {
		t.Error("the interactive login is not reported interactive")
	}
	src, err := signing.Resolve(signing.ResolveOptions{Getenv: envMap(map[string]string{signing.EnvSigstoreIDToken: envToken}), Interactive: true})
	if err != nil {
		t.Fatal(err)
	}
	if signing.IsInteractive(src) {
		t.Errorf("%s is reported interactive", src.Name())
	}
}
