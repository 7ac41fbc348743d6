# syntax=docker/dockerfile:1
# Riposte container image.
#   docker build -t <registry>/riposte:<version> .
# Stage 1 builds on Debian bookworm with exactly the packages CI uses (scripts/bootstrap.sh)
# and installs with `cmake --install` (which installs bin/riposte and nothing else).
# Stage 2 starts FROM scratch: the installed binary, the shared libraries ldd says it loads,
# the CA bundle, and a passwd entry for the non-root user. No shell, no package manager.

FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY scripts/bootstrap.sh scripts/bootstrap.sh
RUN scripts/bootstrap.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
      -DRIPOSTE_BUILD_TESTS=OFF -DRIPOSTE_BUILD_BENCH=OFF -DRIPOSTE_BUILD_FUZZ=OFF \
      -DRIPOSTE_CCACHE=OFF \
 && cmake --build /build --target riposte -j"$(nproc)" \
 && cmake --install /build --prefix /rootfs/usr/local --strip
# Runtime closure: every library the dynamic loader resolves for the binary (including the
# loader itself), copied with its directory so the default search path finds it.
RUN set -eu; \
    ldd /rootfs/usr/local/bin/riposte \
      | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' \
      | sort -u > /tmp/runtime-libs; \
    test -s /tmp/runtime-libs; \
    while read -r lib; do cp -L --parents "$lib" /rootfs/; done < /tmp/runtime-libs; \
    mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp; \
    chmod 1777 /rootfs/tmp; \
    cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/; \
    echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > /rootfs/etc/passwd; \
    echo 'nonroot:x:65532:' > /rootfs/etc/group; \
    /rootfs/usr/local/bin/riposte version

FROM scratch AS runtime
COPY --from=build /rootfs/ /
# Numeric so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
EXPOSE 8443 2803 9090
ENTRYPOINT ["/usr/local/bin/riposte"]
CMD ["--help"]
