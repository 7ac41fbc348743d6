#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install packages, build, run every test, run the
# end-to-end suite against a real API server, then rebuild and rerun under ASan+UBSan, then run
# each fuzz target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh

echo "== build (RelWithDebInfo)"
bash scripts/build.sh build -DRIPOSTE_BUILD_TESTS=ON -DRIPOSTE_BUILD_BENCH=ON
echo "== tests"
ctest --test-dir build --output-on-failure -j "$(nproc)"
echo "== end-to-end tests (real kube-apiserver v1.26.5 + etcd)"
# kube-apiserver unpacked from ../shared/envtest (RIPOSTE_ENVTEST_SOURCE, or KUBEBUILDER_ASSETS,
# overrides), etcd from Debian's etcd-server; skipped with a banner when there is none.
bash scripts/e2e.sh build

if [ "${RIPOSTE_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== build (ASan+UBSan)"
  BUILD_TYPE=Debug bash scripts/build.sh build-asan -DRIPOSTE_SANITIZE=ON -DRIPOSTE_BUILD_TESTS=ON -DRIPOSTE_BUILD_BENCH=OFF
  echo "== tests under ASan+UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0" \
    ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
fi

if [ "${RIPOSTE_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzz"
  bash scripts/fuzz.sh "${RIPOSTE_FUZZ_SECONDS:-60}"
fi
echo "== all tests passed"
