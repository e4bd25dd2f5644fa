package githubtest_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aicr/verify-evidence/internal/github/githubtest"
)

// The committed pruned description loads without any npm package, names the pinned version and
// the fake's endpoints, and validates.
func TestPrunedDescriptionLoads(t *testing.T) {
	d, err := githubtest.LoadDescription()
	if err != nil {
		t.Fatal(err)
	}
	prov, err := githubtest.EmbeddedProvenance()
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != githubtest.PinnedVersion("@octokit/openapi") || prov.Version != d.Version {
		t.Errorf("pruned from %s (stamp %s), pinned %s", d.Version, prov.Version, githubtest.PinnedVersion("@octokit/openapi"))
	}
	if want := slices.Sorted(slices.Values(githubtest.Endpoints())); !slices.Equal(prov.Endpoints, want) {
		t.Errorf("stamp endpoints %q, want %q", prov.Endpoints, want)
	}
	if len(prov.SHA256) != 64 || prov.Generator != "bash scripts/regen-openapi.sh" {
		t.Errorf("stamp %+v", prov)
	}
}

// When the pinned @octokit/openapi is installed, pruning it again gives the committed file
// byte for byte: the subset is what the package says, for the endpoints the fake serves.
func TestPrunedDescriptionIsCurrent(t *testing.T) {
	got, err := githubtest.PruneInstalledDescription()
	if errors.Is(err, githubtest.ErrFixturesMissing) {
		t.Skipf("the pinned @octokit/openapi is not installed, so the committed pruned description is not re-derived (bash scripts/regen-openapi.sh installs it): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "..", filepath.FromSlash(githubtest.PrunedDescriptionFile)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Errorf("%s differs from the pinned package pruned to the fake's endpoints (%d bytes, want %d): run bash scripts/regen-openapi.sh",
			githubtest.PrunedDescriptionFile, len(committed), len(got))
	}
}
