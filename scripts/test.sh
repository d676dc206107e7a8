#!/usr/bin/env bash
# Every test of kdcperf, as CI runs it: layering and format checks; a g++ build with
# ASan+UBSan and warnings as errors; ctest (unit tests, interop tests against real MIT krb5 on
# loopback, fuzz corpora replayed under the sanitizers); then the libFuzzer targets built with
# clang and run briefly from their corpora. Expects the packages of install-deps.sh test.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
build=${BUILD_DIR:-build/ci-asan}
fuzz_build=${FUZZ_BUILD_DIR:-build/ci-fuzz}
fuzz_seconds=${FUZZ_SECONDS:-10}

step() { printf '\n== %s ==\n' "$*"; }

step "layering"
scripts/check-layering.sh

step "clang-format"
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find . -name '*.cpp' -o -name '*.hpp')
clang-format-14 --dry-run -Werror $files

step "build (g++, ASan+UBSan, -Werror)"
# -O1 -g1 (ASan's recommended level, line tables for its stack traces): the build takes less
# than half the time of RelWithDebInfo's -O2 -g (kdcperf's main.cpp: 44 s against 110 s).
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKDCPERF_WERROR=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DKDCPERF_ASAN=ON -DKDCPERF_UBSAN=ON -DKDCPERF_BENCH=ON >/dev/null
cmake --build "$build" -j "$jobs"

step "ctest"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 600

step "benchmarks build and run once (smoke; numbers from sanitized builds mean nothing)"
"$build"/bench/krb_bench --benchmark_min_time=0.001 --benchmark_filter='.' >/dev/null

step "libFuzzer targets (clang), ${fuzz_seconds}s each from their corpora"
CC=clang-14 CXX=clang++-14 cmake -S . -B "$fuzz_build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKDCPERF_FUZZ=ON -DKDCPERF_TESTS=OFF -DKDCPERF_BENCH=OFF >/dev/null
cmake --build "$fuzz_build" -j "$jobs"
for f in "$fuzz_build"/fuzz/fuzz_*; do
  name=$(basename "$f")
  target=${name#fuzz_}
  corpus=fuzz/corpora/$target
  work=$(mktemp -d)
  echo "fuzz $target"
  "$f" -max_total_time="$fuzz_seconds" -print_final_stats=0 "$work" "$corpus" 2>"$work.log" || {
    tail -40 "$work.log"; echo "fuzz $target failed"; exit 1; }
  rm -rf "$work" "$work.log"
done

echo
echo "test.sh: all checks passed"
