# shellcheck shell=bash
# Shared steps of the prebuilt action image (ko), sourced by scripts/image-test.sh,
# scripts/bench-image.sh and .github/workflows/release.yml; one implementation of each.
#
#   image_base_layout DIR          the base image as an OCI layout in DIR: one layer holding the
#                                  CA bundle (/etc/ssl/certs/ca-certificates.crt) and an empty
#                                  sticky /tmp, no shell, no user; an index for linux/amd64 and
#                                  linux/arm64 (the layer is the same, only the config differs).
#                                  Timestamps are SOURCE_DATE_EPOCH (default 0), so the same CA
#                                  bundle gives the same digest.
#   image_registry_start DIR       a distribution registry (the `registry` binary, installed into
#                                  the tools folder when absent) on a free loopback port, storage
#                                  in DIR; sets IMAGE_REGISTRY=127.0.0.1:PORT and IMAGE_REGISTRY_PID.
#   image_registry_stop            stops it.
#   image_push_layout DIR REPO TAG pushes the layout's blobs, manifests and index to
#                                  $IMAGE_REGISTRY/REPO:TAG over plain HTTP; prints the index digest.
#   image_ko_install               ko into the tools folder when absent; sets KO.
#
# Needs: bash, curl, jq, tar (GNU), gzip, sha256sum, python3 (free port); the CA bundle is
# IMAGE_CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt, Debian/Ubuntu's ca-certificates).

IMAGE_TOOLS_BIN=${VERIFY_EVIDENCE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/verify-evidence/bin}
IMAGE_KO_VERSION=v0.19.1
IMAGE_REGISTRY_VERSION=v3.0.0
IMAGE_CA_BUNDLE=${IMAGE_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

image_fail() { echo "image: FAIL: $*" >&2; return 1; }

# image_sha256 FILE: the hex sha256 of FILE.
image_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# image_put_blob LAYOUT FILE: stores FILE as a blob of the layout; prints its digest.
image_put_blob() {
  local d
  d=$(image_sha256 "$2")
  mkdir -p "$1/blobs/sha256"
  cp "$2" "$1/blobs/sha256/$d"
  echo "sha256:$d"
}

image_base_layout() {
  local out=$1 epoch=${SOURCE_DATE_EPOCH:-0} work created
  [ -s "$IMAGE_CA_BUNDLE" ] || image_fail "no CA bundle at $IMAGE_CA_BUNDLE" || return 1
  rm -rf "$out"; mkdir -p "$out"
  work=$(mktemp -d "${TMPDIR:-/tmp}/image-base.XXXXXX")
  mkdir -p "$work/root/etc/ssl/certs" "$work/root/tmp"
  cp "$IMAGE_CA_BUNDLE" "$work/root/etc/ssl/certs/ca-certificates.crt"
  chmod 0755 "$work/root/etc" "$work/root/etc/ssl" "$work/root/etc/ssl/certs"
  chmod 0644 "$work/root/etc/ssl/certs/ca-certificates.crt"
  chmod 1777 "$work/root/tmp"
  # A reproducible tar: sorted names, fixed owner and times, no atime/ctime headers.
  tar -C "$work/root" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -cf "$work/layer.tar" etc tmp
  gzip -n -9 -c "$work/layer.tar" >"$work/layer.tar.gz"
  local diff_id layer layer_size
  diff_id="sha256:$(image_sha256 "$work/layer.tar")"
  layer=$(image_put_blob "$out" "$work/layer.tar.gz")
  layer_size=$(stat -c %s "$work/layer.tar.gz")
  created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
  local manifests=() arch cfg cfg_size man man_size
  for arch in amd64 arm64; do
    jq -cnj --arg arch "$arch" --arg diff "$diff_id" --arg created "$created" '{
      architecture: $arch, os: "linux", created: $created,
      config: {Env: ["PATH=/usr/local/bin:/usr/bin:/bin"]},
      rootfs: {type: "layers", diff_ids: [$diff]},
      history: [{created: $created, created_by: "scripts/lib/image.sh image_base_layout: CA bundle, /tmp"}]
    }' >"$work/config-$arch.json"
    cfg=$(image_put_blob "$out" "$work/config-$arch.json")
    cfg_size=$(stat -c %s "$work/config-$arch.json")
    jq -cnj --arg cfg "$cfg" --argjson cfgsize "$cfg_size" --arg layer "$layer" --argjson lsize "$layer_size" \
      --arg ca "$(image_sha256 "$IMAGE_CA_BUNDLE")" '{
      schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cfg, size: $cfgsize},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $layer, size: $lsize}],
      annotations: {"org.aicr.ca-bundle.sha256": $ca}
    }' >"$work/manifest-$arch.json"
    man=$(image_put_blob "$out" "$work/manifest-$arch.json")
    man_size=$(stat -c %s "$work/manifest-$arch.json")
    manifests+=("$(jq -cn --arg d "$man" --argjson s "$man_size" --arg arch "$arch" \
      '{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s, platform: {architecture: $arch, os: "linux"}}')")
  done
  printf '%s\n' "${manifests[@]}" | jq -csj '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: .}' >"$work/index.json"
  local idx idx_size
  idx=$(image_put_blob "$out" "$work/index.json")
  idx_size=$(stat -c %s "$work/index.json")
  jq -cnj --arg d "$idx" --argjson s "$idx_size" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
      annotations: {"org.opencontainers.image.ref.name": "base"}}]}' >"$out/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
  rm -rf "$work"
}

image_tool() { # image_tool NAME MODULE@VERSION: installs a Go tool into the tools folder when absent.
  local bin=$IMAGE_TOOLS_BIN/$1
  if [ ! -x "$bin" ]; then
    echo "image: installing $2 into $IMAGE_TOOLS_BIN (one time)" >&2
    mkdir -p "$IMAGE_TOOLS_BIN"
    GOBIN=$IMAGE_TOOLS_BIN GOFLAGS='' go install "$2" >&2 || image_fail "go install $2" || return 1
  fi
  echo "$bin"
}

image_ko_install() {
  KO=$(image_tool ko "github.com/google/ko@$IMAGE_KO_VERSION") || return 1
  "$KO" version >/dev/null 2>&1 || image_fail "$KO does not run" || return 1
}

image_registry_start() {
  local dir=$1 bin port _
  bin=$(image_tool registry "github.com/distribution/distribution/v3/cmd/registry@$IMAGE_REGISTRY_VERSION") || return 1
  mkdir -p "$dir/storage"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$dir/config.yml" <<CONF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
CONF
  # OTEL_TRACES_EXPORTER=none: no tracing exporter that would try the network.
  OTEL_TRACES_EXPORTER=none "$bin" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  IMAGE_REGISTRY_PID=$!
  IMAGE_REGISTRY=127.0.0.1:$port
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "http://$IMAGE_REGISTRY/v2/" 2>/dev/null; then return 0; fi
    kill -0 "$IMAGE_REGISTRY_PID" 2>/dev/null || { cat "$dir/registry.log" >&2; image_fail "registry exited"; return 1; }
    sleep 0.1
  done
  cat "$dir/registry.log" >&2
  image_fail "registry not ready on $IMAGE_REGISTRY after 10 s"
}

image_registry_stop() {
  if [ -n "${IMAGE_REGISTRY_PID:-}" ]; then
    kill "$IMAGE_REGISTRY_PID" 2>/dev/null || true
    wait "$IMAGE_REGISTRY_PID" 2>/dev/null || true
    IMAGE_REGISTRY_PID=
  fi
}

# image_push_blob LAYOUT REPO DIGEST: uploads one blob unless the registry has it.
image_push_blob() {
  local base="http://$IMAGE_REGISTRY/v2/$2" file=$1/blobs/sha256/${3#sha256:} loc sep
  if curl -fs -o /dev/null -I "$base/blobs/$3"; then return 0; fi
  loc=$(curl -fsS -X POST -D - -o /dev/null "$base/blobs/uploads/" | tr -d '\r' | awk 'tolower($1) == "location:" {print $2}')
  [ -n "$loc" ] || image_fail "no upload location for $2" || return 1
  case $loc in http*) ;; *) loc="http://$IMAGE_REGISTRY$loc" ;; esac
  case $loc in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" \
    -o /dev/null "$loc${sep}digest=$3" || image_fail "upload of $3 to $2" || return 1
}

# image_push_manifest LAYOUT REPO DIGEST REF: puts a manifest or index blob under REF.
image_push_manifest() {
  local file=$1/blobs/sha256/${3#sha256:} mt
  mt=$(jq -r .mediaType "$file")
  curl -fsS -X PUT -H "Content-Type: $mt" --data-binary "@$file" -o /dev/null \
    "http://$IMAGE_REGISTRY/v2/$2/manifests/$4" || image_fail "manifest $3 to $2:$4" || return 1
}

image_push_layout() {
  local layout=$1 repo=$2 tag=$3 idx m blob
  idx=$(jq -r '.manifests[0].digest' "$layout/index.json")
  for m in $(jq -r '.manifests[].digest' "$layout/blobs/sha256/${idx#sha256:}"); do
    for blob in $(jq -r '.config.digest, .layers[].digest' "$layout/blobs/sha256/${m#sha256:}"); do
      image_push_blob "$layout" "$repo" "$blob" || return 1
    done
    image_push_manifest "$layout" "$repo" "$m" "$m" || return 1
  done
  image_push_manifest "$layout" "$repo" "$idx" "$tag" || return 1
  echo "$idx"
}

# The image's OCI labels (the same as the Dockerfile's LABEL), as ko --image-label flags.
IMAGE_LABEL_FLAGS=(
  --image-label "org.opencontainers.image.title=verify-evidence"
  --image-label "org.opencontainers.image.description=Verifies signed evidence bundles of AICR recipe pull requests and keeps one review comment up to date (GitHub container action)"
  --image-label "org.opencontainers.image.source=https://github.com/aicr/verify-evidence"
  --image-label "org.opencontainers.image.url=https://github.com/aicr/verify-evidence"
  --image-label "org.opencontainers.image.documentation=https://github.com/aicr/verify-evidence/blob/main/docs/release.md"
  --image-label "org.opencontainers.image.licenses=Apache-2.0"
)

# image_ko_build OUTFILE [ko flags…]: `ko build --bare` of the root package with .ko.yaml,
# SOURCE_DATE_EPOCH and KO_DATA_DATE_EPOCH (default: the HEAD commit's time), VERSION (the
# binary's version) and KO_DEFAULTBASEIMAGE / KO_DOCKER_REPO from the caller; writes the pushed
# reference (REPO@sha256:…) to OUTFILE, ko's log to OUTFILE.log.
image_ko_build() {
  local out=$1; shift
  [ -n "${VERSION:-}" ] || image_fail "image_ko_build: VERSION is not set" || return 1
  [ -n "${KO_DOCKER_REPO:-}" ] && [ -n "${KO_DEFAULTBASEIMAGE:-}" ] ||
    image_fail "image_ko_build: KO_DOCKER_REPO and KO_DEFAULTBASEIMAGE must be set" || return 1
  local epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
  SOURCE_DATE_EPOCH=$epoch KO_DATA_DATE_EPOCH=$epoch GOFLAGS='' VERSION=$VERSION \
    "$KO" build --bare "${IMAGE_LABEL_FLAGS[@]}" "$@" . >"$out" 2>"$out.log" ||
    { tail -20 "$out.log" >&2; image_fail "ko build"; return 1; }
  grep -q '@sha256:[0-9a-f]\{64\}$' "$out" || { cat "$out" "$out.log" >&2; image_fail "ko printed no digest reference"; }
}
