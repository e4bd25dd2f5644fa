package signing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/oauthflow"
	"golang.org/x/term"
)

// interactiveTimeout bounds an interactive login.
const interactiveTimeout = 5 * time.Minute

// InteractiveToken returns a token source that logs the user in through
// sigstore's own OAuth flow (github.com/sigstore/sigstore/pkg/oauthflow,
// PKCE, nonce and ID-token verification included): the device flow
// ([oauthflow.NewDeviceFlowTokenGetterForIssuer]) when opts.DeviceFlow is set
// or the host looks headless (an SSH session, or no display on a Unix
// desktop), the browser flow ([oauthflow.DefaultIDTokenGetter], which falls
// back to pasting a code when no browser opens) otherwise. Prompts go to
// opts.Stderr. Constructing it does nothing; each Token call runs one login
// (at most 5 minutes).
func InteractiveToken(opts ResolveOptions) TokenSource {
	s := &interactiveSource{
		issuer:   opts.OIDCIssuer,
		clientID: opts.OIDCClientID,
		out:      opts.Stderr,
		device:   opts.DeviceFlow || headless(orOSGetenv(opts.Getenv), runtime.GOOS),
	}
	if s.issuer == "" {
		s.issuer = DefaultOIDCIssuer
	}
	if s.clientID == "" {
		s.clientID = DefaultOIDCClientID
	}
	if s.out == nil {
		s.out = io.Discard
	}
	return s
}

type interactiveSource struct {
	issuer, clientID string
	out              io.Writer
	device           bool
}

// Interactive marks the source for [IsInteractive].
func (s *interactiveSource) Interactive() bool { return true }

func (s *interactiveSource) Name() string {
	if s.device {
		return "interactive login (device flow, " + s.issuer + ")"
	}
	return "interactive login (browser, " + s.issuer + ")"
}

// getter builds a fresh token getter for one login; the package-level
// oauthflow getters are never modified.
func (s *interactiveSource) getter() oauthflow.TokenGetter {
	if s.device {
		g := oauthflow.NewDeviceFlowTokenGetterForIssuer(s.issuer)
		g.MessagePrinter = func(msg string) { _, _ = fmt.Fprintln(s.out, msg) }
		return g
	}
	return &oauthflow.InteractiveIDTokenGetter{
		HTMLPage: oauthflow.DefaultIDTokenGetter.HTMLPage,
		Input:    os.Stdin,
		Output:   s.out,
	}
}

func (s *interactiveSource) Token(ctx context.Context) (string, error) {
	fail := func(err error, hint string) error {
		return &ServiceError{Service: ServiceOIDC, URL: s.Name(), Err: err, Hint: hint}
	}
	if err := ctx.Err(); err != nil {
		return "", fail(err, "signing was cancelled before the login started")
	}
	ctx, cancel := context.WithTimeout(ctx, interactiveTimeout)
	defer cancel()
	type result struct {
		tok *oauthflow.OIDCIDToken
		err error
	}
	// oauthflow.OIDConnect takes no context: run it aside and stop waiting
	// when ctx ends (the abandoned login dies with its HTTP timeouts).
	ch := make(chan result, 1)
	getter := s.getter()
	go func() {
		tok, err := oauthflow.OIDConnect(s.issuer, s.clientID, "", "", getter)
		ch <- result{tok, err}
	}()
	select {
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fail(ctx.Err(), "the login was not completed in time")
		}
		return "", fail(ctx.Err(), "signing was cancelled")
	case r := <-ch:
		if r.err != nil {
			return "", fail(r.err, "the login failed; retry, or pass --identity-token FILE")
		}
		if r.tok == nil || r.tok.RawString == "" {
			return "", fail(errors.New("the login returned no token"), "")
		}
		return r.tok.RawString, nil
	}
}

// headless guesses whether a browser can be opened for the user: not over
// SSH, and on Unix desktops only with a display.
func headless(getenv func(string) string, goos string) bool {
	if getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" {
		return true
	}
	switch goos {
	case "darwin", "windows":
		return false
	}
	return strings.TrimSpace(getenv("DISPLAY")) == "" && strings.TrimSpace(getenv("WAYLAND_DISPLAY")) == ""
}

func isTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}
