#!/usr/bin/env bash
# KDCs side by side, in one run on this machine, under the same generator (kdcperf) and the
# same realm contents: users user1..N with passwords pw-1..N, aes256-cts-hmac-sha1-96 keys only,
# requires pre-authentication; every AS-REP decrypted and checked. Rows:
#
#   kdcperf-kdc   kdcperf-kdc's embedded realm (--etypes 18, a PAC in the TGT: its default)
#   mit           MIT krb5kdc, stock kdc.conf (DB2; last-success and lockout bookkeeping on:
#                 each pre-authenticated AS-REQ writes the principal's record)
#   mit-tuned     MIT krb5kdc with DB2 disable_last_success = true, disable_lockout = true
#   heimdal       Heimdal's kdc (scripts/heimdal.sh unpacks it into $HEIMDAL_ROOT), kadmin -l
#                 realm, stock config but for require-preauth = false (the principal's
#                 requires-pre-auth attribute decides, as in MIT) and num-kdc-processes.
#                 Heimdal 7.8 puts no PAC in the TGT (only a windc plugin would): not like
#                 for like on the PAC, unlike the three above
#   floor         kdcperf-responder --seal: a valid AS-REP sealed per request, no database, no
#                 pre-auth check, no policy: the machine's floor under every KDC
#
# each with 1 and 2 workers (kdcperf-kdc --workers, krb5kdc -w, Heimdal num-kdc-processes;
# the floor has one). A 1-worker row has its KDC on CPU 0 and the generator on CPU 1; a 2-worker
# row lets KDC and generator share both cores (its figures include that contention).
#
# Per row: closed loop (window WINDOW), RUNS runs alternated over the rows so drift hits all
# alike: replies/s (median, min, max), the KDC's CPU microseconds per exchange and its peak
# RSS (from /proc: kdcperf --kdc-pid for a one-process KDC; the sum over the master and its
# worker processes for MIT -w and Heimdal). Then open loop at LOADS (fractions) of the row's own
# median: corrected p50/p99 latency (from each request's scheduled send time). kdcperf's
# self-check (fell behind, generator limited, its CPU) is kept per run: a flagged run measured
# kdcperf, not the KDC. Prints a Markdown table, writes results/kdc-compare-<date>.json
# (schema kdcperf.kdc-compare/2; OUT overrides), exits 3 if any reply failed verification.
#
#   USERS=100 RUNS=3 DURATION=5s WINDOW=32 LOADS="0.5 0.9" WORKERS="1 2" \
#     KDCS=kdcperf-kdc,mit,mit-tuned,heimdal,floor BUILD_DIR=build/release \
#     bash scripts/compare-kdcs.sh
#
# Everything listens on 127.0.0.1 only; every process is stopped by PID on exit; each load run
# stops by itself (--duration); kdcperf-kdc and the floor also stop by themselves after
# KDC_LIFETIME seconds (default 7200).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/sbin:/sbin
build=${BUILD_DIR:-build/release}
users=${USERS:-100}
runs=${RUNS:-3}
duration=${DURATION:-5s}
window=${WINDOW:-32}
loads=${LOADS:-0.5 0.9}
workers_list=${WORKERS:-1 2}
kdcs=${KDCS:-kdcperf-kdc,mit,mit-tuned,heimdal,floor}
lifetime=${KDC_LIFETIME:-7200}
heimdal_root=${HEIMDAL_ROOT:-/opt/kdcperf-heimdal}
out=${OUT:-results/kdc-compare-$(date -u +%Y-%m-%d).json}
realm=KDCPERF.TEST
warmup=1s

# shellcheck source=scripts/lib.sh
source scripts/lib.sh

die() { echo "compare-kdcs.sh: $*" >&2; exit 1; }

IFS=, read -r -a selected <<<"$kdcs"
for k in "${selected[@]}"; do
  case $k in
    kdcperf-kdc | mit | mit-tuned | heimdal | floor) ;;
    *) die "unknown KDC '$k' in KDCS (kdcperf-kdc, mit, mit-tuned, heimdal, floor)" ;;
  esac
done
for w in $workers_list; do
  [[ $w =~ ^[1-9][0-9]*$ ]] || die "WORKERS: '$w' is not a positive number"
done
[[ $users =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || die "USERS and RUNS must be positive"
selected_has() {
  local k
  for k in "${selected[@]}"; do [ "$k" = "$1" ] && return 0; done
  return 1
}
if selected_has mit || selected_has mit-tuned; then
  for t in kdb5_util kadmin.local krb5kdc; do
    command -v "$t" >/dev/null || die "$t not found (apt-get install krb5-kdc krb5-admin-server)"
  done
fi
if selected_has heimdal; then
  for t in kdc kstash kadmin; do
    [ -x "$heimdal_root/bin/$t" ] ||
      die "no Heimdal in $heimdal_root (run scripts/heimdal.sh as root, or leave heimdal out of KDCS)"
  done
fi

targets=(kdcperf kdcperf-kdc)
selected_has floor && targets+=(kdcperf-responder)
lib_build "$build" "${targets[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/kdcperf-compare-XXXXXX")
mkdir -p "$work/runs"
mit_dirs=()
cleanup() {
  local d
  lib_stop_all
  for d in "${mit_dirs[@]}"; do
    if [ -f "$d/krb5kdc.pid" ]; then scripts/mit-realm.sh stop "$d" >/dev/null 2>&1 || true; fi
  done
  wait 2>/dev/null || true
  if [ -n "${KEEP_WORK:-}" ]; then echo "work files kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ncpu=$(nproc)
all_cpus="0-$((ncpu - 1))"
clk_tck=$(getconf CLK_TCK)

# Rows: id "KIND/wN"; per row its port, main PID, CPUs and what it runs.
rows=()
declare -A row_port row_pid row_kind row_workers row_config row_kdc_cpus row_gen_cpus

# The main PID and every child process of it (MIT -w and Heimdal fork workers).
row_pids() {
  local pid=${row_pid[$1]} children=""
  [ -r "/proc/$pid/task/$pid/children" ] && children=$(cat "/proc/$pid/task/$pid/children")
  # shellcheck disable=SC2086
  echo $pid $children
}

# Waits until process $1 has $2 child processes (the workers it forks once its sockets are up).
wait_children() {
  local pid=$1 want=$2 have=0
  for _ in $(seq 1 100); do
    have=$(wc -w 2>/dev/null <"/proc/$pid/task/$pid/children" || echo 0)
    [ "$have" -ge "$want" ] && return 0
    sleep 0.1
  done
  die "process $pid has $have worker processes, expected $want"
}

add_row() {  # add_row ID KIND WORKERS PORT PID CONFIG
  local id=$1
  rows+=("$id")
  row_kind[$id]=$2
  row_workers[$id]=$3
  row_port[$id]=$4
  row_pid[$id]=$5
  row_config[$id]=$6
  if [ "$ncpu" -lt 2 ]; then
    row_kdc_cpus[$id]=$all_cpus
    row_gen_cpus[$id]=$all_cpus
  elif [ "$3" = 1 ]; then
    row_kdc_cpus[$id]=0
    row_gen_cpus[$id]=1
  else
    row_kdc_cpus[$id]=$all_cpus
    row_gen_cpus[$id]=$all_cpus
  fi
  local p
  for p in $(row_pids "$id"); do taskset -apc "${row_kdc_cpus[$id]}" "$p" >/dev/null; done
  echo "started $id on 127.0.0.1:$4 (pid $5, CPUs ${row_kdc_cpus[$id]})" >&2
}

# ---- kdcperf-kdc ----------------------------------------------------------------------------
# The users' keys as a keytab (for the floor), written by the first kdcperf-kdc started.
keys=$work/users.keytab
start_kdcperf_kdc() {  # start_kdcperf_kdc WORKERS
  local w=$1 port id=kdcperf-kdc/w$1
  local -a extra=()
  [ -s "$keys" ] || extra=(--write-keytab "$keys")
  port=$(lib_free_port)
  lib_start_kdcperf_kdc "$build" "$work/kdcperf-kdc-w$w" --realm "$realm" \
    --listen "127.0.0.1:$port" --users "$users" --etypes 18 --workers "$w" \
    --duration "${lifetime}s" "${extra[@]}"
  add_row "$id" kdcperf-kdc "$w" "$port" "$LIB_PID" \
    "embedded realm, --etypes 18, PAC in the TGT (default), --workers $w"
}

# ---- MIT krb5kdc ----------------------------------------------------------------------------
# The first MIT realm gets its users from kadmin.local (string-to-key per user); the others
# load a dump of it (same realm name and master password, so the same master key).
mit_dump=$work/mit.dump
start_mit() {  # start_mit KIND WORKERS
  local kind=$1 w=$2 id=$1/w$2 dir=$work/$1-w$2 port
  local -a opts=(-d "$dir" -r "$realm" -e aes256-cts-hmac-sha1-96)
  local config="stock kdc.conf (DB2)"
  [ "$w" -gt 1 ] && opts+=(-w "$w")
  if [ "$kind" = mit-tuned ]; then
    opts+=(-D "disable_last_success = true" -D "disable_lockout = true")
    config="kdc.conf [dbmodules] disable_last_success = true, disable_lockout = true (DB2)"
  fi
  mit_dirs+=("$dir")
  scripts/mit-realm.sh start "${opts[@]}" >"$dir.env"
  (
    # shellcheck disable=SC1091
    source "$dir/realm.env"
    if [ -s "$mit_dump" ]; then
      kdb5_util -r "$realm" load "$mit_dump" >"$dir/load.out" 2>&1 ||
        { cat "$dir/load.out" >&2; exit 1; }
    else
      for i in $(seq 1 "$users"); do
        echo "addprinc -pw pw-$i +requires_preauth -e aes256-cts-hmac-sha1-96:normal user$i"
      done | kadmin.local -r "$realm" >"$dir/kadmin.out" 2>&1
      [ "$(grep -c '^Principal "user[0-9]*@.*" created' "$dir/kadmin.out")" = "$users" ] ||
        { tail -20 "$dir/kadmin.out" >&2; exit 1; }
      kdb5_util -r "$realm" dump "$mit_dump"
    fi
  ) || die "cannot put the users into the MIT realm in $dir"
  port=$(sed -n 's/.*KDC 127.0.0.1:\([0-9]*\).*/\1/p' "$dir/realm.env")
  local pid
  pid=$(cat "$dir/krb5kdc.pid")
  [ "$w" -gt 1 ] && wait_children "$pid" "$w"
  [ "$w" -gt 1 ] && config+=", krb5kdc -w $w"
  add_row "$id" "$kind" "$w" "$port" "$pid" "$config"
}

# ---- Heimdal ----------------------------------------------------------------------------------
# One database (kstash, kadmin -l init, kadmin -l add) shared by the Heimdal rows; each row's
# kdc has its own config file (port for clients, num-kdc-processes, log file).
hdir=$work/heimdal
heimdal_env() {
  local -a e=(env "KRB5_CONFIG=$1" LC_ALL=C TZ=UTC)
  # Heimdal's libraries, when unpacked next to the programs instead of installed.
  if [ -d "$heimdal_root/root/usr/lib/x86_64-linux-gnu" ]; then
    e+=("LD_LIBRARY_PATH=$heimdal_root/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
  fi
  printf '%s\n' "${e[@]}"
}
heimdal_conf() {  # heimdal_conf PORT WORKERS LOGNAME
  cat <<EOF
# Written by scripts/compare-kdcs.sh (as tests/support/heimdal_realm.cpp writes its realms).
[libdefaults]
  default_realm = $realm
  dns_lookup_kdc = false
  dns_lookup_realm = false
  dns_canonicalize_hostname = false
  rdns = false

[realms]
  $realm = {
    kdc = 127.0.0.1:$1
  }

[kdc]
  database = {
    realm = $realm
    dbname = $hdir/heimdal
    mkey_file = $hdir/m-key
    acl_file = $hdir/kadmind.acl
    log_file = $hdir/iprop.log
  }
  require-preauth = false
  enable-pkinit = false
  num-kdc-processes = $2

[kadmin]
  default_keys = aes256-cts-hmac-sha1-96:pw-salt

[logging]
  kdc = FILE:$hdir/$3
  default = FILE:$hdir/heimdal.log
EOF
}
heimdal_realm() {
  local conf=$hdir/krb5.conf
  local -a henv
  mkdir -p "$hdir"
  heimdal_conf 0 1 kdc.log >"$conf"
  : >"$hdir/kadmind.acl"
  mapfile -t henv < <(heimdal_env "$conf")
  "${henv[@]}" "$heimdal_root/bin/kstash" --random-key "--key-file=$hdir/m-key" \
    >"$hdir/kstash.out" 2>&1 || { cat "$hdir/kstash.out" >&2; die "kstash failed"; }
  "${henv[@]}" "$heimdal_root/bin/kadmin" -l "--config-file=$conf" init \
    --realm-max-ticket-life=10h --realm-max-renewable-life=7d "$realm" </dev/null \
    >"$hdir/init.out" 2>&1 || { cat "$hdir/init.out" >&2; die "kadmin -l init failed"; }
  for i in $(seq 1 "$users"); do
    echo "add --password=pw-$i --use-defaults --attributes=requires-pre-auth user$i"
  done | "${henv[@]}" "$heimdal_root/bin/kadmin" -l "--config-file=$conf" >"$hdir/add.out" 2>&1 ||
    { tail -20 "$hdir/add.out" >&2; die "kadmin -l add failed"; }
  # kadmin prints its errors as "kadmin: ..." (and exits 1 for a failed batch command).
  if grep -q "kadmin:" "$hdir/add.out"; then tail -20 "$hdir/add.out" >&2; die "kadmin -l add failed"; fi
}
start_heimdal() {  # start_heimdal WORKERS
  local w=$1 id=heimdal/w$1 port conf
  local -a henv
  [ -f "$hdir/m-key" ] || heimdal_realm
  port=$(lib_free_port)
  conf=$hdir/kdc-w$w.conf
  heimdal_conf "$port" "$w" "kdc-w$w.log" >"$conf"
  mapfile -t henv < <(heimdal_env "$conf")
  # env execs the kdc: LIB_PID is the kdc master's PID.
  lib_start "$work/heimdal-w$w" "${henv[@]}" "$heimdal_root/bin/kdc" "--config-file=$conf" \
    --addresses=127.0.0.1 "--ports=$port"
  local pid=$LIB_PID
  # The master binds its sockets, logs "KDC started master process", then forks its workers.
  lib_wait_log "$hdir/kdc-w$w.log" "KDC started master process" "$pid" 30
  grep -qF "listening on IPv4:127.0.0.1 port $port/udp" "$hdir/kdc-w$w.log" ||
    { cat "$hdir/kdc-w$w.log" >&2; die "Heimdal's kdc did not bind 127.0.0.1:$port/udp"; }
  wait_children "$pid" "$w"
  add_row "$id" heimdal "$w" "$port" "$pid" \
    "kadmin -l realm, stock [kdc] but require-preauth = false, num-kdc-processes = $w"
}

# ---- the floor --------------------------------------------------------------------------------
start_floor() {
  local port
  if [ ! -s "$keys" ]; then  # no kdcperf-kdc row started yet: one writes the keytab and goes
    port=$(lib_free_port)
    lib_start_kdcperf_kdc "$build" "$work/keys" --realm "$realm" --listen "127.0.0.1:$port" \
      --users "$users" --etypes 18 --workers 1 --no-tcp --duration 600s --write-keytab "$keys"
    lib_stop_pid "$LIB_PID"
  fi
  port=$(lib_free_port)
  lib_start "$work/floor" "$build"/loadgen/kdcperf-responder --listen "127.0.0.1:$port" \
    --seal --keytab "$keys" --duration "$lifetime"
  lib_wait_log "$work/floor.json" "listening on" "$LIB_PID" 60
  add_row floor/w1 floor 1 "$port" "$LIB_PID" \
    "kdcperf-responder --seal (keys from kdcperf-kdc --write-keytab; no database, no pre-auth check)"
}

for k in "${selected[@]}"; do
  if [ "$k" = floor ]; then start_floor; continue; fi
  for w in $workers_list; do
    case $k in
      kdcperf-kdc) start_kdcperf_kdc "$w" ;;
      mit | mit-tuned) start_mit "$k" "$w" ;;
      heimdal) start_heimdal "$w" ;;
    esac
  done
done

# ---- load -------------------------------------------------------------------------------------
# /proc figures of every process of a row: "pid cpu_ticks vmhwm_kb vmrss_kb" a line.
proc_snapshot() {
  local p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    awk -v pid="$p" '{ sub(/.*\) /, ""); print pid, $12 + $13 }' "/proc/$p/stat" | tr '\n' ' '
    awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 } END { print h + 0, r + 0 }' "/proc/$p/status"
  done
}

# The generator derives the users' keys from their passwords once, then loads them.
gen_keys=$work/generator.keytab
# load ROW TAG KDCPERF-ARGS...: one kdcperf run against ROW; files $work/runs/ROW.TAG.*
load() {
  local id=$1 tag=$2 rc=0 base
  shift 2
  base=$work/runs/${id/\//-}.$tag
  local -a pids kdc_pid keyargs
  read -r -a pids <<<"$(row_pids "$id")"
  kdc_pid=()
  [ "${#pids[@]}" = 1 ] && kdc_pid=(--kdc-pid "${pids[0]}")
  if [ -s "$gen_keys" ]; then
    keyargs=(--load-keys "$gen_keys")
  else
    keyargs=(--password-pattern 'pw-{i}' --save-keys "$gen_keys")
  fi
  proc_snapshot "${pids[@]}" >"$base.before"
  taskset -c "${row_gen_cpus[$id]}" "$build"/loadgen/kdcperf run \
    --kdc "127.0.0.1:${row_port[$id]}" --realm "$realm" --pattern 'user{i}' \
    --range "1-$users" "${keyargs[@]}" --threads 1 --warmup "$warmup" \
    --duration "$duration" "${kdc_pid[@]}" --quiet --json "$base.json" "$@" \
    2>"$base.err" || rc=$?
  proc_snapshot "${pids[@]}" >"$base.after"
  echo "$rc" >"$base.rc"
  if [ ! -s "$base.json" ]; then
    cat "$base.err" >&2
    die "kdcperf against $id ($tag) exited $rc without a report"
  fi
  case $rc in
    0) ;;
    3) echo "  $id $tag: REPLIES FAILED VERIFICATION (kdcperf exit 3)" >&2 ;;
    4) echo "  $id $tag: kdcperf's self-check flagged the run (exit 4): generator-bound" >&2 ;;
    *) echo "  $id $tag: kdcperf exited $rc: $(tail -1 "$base.err")" >&2 ;;
  esac
}

# Closed loop, the rows alternated run by run.
for r in $(seq 1 "$runs"); do
  for id in "${rows[@]}"; do
    echo "closed loop run $r/$runs: $id" >&2
    load "$id" "closed-$r" --window "$window"
  done
done

# Open loop at fractions of each row's own median peak.
median_rate() {
  python3 - "$work/runs" "${1/\//-}" "$runs" <<'EOF'
import json, statistics, sys
d, row, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
v = [json.load(open(f"{d}/{row}.closed-{r}.json"))["throughput"]["replies_per_s"]
     for r in range(1, runs + 1)]
print(round(statistics.median(v)))
EOF
}
declare -A peak
for id in "${rows[@]}"; do peak[$id]=$(median_rate "$id"); done
for f in $loads; do
  for id in "${rows[@]}"; do
    rate=$(python3 -c "import sys; print(max(1, round(float(sys.argv[1]) * float(sys.argv[2]))))" \
      "$f" "${peak[$id]}")
    echo "open loop at $f x ${peak[$id]}/s = $rate/s: $id" >&2
    load "$id" "open-$f" --rate "$rate"
  done
done

# ---- report -----------------------------------------------------------------------------------
manifest=$work/rows.json
{
  echo "["
  sep=""
  for id in "${rows[@]}"; do
    printf '%s{"id": "%s", "kdc": "%s", "workers": %s, "port": %s, "kdc_cpus": "%s", "generator_cpus": "%s", "config": "%s"}\n' \
      "$sep" "$id" "${row_kind[$id]}" "${row_workers[$id]}" "${row_port[$id]}" \
      "${row_kdc_cpus[$id]}" "${row_gen_cpus[$id]}" "${row_config[$id]}"
    sep=","
  done
  echo "]"
} >"$manifest"
lib_stop_all
mit_version=$(dpkg-query -W -f='${Version}' krb5-kdc 2>/dev/null || echo unknown)
heimdal_version=$(cat "$heimdal_root/VERSION" 2>/dev/null || echo unknown)
commit=$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
mkdir -p "$(dirname "$out")"
python3 - "$work/runs" "$manifest" "$out" "$runs" "$users" "$duration" "$warmup" "$window" \
  "$loads" "$clk_tck" "$mit_version" "$heimdal_version" "$commit" "$ncpu" <<'EOF'
import datetime, json, statistics, sys

(runs_dir, manifest, out, runs, users, duration, warmup, window, loads, clk_tck, mit_version,
 heimdal_version, commit, ncpu) = sys.argv[1:]
runs, clk_tck, ncpu = int(runs), int(clk_tck), int(ncpu)
load_tags = loads.split()  # as given in LOADS: the run files are named after them
loads = [float(x) for x in load_tags]
rows = json.load(open(manifest))

def snapshot(path):
    procs = {}
    for line in open(path):
        pid, ticks, hwm, rss = line.split()
        procs[pid] = (int(ticks), int(hwm), int(rss))
    return procs

def one_run(row, tag):
    base = f"{runs_dir}/{row['id'].replace('/', '-')}.{tag}"
    d = json.load(open(base + ".json"))
    rc = int(open(base + ".rc").read())
    before, after = snapshot(base + ".before"), snapshot(base + ".after")
    c, w = d["counts"], d.get("warmup_counts", {})
    exchanges = c["sent"] + w.get("sent", 0)  # the KDC's CPU covers warm-up and run
    if "kdc" in d and len(after) == 1:
        kdc = d["kdc"]
        cpu_s = kdc["cpu_user_s"] + kdc["cpu_system_s"]
        rss_peak, source = kdc["rss_kb_peak"], "kdcperf --kdc-pid"
        cpu_cores = kdc["cpu_cores"]
    else:  # several processes: their /proc counters around the kdcperf run, summed
        cpu_s = sum(after[p][0] - before[p][0] for p in after if p in before) / clk_tck
        rss_peak = sum(v[1] for v in after.values())
        source = f"/proc of {len(after)} processes around the run"
        cpu_cores = cpu_s / d["duration"]["elapsed_s"] if d["duration"]["elapsed_s"] else None
    sc, lat = d["self_check"], d["latency"]["corrected"]
    return {
        "exit_code": rc, "status": d["result"]["status"], "reasons": d["result"]["reasons"],
        "replies_per_s": d["throughput"]["replies_per_s"],
        "sent_per_s": d["throughput"]["sent_per_s"],
        "target_rate": (d["settings"].get("schedule") or [{}])[0].get("start_rate"),
        "exchanges": c["exchanges"], "verified_ok": c["verified_ok"],
        "verified_failed": c["verified_failed"], "malformed": c["malformed"],
        "timeouts": c["timeouts"], "krb_errors": c["final_krb_errors"],
        "errors_by_code": c["errors_by_code"], "errors": c["errors"],
        "latency_p50_ns": lat["p50_ns"], "latency_p99_ns": lat["p99_ns"],
        "latency_p99_9_ns": lat["p99_9_ns"],
        "kdc_cpu_us_per_exchange": 1e6 * cpu_s / exchanges if exchanges else None,
        "kdc_cpu_cores": cpu_cores, "kdc_rss_kb_peak": rss_peak, "kdc_processes": len(after),
        "kdc_figures_from": source,
        "self_check": {"fell_behind": sc["fell_behind"],
                       "generator_limited": sc.get("generator_limited", False),
                       "generator_busy": sc.get("generator_busy", False),
                       "busiest_worker_cpu": sc.get("busiest_worker_cpu"),
                       "generator_cpu_cores": d["generator"]["cpu_cores"]},
        "_machine": d["machine"], "_tool": d.get("tool", {}),
    }

def stat(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v)}

def open_run(row, f):
    r = one_run(row, f"open-{f}")
    r["load"] = float(f)
    return r

machine, tool, report_rows = None, None, []
for row in rows:
    closed = [one_run(row, f"closed-{r}") for r in range(1, runs + 1)]
    opened = [open_run(row, f) for f in load_tags]
    machine, tool = closed[0]["_machine"], closed[0]["_tool"]
    for r in closed + opened:
        r.pop("_machine"), r.pop("_tool")
    flagged = [i + 1 for i, r in enumerate(closed)
               if r["self_check"]["fell_behind"] or r["self_check"]["generator_limited"]]
    report_rows.append(dict(row, **{
        "closed_loop": {
            "runs": closed,
            "replies_per_s": stat(r["replies_per_s"] for r in closed),
            "kdc_cpu_us_per_exchange": stat(r["kdc_cpu_us_per_exchange"] for r in closed),
            "kdc_rss_kb_peak": stat(r["kdc_rss_kb_peak"] for r in closed),
            "latency_p50_ns": stat(r["latency_p50_ns"] for r in closed),
            "latency_p99_ns": stat(r["latency_p99_ns"] for r in closed),
            "generator_cpu_cores": stat(r["self_check"]["generator_cpu_cores"] for r in closed),
            "flagged_runs": flagged,
            "verified_failed": sum(r["verified_failed"] + r["malformed"] for r in closed),
        },
        "open_loop": opened,
    }))

def median_of(row, key):
    s = row["closed_loop"][key]
    return s["median"] if s else None

def ratio(a, b):
    return a / b if a and b else None

by_id = {r["id"]: r for r in report_rows}
floor = by_id.get("floor/w1")
for r in report_rows:
    mit = by_id.get(f"mit/w{r['workers']}")
    rate, cpu = median_of(r, "replies_per_s"), median_of(r, "kdc_cpu_us_per_exchange")
    r["ratios"] = {
        "vs_mit_stock_same_workers": None if mit is None else {
            "throughput": ratio(rate, median_of(mit, "replies_per_s")),
            "cpu_per_exchange": ratio(cpu, median_of(mit, "kdc_cpu_us_per_exchange"))},
        "vs_floor": None if floor is None else {
            "throughput": ratio(rate, median_of(floor, "replies_per_s")),
            "cpu_per_exchange": ratio(cpu, median_of(floor, "kdc_cpu_us_per_exchange"))},
    }

now = datetime.datetime.now(datetime.timezone.utc)
result = {
    "schema": "kdcperf.kdc-compare/2",
    "date": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    "commit": commit,
    "kdcperf": tool,
    "machine": machine,
    "settings": {
        "users": int(users), "realm_contents": "user1..N, passwords pw-1..N, "
        "aes256-cts-hmac-sha1-96 keys only, requires pre-authentication",
        "etype": "aes256-cts-hmac-sha1-96", "transport": "udp", "flow": "preauth",
        "verify": "all",
        "closed_loop": {"window": int(window), "duration": duration, "warmup": warmup,
                        "runs": runs, "order": "rows alternated run by run"},
        "open_loop": {"loads": loads, "of": "the row's median closed-loop replies/s",
                      "duration": duration, "warmup": warmup, "runs": 1,
                      "latency": "corrected (from each request's scheduled send time)"},
        "pinning": {"1 worker": "KDC on CPU 0, kdcperf (1 thread) on CPU 1",
                    "2+ workers": "KDC and kdcperf share every CPU" if ncpu >= 2 else None,
                    "cpus": ncpu},
        "pac": "kdcperf-kdc and MIT 1.20 put a PAC in the TGT; Heimdal 7.8 does not (its "
               "libkdc makes a PAC only through a windc plugin, none here); the floor sends "
               "the Ticket of a captured MIT AS-REP (with a PAC) as opaque bytes",
        "logging": "MIT and Heimdal log every request to a file (their stock behaviour; "
                   "Heimdal ~2.5 KB a request); kdcperf-kdc logs totals only",
        "kdc_cpu": "utime+stime of every KDC process over warm-up and run, divided by the "
                   "requests sent (warm-up included)",
        "versions": {"mit_krb5kdc": mit_version, "heimdal": heimdal_version},
    },
    "rows": report_rows,
}
json.dump(result, open(out, "w"), indent=2)

names = {"kdcperf-kdc": "kdcperf-kdc", "mit": "MIT krb5kdc", "mit-tuned": "MIT krb5kdc tuned",
         "heimdal": "Heimdal kdc", "floor": "floor (responder)"}
def ms(ns):
    return f"{ns / 1e6:.2f}" if ns is not None else "-"
def x(v):
    return f"{v:.2f}x" if v else "-"
head = ("| KDC | workers | replies/s median (min-max) | KDC CPU µs/exchange | KDC RSS peak MB |"
        + "".join(f" p50 / p99 ms @{f:g} |" for f in loads)
        + " vs MIT stock | vs floor | notes |")
print(head)
print("|" + "---|" * (head.count("|") - 1))
for r in report_rows:
    c = r["closed_loop"]
    rate, cpu, rss = c["replies_per_s"], c["kdc_cpu_us_per_exchange"], c["kdc_rss_kb_peak"]
    cells = [names[r["kdc"]], str(r["workers"]),
             f"{rate['median']:.0f} ({rate['min']:.0f}-{rate['max']:.0f})",
             f"{cpu['median']:.1f}" if cpu else "-",
             f"{rss['median'] / 1024:.1f}" if rss else "-"]
    notes = []
    for f in loads:
        o = next((o for o in r["open_loop"] if o["load"] == f), None)
        if o is None or not o["exchanges"]:
            cells.append("-")
            if o is not None:
                notes.append(f"@{f:g}: no exchange measured (kdcperf exit {o['exit_code']})")
            continue
        cells.append(f"{ms(o['latency_p50_ns'])} / {ms(o['latency_p99_ns'])}")
        if o["timeouts"] or o["errors"]:
            notes.append(f"@{f:g}: {o['timeouts']} timeouts, {o['errors']} errors")
        if o["self_check"]["fell_behind"]:
            notes.append(f"@{f:g}: kdcperf fell behind")
    ratios = r["ratios"]
    cells.append(x(ratios["vs_mit_stock_same_workers"]["throughput"])
                 if ratios["vs_mit_stock_same_workers"] else "-")
    cells.append(x(ratios["vs_floor"]["throughput"]) if ratios["vs_floor"] else "-")
    empty = [i + 1 for i, run in enumerate(c["runs"]) if not run["exchanges"]]
    if empty:
        notes.append(f"no exchange measured in run(s) {empty}")
    if c["flagged_runs"]:
        notes.append(f"generator-bound in run(s) {c['flagged_runs']} (kdcperf's ceiling, not the KDC's)")
    if c["verified_failed"]:
        notes.append(f"{c['verified_failed']} replies FAILED verification")
    if r["workers"] > 1:
        notes.append("shares cores with kdcperf")
    cells.append("; ".join(notes))
    print("| " + " | ".join(cells) + " |")
print(f"\n{int(users)} users, closed loop window {window}, {runs} x {duration} per row; "
      f"{machine.get('cpu_model', '?')}, {ncpu} CPUs; commit {commit}. Written to {out}")
bad = sum(r["closed_loop"]["verified_failed"] + sum(o["verified_failed"] + o["malformed"]
          for o in r["open_loop"]) for r in report_rows)
sys.exit(3 if bad else 0)
EOF
