# shellcheck shell=bash
# What scripts/main.sh and scripts/compare-kdcs.sh share. Sourced (never run) from the
# repository root, after `set -euo pipefail`:
#
#   source scripts/lib.sh
#   lib_build "$build" kdcperf kdcperf-kdc           # Release build of those targets
#   port=$(lib_free_port)                            # free on 127.0.0.1 for UDP and TCP
#   lib_start_kdcperf_kdc "$build" "$work/kdc" --realm R --listen "127.0.0.1:$port" ...
#   pid=$LIB_PID                                     # its PID; stdout in $work/kdc.json,
#                                                    # stderr in $work/kdc.log
#   lib_stop_pid "$pid"                              # SIGTERM, then SIGKILL after 5 s
#   trap lib_stop_all EXIT                           # every process started through here
#
# Processes started with lib_start_* are children of the calling shell and recorded in
# LIB_PIDS; lib_stop_all stops them by PID, never by name.

LIB_PIDS=()
LIB_PID=

# lib_build BUILD_DIR TARGET...: configures BUILD_DIR (Ninja, Release, no tests or benchmarks)
# and builds the targets with JOBS parallel jobs (default: one per CPU). Build output on stderr.
lib_build() {
  local build=$1
  shift
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKDCPERF_TESTS=OFF \
    -DKDCPERF_BENCH=OFF >/dev/null
  cmake --build "$build" -j "${JOBS:-$(nproc)}" --target "$@" >&2
}

# lib_free_port: a port free on 127.0.0.1 for both UDP and TCP right now, chosen by the kernel.
lib_free_port() {
  python3 - <<'EOF'
import socket
for _ in range(64):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break
else:
    raise SystemExit("no free loopback port")
EOF
}

# lib_wait_log FILE TEXT PID [SECONDS]: waits until FILE holds TEXT (fixed string); fails,
# printing FILE, when process PID exits first or after SECONDS (default 60).
lib_wait_log() {
  local file=$1 text=$2 pid=$3 tenths=$((${4:-60} * 10))
  for _ in $(seq 1 "$tenths"); do
    grep -qF -- "$text" "$file" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "process $pid exited before \"$text\" in $file:" >&2
      cat "$file" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  echo "no \"$text\" in $file after ${4:-60} s:" >&2
  cat "$file" >&2 || true
  return 1
}

# lib_start BASE COMMAND...: starts COMMAND in the background, stdout to BASE.json, stderr to
# BASE.log; its PID in LIB_PID (and LIB_PIDS).
lib_start() {
  local base=$1
  shift
  "$@" >"$base.json" 2>"$base.log" </dev/null &
  LIB_PID=$!
  LIB_PIDS+=("$LIB_PID")
}

# lib_start_kdcperf_kdc BUILD_DIR BASE KDC-ARGS...: starts BUILD_DIR/kdc/kdcperf-kdc (its JSON
# counters to BASE.json, its log to BASE.log) and waits until it logs "listening on". PID in
# LIB_PID. Give it --duration so it stops by itself too.
lib_start_kdcperf_kdc() {
  local build=$1 base=$2
  shift 2
  lib_start "$base" "$build"/kdc/kdcperf-kdc "$@"
  lib_wait_log "$base.log" "listening on" "$LIB_PID" 600
}

# lib_stop_pid PID: stops one process we started (SIGTERM, SIGKILL after 5 s) and reaps it.
lib_stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
}

# lib_stop_all: stops every process started with lib_start* (for an EXIT trap).
lib_stop_all() {
  local pid
  for pid in "${LIB_PIDS[@]}"; do lib_stop_pid "$pid"; done
  LIB_PIDS=()
}

# lib_workdir: a fresh temporary directory in $LIB_WORK, removed on exit after every process
# started through here has been stopped (installs the EXIT trap).
LIB_WORK=
lib_workdir() {
  LIB_WORK=$(mktemp -d)
  trap lib_cleanup EXIT
}
# shellcheck disable=SC2317  # run by the EXIT trap
lib_cleanup() {
  lib_stop_all
  [ -z "$LIB_WORK" ] || rm -rf "$LIB_WORK"
}
