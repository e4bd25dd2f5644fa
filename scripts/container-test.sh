#!/usr/bin/env bash
# Container test of the GitHub Action image: builds ./Dockerfile and runs the image the way the
# GitHub runner runs a container action, without a Docker daemon and without any registry.
#
#   bash scripts/container-test.sh
#
# Stages (each prints a "== " header and its time):
#   1. tools      buildah, busybox-static and jq from Debian when missing (root + apt-get only).
#                 buildah runs with the vfs storage driver and chroot isolation, so it needs no
#                 overlayfs, no fuse, no runc and no user namespaces.
#   2. builder    localhost/verify-evidence-builder:<go version>, assembled from scratch out of
#                 the host's Go toolchain ($(go env GOROOT), less tests/docs/src/cmd), busybox
#                 (/bin/sh and the usual applets) and the host's CA bundle. It stands in for the
#                 Dockerfile's default, digest-pinned docker.io golang image, which cannot be
#                 pulled here. Cached: rebuilt only when its inputs (Go version, busybox, CA
#                 bundle, this recipe) change.
#   3. image      the build context is a copy of the working tree (tracked and untracked,
#                 not ignored files), plus vendor/ from `go mod vendor` (served by the host's
#                 module cache, or GOPROXY) so the build needs no network; then
#                 `buildah build --build-arg BUILDER_IMAGE=<builder> -t localhost/verify-evidence:test`.
#                 The Go build cache of the container builds is a volume kept under the cache
#                 folder, so a rebuild after a small change only recompiles that change.
#   4. contract   the image's config (entrypoint, no USER, no WORKDIR, labels), a static binary,
#                 the CA bundle, /tmp; then the binary run inside the image as the runner does
#                 (root, --workdir /github/workspace, the four /github mounts, host network):
#                 `version`, and `verify` of the two shipped example bundles (exit 0 passed,
#                 exit 1 failing), JSON report written to the mounted workspace.
#   5. action     the image run with its own ENTRYPOINT (`verify-evidence action`) and the
#                 runner's GITHUB_*/INPUT_* environment against the fake GitHub API
#                 (internal/tools/fakegithub) on loopback, for a PR that adds the example bundle
#                 and its recipe; checks exit 0, one created comment with the hidden marker and
#                 "passed", verdict=passed in $GITHUB_OUTPUT, a non-empty step summary, the JSON
#                 report in the workspace, no OpenAPI violation seen by the fake; then runs the
#                 action a second time and checks the comment was neither duplicated nor edited.
#                 Runs only when `verify-evidence action --help` succeeds in the image and the
#                 fake exists; otherwise it prints SKIPPED with the reason (exit status 0).
#                 CONTAINER_TEST_REQUIRE_ACTION=1 turns that skip into a failure.
#                 CONTAINER_TEST_KEEP=DIR keeps the run's logs, fake state and runner folders.
#
# Prebuilt image (scripts/image-test.sh, the ko image of a release): CONTAINER_TEST_PULL=REF
# (e.g. 127.0.0.1:PORT/verify-evidence@sha256:…, plain HTTP on loopback) replaces stages 2 and
# 3 by `buildah pull` of REF; stages 4 and 5 run unchanged against it, with
#   CONTAINER_TEST_BINARY      the binary's path in the image (default /verify-evidence)
#   CONTAINER_TEST_ENTRYPOINT  the expected entrypoint as compact JSON
#                              (default ["/verify-evidence","action"])
#   CONTAINER_TEST_VERSION     the version the binary must report (required with PULL)
# CONTAINER_TEST_GOCACHE=DIR replaces the kept Go build cache of the image build (an empty DIR
# compiles everything, as a consumer's runner does). The lines "timing: image build|image
# pull|action run SECONDS" give those steps' wall time (scripts/bench-image.sh reads them).
#
# Cache (reused between runs): ${VERIFY_EVIDENCE_CONTAINER_CACHE:-${XDG_CACHE_HOME:-~/.cache}/verify-evidence/container}
# (/var/cache/verify-evidence/container when re-run through sudo):
#   storage/  buildah's image store, ~0.2 GB between runs (builder 159 MB, image 20 MB); vfs
#             copies every layer in full, so a build needs ~0.5 GB more while it runs
#   gocache/  Go build cache of the container builds, ~0.3 GB
# Remove the folder to start from nothing. Measured on 2 cores: first run 120-150 s (builder
# ~10 s, cold compile 100-130 s), cached runs 15-35 s (depending on how much source changed);
# installing buildah from Debian adds ~30 s once. Needs root, or passwordless sudo (re-runs
# itself through it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# buildah with the vfs driver and chroot isolation runs rootful. Where passwordless sudo exists
# (GitHub-hosted runners), re-run through it; the Go build cache of that root run is kept apart
# so that no root-owned file lands in the invoking user's cache.
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "container-test: re-running as root through sudo (buildah vfs/chroot needs root)"
    exec sudo -n --preserve-env env "PATH=$PATH" "HOME=$HOME" CONTAINER_TEST_VIA_SUDO=1 bash "$0" "$@"
  fi
  echo "container-test: FAIL: needs root (or passwordless sudo): buildah with the vfs driver and chroot isolation runs rootful" >&2
  exit 1
fi

if [ "${CONTAINER_TEST_VIA_SUDO:-}" = 1 ]; then
  # Root-owned files stay out of the invoking user's home.
  CACHE=${VERIFY_EVIDENCE_CONTAINER_CACHE:-/var/cache/verify-evidence/container}
else
  CACHE=${VERIFY_EVIDENCE_CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/verify-evidence/container}
fi
IMAGE=localhost/verify-evidence:test
PULL_REF=${CONTAINER_TEST_PULL:-}
BIN=${CONTAINER_TEST_BINARY:-/verify-evidence}
WANT_ENTRYPOINT=${CONTAINER_TEST_ENTRYPOINT:-'["/verify-evidence","action"]'}
if [ -n "$PULL_REF" ]; then
  IMAGE=localhost/verify-evidence:pulled
  [ -n "${CONTAINER_TEST_VERSION:-}" ] || { echo "container-test: FAIL: CONTAINER_TEST_PULL needs CONTAINER_TEST_VERSION" >&2; exit 1; }
fi
CTR_PREFIX=verify-evidence-ct
REQUIRE_ACTION=${CONTAINER_TEST_REQUIRE_ACTION:-0}
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
GOCACHE_DIR=${CONTAINER_TEST_GOCACHE:-$CACHE/gocache}
mkdir -p "$CACHE/storage" "$CACHE/runroot" "$GOCACHE_DIR"
if [ "${CONTAINER_TEST_VIA_SUDO:-}" = 1 ]; then
  # The Go commands of this root run (go mod vendor, go build of the fake) get their own
  # caches; the invoking user's module cache serves as a read-only file proxy, so nothing is
  # downloaded twice and nothing root-owned is written into the user's home.
  user_modcache=$(go env GOMODCACHE)
  user_goproxy=$(go env GOPROXY)
  export GOPROXY="file://$user_modcache/cache/download,$user_goproxy"
  export GOMODCACHE=$CACHE/gomodcache GOCACHE=$CACHE/host-gocache XDG_CONFIG_HOME=$CACHE/config
fi

T0=$SECONDS
STAGE_T=$SECONDS
stage() {
  if [ "$STAGE_T" != "$T0" ] || [ -n "${STAGE_NAME:-}" ]; then
    echo "   (${STAGE_NAME}: $((SECONDS - STAGE_T)) s)"
  fi
  STAGE_NAME=$1
  STAGE_T=$SECONDS
  echo "== $1"
}
fail() { echo "container-test: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
# timing WHAT START: prints "timing: WHAT SECONDS" since START (a now value).
timing() { echo "timing: $1 $(awk -v a="$2" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/verify-evidence-ct.XXXXXX")
FAKE_PID=
# rm_containers PATTERN: remove this script's working containers whose names match PATTERN.
rm_containers() {
  local name id
  bh containers --format '{{.ContainerName}} {{.ContainerID}}' 2>/dev/null |
    while read -r name id; do
      # shellcheck disable=SC2254
      case $name in $1) bh rm "$id" >/dev/null 2>&1 || true ;; esac
    done
}
cleanup() {
  if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; fi
  # CONTAINER_TEST_KEEP=DIR keeps the logs, the fake's scenario and state, and the runner's
  # folders (workspace, file commands, event) for a look after the run.
  if [ -n "${CONTAINER_TEST_KEEP:-}" ]; then
    mkdir -p "$CONTAINER_TEST_KEEP"
    (cd "$TMP" && find . -maxdepth 1 -type f ! -name fakegithub -exec cp {} "$CONTAINER_TEST_KEEP/" \; )
    [ ! -d "$TMP/runner" ] || cp -r "$TMP/runner" "$CONTAINER_TEST_KEEP/"
    echo "container-test: kept the run's files in $CONTAINER_TEST_KEEP"
  fi
  if command -v buildah >/dev/null 2>&1; then rm_containers "$CTR_PREFIX-$$-*"; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

bh() { buildah --root "$CACHE/storage" --runroot "$CACHE/runroot" --storage-driver vfs "$@"; }

# ---------------------------------------------------------------------------------------------
stage "tools"
missing=()
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx sh || missing+=(busybox-static)
command -v jq >/dev/null 2>&1 || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]} and no apt-get to install them"
  echo "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >"$TMP/apt.log" 2>&1; then
    apt-get update >>"$TMP/apt.log" 2>&1
    apt-get install -y --no-install-recommends "${missing[@]}" >>"$TMP/apt.log" 2>&1 ||
      { tail -20 "$TMP/apt.log"; fail "apt-get install ${missing[*]}"; }
  fi
fi
file /bin/busybox 2>/dev/null | grep -q 'statically linked' || [ ! -x /usr/bin/file ] ||
  fail "/bin/busybox is not statically linked (install busybox-static, not busybox)"
echo "buildah $(buildah version --json 2>/dev/null | jq -r .version 2>/dev/null || buildah --version)"
echo "go $(go env GOVERSION), GOROOT $(go env GOROOT)"

# Working containers an interrupted earlier run left (ours only: they carry our name prefix).
rm_containers "$CTR_PREFIX-*"

# new_container WHAT IMAGE: prints the name of a new working container of IMAGE; every
# container of this run is named $CTR_PREFIX-<pid>-… and removed on exit.
new_container() {
  local name
  name="$CTR_PREFIX-$$-$1-$(date +%s%N)"
  bh from --pull=never --name "$name" "$2" >/dev/null
  echo "$name"
}

# ---------------------------------------------------------------------------------------------
if [ -n "$PULL_REF" ]; then
stage "image pull"
VERSION=$CONTAINER_TEST_VERSION
t_pull=$(now)
bh pull --quiet --tls-verify=false "docker://$PULL_REF" >"$TMP/iid" 2>"$TMP/pull.log" ||
  { cat "$TMP/pull.log"; fail "buildah pull $PULL_REF"; }
timing "image pull" "$t_pull"
IID=$(tail -1 "$TMP/iid")
bh tag "$IID" "$IMAGE"
bh rmi --prune >/dev/null 2>&1 || true
echo "pulled $PULL_REF as $IMAGE ($IID), $(bh images --format '{{.Size}}' "$IMAGE" 2>/dev/null | head -1)"
else
stage "builder image"
GOVERSION=$(go env GOVERSION)        # e.g. go1.26.8
GOROOT_HOST=$(go env GOROOT)
BUILDER=localhost/verify-evidence-builder:$GOVERSION
BUILDER_RECIPE=3   # bump when the assembly below changes
builder_inputs=$( {
  echo "recipe $BUILDER_RECIPE"
  echo "go $GOVERSION $("$GOROOT_HOST/bin/go" version)"
  sha256sum /bin/busybox /etc/ssl/certs/ca-certificates.crt "$GOROOT_HOST/bin/go"
} | sha256sum | cut -c1-16)
have=$(bh inspect --type image --format '{{index .ImageAnnotations "org.aicr.builder-inputs"}}' "$BUILDER" 2>/dev/null || true)
if [ "$have" = "$builder_inputs" ]; then
  echo "reusing $BUILDER (inputs $builder_inputs)"
else
  echo "assembling $BUILDER from the host's Go toolchain, busybox and CA bundle (inputs $builder_inputs)"
  ctr=$(new_container builder scratch)
  mnt=$(bh mount "$ctr")
  mkdir -p "$mnt"/{bin,tmp,root,go/bin,src,etc/ssl/certs,usr/local/go}
  chmod 1777 "$mnt/tmp"
  cp /bin/busybox "$mnt/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$mnt/bin/$applet"
  done
  # The toolchain without what `go build` never reads: the test suite, API lists, docs, the
  # sources of the go command and compilers (their binaries are in pkg/tool) and testdata.
  tar -C "$GOROOT_HOST" -c --exclude=./test --exclude=./api --exclude=./doc --exclude=./misc \
      --exclude=./src/cmd --exclude=testdata . | tar -C "$mnt/usr/local/go" -x
  cp /etc/ssl/certs/ca-certificates.crt "$mnt/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$mnt/etc/passwd"
  printf 'root:x:0:\n' >"$mnt/etc/group"
  printf 'hosts: files dns\n' >"$mnt/etc/nsswitch.conf"
  "$mnt/usr/local/go/bin/go" version
  bh umount "$ctr" >/dev/null
  # Same environment as the official golang image (GOTOOLCHAIN=local, GOPATH=/go).
  bh config --env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env GOLANG_VERSION="${GOVERSION#go}" --env GOTOOLCHAIN=local --env GOPATH=/go --env HOME=/root \
    --workingdir /go --cmd /bin/sh \
    --annotation "org.aicr.builder-inputs=$builder_inputs" \
    --label "org.opencontainers.image.description=Local stand-in for golang:${GOVERSION#go}-bookworm (scripts/container-test.sh)" \
    "$ctr"
  bh commit --quiet --rm "$ctr" "$BUILDER" >/dev/null
fi

# ---------------------------------------------------------------------------------------------
stage "image build"
CTX=$TMP/context
mkdir -p "$CTX"
# The working tree as the runner would check it out plus local changes: tracked and untracked
# files that git does not ignore and that exist (deleted files are skipped).
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
  tar -c --null -T - | tar -C "$CTX" -x
# Modules for an offline build: vendor/ from the host's module cache (GOPROXY only for what
# the cache lacks). Only in this temporary copy; go.mod/go.sum are not touched.
(cd "$CTX" && GOFLAGS='' go mod vendor)
VERSION="container-test-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "context: $(du -sh "$CTX" | cut -f1) (vendor $(du -sh "$CTX/vendor" | cut -f1)); VERSION=$VERSION"
t_build=$(now)
bh build --quiet --pull=never --isolation chroot --network host \
  --build-arg "BUILDER_IMAGE=$BUILDER" --build-arg "VERSION=$VERSION" \
  -v "$GOCACHE_DIR:/root/.cache/go-build" \
  --iidfile "$TMP/iid" -t "$IMAGE" -f "$ROOT/Dockerfile" "$CTX" >"$TMP/build.log" 2>&1 ||
  { cat "$TMP/build.log"; fail "buildah build"; }
grep -E '^go version|^verify-evidence' "$TMP/build.log" || true
IID=$(cat "$TMP/iid")
timing "image build" "$t_build"
# Drop the images the previous runs left untagged (vfs keeps full copies; keeps the disk flat).
bh rmi --prune >/dev/null 2>&1 || true
echo "built $IMAGE ($IID), $(bh images --format '{{.Size}}' "$IMAGE" 2>/dev/null | head -1)"
fi

# ---------------------------------------------------------------------------------------------
stage "image contract"
cfg=$(bh inspect --type image "$IMAGE" | jq '.OCIv1.config')
entrypoint=$(jq -c '.Entrypoint' <<<"$cfg")
[ "$entrypoint" = "$WANT_ENTRYPOINT" ] || fail "entrypoint is $entrypoint, want $WANT_ENTRYPOINT"
user=$(jq -r '.User // ""' <<<"$cfg")
case $user in ""|root|0|0:0) ;; *) fail "image sets USER $user; GitHub container actions must run as root" ;; esac
[ -z "$(jq -r '.WorkingDir // ""' <<<"$cfg")" ] || fail "image sets WORKDIR; the runner sets --workdir itself"
[ "$(jq -r '.Cmd // [] | length' <<<"$cfg")" = 0 ] || fail "image sets CMD $(jq -c .Cmd <<<"$cfg")"
for l in source licenses description; do
  v=$(jq -r --arg k "org.opencontainers.image.$l" '.Labels[$k] // ""' <<<"$cfg")
  [ -n "$v" ] || fail "label org.opencontainers.image.$l missing"
  echo "label $l: $v"
done
run_ctr=$(new_container run "$IMAGE")
rootfs=$(bh mount "$run_ctr")
( cd "$rootfs" && find . -mindepth 1 | sort ) >"$TMP/rootfs.txt"
echo "image files: $(tr '\n' ' ' <"$TMP/rootfs.txt")"
[ -s "$rootfs/etc/ssl/certs/ca-certificates.crt" ] || fail "no CA bundle in the image"
[ "$(stat -c %a "$rootfs/tmp")" = 1777 ] || fail "/tmp is not mode 1777"
[ ! -e "$rootfs/bin/sh" ] || fail "the final image has a shell"
if command -v file >/dev/null 2>&1; then
  file -L "$rootfs$BIN" | tee "$TMP/file.txt" | sed "s|$rootfs||"
  grep -q 'statically linked' "$TMP/file.txt" || fail "binary is not statically linked"
fi
echo "binary: $(stat -c %s "$rootfs$BIN") bytes"
bh umount "$run_ctr" >/dev/null

# The runner's layout: workspace, file_commands, home and workflow folders on the host, owned
# by the runner user (uid 1001 on hosted runners), mounted into a root container.
RUNNER=$TMP/runner
WS=$RUNNER/work/repo/repo
FC=$RUNNER/_temp/_runner_file_commands
HOME_DIR=$RUNNER/_temp/_github_home
WF=$RUNNER/_temp/_github_workflow
mkdir -p "$WS/recipes/evidence/h100-eks-ubuntu-training" "$WS/recipes/evidence/h200-oke-ubuntu-inference" \
  "$WS/.github/verify-evidence" "$FC" "$HOME_DIR" "$WF"
EX=testdata/examples
cp "$EX/h100-eks-ubuntu-training/evidence-bundle.tar.gz" "$WS/recipes/evidence/h100-eks-ubuntu-training/"
cp "$EX/inputs/h100-eks-ubuntu-training/recipe.yaml" "$WS/recipes/h100-eks-ubuntu-training.yaml"
cp "$EX/h200-oke-ubuntu-inference/evidence-bundle.tar.gz" "$WS/recipes/evidence/h200-oke-ubuntu-inference/"
cp "$EX/inputs/h200-oke-ubuntu-inference/recipe.yaml" "$WS/recipes/h200-oke-ubuntu-inference.yaml"
cp "$EX/trusted_root.json" "$EX/policy.yaml" "$WS/.github/verify-evidence/"
chown -R 1001:1001 "$RUNNER"

RUN_ARGS=(--isolation chroot --network host --workingdir /github/workspace
  -v "$WS:/github/workspace" -v "$FC:/github/file_commands"
  -v "$HOME_DIR:/github/home" -v "$WF:/github/workflow"
  -e HOME=/github/home -e GITHUB_ACTIONS=true -e CI=true)
# in_image CMD…: run a command in a fresh container of the image, as the runner would.
in_image() {
  local c
  c=$(new_container exec "$IMAGE")
  bh run "${RUN_ARGS[@]}" "$c" -- "$@"
}

out=$(in_image "$BIN" version)
echo "version: $out"
grep -qF "$VERSION" <<<"$out" || fail "version does not carry -X main.version=$VERSION"

VERIFY_FLAGS=(--trusted-root .github/verify-evidence/trusted_root.json
  --policy .github/verify-evidence/policy.yaml --max-age 0)
set +e
in_image "$BIN" verify recipes/evidence/h100-eks-ubuntu-training/evidence-bundle.tar.gz \
  --recipe recipes/h100-eks-ubuntu-training.yaml "${VERIFY_FLAGS[@]}" >"$TMP/verify-pass.txt" 2>&1
rc_pass=$?
in_image "$BIN" verify recipes/evidence/h200-oke-ubuntu-inference/evidence-bundle.tar.gz \
  "${VERIFY_FLAGS[@]}" --format json --output report-h200.json >"$TMP/verify-fail.txt" 2>&1
rc_fail=$?
set -e
sed -n '1,6p' "$TMP/verify-pass.txt"
[ "$rc_pass" = 0 ] || { cat "$TMP/verify-pass.txt"; fail "verify of the passing example exited $rc_pass, want 0"; }
grep -q 'Verdict: *PASSED' "$TMP/verify-pass.txt" || fail "no PASSED verdict"
[ "$rc_fail" = 1 ] || { cat "$TMP/verify-fail.txt"; fail "verify of the failing example exited $rc_fail, want 1"; }
[ -s "$WS/report-h200.json" ] || fail "JSON report not written to the mounted workspace"
echo "failing example: exit 1, report-h200.json verdict $(jq -r '.verdict // .Verdict // "?"' "$WS/report-h200.json" 2>/dev/null)"

# ---------------------------------------------------------------------------------------------
# Stage 5, as a function so that the guard below decides whether it runs.
#
# The fake is internal/tools/fakegithub: `-addr 127.0.0.1:0 -scenario FILE -ready FILE -state FILE
# [-event FILE]`; the scenario format is githubtest.Scenario (internal/github/githubtest/scenario.go),
# the ready file holds the API root URL, and on SIGTERM it writes githubtest.State (comments
# with their bodies, calls per endpoint, the request log, OpenAPI validation errors).
PR_NUMBER=7
REPO_FULL=NVIDIA/aicr
BASE_SHA=1111111111111111111111111111111111111111
HEAD_SHA=2222222222222222222222222222222222222222
TOKEN=ghs_container_test_token
MARKER='<!-- aicr/verify-evidence: sticky report -->'
CREATE_COMMENT='POST /repos/{owner}/{repo}/issues/{issue_number}/comments'

# write_scenario FILE: a same-repository PR that adds the example recipe and its bundle; the
# default branch holds the examples' policy and trusted root (the action reads them there).
write_scenario() {
  local recipe=$ROOT/$EX/inputs/h100-eks-ubuntu-training/recipe.yaml
  local bundle=$ROOT/$EX/h100-eks-ubuntu-training/evidence-bundle.tar.gz
  local policy=$ROOT/$EX/policy.yaml troot=$ROOT/$EX/trusted_root.json
  jq -n --arg repo "$REPO_FULL" --argjson n "$PR_NUMBER" --arg base "$BASE_SHA" --arg head "$HEAD_SHA" \
    --arg recipe "$recipe" --arg bundle "$bundle" --arg policy "$policy" --arg troot "$troot" --arg token "$TOKEN" '{
      token: $token,
      bot: {login: "github-actions[bot]", type: "Bot"},
      pull_requests: [{
        repo: $repo, number: $n, title: "Add the h100-eks-ubuntu-training recipe with evidence",
        head_sha: $head, head_ref: "add-h100-eks", head_repo: $repo,
        base_sha: $base, base_ref: "main",
        author: {login: "contributor", type: "User"},
        files: [
          {path: "recipes/h100-eks-ubuntu-training.yaml", status: "added", content_file: $recipe},
          {path: "recipes/evidence/h100-eks-ubuntu-training/evidence-bundle.tar.gz", status: "added", content_file: $bundle}
        ],
        tree: [
          {path: "recipes/evidence/policy.yaml", content_file: $policy},
          {path: "recipes/h100-eks-ubuntu-training.yaml", content_file: $recipe},
          {path: "recipes/evidence/h100-eks-ubuntu-training/evidence-bundle.tar.gz", content_file: $bundle}
        ],
        base_tree: [
          {path: "recipes/evidence/policy.yaml", content_file: $policy}
        ],
        default_branch_tree: [
          {path: "recipes/evidence/policy.yaml", content_file: $policy},
          {path: ".github/verify-evidence/policy.yaml", content_file: $policy},
          {path: ".github/verify-evidence/trusted_root.json", content_file: $troot}
        ]
      }]
    }' >"$1"
}

# write_event FILE: a minimal pull_request event, used when the fake cannot write a real one
# (its webhook examples come from the npm fixtures that scripts/test.sh installs).
write_event() {
  jq -n --arg repo "$REPO_FULL" --argjson n "$PR_NUMBER" --arg base "$BASE_SHA" --arg head "$HEAD_SHA" '{
    action: "synchronize", number: $n,
    pull_request: {number: $n, state: "open",
      head: {sha: $head, ref: "add-h100-eks", repo: {full_name: $repo, fork: false}},
      base: {sha: $base, ref: "main", repo: {full_name: $repo, fork: false}}},
    repository: {full_name: $repo, name: ($repo | split("/")[1]), owner: {login: ($repo | split("/")[0])}}
  }' >"$1"
}

# output_value FILE NAME: the value of an output in a $GITHUB_OUTPUT file, in either of the
# runner's formats (name=value, or name<<DELIMITER … DELIMITER as go-githubactions writes).
output_value() {
  awk -v want="$2" '
    delim != "" {
      if ($0 == delim) { if (name == want) { print val; exit } delim = ""; next }
      val = (val == "" ? $0 : val "\n" $0); next
    }
    { i = index($0, "<<"); j = index($0, "=") }
    i > 0 && (j == 0 || i < j) { name = substr($0, 1, i - 1); delim = substr($0, i + 2); val = ""; next }
    j > 0 && substr($0, 1, j - 1) == want { print substr($0, j + 1); exit }
  ' "$1"
}

run_action_stage() {
  local fake=$TMP/fakegithub scenario=$TMP/scenario.json ready=$TMP/fake.ready state=$TMP/fake.state.json
  go build -o "$fake" ./internal/tools/fakegithub
  write_scenario "$scenario"
  local npm=${VERIFY_EVIDENCE_NPM:-${XDG_CACHE_HOME:-$HOME/.cache}/verify-evidence/npm}
  local event_args=()
  if [ -d "$npm/node_modules/@octokit/webhooks-examples" ]; then
    event_args=(-event "$WF/event.json")   # a real pull_request payload, filled in by the fake
  else
    echo "note: npm fixtures absent ($npm): synthetic pull_request event, no OpenAPI validation"
    write_event "$WF/event.json"
  fi
  "$fake" -addr 127.0.0.1:0 -scenario "$scenario" -ready "$ready" -state "$state" "${event_args[@]}" \
    >"$TMP/fake.log" 2>&1 &
  FAKE_PID=$!
  local _
  for _ in $(seq 1 100); do
    [ -s "$ready" ] && break
    kill -0 "$FAKE_PID" 2>/dev/null || { cat "$TMP/fake.log"; fail "fake GitHub API exited before it was ready"; }
    sleep 0.1
  done
  [ -s "$ready" ] || { cat "$TMP/fake.log"; fail "fake GitHub API not ready after 10 s"; }
  local api
  api=$(head -1 "$ready" | tr -d '[:space:]')
  local validation="validated against GitHub's OpenAPI description"
  if grep -q 'validation off' "$TMP/fake.log"; then validation="OpenAPI validation off (npm fixtures absent)"; fi
  echo "fake GitHub API at $api, $validation"

  # The runner creates the file-command files before it starts the step.
  local uuid
  uuid=$(cat /proc/sys/kernel/random/uuid)
  : >"$FC/set_output_$uuid"; : >"$FC/step_summary_$uuid"; : >"$FC/set_env_$uuid"; : >"$FC/add_path_$uuid"
  chown -R 1001:1001 "$RUNNER"

  # The environment the runner passes with -e (names as in real `docker run` lines). RUNNER_TEMP
  # and RUNNER_TOOL_CACHE are host paths that do not exist in the container, as on a runner.
  local env=(
    GITHUB_ACTIONS=true CI=true HOME=/github/home
    GITHUB_EVENT_NAME=pull_request GITHUB_EVENT_PATH=/github/workflow/event.json
    GITHUB_REPOSITORY="$REPO_FULL" GITHUB_REPOSITORY_OWNER="${REPO_FULL%%/*}"
    GITHUB_API_URL="$api" GITHUB_SERVER_URL=https://github.com GITHUB_GRAPHQL_URL="$api/graphql"
    GITHUB_WORKSPACE=/github/workspace GITHUB_SHA=3333333333333333333333333333333333333333
    GITHUB_REF="refs/pull/$PR_NUMBER/merge" GITHUB_HEAD_REF=add-h100-eks GITHUB_BASE_REF=main
    GITHUB_RUN_ID=123456789 GITHUB_RUN_NUMBER=42 GITHUB_RUN_ATTEMPT=1 GITHUB_JOB=verify
    GITHUB_ACTION=verify GITHUB_ACTOR=contributor GITHUB_WORKFLOW="recipe evidence"
    GITHUB_OUTPUT="/github/file_commands/set_output_$uuid"
    GITHUB_STEP_SUMMARY="/github/file_commands/step_summary_$uuid"
    GITHUB_ENV="/github/file_commands/set_env_$uuid" GITHUB_PATH="/github/file_commands/add_path_$uuid"
    RUNNER_OS=Linux RUNNER_ARCH=X64 RUNNER_TEMP=/home/runner/work/_temp
    RUNNER_TOOL_CACHE=/opt/hostedtoolcache RUNNER_WORKSPACE=/home/runner/work/repo
    # Inputs: INPUT_<NAME upper-cased, spaces to _>, hyphens kept; the runner applies the
    # action.yml defaults, so every declared input arrives, the empty ones included.
    "INPUT_GITHUB-TOKEN=$TOKEN"
    "INPUT_RECIPE-PATHS=recipes/**/*.yaml"
    INPUT_EVIDENCE-DIR=recipes/evidence
    INPUT_TRUSTED-ROOT=.github/verify-evidence/trusted_root.json
    INPUT_POLICY=.github/verify-evidence/policy.yaml
    INPUT_CERTIFICATE-OIDC-ISSUER= INPUT_CERTIFICATE-IDENTITY-REGEXP=
    INPUT_MAX-AGE=0 INPUT_FAIL-ON=invalid INPUT_COMMENT=auto INPUT_MODE=verify
    INPUT_REPORT-PATH=verify-evidence-report.json INPUT_RESOLVED-RECIPES-DIR=
  )
  local e env_args=()
  for e in "${env[@]}"; do env_args+=(-e "$e"); done

  # The image's own ENTRYPOINT, exactly as configured (buildah run does not apply it).
  local ep=()
  mapfile -t ep < <(jq -r '.Entrypoint[]' <<<"$cfg")
  local c rc rc2 fake_rc
  c=$(new_container action "$IMAGE")
  set +e
  local t_run
  t_run=$(now)
  bh run "${RUN_ARGS[@]}" "${env_args[@]}" "$c" -- "${ep[@]}" >"$TMP/action.log" 2>&1
  rc=$?
  timing "action run" "$t_run"
  # A second run on the same PR (a re-run, or a push that changes nothing the report shows)
  # must find its comment and leave it alone: still one comment, no edit.
  local uuid2 env2=()
  uuid2=$(cat /proc/sys/kernel/random/uuid)
  : >"$FC/set_output_$uuid2"; : >"$FC/step_summary_$uuid2"
  for e in "${env_args[@]}"; do env2+=("${e/$uuid/$uuid2}"); done
  bh run "${RUN_ARGS[@]}" "${env2[@]}" "$(new_container action2 "$IMAGE")" -- "${ep[@]}" >"$TMP/action2.log" 2>&1
  rc2=$?
  kill -TERM "$FAKE_PID"; wait "$FAKE_PID"; fake_rc=$?; FAKE_PID=
  set -e
  sed 's/^/  | /' "$TMP/action.log" | head -40
  [ "$rc" = 0 ] || fail "the action exited $rc, want 0"
  echo "  second run:"
  sed 's/^/  | /' "$TMP/action2.log" | grep -v add-mask | head -10
  [ "$rc2" = 0 ] || fail "the second run of the action exited $rc2, want 0"
  [ -s "$state" ] || { cat "$TMP/fake.log"; fail "the fake wrote no state"; }
  if [ "$fake_rc" != 0 ]; then
    jq -r '.validation_errors[]?' "$state"; tail -5 "$TMP/fake.log"
    fail "the fake exited $fake_rc (1: the action's requests or the fake's answers violate GitHub's OpenAPI description)"
  fi
  local created ncomments bodies verdict
  created=$(jq -r --arg e "$CREATE_COMMENT" '.calls[$e] // 0' "$state")
  ncomments=$(jq -r '.comments | length' "$state")
  if [ "$created" != 1 ] || [ "$ncomments" != 1 ] || [ "$(jq -r '.comments[0].edits' "$state")" != 0 ]; then
    jq '{calls, comments: [.comments[] | {id, user, edits}]}' "$state"
    fail "want exactly 1 created comment, never edited, after two runs; the fake got $created create call(s) and holds $ncomments comment(s)"
  fi
  bodies=$(jq -r '.comments[0].body' "$state")
  grep -qF "$MARKER" <<<"$bodies" || fail "the comment lacks the hidden marker $MARKER"
  grep -qi 'passed' <<<"$bodies" || { echo "$bodies"; fail "the comment does not say passed"; }
  [ "$(jq -r '.comments[0].user.login' "$state")" = "github-actions[bot]" ] || fail "the comment is not by github-actions[bot]"
  verdict=$(output_value "$FC/set_output_$uuid" verdict)
  [ "$verdict" = passed ] || { cat "$FC/set_output_$uuid"; fail "GITHUB_OUTPUT verdict is '$verdict', want passed"; }
  [ "$(output_value "$FC/set_output_$uuid" passed)" = 1 ] || { cat "$FC/set_output_$uuid"; fail "GITHUB_OUTPUT passed is not 1"; }
  [ -s "$FC/step_summary_$uuid" ] || fail "the step summary is empty"
  [ -s "$WS/verify-evidence-report.json" ] || fail "report-path not written to the workspace"
  [ "$(output_value "$FC/set_output_$uuid2" comment-id)" = "$(output_value "$FC/set_output_$uuid" comment-id)" ] ||
    fail "the second run reports another comment-id"
  echo "action: exit 0 twice; $(jq -r '.total' "$state") API calls; 1 comment by github-actions[bot] with the marker and 'passed', created once, never edited;"
  echo "        GITHUB_OUTPUT verdict=passed passed=1 comment-id=$(output_value "$FC/set_output_$uuid" comment-id);" \
    "step summary $(wc -c <"$FC/step_summary_$uuid") bytes; report $(wc -c <"$WS/verify-evidence-report.json") bytes"
}

# ---------------------------------------------------------------------------------------------
stage "action (runner emulation against the fake GitHub API)"
skip_action() {
  echo "SKIPPED: action stage — $1"
  echo "  not checked: ENTRYPOINT 'verify-evidence action' with the runner's GITHUB_*/INPUT_* env,"
  echo "  the sticky comment through the fake GitHub API, \$GITHUB_OUTPUT (verdict=passed) and"
  echo "  \$GITHUB_STEP_SUMMARY written through the mounted /github/file_commands."
  if [ "$REQUIRE_ACTION" = 1 ]; then fail "action stage skipped but CONTAINER_TEST_REQUIRE_ACTION=1"; fi
}
set +e
help_out=$(in_image "$BIN" action --help 2>&1)
help_rc=$?
set -e
if [ "$help_rc" != 0 ]; then
  skip_action "'verify-evidence action --help' exits $help_rc in the image (the action mode is not implemented yet): $(head -1 <<<"$help_out")"
elif [ ! -d internal/tools/fakegithub ]; then
  skip_action "internal/tools/fakegithub does not exist yet (the fake GitHub API server)"
else
  run_action_stage
fi

stage "done"
echo "container-test: OK in $((SECONDS - T0)) s"
