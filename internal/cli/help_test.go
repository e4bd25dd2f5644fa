package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aicr/verify-evidence/internal/cli"
)

// Sub-command help goes to stdout (so `verify-evidence verify --help | less` works), names the
// BUNDLE argument, stdin and the exit codes, and shows --max-age as --max-age accepts it.
func TestSubcommandHelpOnStdout(t *testing.T) {
	for _, cmd := range []string{"verify", "inspect"} {
		for _, h := range []string{"-h", "--help", "-help"} {
			r := run(t, nil, cmd, h)
			r.want(t, cli.ExitPassed)
			if r.stderr != "" {
				t.Errorf("%s %s: stderr %q, want nothing", cmd, h, r.stderr)
			}
			for _, want := range []string{
				"Usage: verify-evidence " + cmd + " BUNDLE [flags]",
				"BUNDLE is the evidence bundle", "or - to read it\nfrom stdin",
				"Exit codes:", "  3   could not decide", "  64  usage error", "-format",
			} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%s %s: help lacks %q:\n%s", cmd, h, want, r.stdout)
				}
			}
		}
	}
	r := run(t, nil, "verify", "--help")
	if !strings.Contains(r.stdout, "(default 365d)") || strings.Contains(r.stdout, "8760h") {
		t.Errorf("verify --help does not show --max-age's default as 365d:\n%s", r.stdout)
	}
	if r := run(t, nil, "inspect", "--help"); !strings.Contains(r.stdout, "NOT checked") {
		t.Errorf("inspect --help does not say the signature is not checked:\n%s", r.stdout)
	}
}

// A bad flag is a usage error: the flag package's message and a pointer to --help on stderr,
// no help text and no report on stdout.
func TestBadFlagPointsToHelp(t *testing.T) {
	r := run(t, nil, "verify", "--no-such-flag", h100Bundle)
	r.want(t, cli.ExitUsage)
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
	want := "flag provided but not defined: -no-such-flag\nrun 'verify-evidence verify --help' for its usage\n"
	if r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
}

// A --recipe or --policy file that cannot be opened is the user's mistake: exit 64, and the
// message names the flag.
func TestMissingFlagFileNamesTheFlag(t *testing.T) {
	nope := filepath.Join(t.TempDir(), "nope.yaml")
	for flag, args := range map[string][]string{
		"--recipe": {"verify", h100Bundle, "--allow-any-signer", "--recipe", nope},
		"--policy": {"verify", h100Bundle, "--policy", nope},
	} {
		r := run(t, nil, args...)
		r.want(t, cli.ExitUsage)
		if want := "verify-evidence verify: " + flag + " " + nope + ": no such file or directory\n"; r.stderr != want {
			t.Errorf("%s: stderr %q, want %q", flag, r.stderr, want)
		}
	}
}
