#!/usr/bin/env bash
# kdcperf's own ceiling (issue 4): kdcperf on one core against kdcperf-responder on the other,
# so the generator, not a KDC, is what runs out. Five modes, RUNS runs each, alternated so
# drift in the machine hits all alike:
#   plain/none    the reference: kdcperf-plain-generator (one recv() and one send() per
#                 exchange, the same request bytes every time, nothing matched or checked)
#                 against the canned responder; kdcperf's figures are also given as multiples
#                 of it, which the VM's drift through the day does not move
#   floor/none    kdcperf-engine-floor: kdcperf's own engine (a socket per request in flight,
#                 io_uring batches, matching, histograms) with nothing Kerberos: the same
#                 request bytes every time, replies classified by their first byte. The most
#                 kdcperf can reach here; kdcperf's figures are also given as shares of it
#   canned/none   the responder repeats one captured MIT AS-REP; kdcperf matches every reply
#                 to its request but decrypts none (--verify none)
#   canned/all    the same replies, each decrypted and checked: every check fails at the
#                 nonce (the reply is not for this request), after all the work of checking
#   seal/all      the responder seals a valid AS-REP for each request (--seal): every reply
#                 decrypted, nonce-checked and verified ok; the responder's own CPU is
#                 recorded, since sealing makes it the busier of the two
# Writes results/loadgen-ceiling-<date>.json (OUT overrides) and prints a Markdown table.
#
#   RUNS=5 DURATION=8s WINDOW=128 GENERATOR_CPU=1 bash scripts/loadgen-ceiling.sh
#
# Loopback only; every process stopped by PID; every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
runs=${RUNS:-5}
duration=${DURATION:-8s}
window=${WINDOW:-128}
gen_cpu=${GENERATOR_CPU:-1}
responder_cpu=$((1 - gen_cpu))
out=${OUT:-results/loadgen-ceiling-$(date -u +%Y-%m-%d).json}
keytab=krb/testdata/mit/alice.keytab

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
lib_build "$build" kdcperf kdcperf-responder kdcperf-plain-generator kdcperf-engine-floor
lib_workdir
work=$LIB_WORK

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

for r in $(seq 1 "$runs"); do
  for mode in plain/none floor/none canned/none canned/all seal/all; do
    responder=${mode%/*}
    verify=${mode#*/}
    name="$responder-$verify-$r"
    echo "run $r/$runs: $mode" >&2
    port=$(lib_free_port)
    args=(--listen "127.0.0.1:$port" --duration 120)
    [ "$responder" = seal ] && args+=(--seal --keytab "$keytab")
    # The floor and the plain generator answer to the canned responder.
    lib_start "$work/resp-$name" taskset -c "$responder_cpu" \
      "$build"/loadgen/kdcperf-responder "${args[@]}"
    pid=$LIB_PID
    lib_wait_log "$work/resp-$name.json" "listening on" "$pid" 30
    t0=$(cpu_ticks "$pid")
    status=0
    if [ "$responder" = plain ]; then
      taskset -c "$gen_cpu" "$build"/loadgen/kdcperf-plain-generator --kdc "127.0.0.1:$port" \
        --window "$window" --duration "${duration%s}" >"$work/$name.json" || status=$?
    elif [ "$responder" = floor ]; then
      taskset -c "$gen_cpu" "$build"/loadgen/kdcperf-engine-floor --kdc "127.0.0.1:$port" \
        --window "$window" --warmup 1 --duration "${duration%s}" >"$work/$name.json" || status=$?
    else
      taskset -c "$gen_cpu" "$build"/loadgen/kdcperf run --kdc "127.0.0.1:$port" \
        --realm KDCPERF.TEST --keytab "$keytab" --verify "$verify" --window "$window" \
        --warmup 1s --duration "$duration" --quiet --json "$work/$name.json" || status=$?
    fi
    t1=$(cpu_ticks "$pid")
    lib_stop_pid "$pid"
    echo "$status $t0 $t1" >"$work/$name.meta"
  done
done

python3 - "$work" "$out" "$runs" "$duration" "$window" "$gen_cpu" "$responder_cpu" <<'EOF'
import json, os, statistics, subprocess, sys
work, out, runs, duration, window, gen_cpu, responder_cpu = sys.argv[1:]
hz = os.sysconf("SC_CLK_TCK")
modes = {}
machine = None
for mode in ("plain-none", "floor-none", "canned-none", "canned-all", "seal-all"):
    rows = []
    for r in range(1, int(runs) + 1):
        d = json.load(open(f"{work}/{mode}-{r}.json"))
        status, t0, t1 = map(int, open(f"{work}/{mode}-{r}.meta").read().split())
        if mode == "plain-none":
            rows.append({
                "replies_per_s": d["replies_per_s"], "resends": d["resends"],
                "generator_busiest_thread_cpu": d["cpu_s"] / d["seconds"],
                "responder_cpu_cores": (t1 - t0) / hz / d["seconds"],
                "exit": status,
            })
            continue
        if mode == "floor-none":
            rows.append({
                "replies_per_s": d["replies_per_s"], "timeouts": d["timeouts"],
                "generator_busiest_thread_cpu": d["busiest_worker_cpu"],
                # the warm-up second ran too
                "responder_cpu_cores": (t1 - t0) / hz / (d["seconds"] + 1),
                "exit": status,
            })
            continue
        machine = d["machine"]
        c = d["counts"]
        rows.append({
            "replies_per_s": d["throughput"]["replies_per_s"],
            "verified_ok": c["verified_ok"], "verified_failed": c["verified_failed"],
            "unchecked": c["unchecked"], "timeouts": c["timeouts"],
            "generator_busiest_thread_cpu": d["self_check"]["busiest_worker_cpu"],
            "responder_cpu_cores": (t1 - t0) / hz / d["duration"]["elapsed_s"],
            "latency_p99_ns": d["latency"]["corrected"]["p99_ns"],
            "kdcperf_exit": status,
        })
    v = [x["replies_per_s"] for x in rows]
    modes[mode] = {"runs": rows, "replies_per_s": {"median": statistics.median(v),
                                                    "min": min(v), "max": max(v)}}
def paired(reference):
    return {m: statistics.median(x["replies_per_s"] / y["replies_per_s"]
                                 for x, y in zip(modes[m]["runs"], modes[reference]["runs"]))
            for m in modes}
commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                        text=True).stdout.strip()
result = {
    "schema": "kdcperf.loadgen-ceiling/4",
    "date": subprocess.run(["date", "-u", "+%Y-%m-%dT%H:%M:%SZ"], capture_output=True,
                           text=True).stdout.strip(),
    "commit": commit, "machine": machine,
    "what": "kdcperf on one core against kdcperf-responder on the other (scripts/loadgen-ceiling.sh)",
    "settings": {"threads": 1, "window": int(window), "mode": "closed", "transport": "udp",
                 "duration": duration, "warmup": "1s", "runs": int(runs),
                 "generator_cpu": int(gen_cpu), "responder_cpu": int(responder_cpu),
                 "client": "alice@KDCPERF.TEST (krb/testdata/mit/alice.keytab)"},
    "modes": modes,
    # Each mode against a reference run in the same round (runs of one round are minutes
    # apart at most, so the VM's drift hits both alike), median over the rounds. The issue's
    # 180k/s against the 130k/s it quotes for a plain generator is 1.38x of plain.
    "vs_plain": paired("plain-none"),
    "vs_floor": paired("floor-none"),
    "target": "issue 4: >= 180k/s with every reply matched and nonce-checked "
              "(the issue's plain generator: 130k/s, so 1.38x of it)",
}
json.dump(result, open(out, "w"), indent=2)
print("| generator: responder / checks | replies/s median (min-max) | vs plain | vs floor | generator CPU | responder CPU |")
print("|---|---|---|---|---|---|")
for mode, m in modes.items():
    r = m["replies_per_s"]
    g = statistics.median(x["generator_busiest_thread_cpu"] for x in m["runs"])
    s = statistics.median(x["responder_cpu_cores"] for x in m["runs"])
    who = {"plain-none": "plain generator: canned / none",
           "floor-none": "engine floor: canned / none"}.get(mode, "kdcperf: " + mode.replace("-", " / "))
    print(f"| {who} | {r['median']:.0f} ({r['min']:.0f}-{r['max']:.0f}) | "
          f"{result['vs_plain'][mode]:.2f}x | {result['vs_floor'][mode]:.2f}x | {g:.2f} | {s:.2f} |")
print(f"\nwritten to {out}")
EOF
