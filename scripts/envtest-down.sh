#!/usr/bin/env bash
# Stops the control plane scripts/envtest-up.sh started (etcd and kube-apiserver go with it).
#   scripts/envtest-down.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
state="${RIPOSTE_ENVTEST_STATE:-${1:-build}/envtest-run}"
[ -f "$state/pid" ] || { echo "envtest-down: nothing running ($state/pid missing)" >&2; exit 0; }
pid="$(cat "$state/pid")"
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
fi
rm -f "$state/pid" "$state/kubeconfig"
echo "envtest-down: stopped $pid" >&2
