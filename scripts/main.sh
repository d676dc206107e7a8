#!/usr/bin/env bash
# The main job of README.md's first command: builds kdcperf (Release), starts kdcperf-kdc with
# its embedded throwaway realm on a free loopback port, runs the load generator against it
# (every reply verified) and prints kdcperf's JSON report on stdout, then the KDC's own
# counters on stderr. Bounded: the load run stops by itself, the KDC by --duration and by PID.
#
#   MAIN_USERS=1000 MAIN_DURATION=10s MAIN_WINDOW=64 bash scripts/main.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
users=${MAIN_USERS:-1000}
duration=${MAIN_DURATION:-5s}
window=${MAIN_WINDOW:-32}
realm=KDCPERF.TEST

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKDCPERF_TESTS=OFF \
  -DKDCPERF_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target kdcperf kdcperf-kdc >&2

work=$(mktemp -d)
kdc_pid=
cleanup() {
  if [ -n "$kdc_pid" ] && kill -0 "$kdc_pid" 2>/dev/null; then kill -TERM "$kdc_pid"; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port (UDP and TCP) chosen by the kernel.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# One KDC worker and the generator on the other core: this machine has two.
"$build"/kdc/kdcperf-kdc --realm "$realm" --listen "127.0.0.1:$port" --users "$users" \
  --workers 1 --duration 600s --write-keytab "$work/users.keytab" \
  >"$work/kdc.json" 2>"$work/kdc.log" &
kdc_pid=$!
for _ in $(seq 1 600); do
  grep -q "listening on" "$work/kdc.log" 2>/dev/null && break
  kill -0 "$kdc_pid" 2>/dev/null || { cat "$work/kdc.log" >&2; exit 1; }
  sleep 0.1
done
cat "$work/kdc.log" >&2

# The users' keys come from the KDC's keytab, so the generator starts at once.
status=0
"$build"/loadgen/kdcperf run --kdc "127.0.0.1:$port" --realm "$realm" \
  --keytab "$work/users.keytab" --window "$window" --warmup 1s --duration "$duration" \
  --kdc-pid "$kdc_pid" || status=$?

kill -TERM "$kdc_pid"
wait "$kdc_pid" || true
kdc_pid=
echo "== kdcperf-kdc's own counters ==" >&2
cat "$work/kdc.json" >&2
exit $status
