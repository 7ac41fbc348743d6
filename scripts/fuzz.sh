#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan+UBSan+coverage) and runs each for a bounded
# time (default 60 s). A crashing input is written to fuzz/regressions/<target>/ and the run
# fails: commit that file and the replay test keeps it as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRIPOSTE_BUILD_FUZZ=ON -DRIPOSTE_BUILD_TESTS=OFF -DRIPOSTE_BUILD_BENCH=OFF >/dev/null
targets=$(grep -oE 'riposte_add_fuzzer\(fuzz_[a-z_]+' fuzz/CMakeLists.txt | sed 's/riposte_add_fuzzer(//' || true)
if [ -z "$targets" ]; then
  echo "fuzz: no targets declared in fuzz/CMakeLists.txt" >&2
  exit 1
fi
# shellcheck disable=SC2086
cmake --build build-fuzz -j "$(nproc)" --target $targets
status=0
for t in $targets; do
  mkdir -p "fuzz/regressions/$t" "build-fuzz/corpus/$t"
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
  echo "fuzz: $t for ${secs}s"
  # A fixed seed makes a run repeatable: the same commit explores the same inputs first.
  if ! ASAN_OPTIONS=detect_leaks=1 "build-fuzz/fuzz/$t" -seed="${RIPOSTE_FUZZ_SEED:-1}" -max_total_time="$secs" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="fuzz/regressions/$t/" \
      "build-fuzz/corpus/$t" "${seeds[@]}" > "build-fuzz/$t.log" 2>&1; then
    echo "fuzz: $t FAILED; input kept under fuzz/regressions/$t/ (tail of log follows)" >&2
    tail -40 "build-fuzz/$t.log" >&2
    status=1
  else
    grep -E '^(stat::number_of_executed_units|Done)' "build-fuzz/$t.log" | sed "s/^/fuzz: $t: /" || true
  fi
done
exit $status
