#!/usr/bin/env bash
# kdcperf-kdc and MIT krb5kdc side by side, in one run on this machine: the same principals
# (user1..N, passwords pw-1..N, aes256 keys, +requires_preauth), the same load from kdcperf
# (closed loop, every AS-REP decrypted and checked), each KDC on one core with the generator on
# the other. Prints a Markdown table and writes results/kdc-compare-<date>.json with the
# machine, commit and settings: replies/s (median, min, max of RUNS runs) and the KDC's CPU
# microseconds per AS exchange (from /proc via kdcperf --kdc-pid).
#
#   USERS=100 RUNS=3 DURATION=5s WINDOW=32 bash scripts/compare-kdcs.sh
#
# Both KDCs put a PAC in the TGT (MIT 1.20's default; kdcperf-kdc's default), so the tickets
# are alike. MIT runs its stock configuration (DB2 database, last-success and lockout
# bookkeeping on). Everything listens on 127.0.0.1 only and is stopped by PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
users=${USERS:-100}
runs=${RUNS:-3}
duration=${DURATION:-5s}
window=${WINDOW:-32}
realm=KDCPERF.TEST
export PATH=$PATH:/usr/sbin:/sbin

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKDCPERF_TESTS=OFF \
  -DKDCPERF_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target kdcperf kdcperf-kdc >&2

work=$(mktemp -d)
ours_pid=
cleanup() {
  [ -n "$ours_pid" ] && kill -TERM "$ours_pid" 2>/dev/null || true
  [ -f "$work/mit/krb5kdc.pid" ] && scripts/mit-realm.sh stop "$work/mit" >/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# MIT krb5kdc with the same users.
scripts/mit-realm.sh start -d "$work/mit" -r "$realm" -e aes256-cts-hmac-sha1-96 >"$work/mit.env"
# shellcheck disable=SC1091
source "$work/mit/realm.env"
mit_port=$(sed -n 's/.*KDC 127.0.0.1:\([0-9]*\).*/\1/p' "$work/mit/realm.env")
mit_pid=$(cat "$work/mit/krb5kdc.pid")
for i in $(seq 1 "$users"); do
  echo "addprinc -pw pw-$i +requires_preauth -e aes256-cts-hmac-sha1-96:normal user$i"
done | kadmin.local -r "$realm" >"$work/kadmin.out" 2>&1

# kdcperf-kdc with the same users (its embedded realm derives them from the same patterns).
ours_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build"/kdc/kdcperf-kdc --realm "$realm" --listen "127.0.0.1:$ours_port" --users "$users" \
  --etypes 18 --workers 1 --duration 3600s >"$work/ours.json" 2>"$work/ours.log" &
ours_pid=$!
for _ in $(seq 1 600); do
  grep -q "listening on" "$work/ours.log" 2>/dev/null && break
  sleep 0.1
done

# Each KDC on CPU 0, the generator on CPU 1 (when the machine has two).
if [ "$(nproc)" -ge 2 ]; then
  taskset -pc 0 "$mit_pid" >/dev/null
  taskset -apc 0 "$ours_pid" >/dev/null
  gen=(taskset -c 1)
else
  gen=()
fi

load() {  # load NAME PORT PID RUN
  "${gen[@]}" "$build"/loadgen/kdcperf run --kdc "127.0.0.1:$2" --realm "$realm" \
    --pattern 'user{i}' --password-pattern 'pw-{i}' --range "1-$users" --threads 1 \
    --window "$window" --warmup 1s --duration "$duration" --kdc-pid "$3" --quiet \
    --json "$work/$1-$4.json"
}
# Alternate the KDCs run by run, so drift in the machine's load hits both alike.
for r in $(seq 1 "$runs"); do
  echo "run $r/$runs: kdcperf-kdc" >&2
  load kdcperf-kdc "$ours_port" "$ours_pid" "$r"
  echo "run $r/$runs: MIT krb5kdc" >&2
  load mit-krb5kdc "$mit_port" "$mit_pid" "$r"
done
mit_version=$(dpkg-query -W -f='${Version}' krb5-kdc 2>/dev/null || echo unknown)

mkdir -p results
out=results/kdc-compare-$(date -u +%Y-%m-%d).json
python3 - "$work" "$runs" "$out" "$users" "$duration" "$window" "$mit_version" <<'EOF'
import json, statistics, subprocess, sys
work, runs, out, users, duration, window, mit_version = sys.argv[1:]
runs = int(runs)

def summary(name):
    rows = []
    for r in range(1, runs + 1):
        d = json.load(open(f"{work}/{name}-{r}.json"))
        c, w = d["counts"], d.get("warmup_counts", {})
        exchanges = c["sent"] + w.get("sent", 0)  # the KDC's CPU covers warm-up and run
        kdc = d["kdc"]
        cpu = kdc["cpu_user_s"] + kdc["cpu_system_s"]
        rows.append({
            "replies_per_s": d["throughput"]["replies_per_s"],
            "verified_ok": c["verified_ok"], "verified_failed": c["verified_failed"],
            "timeouts": c["timeouts"], "errors": c["krb_error"],
            "kdc_cpu_us_per_exchange": 1e6 * cpu / exchanges if exchanges else None,
            "kdc_cpu_cores": kdc["cpu_cores"], "kdc_rss_kb_peak": kdc["rss_kb_peak"],
            "generator_cpu_cores": d["generator"]["cpu_cores"],
            "latency_p50_ns": d["latency"]["corrected"]["p50_ns"],
            "latency_p99_ns": d["latency"]["corrected"]["p99_ns"],
            "fell_behind": d["self_check"]["fell_behind"],
        })
        machine = d["machine"]
    def stat(key):
        v = [r[key] for r in rows]
        return {"median": statistics.median(v), "min": min(v), "max": max(v)}
    return {"runs": rows, "replies_per_s": stat("replies_per_s"),
            "kdc_cpu_us_per_exchange": stat("kdc_cpu_us_per_exchange"),
            "latency_p99_ns": stat("latency_p99_ns")}, machine

ours, machine = summary("kdcperf-kdc")
mit, _ = summary("mit-krb5kdc")
commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                        text=True).stdout.strip()
result = {
    "schema": "kdcperf.kdc-compare/1",
    "date": subprocess.run(["date", "-u", "+%Y-%m-%dT%H:%M:%SZ"], capture_output=True,
                           text=True).stdout.strip(),
    "commit": commit, "machine": machine,
    "settings": {"users": int(users), "etype": "aes256-cts-hmac-sha1-96", "pac": True,
                 "transport": "udp", "mode": "closed", "window": int(window),
                 "duration": duration, "warmup": "1s", "runs": runs, "kdc_workers": 1,
                 "kdc_cpu": 0, "generator_cpu": 1, "verify": "all",
                 "mit_krb5kdc": mit_version + " (stock kdc.conf, DB2)"},
    "kdcs": {"kdcperf-kdc": ours, "mit-krb5kdc": mit},
    "ratios": {
        "throughput_kdcperf_over_mit":
            ours["replies_per_s"]["median"] / mit["replies_per_s"]["median"],
        "cpu_per_exchange_mit_over_kdcperf":
            mit["kdc_cpu_us_per_exchange"]["median"] / ours["kdc_cpu_us_per_exchange"]["median"],
    },
}
json.dump(result, open(out, "w"), indent=2)
print(f"| KDC | replies/s (median, min-max) | KDC CPU us/exchange | p99 |")
print(f"|---|---|---|---|")
for name, s in (("kdcperf-kdc", ours), ("MIT krb5kdc", mit)):
    r, c, p = s["replies_per_s"], s["kdc_cpu_us_per_exchange"], s["latency_p99_ns"]
    print(f"| {name} | {r['median']:.0f} ({r['min']:.0f}-{r['max']:.0f}) | {c['median']:.1f} | "
          f"{p['median'] / 1e6:.2f} ms |")
print(f"\nkdcperf-kdc: {result['ratios']['throughput_kdcperf_over_mit']:.1f}x MIT's throughput, "
      f"{result['ratios']['cpu_per_exchange_mit_over_kdcperf']:.1f}x less KDC CPU per exchange; "
      f"written to {out}")
EOF
