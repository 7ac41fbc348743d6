# syntax=docker/dockerfile:1
# Riposte container image. scripts/image.sh builds and smoke-tests it without a Docker daemon;
# with Docker (docs/install.md has buildah/podman and multi-arch):
#   docker build --build-arg RIPOSTE_GIT_REVISION="$(git rev-parse HEAD)" -t <registry>/riposte:<version> .
# Stage 1 builds on Debian bookworm with only the build packages (scripts/bootstrap.sh
# --build-only), installs with `cmake --install` (which installs bin/riposte and nothing else),
# and completes the runtime root with scripts/image-rootfs.sh: the shared libraries ldd resolves,
# the CA bundle where the copied libcrypto looks for it (OPENSSLDIR), a passwd entry, and the
# Debian package record of every copied file (printed in the build log, kept in the image).
# The binary then runs inside that root (chroot), so a missing library or an unreadable CA
# bundle fails the build.
# Stage 2 starts FROM scratch with that root. No shell, no package manager.

FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY scripts/bootstrap.sh scripts/bootstrap.sh
RUN scripts/bootstrap.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
# .dockerignore keeps .git out of the context, so the revision comes in as a build argument.
# Declared after the package layer, so a new commit does not reinstall the packages.
ARG RIPOSTE_GIT_REVISION=unknown
ARG RIPOSTE_VERSION=0.1.0
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
      -DRIPOSTE_BUILD_TESTS=OFF -DRIPOSTE_BUILD_BENCH=OFF -DRIPOSTE_BUILD_FUZZ=OFF \
      -DRIPOSTE_CCACHE=OFF -DRIPOSTE_GIT_REVISION="${RIPOSTE_GIT_REVISION}" \
 && cmake --build /build --target riposte -j"$(nproc)" \
 && cmake --install /build --prefix /rootfs/usr/local --strip
# The self-test runs with the copied root only: the version must be the one the labels claim,
# and the CA file libcrypto loads by default must hold certificates.
RUN scripts/image-rootfs.sh /rootfs \
 && chroot /rootfs /usr/local/bin/riposte version > /tmp/version \
 && cat /tmp/version \
 && grep -qx "riposte ${RIPOSTE_VERSION}" /tmp/version \
 && grep -qx "  git: *${RIPOSTE_GIT_REVISION}" /tmp/version \
 && grep -Eq "^  ca file: .*: [1-9][0-9]* certificates$" /tmp/version

FROM scratch AS runtime
ARG RIPOSTE_GIT_REVISION=unknown
ARG RIPOSTE_VERSION=0.1.0
ARG RIPOSTE_SOURCE=https://github.com/riposte/riposte
LABEL org.opencontainers.image.title="riposte" \
      org.opencontainers.image.description="Admission webhook against ingress-nginx configuration injection, and a Falco response controller" \
      org.opencontainers.image.version="${RIPOSTE_VERSION}" \
      org.opencontainers.image.revision="${RIPOSTE_GIT_REVISION}" \
      org.opencontainers.image.source="${RIPOSTE_SOURCE}"
COPY --from=build /rootfs/ /
# Numeric so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
EXPOSE 8443 2803 9090
ENTRYPOINT ["/usr/local/bin/riposte"]
CMD ["--help"]
