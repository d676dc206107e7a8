#!/usr/bin/env bash
# Where one AS exchange's CPU goes in kdcperf-kdc (issue 6), in microseconds per verified
# exchange (aes256-cts-hmac-sha1-96, PAC on, UDP, one worker), from three measurements made in
# one go on this machine:
#   1. the whole: kdcperf-kdc on CPU 0, kdcperf on CPU 1 in a closed loop verifying every
#      reply; the KDC's CPU seconds (kdcperf --kdc-pid) per exchange;
#   2. the kernel's UDP path alone: kdcperf-responder (canned replies, recvmmsg/sendmmsg, no
#      Kerberos) on CPU 0 under the same load; its CPU per reply is what any KDC pays the
#      kernel to receive a datagram and send one back over loopback;
#   3. the AS service alone: bench/as_service_bench.cpp at batch 64 (Google Benchmark, median
#      of 3) for its time per request, and callgrind over the same benchmark for how its
#      instructions split between the stages (inclusive counts: stable from run to run).
# What is left of (1) after (2) and (3) is the engine: io_uring submission and completion, the
# batch loop, send slots. perf is not used: this VM exposes no PMU, and cpu-clock sampling
# charges interrupt-disabled kernel time (softirq delivery) to wherever interrupts come back on,
# which moved whole stages by a factor of two between runs.
#
#   USERS=100 DURATION=8s BUILD_DIR=build/release bash scripts/kdc-breakdown.sh
#
# Writes results/kdc-breakdown-<date>.json (OUT overrides) and prints a Markdown table.
# Loopback only; every process stopped by PID; every load stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
bench_build=${BENCH_BUILD_DIR:-build/release-bench}
users=${USERS:-100}
duration=${DURATION:-8s}
window=${WINDOW:-32}
out=${OUT:-results/kdc-breakdown-$(date -u +%Y-%m-%d).json}
realm=KDCPERF.TEST

command -v valgrind >/dev/null || { echo "kdc-breakdown.sh: valgrind is not installed" >&2; exit 1; }
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
lib_build "$build" kdcperf kdcperf-kdc kdcperf-responder
cmake -S . -B "$bench_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKDCPERF_BENCH=ON >/dev/null
cmake --build "$bench_build" -j "${JOBS:-$(nproc)}" --target krb_bench >&2

lib_workdir
work=$LIB_WORK
if [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 0)
  gen=(taskset -c 1)
else
  server_cpu=()
  gen=()
fi

# 1. The whole exchange; then a lone request (window 1: each request alone in the KDC), and
#    the engine's batch size and pinning (closed loop, as in 1), each a fresh KDC on CPU 0
#    but the last, left to the scheduler.
kdc_run() {  # kdc_run NAME KDCPERF-WINDOW PIN(pin|float) KDC-ARGS...
  local name=$1 w=$2 pin=$3 port kdc_pid
  shift 3
  port=$(lib_free_port)
  lib_start_kdcperf_kdc "$build" "$work/kdc-$name" --realm "$realm" \
    --listen "127.0.0.1:$port" --users "$users" --etypes 18 --workers 1 --duration 600s \
    --write-keytab "$work/users.keytab" "$@"
  kdc_pid=$LIB_PID
  if [ "$pin" = pin ] && [ "${#server_cpu[@]}" -gt 0 ]; then
    taskset -apc 0 "$kdc_pid" >/dev/null
  fi
  "${gen[@]}" "$build"/loadgen/kdcperf run --kdc "127.0.0.1:$port" --realm "$realm" \
    --keytab "$work/users.keytab" --window "$w" --warmup 1s --duration "$duration" \
    --kdc-pid "$kdc_pid" --quiet --json "$work/$name.json" || true
  lib_stop_pid "$kdc_pid"
}
kdc_run kdc-load "$window" pin
kdc_run lone 1 pin
for b in 1 8 64 256; do kdc_run "batch-$b" "$window" pin --batch "$b"; done
kdc_run float "$window" float

# 2. The kernel's UDP path: the canned responder under the same load (no verification: its
#    reply is the same captured AS-REP every time).
port=$(lib_free_port)
lib_start "$work/floor" "${server_cpu[@]}" "$build"/loadgen/kdcperf-responder \
  --listen "127.0.0.1:$port" --duration 600
floor_pid=$LIB_PID
lib_wait_log "$work/floor.json" "listening on" "$floor_pid" 30
"${gen[@]}" "$build"/loadgen/kdcperf run --kdc "127.0.0.1:$port" --realm "$realm" \
  --keytab krb/testdata/mit/alice.keytab --verify none --window "$window" --warmup 1s \
  --duration "$duration" --kdc-pid "$floor_pid" --quiet --json "$work/floor-load.json" || true
lib_stop_pid "$floor_pid"

# 3. The AS service alone: time, then instruction shares.
"$bench_build"/bench/krb_bench --benchmark_filter='BM_AsServiceBatch/batch:64/pac:1$' \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true --benchmark_format=json \
  >"$work/bench.json" 2>/dev/null
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
  "$bench_build"/bench/krb_bench --benchmark_filter='BM_AsServiceBatch/batch:64/pac:1$' \
  --benchmark_min_time=4 >/dev/null 2>&1
callgrind_annotate --inclusive=yes "$work/callgrind.out" >"$work/inclusive.txt" 2>/dev/null

python3 - "$work" "$out" "$users" "$duration" "$window" <<'EOF'
import json, re, subprocess, sys
work, out, users, duration, window = sys.argv[1:]

def cpu_per_exchange(path):
    d = json.load(open(path))
    c, w = d["counts"], d.get("warmup_counts", {})
    sent = c["sent"] + w.get("sent", 0)
    k = d["kdc"]
    return d, 1e6 * (k["cpu_user_s"] + k["cpu_system_s"]) / sent

kdc, total_us = cpu_per_exchange(f"{work}/kdc-load.json")
floor, floor_us = cpu_per_exchange(f"{work}/floor-load.json")
bench = json.load(open(f"{work}/bench.json"))
median = next(b for b in bench["benchmarks"] if b.get("aggregate_name") == "median")
service_us = median["cpu_time"] / 64 / (1000 if median["time_unit"] == "ns" else 1)

# Inclusive instruction counts: "  1,234 (12.34%)  ???:namespace::function(args) [binary]".
inclusive = {}
for line in open(f"{work}/inclusive.txt"):
    m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+\S*?:(.*?)(\(|\s\[)", line)
    if m:
        inclusive.setdefault(m.group(2), int(m.group(1).replace(",", "")))

def ir(name):
    return sum(v for k, v in inclusive.items() if k == name or k.endswith("::" + name))

handle = ir("AsService::handle")
parts = [
    ("AS-REQ decode (DER)", ir("proto::decode_as_req")),
    ("principal lookup", ir("PrincipalDb::find")),
    ("prepared keys (KeyCache lookups)", ir("KeyCache::get")),
    ("pre-auth decryption (open_batch, usage 1)", ir("crypto::open_batch")),
    ("PAC (MIT 1.20's minimal PAC: two HMAC checksums)", ir("build_minimal_pac")),
    ("EncTicketPart and EncASRepPart plaintexts (without the PAC)",
     ir("AsService::Impl::build_ticket") - ir("build_minimal_pac")),
    ("ticket and reply encryption (seal_batch, usages 2 and 3)", ir("crypto::seal_batch")),
    ("AS-REP / KRB-ERROR encode", ir("AsService::Impl::encode_as_rep") +
     ir("AsService::Impl::encode_error")),
]
parts = [(n, v) for n, v in parts if v > 0]  # inlined into its caller: in the rest
parts.append(("rest of the AS service (session keys: one RNG call per batch; phases, wiping)",
              max(0, handle - sum(v for _, v in parts))))
engine_us = max(0.0, total_us - floor_us - service_us)
rows = [{"stage": "kernel UDP path: receive a datagram, send one back over loopback "
                  "(kdcperf-responder's CPU per reply)", "us_per_exchange": floor_us},
        {"stage": "engine: io_uring submissions and completions, batch loop, send slots "
                  "(the rest)", "us_per_exchange": engine_us}]
for name, v in parts:
    rows.append({"stage": name, "us_per_exchange": service_us * v / handle if handle else 0,
                 "instructions_share_of_as_service": v / handle if handle else 0})
for r in rows:
    r["share_of_total"] = r["us_per_exchange"] / total_us
def summary(name, note):
    d, us = cpu_per_exchange(f"{work}/{name}.json")
    lat = d["latency"]["corrected"]
    return {"setting": note, "replies_per_s": d["throughput"]["replies_per_s"],
            "kdc_cpu_us_per_exchange": us, "latency_p50_ns": lat["p50_ns"],
            "latency_p99_ns": lat["p99_ns"], "verified_failed": d["counts"]["verified_failed"]}

lone = summary("lone", "kdcperf window 1: one request at a time")
engine = [summary(f"batch-{b}", f"--batch {b}" + (" (default)" if b == 64 else ""))
          for b in (1, 8, 64, 256)]
engine.append(summary("float", "--batch 64, the KDC not pinned (free to share the generator's CPU)"))
commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                        text=True).stdout.strip()
result = {
    "schema": "kdcperf.kdc-breakdown/1",
    "date": kdc["start_time"], "commit": commit, "machine": kdc["machine"],
    "settings": {"users": int(users), "etype": "aes256-cts-hmac-sha1-96", "pac": True,
                 "transport": "udp", "kdc_workers": 1, "kdc_cpu": 0, "generator_cpu": 1,
                 "mode": "closed", "window": int(window), "duration": duration,
                 "as_service_bench": "BM_AsServiceBatch/batch:64/pac:1, median of 3",
                 "split": "callgrind inclusive instructions under AsService::handle"},
    "kdc": {"replies_per_s": kdc["throughput"]["replies_per_s"],
            "verified_ok": kdc["counts"]["verified_ok"],
            "verified_failed": kdc["counts"]["verified_failed"],
            "cpu_us_per_exchange": total_us},
    "floor": {"replies_per_s": floor["throughput"]["replies_per_s"],
              "cpu_us_per_reply": floor_us},
    "as_service_us_per_request": service_us,
    "stages": rows,
    "lone_request": lone,
    "engine_settings": engine,
}
json.dump(result, open(out, "w"), indent=2)
print(f"kdcperf-kdc: {result['kdc']['replies_per_s']:.0f} verified exchanges/s, "
      f"{total_us:.2f} us of KDC CPU per exchange; the AS service alone {service_us:.2f} us; "
      f"the kernel's UDP path {floor_us:.2f} us\n")
print("| stage | us per exchange | share |")
print("|---|---|---|")
for r in rows:
    print(f"| {r['stage']} | {r['us_per_exchange']:.2f} | {100 * r['share_of_total']:.0f}% |")
print(f"| **total** | **{total_us:.2f}** | 100% |\n")
print(f"A lone request (window 1): p50 {lone['latency_p50_ns'] / 1e3:.0f} us, "
      f"p99 {lone['latency_p99_ns'] / 1e3:.0f} us round trip\n")
print("| engine setting | replies/s | KDC CPU us/exchange | p99 |")
print("|---|---|---|---|")
for e in engine:
    print(f"| {e['setting']} | {e['replies_per_s']:.0f} | {e['kdc_cpu_us_per_exchange']:.2f} | "
          f"{e['latency_p99_ns'] / 1e6:.2f} ms |")
print(f"\nwritten to {out}")
EOF
