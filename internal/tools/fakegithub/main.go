// Command fakegithub serves the fake GitHub REST API of package githubtest
// on a loopback address, for the container test of the action.
//
// Usage:
//
//	go run ./internal/tools/fakegithub -addr 127.0.0.1:0 -scenario FILE.json -ready FILE \
//	    [-state FILE] [-event FILE [-event-action synchronize] [-event-pr owner/name#N]] [-validate auto|on|off]
//
// It loads the repositories, pull requests, files, trees, comments and
// faults of the scenario (format: githubtest.Scenario; testdata/scenario.json
// is a complete example, kept loadable by a test), listens, and writes
// the API root URL (for GITHUB_API_URL, e.g. http://127.0.0.1:41234/api/v3)
// and a newline to the -ready file, atomically, once it accepts
// connections. With -event it also writes a real pull_request webhook
// payload (from the pinned @octokit/webhooks-examples package) for the
// scenario's first pull request, or -event-pr, for GITHUB_EVENT_PATH.
//
// Every exchange is validated against GitHub's OpenAPI description when the
// pinned @octokit/openapi package is installed (-validate auto, the
// default; "on" requires it, "off" skips it); violations are printed to
// stderr as they happen.
//
// On SIGTERM or SIGINT it stops serving and writes the final state as JSON
// (githubtest.State: comments with their bodies, request counts per
// endpoint, the request log, validation errors) to the -state file, or to
// stdout. It exits with status 1 when validation found violations, 2 on a
// usage or setup error, 0 otherwise.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

// errViolations reports OpenAPI violations at exit.
var errViolations = errors.New("OpenAPI violations")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, errViolations):
		fmt.Fprintln(os.Stderr, "fakegithub:", err)
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "fakegithub:", err)
		os.Exit(2)
	}
}

// run serves until ctx is done, then dumps the state.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakegithub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (host:port; port 0 picks a free one)")
	scenarioPath := fs.String("scenario", "", "scenario JSON file (githubtest.Scenario); empty: no repositories")
	ready := fs.String("ready", "", "file to write the API root URL to once listening")
	statePath := fs.String("state", "", "file to write the final state JSON to (default: stdout)")
	eventPath := fs.String("event", "", "file to write a pull_request webhook payload to")
	eventAction := fs.String("event-action", "synchronize", "action of the -event payload")
	eventPR := fs.String("event-pr", "", "pull request of the -event payload, owner/name#N (default: the scenario's first)")
	validate := fs.String("validate", "auto", "OpenAPI validation: auto (when installed), on (required) or off")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	var opts []githubtest.Option
	var scenario *githubtest.Scenario
	if *scenarioPath != "" {
		s, err := githubtest.LoadScenario(*scenarioPath)
		if err != nil {
			return err
		}
		scenario = s
		opts = append(opts, s.Options()...)
	}
	switch *validate {
	case "off":
	case "auto", "on":
		d, err := githubtest.LoadDescription()
		switch {
		case err == nil:
			opts = append(opts, githubtest.WithValidation(d, func(msg string) { fmt.Fprintln(stderr, "fakegithub: violation:", msg) }))
		case *validate == "auto" && errors.Is(err, githubtest.ErrFixturesMissing):
			fmt.Fprintln(stderr, "fakegithub: OpenAPI validation off:", err)
		default:
			return err
		}
	default:
		return fmt.Errorf("-validate %q: want auto, on or off", *validate)
	}
	fake := githubtest.NewHandler(opts...)
	if scenario != nil {
		if err := scenario.Apply(fake); err != nil {
			return err
		}
	}
	if *eventPath != "" {
		if err := writeEvent(fake, scenario, *eventPath, *eventAction, *eventPR); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	root := "http://" + ln.Addr().String() + fake.Prefix()
	fmt.Fprintln(stderr, "fakegithub: serving", root)
	if *ready != "" {
		if err := writeAtomic(*ready, []byte(root+"\n")); err != nil {
			_ = srv.Close()
			return err
		}
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}

	state := fake.Snapshot()
	out, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return err
	}
	out = append(out, '\n')
	if *statePath != "" {
		err = writeAtomic(*statePath, out)
	} else {
		_, err = stdout.Write(out)
	}
	if err != nil {
		return err
	}
	if n := len(state.ValidationErrors); n > 0 {
		return fmt.Errorf("%w: %d (see validation_errors)", errViolations, n)
	}
	return nil
}

// writeEvent writes the pull_request payload for the -event flag.
func writeEvent(fake *githubtest.Fake, scenario *githubtest.Scenario, path, action, which string) error {
	repo, number := "", 0
	switch {
	case which != "":
		r, n, ok := strings.Cut(which, "#")
		num, err := strconv.Atoi(n)
		if !ok || err != nil {
			return fmt.Errorf("-event-pr %q: want owner/name#N", which)
		}
		repo, number = r, num
	case scenario != nil && len(scenario.PullRequests) > 0:
		repo, number = scenario.PullRequests[0].Repo, scenario.PullRequests[0].Number
	default:
		return errors.New("-event needs a scenario pull request or -event-pr")
	}
	ev, err := fake.EventPR(repo, number)
	if err != nil {
		return err
	}
	b, err := githubtest.PullRequestEventJSON(action, ev)
	if err != nil {
		return err
	}
	return writeAtomic(path, append(b, '\n'))
}

// writeAtomic writes data to path through a temporary file and a rename, so
// that a reader polling for path never sees it partial.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
