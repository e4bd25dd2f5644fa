#!/usr/bin/env bash
# Runs the whole test suite. Installs the tools the tests need once (cosign
# v3.1.3 for the third-party verification proof) into a cache folder and reuses
# them afterwards. Usage: bash scripts/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_BIN=${VERIFY_EVIDENCE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/verify-evidence/bin}
mkdir -p "$TOOLS_BIN"
export PATH="$TOOLS_BIN:$PATH"

if ! "$TOOLS_BIN/actionlint" -version >/dev/null 2>&1; then
  echo "scripts/test.sh: installing actionlint v1.7.12 into $TOOLS_BIN (one time)" >&2
  GOBIN="$TOOLS_BIN" go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
fi

if ! "$TOOLS_BIN/cosign" version >/dev/null 2>&1; then
  echo "scripts/test.sh: installing cosign v3.1.3 into $TOOLS_BIN (one time, about 5 minutes)" >&2
  GOBIN="$TOOLS_BIN" go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3
fi

# --- npm test fixtures (internal/github/githubtest) ---
# GitHub's REST OpenAPI description (@octokit/openapi) and real webhook payloads
# (@octokit/webhooks-examples), pinned with integrity hashes in
# internal/github/githubtest/npm/package-lock.json (the one place for their
# versions), installed once with npm ci into the cache and reused while that lock
# file is unchanged. Without them the GitHub fake skips OpenAPI validation, except
# under CI=true, where the tests fail.
NPM_FIXTURES=${VERIFY_EVIDENCE_NPM:-${XDG_CACHE_HOME:-$HOME/.cache}/verify-evidence/npm}
NPM_PINS=internal/github/githubtest/npm
if ! cmp -s "$NPM_PINS/package-lock.json" "$NPM_FIXTURES/package-lock.json" ||
  [ ! -f "$NPM_FIXTURES/node_modules/@octokit/openapi/package.json" ] ||
  [ ! -f "$NPM_FIXTURES/node_modules/@octokit/webhooks-examples/package.json" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "scripts/test.sh: installing the npm test fixtures into $NPM_FIXTURES (one time, about 10 seconds)" >&2
    mkdir -p "$NPM_FIXTURES"
    cp "$NPM_PINS/package.json" "$NPM_PINS/package-lock.json" "$NPM_FIXTURES/"
    if ! npm ci --prefix "$NPM_FIXTURES" --ignore-scripts --no-audit --no-fund --loglevel=error; then
      rm -f "$NPM_FIXTURES/package-lock.json" # retry next time
      echo "scripts/test.sh: npm ci failed; GitHub OpenAPI validation will be skipped" >&2
      [ "${CI:-}" != "true" ] || exit 1
    fi
  else
    echo "scripts/test.sh: npm not found; GitHub OpenAPI validation will be skipped" >&2
    [ "${CI:-}" != "true" ] || exit 1
  fi
fi
export VERIFY_EVIDENCE_NPM="$NPM_FIXTURES"
# --- end npm test fixtures ---

# --- comment rendering (internal/comment) ---
# cmark-gfm (GitHub's Markdown implementation) renders every comment beside
# goldmark; headless Chromium lays the comment out at 800 px with GitHub's
# stylesheet (npm github-markdown-css, pinned). Installed with apt-get when
# missing; without them those tests skip, except under CI=true, where they fail.
COMMENT_TOOLS=()
command -v cmark-gfm >/dev/null 2>&1 || COMMENT_TOOLS+=(cmark-gfm)
command -v chromium >/dev/null 2>&1 || COMMENT_TOOLS+=(chromium fonts-noto-color-emoji)
if [ ${#COMMENT_TOOLS[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "scripts/test.sh: installing ${COMMENT_TOOLS[*]} with apt-get (one time)" >&2
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${COMMENT_TOOLS[@]}" >/dev/null; }; then
    echo "scripts/test.sh: could not install ${COMMENT_TOOLS[*]}; the comment rendering tests will be skipped" >&2
    [ "${CI:-}" != "true" ] || exit 1
  fi
fi
MARKDOWN_CSS_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/verify-evidence/github-markdown-css
export VERIFY_EVIDENCE_MARKDOWN_CSS="$MARKDOWN_CSS_DIR/package/github-markdown-light.css"
if [ ! -f "$VERIFY_EVIDENCE_MARKDOWN_CSS" ]; then
  if mkdir -p "$MARKDOWN_CSS_DIR" && (cd "$MARKDOWN_CSS_DIR" && npm pack github-markdown-css@5.9.0 --silent >/dev/null &&
    tar xzf github-markdown-css-5.9.0.tgz); then :; else
    echo "scripts/test.sh: could not fetch github-markdown-css; the comment layout test will be skipped" >&2
    [ "${CI:-}" != "true" ] || exit 1
  fi
fi
# --- end comment rendering ---

go test -count=1 -timeout 30m "$@" ./...
