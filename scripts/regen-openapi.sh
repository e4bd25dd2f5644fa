#!/usr/bin/env bash
# Regenerates internal/github/githubtest/npm/api.github.com.pruned.json: GitHub's REST OpenAPI
# description (the pinned @octokit/openapi, installed here with npm, ~400 MB, once) pruned to the
# operations the fake serves (githubtest.Endpoints()) and the components they use, stamped with
# its provenance (package, version, file, sha256, endpoints). Run it after adding an endpoint to
# internal/github/githubtest/endpoints.go or bumping the pin in internal/github/githubtest/npm/;
# then commit the file. TestPrunedDescriptionIsCurrent checks it whenever the package is installed.
#
#   bash scripts/regen-openapi.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/npm-fixtures.sh
source scripts/lib/npm-fixtures.sh
npm_fixtures_install full
VERIFY_EVIDENCE_NPM=$NPM_FIXTURES go run ./internal/github/githubtest/npm/prune
VERIFY_EVIDENCE_NPM=$NPM_FIXTURES go test -count=1 -run 'TestPrunedDescription' ./internal/github/githubtest/
