#!/usr/bin/env bash
# From a fresh machine: install what is needed, build Riposte, and scan the example
# manifests (benign Ingresses pass, attack Ingresses are reported with their CVE class).
set -euo pipefail
cd "$(dirname "$0")/.."
# Only what building the binary needs (the test and image tools are for scripts/test.sh).
bash scripts/bootstrap.sh --build-only
# Only the binary: the test suites are built by scripts/test.sh.
bash scripts/build.sh build-demo -DRIPOSTE_BUILD_TESTS=OFF -DRIPOSTE_BUILD_BENCH=OFF
echo "== riposte scan examples/benign.yaml (expect: no findings, exit 0)"
./build-demo/riposte scan --policy examples/policy.yaml examples/benign.yaml
echo
echo "== riposte scan examples/attacks.yaml (expect: every attack reported, exit 1)"
set +e
./build-demo/riposte scan --policy examples/policy.yaml examples/attacks.yaml
rc=$?
set -e
echo
echo "exit code: $rc (0 = clean, 1 = findings, 2 = input error)"
[ "$rc" -eq 1 ]
