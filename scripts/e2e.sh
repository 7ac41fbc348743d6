#!/usr/bin/env bash
# The end-to-end suite (tests/e2e) against a real kube-apiserver and etcd, envtest style.
#
#   scripts/e2e.sh [BUILD_DIR]     default: build (needs BUILD_DIR/tests/e2e/riposte_e2e_tests)
#
# Binaries are found the way controller-runtime's envtest finds them:
#   KUBEBUILDER_ASSETS=DIR                a directory holding kube-apiserver and etcd (setup-envtest,
#                                         or the Kubernetes release binaries), or
#   RIPOSTE_KUBE_APISERVER, RIPOSTE_ETCD  explicit paths;
#   otherwise scripts/envtest-tools.sh unpacks kube-apiserver from $RIPOSTE_ENVTEST_SOURCE
#   (default ../shared/envtest) and links Debian's etcd (scripts/bootstrap.sh installs it).
# All of them, plus the pinned helm and kubectl, end up in BUILD_DIR/envtest-assets.
# Without a kube-apiserver (or etcd) the suite is SKIPPED with a banner and this script exits 0,
# so the rest of scripts/test.sh still runs.
set -euo pipefail
cd "$(dirname "$0")/.."

build="${1:-build}"
bin="$build/tests/e2e/riposte_e2e_tests"
if [ ! -x "$bin" ]; then
  echo "e2e: $bin is not built (configure with -DRIPOSTE_BUILD_TESTS=ON)" >&2
  exit 1
fi

skip() {
  cat >&2 <<BANNER

################################################################################
##  END-TO-END TESTS SKIPPED: $1
##  Nothing was tested against a real kube-apiserver. Provide one with
##    KUBEBUILDER_ASSETS=DIR (kube-apiserver + etcd, e.g. from setup-envtest), or
##    RIPOSTE_KUBE_APISERVER=PATH RIPOSTE_ETCD=PATH, or
##    RIPOSTE_ENVTEST_SOURCE=DIR holding kube-apiserver.xz (README: "End-to-end tests").
################################################################################

BANNER
  exit 0
}

assets="$build/envtest-assets"
mkdir -p "$assets"
# The caller's binaries first, linked into the assets directory (never copied into theirs).
api="${RIPOSTE_KUBE_APISERVER:-}" etcd="${RIPOSTE_ETCD:-}" kubectl="${RIPOSTE_KUBECTL:-}" helm="${RIPOSTE_HELM:-}"
if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  [ -n "$api" ] || [ ! -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] || api="$KUBEBUILDER_ASSETS/kube-apiserver"
  [ -n "$etcd" ] || [ ! -x "$KUBEBUILDER_ASSETS/etcd" ] || etcd="$KUBEBUILDER_ASSETS/etcd"
fi
link() {
  [ -n "$2" ] || return 0
  local src
  src="$(realpath "$2")"
  # KUBEBUILDER_ASSETS may be this very directory.
  [ "$src" = "$(realpath -m "$assets/$1")" ] || ln -sf "$src" "$assets/$1"
}
link kube-apiserver "$api"
link etcd "$etcd"
link kubectl "$kubectl"
link helm "$helm"

# The shared binaries: ../shared/envtest next to the clone (a worktree looks next to its main
# checkout too).
if [ -z "${RIPOSTE_ENVTEST_SOURCE:-}" ] && [ ! -d ../shared/envtest ]; then
  common="$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)"
  if [ -n "$common" ] && [ -d "$common/../../shared/envtest" ]; then
    export RIPOSTE_ENVTEST_SOURCE="$common/../../shared/envtest"
  fi
fi
bash scripts/envtest-tools.sh "$assets" >/dev/null

[ -x "$assets/kube-apiserver" ] || skip "no kube-apiserver"
[ -x "$assets/etcd" ] || skip "no etcd (Debian package etcd-server)"
"$assets/kube-apiserver" --version

start=$(date +%s)
status=0
KUBEBUILDER_ASSETS="$(realpath "$assets")" RIPOSTE_KUBE_APISERVER= RIPOSTE_ETCD= RIPOSTE_KUBECTL= RIPOSTE_HELM= \
  "$bin" --gtest_color=no "${@:2}" || status=$?
echo "== end-to-end suite: exit $status after $(( $(date +%s) - start ))s"
exit "$status"
