#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking Riposte needs.
# Idempotent: packages already present are skipped without touching the network.
set -euo pipefail

PACKAGES=(
  cmake g++ make pkg-config git ccache
  libcpprest-dev libssl-dev openssl ca-certificates
  libyaml-cpp-dev libyaml-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  libboost-dev libboost-system-dev libsimdjson-dev
  clang libclang-rt-14-dev
  wrk nginx-light
  chromium
  etcd-server xz-utils unzip
  prometheus
)
# prometheus: only its promtool is used (lint of the /metrics output, rule checks and alert unit
# tests in tests/deploy). On a systemd host Debian also starts the packaged server
# (`systemctl disable --now prometheus` if unwanted); containers with policy-rc.d do not.
# npm fetches the pinned helm/kubectl package (scripts/envtest-tools.sh). Machines of this kind
# ship Node.js with npm already; only install Debian's npm where there is none.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

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
