#!/usr/bin/env bash
# Measurement (not a test) of the prebuilt action image against building it from the Dockerfile:
#
#   bash scripts/bench-image.sh
#
# Prints the ko image's size (compressed: config + gzip layers as pulled; uncompressed: the
# layers' tar bytes) and the time from "start the action" to "verdict written" two ways, each
# run by scripts/container-test.sh against the fake GitHub API (the same action run, same PR):
#   (a) build from the Dockerfile, as consumers' runners do today with `image: Dockerfile`:
#       `buildah build` with an EMPTY Go build cache (a runner starts from nothing), then the run.
#       Not counted, so (a) is a lower bound: pulling the golang builder image (~300 MB on a
#       runner; here a local stand-in assembled once) and downloading the modules (vendored here).
#   (b) the prebuilt image (ko, .ko.yaml) pulled from a registry on loopback into an EMPTY image
#       store, then the same run.
# and the ratio (b)/(a). Goal: (b) <= 10 % of (a), image <= 20 MB compressed.
# Needs what scripts/image-test.sh needs. BENCH_IMAGE_RUNS=N repeats each side (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib/image.sh
source scripts/lib/image.sh
fail() { echo "bench-image: FAIL: $*" >&2; exit 1; }
RUNS=${BENCH_IMAGE_RUNS:-1}

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n --preserve-env env "PATH=$PATH" "HOME=$HOME" bash "$0" "$@"
  fi
  fail "needs root (or passwordless sudo), as scripts/container-test.sh does"
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/verify-evidence-bench-image.XXXXXX")
# The builder stand-in of (a) is kept between bench runs (it stands for a pulled golang image,
# which is not counted); everything that is counted starts empty.
KEEP=${XDG_CACHE_HOME:-$HOME/.cache}/verify-evidence/bench-image
trap 'image_registry_stop; rm -rf "$TMP"' EXIT

image_ko_install
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
image_base_layout "$TMP/base"
image_registry_start "$TMP/registry"
base=$(image_push_layout "$TMP/base" verify-evidence-base base)
export KO_DEFAULTBASEIMAGE=$IMAGE_REGISTRY/verify-evidence-base@$base KO_DOCKER_REPO=$IMAGE_REGISTRY/verify-evidence
VERSION="bench-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
export VERSION
image_ko_build "$TMP/ref"
ref=$(cat "$TMP/ref")
digest=${ref##*@}

man=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$IMAGE_REGISTRY/v2/verify-evidence/manifests/$digest")
compressed=$(jq '[.config.size] + [.layers[].size] | add' <<<"$man")
uncompressed=0
for l in $(jq -r '.layers[].digest' <<<"$man"); do
  n=$(curl -fsS "http://$IMAGE_REGISTRY/v2/verify-evidence/blobs/$l" | gzip -dc | wc -c)
  uncompressed=$((uncompressed + n))
done

# timing_of LOG WHAT: the seconds of a "timing: WHAT S" line.
timing_of() { awk -v w="timing: $2 " 'index($0, w) == 1 { print substr($0, length(w) + 1) }' "$1" | tail -1; }

a_times=() b_times=()
for i in $(seq 1 "$RUNS"); do
  rm -rf "$TMP/gocache-a"; mkdir -p "$TMP/gocache-a" "$KEEP"
  VERIFY_EVIDENCE_CONTAINER_CACHE=$KEEP/dockerfile CONTAINER_TEST_GOCACHE=$TMP/gocache-a \
    CONTAINER_TEST_REQUIRE_ACTION=1 bash "$ROOT/scripts/container-test.sh" >"$TMP/a.log" 2>&1 ||
    { tail -30 "$TMP/a.log"; fail "(a) container-test"; }
  build=$(timing_of "$TMP/a.log" "image build"); run=$(timing_of "$TMP/a.log" "action run")
  a_times+=("$(awk -v x="$build" -v y="$run" 'BEGIN { printf "%.2f", x + y }')")
  echo "(a) run $i: build from Dockerfile $build s + action $run s"

  rm -rf "$TMP/cache-b"
  VERIFY_EVIDENCE_CONTAINER_CACHE=$TMP/cache-b CONTAINER_TEST_PULL=$ref CONTAINER_TEST_BINARY=/ko-app/verify-evidence \
    CONTAINER_TEST_ENTRYPOINT='["/ko-app/verify-evidence"]' CONTAINER_TEST_VERSION=$VERSION \
    CONTAINER_TEST_REQUIRE_ACTION=1 bash "$ROOT/scripts/container-test.sh" >"$TMP/b.log" 2>&1 ||
    { tail -30 "$TMP/b.log"; fail "(b) container-test"; }
  pull=$(timing_of "$TMP/b.log" "image pull"); run=$(timing_of "$TMP/b.log" "action run")
  b_times+=("$(awk -v x="$pull" -v y="$run" 'BEGIN { printf "%.2f", x + y }')")
  echo "(b) run $i: pull prebuilt $pull s + action $run s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
a=$(median "${a_times[@]}"); b=$(median "${b_times[@]}")

echo
echo "image $ref"
awk -v c="$compressed" -v u="$uncompressed" 'BEGIN {
  printf "image size: %.1f MB compressed (%d bytes), %.1f MB uncompressed (%d bytes); goal <= 20 MB compressed\n", c / 1e6, c, u / 1e6, u }'
awk -v a="$a" -v b="$b" -v n="$RUNS" 'BEGIN {
  printf "start action -> verdict written (median of %d): (a) Dockerfile build + run %.1f s; (b) prebuilt pull + run %.1f s\n", n, a, b
  printf "ratio (b)/(a): %.1f %% (goal <= 10 %%)\n", 100 * b / a }'
