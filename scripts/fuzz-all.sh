#!/usr/bin/env bash
# Runs libFuzzer targets for a while each and merges what they find into fuzz/corpora/.
#   scripts/fuzz-all.sh [SECONDS] [TARGET...]      (default 600 s, every target)
# Crashes are left as fuzz/crash-* (and the run fails); reproduce one with the replay
# binary of a normal build: build/.../fuzz/fuzz_<target> fuzz/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
build=${FUZZ_BUILD_DIR:-build/fuzz}
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKDCPERF_FUZZ=ON -DKDCPERF_TESTS=OFF -DKDCPERF_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/*.cpp; do
    t=$(basename "$f" .cpp)
    [ "$t" = replay_main ] || targets+=("$t")
  done
fi
for t in "${targets[@]}"; do
  corpus=fuzz/corpora/$t
  new=$(mktemp -d)
  echo "== fuzz $t for ${seconds}s"
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -artifact_prefix=fuzz/ -print_final_stats=1 \
    "$new" "$corpus" 2>&1 | grep -E '^(stat::number_of_executed_units|stat::new_units_added|==[0-9]+==ERROR|SUMMARY)' || true
  # Keep only inputs that add coverage to the committed corpus.
  "$build/fuzz/fuzz_$t" -merge=1 "$corpus" "$new" >/dev/null 2>&1
  rm -rf "$new"
done
if ls fuzz/crash-* fuzz/leak-* fuzz/timeout-* >/dev/null 2>&1; then
  echo "fuzz-all: findings left in fuzz/"
  exit 1
fi
echo "fuzz-all: no findings"
