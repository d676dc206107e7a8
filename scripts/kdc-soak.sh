#!/usr/bin/env bash
# Does kdcperf-kdc's memory stay flat under sustained load (issue 6)? One worker on CPU 0,
# kdcperf on CPU 1 in an open loop at RATE for DURATION with every reply verified, the KDC's
# VmRSS sampled every SAMPLE seconds. Writes results/kdc-soak-<date>.json (OUT overrides): the
# samples, the growth over the second half of the run, and kdcperf's counts and latency.
#
#   RATE=80000 DURATION=600 USERS=1000 bash scripts/kdc-soak.sh
#
# RATE defaults to 80 % of the one-worker peak in results/kdc-compare-*.json when that exists.
# Loopback only; every process stopped by PID; the load stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
users=${USERS:-1000}
duration=${DURATION:-600}
sample=${SAMPLE:-10}
out=${OUT:-results/kdc-soak-$(date -u +%Y-%m-%d).json}
realm=KDCPERF.TEST
if [ -z "${RATE:-}" ]; then
  RATE=$(python3 - <<'EOF'
import glob, json
best = None
for f in sorted(glob.glob("results/kdc-compare-*.json")):
    d = json.load(open(f))
    for row in d.get("rows", []):
        if row.get("kdc") == "kdcperf-kdc" and row.get("workers") == 1:
            best = row["closed_loop"]["replies_per_s"]["median"]
print(int(0.8 * best) if best else 50000)
EOF
)
fi

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
lib_build "$build" kdcperf kdcperf-kdc

lib_workdir
work=$LIB_WORK

port=$(lib_free_port)
lib_start_kdcperf_kdc "$build" "$work/kdc" --realm "$realm" --listen "127.0.0.1:$port" \
  --users "$users" --etypes 18 --workers 1 --duration "$((duration + 120))s" \
  --write-keytab "$work/users.keytab"
kdc_pid=$LIB_PID
if [ "$(nproc)" -ge 2 ]; then
  taskset -apc 0 "$kdc_pid" >/dev/null
  gen=(taskset -c 1)
else
  gen=()
fi

"${gen[@]}" "$build"/loadgen/kdcperf run --kdc "127.0.0.1:$port" --realm "$realm" \
  --keytab "$work/users.keytab" --select uniform --rate "$RATE" --warmup 5s \
  --duration "${duration}s" --kdc-pid "$kdc_pid" --quiet --json "$work/load.json" &
load_pid=$!
: >"$work/rss.txt"
start=$(date +%s)
while kill -0 "$load_pid" 2>/dev/null; do
  echo "$(($(date +%s) - start)) $(awk '/^VmRSS/ {print $2}' "/proc/$kdc_pid/status")" \
    >>"$work/rss.txt"
  sleep "$sample"
done
status=0
wait "$load_pid" || status=$?

python3 - "$work" "$out" "$RATE" "$duration" "$users" "$status" <<'EOF'
import json, subprocess, sys
work, out, rate, duration, users, status = sys.argv[1:]
load = json.load(open(f"{work}/load.json"))
samples = [tuple(map(int, l.split())) for l in open(f"{work}/rss.txt") if len(l.split()) == 2]
half = [kb for t, kb in samples if t >= samples[-1][0] / 2]
c, lat = load["counts"], load["latency"]["corrected"]
commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                        text=True).stdout.strip()
result = {
    "schema": "kdcperf.kdc-soak/1",
    "date": load["start_time"], "commit": commit, "machine": load["machine"],
    "settings": {"rate": float(rate), "duration_s": int(duration), "warmup_s": 5,
                 "users": int(users), "select": "uniform", "etype": "aes256-cts-hmac-sha1-96",
                 "pac": True, "kdc_workers": 1, "kdc_cpu": 0, "generator_cpu": 1},
    "kdcperf_exit": int(status),
    "replies_per_s": load["throughput"]["replies_per_s"],
    "verified_ok": c["verified_ok"], "verified_failed": c["verified_failed"],
    "timeouts": c["timeouts"], "fell_behind": load["self_check"]["fell_behind"],
    "latency_p50_ns": lat["p50_ns"], "latency_p99_ns": lat["p99_ns"],
    "latency_p999_ns": lat["p99.9_ns"] if "p99.9_ns" in lat else None,
    "rss_kb_samples": [{"t_s": t, "rss_kb": kb} for t, kb in samples],
    "rss_kb_first": samples[0][1], "rss_kb_last": samples[-1][1],
    "rss_kb_max": max(kb for _, kb in samples),
    "rss_kb_growth_second_half": max(half) - min(half),
}
json.dump(result, open(out, "w"), indent=2)
print(f"kdcperf-kdc at {float(rate):.0f}/s for {duration} s: {result['replies_per_s']:.0f} "
      f"verified/s, p99 {lat['p99_ns'] / 1e6:.2f} ms, RSS {result['rss_kb_first']} -> "
      f"{result['rss_kb_last']} KiB (max {result['rss_kb_max']}, second half varies by "
      f"{result['rss_kb_growth_second_half']} KiB); written to {out}")
EOF
