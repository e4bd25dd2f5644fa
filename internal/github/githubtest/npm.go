package githubtest

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The npm packages are pinned, with integrity hashes, by npm/package.json and
// npm/package-lock.json in this directory; scripts/test.sh installs exactly
// that lock file with `npm ci --omit=optional` into [FixturesDir] (the webhook
// examples, 9 MB); @octokit/openapi (385 MB) is optional: only
// scripts/regen-openapi.sh installs it, to regenerate [PrunedDescriptionFile].
//
//go:embed npm/package.json
var pinnedPackageJSON []byte

// Package paths inside the npm prefix.
const (
	openAPIPackage   = "@octokit/openapi"
	openAPIFile      = "generated/api.github.com.json"
	webhooksPackage  = "@octokit/webhooks-examples"
	webhooksExamples = "api.github.com/index.json"
	fixturesEnv      = "VERIFY_EVIDENCE_NPM"
	fixturesInstall  = "scripts/test.sh installs it"
)

// ErrFixturesMissing is wrapped by errors about absent or mismatched npm
// fixture packages.
var ErrFixturesMissing = errors.New("githubtest: npm test fixture missing")

// FixturesDir returns the npm prefix holding the pinned fixture packages:
// $VERIFY_EVIDENCE_NPM when set, else ${XDG_CACHE_HOME:-$HOME/.cache}/verify-evidence/npm.
func FixturesDir() (string, error) {
	if d := os.Getenv(fixturesEnv); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("githubtest: locating the npm fixtures: %w", err)
	}
	return filepath.Join(c, "verify-evidence", "npm"), nil
}

// PinnedVersion returns the exact version of an npm fixture package pinned in
// npm/package.json.
func PinnedVersion(pkg string) string {
	var p struct {
		Dependencies         map[string]string `json:"dependencies"`
		OptionalDependencies map[string]string `json:"optionalDependencies"`
	}
	if err := json.Unmarshal(pinnedPackageJSON, &p); err != nil {
		panic("githubtest: npm/package.json: " + err.Error()) // embedded, checked by tests
	}
	if v, ok := p.Dependencies[pkg]; ok {
		return v
	}
	return p.OptionalDependencies[pkg]
}

// packageFile returns the path of rel inside installed package pkg, after
// checking that the installed version is the pinned one.
func packageFile(pkg, rel string) (path, version string, err error) {
	dir, err := FixturesDir()
	if err != nil {
		return "", "", err
	}
	root := filepath.Join(dir, "node_modules", filepath.FromSlash(pkg))
	want := PinnedVersion(pkg)
	raw, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err != nil {
		return "", "", fmt.Errorf("%w: %s@%s is not under %s (%s): %v", ErrFixturesMissing, pkg, want, dir, fixturesInstall, err)
	}
	var meta struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return "", "", fmt.Errorf("githubtest: %s/package.json: %w", root, err)
	}
	if meta.Version != want {
		return "", "", fmt.Errorf("%w: %s under %s is %s, not the pinned %s (%s)", ErrFixturesMissing, pkg, dir, meta.Version, want, fixturesInstall)
	}
	return filepath.Join(root, filepath.FromSlash(rel)), meta.Version, nil
}

// missingFixture reports an absent fixture: a skip normally, a failure under
// CI=true, where the fixtures must have been installed.
func missingFixture(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: %v (CI=true requires the npm fixtures)", what, err)
	}
	t.Skipf("%s: %v", what, err)
}
