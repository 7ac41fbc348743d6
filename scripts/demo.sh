#!/usr/bin/env bash
# From a fresh machine: install what is needed, build Riposte, and scan the example
# manifests (benign Ingresses pass, attack Ingresses are reported with their CVE class).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh build -DRIPOSTE_BUILD_TESTS=OFF -DRIPOSTE_BUILD_BENCH=OFF
echo "== riposte scan examples/benign (expect: no findings, exit 0)"
./build/riposte scan examples/benign
echo "== riposte scan examples/attacks (expect: findings, exit 1)"
set +e
./build/riposte scan examples/attacks
rc=$?
set -e
echo "exit code: $rc"
[ "$rc" -eq 1 ]
