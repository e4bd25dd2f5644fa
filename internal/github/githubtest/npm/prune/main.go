// Command prune writes GitHub's REST OpenAPI description pruned to the endpoints the fake
// serves (githubtest.Endpoints), from the installed, pinned @octokit/openapi, stamped with its
// provenance: githubtest.PrunedDescriptionFile. Run through `bash scripts/regen-openapi.sh`,
// which installs the package first.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

func main() {
	out := flag.String("out", githubtest.PrunedDescriptionFile, "write the pruned description to `FILE`")
	flag.Parse()
	b, err := githubtest.PruneInstalledDescription()
	if err != nil {
		fmt.Fprintln(os.Stderr, "prune:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "prune:", err)
		os.Exit(1)
	}
	fmt.Printf("prune: wrote %s (%d bytes)\n", *out, len(b))
}
