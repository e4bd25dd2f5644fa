#!/usr/bin/env bash
# Regenerates scripts/tools/cosign/go.mod and go.sum: cosign v3.1.3 (the CLI of the third-party
# verification proof) built against this module's own dependency versions. MVS takes the higher
# of cosign's and ours for each module, so the packages both need (k8s, grpc, x/*, sigstore-go,
# go-containerregistry, ...) are the same package versions as in the test build, and
# scripts/test.sh compiles them once for both instead of twice. Run after changing go.mod's
# requirements (TestCosignToolModuleFollowsRoot says when). Needs the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
COSIGN_VERSION=v3.1.3
dir=scripts/tools/cosign
{
  printf 'module github.com/aicr/verify-evidence/%s\n\ngo %s\n\ntool github.com/sigstore/cosign/v3/cmd/cosign\n\n' \
    "$dir" "$(awk '$1 == "go" {print $2; exit}' go.mod)"
  printf 'require github.com/sigstore/cosign/v3 %s\n\n' "$COSIGN_VERSION"
  # every requirement of the root module, at the root's version
  awk '/^require \(/ {f = 1; print; next} f && /^\)/ {f = 0; print; next} f {print} /^require [^(]/ {print}' go.mod
} > "$dir/go.mod"
: > "$dir/go.sum"
(cd "$dir" && go mod tidy)
echo "regenerated $dir/go.mod and go.sum (cosign $COSIGN_VERSION)"
