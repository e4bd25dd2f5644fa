# Container image of the GitHub Action `aicr/verify-evidence` (runs.using: docker).
#
# The runner builds this file when action.yml says `image: Dockerfile`, then starts it as
#   docker run --workdir /github/workspace -v …:/github/workspace -v …:/github/file_commands
#     -v …:/github/home -v …:/github/workflow -e INPUT_… -e GITHUB_… <image>
# so: no USER (the runner's mounted files are owned by uid 1001 and must stay writable, which
# GitHub only supports for root), no WORKDIR (the runner sets it), no VOLUME, no CMD.
#
# Builder image. The default is the official Go image, pinned by the digest of its multi-arch
# index. That digest was taken from public references (index observed 2026-09-30; its
# linux/amd64 manifest is sha256:abe4f87f354c4f6d7ee3fb11b241c6b6c24a32ca50a2ebcc30493a2168e14048);
# it could not be pulled from the offline machine this file was written on, so the release
# process must confirm it with
#   docker buildx imagetools inspect docker.io/library/golang:1.26.8-bookworm
# and bump the tag and the digest together, in step with the `go` line of go.mod (the image sets
# GOTOOLCHAIN=local, so it never downloads another toolchain).
# Offline builds pass their own builder image, e.g. scripts/container-test.sh:
#   buildah build --build-arg BUILDER_IMAGE=localhost/verify-evidence-builder:go1.26.8 …
# Any image with the Go toolchain on PATH, /bin/sh and /etc/ssl/certs/ca-certificates.crt works.
ARG BUILDER_IMAGE=docker.io/library/golang:1.26.8-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d

FROM ${BUILDER_IMAGE} AS build
# Version string compiled into the binary (`verify-evidence version`); empty keeps the default.
ARG VERSION=
ENV CGO_ENABLED=0 GOOS=linux GOTOOLCHAIN=local
WORKDIR /src
COPY . .
# Modules: a build context with vendor/modules.txt (made by `go mod vendor`, as the offline
# container test does; vendor/ is never committed) builds with -mod=vendor and no network;
# otherwise `go build -mod=readonly` downloads exactly the modules the binary needs through
# GOPROXY (default proxy.golang.org) and checks every one against go.sum; go.mod is never
# rewritten. The result is a static binary (CGO_ENABLED=0) laid out in /rootfs together with
# the CA bundle and an empty sticky /tmp, copied into the final image in one layer.
RUN set -eu; \
    if [ -f vendor/modules.txt ]; then mod=vendor; else mod=readonly; fi; \
    go version; \
    go build -mod="$mod" -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /verify-evidence . ; \
    mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp; \
    chmod 1777 /rootfs/tmp; \
    cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt; \
    cp /verify-evidence /rootfs/verify-evidence; \
    /rootfs/verify-evidence version

# Final image: nothing but the binary, the CA bundle (TLS to api.github.com, GHES and, without
# --trusted-root, the Sigstore TUF repository) and /tmp. No shell, no package manager. Runs as
# root on purpose (see the top of this file).
FROM scratch
COPY --from=build /rootfs/ /
LABEL org.opencontainers.image.title="verify-evidence" \
      org.opencontainers.image.description="Verifies signed evidence bundles of AICR recipe pull requests and keeps one review comment up to date (GitHub container action)" \
      org.opencontainers.image.source="https://github.com/aicr/verify-evidence" \
      org.opencontainers.image.url="https://github.com/aicr/verify-evidence" \
      org.opencontainers.image.documentation="https://github.com/aicr/verify-evidence/blob/main/docs/action.md" \
      org.opencontainers.image.licenses="Apache-2.0"
ENTRYPOINT ["/verify-evidence", "action"]
