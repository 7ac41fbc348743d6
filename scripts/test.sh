#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install packages, build, run every test, run the
# end-to-end suite against a real API server, then rebuild and rerun under ASan+UBSan, then run
# each fuzz target for a bounded time, then build and smoke-test the container image (its own
# stage, timed: scripts/image.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
# The chart tests need helm (pinned, from scripts/envtest-tools.sh) and promtool (bootstrap);
# here a missing one fails them instead of skipping.
bash scripts/envtest-tools.sh build/envtest-assets >/dev/null
export RIPOSTE_HELM="$PWD/build/envtest-assets/helm" RIPOSTE_REQUIRE_CHART_TOOLS=1
# The manifest reader is compared with the real kubectl on every case (tests/core).
export RIPOSTE_KUBECTL="$PWD/build/envtest-assets/kubectl"

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
# The image stage is a CI step of its own: it takes minutes (a C++ release build inside the
# image's build stage, and once per machine a local Debian base) and needs root with buildah
# and podman, which bootstrap.sh installs.
if [ "${RIPOSTE_SKIP_IMAGE:-0}" != 1 ]; then
  if [ "$(id -u)" = 0 ] && command -v buildah >/dev/null && command -v podman >/dev/null; then
    echo "== image (scripts/image.sh: build with buildah, smoke test with podman)"
    image_start=$(date +%s)
    RIPOSTE_TEST_APISERVER="$PWD/build/tests/apiserver/riposte-test-apiserver" bash scripts/image.sh
    echo "== image stage took $(( $(date +%s) - image_start )) s"
  else
    echo "== image: skipped (needs root, buildah and podman; scripts/bootstrap.sh installs them)"
  fi
fi
echo "== all tests passed"
