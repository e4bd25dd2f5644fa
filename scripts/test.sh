#!/usr/bin/env bash
# Runs the whole test suite. Installs the tools the tests need once (cosign
# v3.1.3 for the third-party verification proof) into a cache folder and reuses
# them afterwards. Usage: bash scripts/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_BIN=${VERIFY_EVIDENCE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/verify-evidence/bin}
mkdir -p "$TOOLS_BIN"
export PATH="$TOOLS_BIN:$PATH"

if ! "$TOOLS_BIN/cosign" version >/dev/null 2>&1; then
  echo "scripts/test.sh: installing cosign v3.1.3 into $TOOLS_BIN (one time, about 5 minutes)" >&2
  GOBIN="$TOOLS_BIN" go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3
fi

go test -count=1 -timeout 30m "$@" ./...
