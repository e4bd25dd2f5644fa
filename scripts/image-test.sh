#!/usr/bin/env bash
# Offline proof of the prebuilt action image (the one the release workflow pushes to
# ghcr.io/aicr/verify-evidence, docs/release.md), built with ko (.ko.yaml):
#
#   bash scripts/image-test.sh
#
#   1. base       the base image (scripts/lib/image.sh image_base_layout: CA bundle and /tmp) as
#                 an OCI layout, built twice -> the same digest, pushed to a distribution
#                 registry started on a free loopback port.
#   2. build      `ko build` twice with KO_DEFAULTBASEIMAGE pointing at that base and the same
#                 SOURCE_DATE_EPOCH: the second time with an empty Go build cache, so the
#                 binary is compiled again from nothing. Both must give the same image digest.
#   3. sbom       the SPDX SBOM ko wrote lists every Go module linked into the binary
#                 (`go list -deps`), at its version; the registry holds it attached to the image
#                 (tag sha256-<digest>.sbom).
#   4. run        scripts/container-test.sh with CONTAINER_TEST_PULL=<registry>/verify-evidence@<digest>:
#                 buildah pulls the image from the loopback registry, checks its contract and
#                 runs it with the runner's environment against the fake GitHub API.
#
# Needs what scripts/container-test.sh needs (root or passwordless sudo, buildah), plus curl,
# jq and python3. ko v0.19.1 and the registry (distribution v3.0.0) are installed into the tools
# folder when absent. IMAGE_TEST_SAME_GOCACHE=1 skips the empty cache of the second build
# (faster, a weaker proof). IMAGE_TEST_KEEP=DIR keeps the SBOM and the ko logs.
# Measured on 2 shared cores: ~6 min (two cold compiles of ~2.5 min; the run stage ~30 s).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib/image.sh
source scripts/lib/image.sh

T0=$SECONDS
fail() { echo "image-test: FAIL: $*" >&2; exit 1; }
for t in curl jq python3 tar gzip; do command -v "$t" >/dev/null 2>&1 || fail "$t not found"; done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/verify-evidence-it.XXXXXX")
cleanup() {
  image_registry_stop
  if [ -n "${IMAGE_TEST_KEEP:-}" ]; then
    mkdir -p "$IMAGE_TEST_KEEP"; cp -r "$TMP/sbom" "$TMP"/*.log "$IMAGE_TEST_KEEP/" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

echo "== tools"
image_ko_install
echo "ko $("$KO" version)"

echo "== base image"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
image_base_layout "$TMP/base"
image_base_layout "$TMP/base2"
b1=$(jq -r '.manifests[0].digest' "$TMP/base/index.json")
b2=$(jq -r '.manifests[0].digest' "$TMP/base2/index.json")
[ "$b1" = "$b2" ] || fail "the base image is not reproducible: $b1 then $b2"
image_registry_start "$TMP/registry"
base=$(image_push_layout "$TMP/base" verify-evidence-base base)
[ "$base" = "$b1" ] || fail "pushed base $base, built $b1"
echo "base $IMAGE_REGISTRY/verify-evidence-base@$base (linux/amd64, linux/arm64; CA bundle sha256 $(image_sha256 "$IMAGE_CA_BUNDLE" | cut -c1-16)…), same digest twice"

echo "== ko build, twice"
export KO_DEFAULTBASEIMAGE=$IMAGE_REGISTRY/verify-evidence-base@$base
export KO_DOCKER_REPO=$IMAGE_REGISTRY/verify-evidence
VERSION="image-test-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
export VERSION
t=$SECONDS
image_ko_build "$TMP/ref1" --sbom-dir "$TMP/sbom"
ref1=$(cat "$TMP/ref1")
echo "build 1: $ref1 ($((SECONDS - t)) s)"
t=$SECONDS
if [ "${IMAGE_TEST_SAME_GOCACHE:-0}" = 1 ]; then
  image_ko_build "$TMP/ref2" --sbom-dir "$TMP/sbom2"
  how="same Go build cache"
else
  GOCACHE=$TMP/gocache2 image_ko_build "$TMP/ref2" --sbom-dir "$TMP/sbom2"
  how="empty Go build cache"
fi
ref2=$(cat "$TMP/ref2")
echo "build 2: $ref2 ($((SECONDS - t)) s, $how)"
[ "$ref1" = "$ref2" ] || fail "two builds of the same tree gave different images: $ref1 and $ref2"
digest=${ref1##*@}
cmp -s "$TMP/sbom/"*.spdx.json "$TMP/sbom2/"*.spdx.json || fail "the two builds wrote different SBOMs"
echo "same digest twice: $digest"

echo "== SBOM"
sbom=$(ls "$TMP/sbom/"*.spdx.json)
# Every module linked into the binary, as the purl ko writes (path lower-cased as purl does).
go list -deps -f '{{with .Module}}{{if not .Main}}{{with .Replace}}{{.Path}} {{.Version}}{{else}}{{.Path}} {{.Version}}{{end}}{{end}}{{end}}' . |
  sort -u >"$TMP/modules.txt"
jq -r '.packages[].externalRefs[]?.referenceLocator | select(startswith("pkg:golang/"))' "$sbom" |
  sed -e 's|^pkg:golang/||' -e 's|?.*$||' | sort -u >"$TMP/sbom-purls.txt"
missing=0
while read -r path ver; do
  want="$(tr '[:upper:]' '[:lower:]' <<<"$path")@$ver"
  grep -qxF "$want" "$TMP/sbom-purls.txt" || { echo "  not in the SBOM: $path $ver"; missing=$((missing + 1)); }
done <"$TMP/modules.txt"
[ "$missing" = 0 ] || fail "$missing of $(wc -l <"$TMP/modules.txt") linked modules are missing from the SBOM"
jq -e --arg d "$digest" '[.packages[].externalRefs[]?.referenceLocator | select(startswith("pkg:oci/image@" + $d))] | length > 0' "$sbom" >/dev/null ||
  fail "the SBOM does not name the image $digest"
sbom_tag="sha256-${digest#sha256:}.sbom"
curl -fs -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$IMAGE_REGISTRY/v2/verify-evidence/manifests/$sbom_tag" || fail "no SBOM attached in the registry ($sbom_tag)"
echo "SBOM $(basename "$sbom"): all $(wc -l <"$TMP/modules.txt") linked Go modules at their versions; attached as $sbom_tag"

echo "== image size"
man=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$IMAGE_REGISTRY/v2/verify-evidence/manifests/$digest")
compressed=$(jq '[.config.size] + [.layers[].size] | add' <<<"$man")
echo "compressed (config + layers): $compressed bytes"

echo "== run (scripts/container-test.sh, image pulled from the loopback registry)"
CONTAINER_TEST_PULL=$ref1 CONTAINER_TEST_BINARY=/ko-app/verify-evidence \
  CONTAINER_TEST_ENTRYPOINT='["/ko-app/verify-evidence"]' CONTAINER_TEST_VERSION=$VERSION \
  CONTAINER_TEST_REQUIRE_ACTION=1 bash "$ROOT/scripts/container-test.sh"

echo "image-test: OK in $((SECONDS - T0)) s ($ref1)"
