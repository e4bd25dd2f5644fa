package cli

import (
	"context"
	"fmt"

	"github.com/sethvargo/go-githubactions"

	"github.com/aicr/verify-evidence/internal/action"
	"github.com/aicr/verify-evidence/internal/github"
)

const actionUsage = `Usage: verify-evidence action

Runs as the GitHub Action aicr/verify-evidence: reads its inputs from INPUT_*
variables and the event from GITHUB_EVENT_PATH, verifies the evidence of the
recipes the pull request touches, and reports through one sticky PR comment,
the job summary ($GITHUB_STEP_SUMMARY), annotations and outputs ($GITHUB_OUTPUT).
See docs/action.md.
`

func runAction(ctx context.Context, args []string, stdio IO) int {
	if len(args) > 0 {
		if args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
			fmt.Fprint(stdio.Stdout, actionUsage)
			return ExitPassed
		}
		fmt.Fprint(stdio.Stderr, actionUsage)
		return ExitUsage
	}
	opts := []githubactions.Option{githubactions.WithWriter(stdio.Stdout)}
	if stdio.Getenv != nil {
		opts = append(opts, githubactions.WithGetenv(stdio.Getenv))
	}
	a := githubactions.New(opts...)
	if stdio.Getenv == nil || stdio.Getenv("GITHUB_OUTPUT") == "" || stdio.Getenv("GITHUB_STEP_SUMMARY") == "" {
		fmt.Fprintln(stdio.Stderr, "verify-evidence action: GITHUB_OUTPUT and GITHUB_STEP_SUMMARY must name writable files (run inside GitHub Actions)")
		return ExitUsage
	}
	return action.Main(ctx, a, func(token, apiURL string) (action.GitHub, error) {
		return github.New(github.Options{Token: token, BaseURL: apiURL, UserAgent: "aicr-verify-evidence"})
	}, stdio.Version)
}
