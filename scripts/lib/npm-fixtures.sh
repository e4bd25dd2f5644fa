# shellcheck shell=bash
# The npm test fixtures of internal/github/githubtest, pinned with integrity hashes in
# internal/github/githubtest/npm/package-lock.json (the one place for their versions), installed
# with `npm ci` into a cache folder and reused while that lock file is unchanged. Sourced by
# scripts/test.sh and scripts/regen-openapi.sh.
#
#   npm_fixtures_install          the webhook examples (@octokit/webhooks-examples, 9 MB, ~2 s):
#                                 npm ci --omit=optional. What the test suite needs.
#   npm_fixtures_install full     also the optional @octokit/openapi (385 MB): GitHub's whole REST
#                                 description, from which scripts/regen-openapi.sh prunes the
#                                 committed subset the fake validates against.
# Sets NPM_FIXTURES (the cache folder; $VERIFY_EVIDENCE_NPM wins). Returns non-zero on failure.

NPM_FIXTURES=${VERIFY_EVIDENCE_NPM:-${XDG_CACHE_HOME:-$HOME/.cache}/verify-evidence/npm}
NPM_PINS=internal/github/githubtest/npm

npm_fixtures_install() {
  local full=${1:-} omit=(--omit=optional) what="the npm test fixtures (webhook examples, about 10 MB)"
  local need=("$NPM_FIXTURES/node_modules/@octokit/webhooks-examples/package.json")
  if [ "$full" = full ]; then
    omit=(); what="the npm fixtures with GitHub's OpenAPI description (about 400 MB)"
    need+=("$NPM_FIXTURES/node_modules/@octokit/openapi/package.json")
  fi
  local f installed=1
  cmp -s "$NPM_PINS/package-lock.json" "$NPM_FIXTURES/package-lock.json" || installed=0
  for f in "${need[@]}"; do [ -f "$f" ] || installed=0; done
  [ "$installed" = 0 ] || return 0
  command -v npm >/dev/null 2>&1 || { echo "npm not found: cannot install $what" >&2; return 1; }
  echo "installing $what into $NPM_FIXTURES (one time)" >&2
  mkdir -p "$NPM_FIXTURES"
  cp "$NPM_PINS/package.json" "$NPM_PINS/package-lock.json" "$NPM_FIXTURES/"
  if ! npm ci --prefix "$NPM_FIXTURES" "${omit[@]}" --ignore-scripts --no-audit --no-fund --loglevel=error; then
    rm -f "$NPM_FIXTURES/package-lock.json" # retry next time
    echo "npm ci failed" >&2
    return 1
  fi
}
