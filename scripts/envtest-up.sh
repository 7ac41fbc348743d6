#!/usr/bin/env bash
# Starts the end-to-end suite's control plane (etcd + kube-apiserver v1.26.5 with RBAC, on random
# loopback ports) in the background, for benchmarks, docs and trying Riposte by hand:
#
#   eval "$(bash scripts/envtest-up.sh)"     # exports KUBECONFIG (admin) and RIPOSTE_ENVTEST_PID
#   kubectl get ns
#   bash scripts/envtest-down.sh             # stops it and removes its files
#
#   scripts/envtest-up.sh [BUILD_DIR]        default build; needs BUILD_DIR/tests/e2e/riposte-envtest
#
# State in $RIPOSTE_ENVTEST_STATE (default BUILD_DIR/envtest-run): kubeconfig, pid, log.
# Binaries as for scripts/e2e.sh (KUBEBUILDER_ASSETS, or BUILD_DIR/envtest-assets from
# scripts/envtest-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
bin="$build/tests/e2e/riposte-envtest"
state="${RIPOSTE_ENVTEST_STATE:-$build/envtest-run}"
[ -x "$bin" ] || { echo "envtest-up: $bin is not built" >&2; exit 1; }
if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
  echo "envtest-up: already running (pid $(cat "$state/pid")); scripts/envtest-down.sh stops it" >&2
  exit 1
fi
if [ -z "${KUBEBUILDER_ASSETS:-}" ]; then
  KUBEBUILDER_ASSETS="$(bash scripts/envtest-tools.sh "$build/envtest-assets" | tail -1)"
fi
export KUBEBUILDER_ASSETS
mkdir -p "$state"
state="$(realpath "$state")"
rm -f "$state/kubeconfig" "$state/pid"
# Its own session: a Ctrl-C in this terminal does not reach it; envtest-down.sh stops it.
setsid "$bin" --kubeconfig-out "$state/kubeconfig" >"$state/log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$state/pid"
for _ in $(seq 1 600); do
  grep -qx ready "$state/log" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$state/log" >&2; echo "envtest-up: riposte-envtest exited" >&2; exit 1; }
  sleep 0.2
done
grep -qx ready "$state/log" || { echo "envtest-up: not ready after 120s (log: $state/log)" >&2; exit 1; }
echo "export KUBECONFIG=$state/kubeconfig RIPOSTE_ENVTEST_PID=$pid"
echo "# kube-apiserver $(grep '^server:' "$state/log" | cut -d' ' -f2); stop with: bash scripts/envtest-down.sh" >&2
