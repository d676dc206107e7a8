#!/usr/bin/env bash
# The main job of README.md's first command. Until kdcperf-kdc and kdcperf exist (issues 4
# and 5), it builds an optimised libkrb, runs its self-check (RFC and MIT vectors, message
# round trips) and prints one benchmark table: decode, encode, seal and open per enctype.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKDCPERF_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
echo "== libkrb self-check (unit tests: RFC vectors, captured MIT messages, round trips) =="
ctest --test-dir "$build" -L unit --output-on-failure -j "$(nproc)" | tail -n 3
echo "== libkrb benchmarks =="
"$build"/bench/krb_bench --benchmark_min_time=0.1 \
  --benchmark_filter='BM_DecodeAsReq$|BM_EncodeAsRep$|BM_(Seal|Open)/.*bytes:256$|BM_RawAes256CbcHmacSha1/.*256|BM_AsExchangeCrypto'
