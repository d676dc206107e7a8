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

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
lib_build "$build" kdcperf kdcperf-kdc

lib_workdir
work=$LIB_WORK

# A free loopback port (UDP and TCP) chosen by the kernel.
port=$(lib_free_port)
# One KDC worker and the generator on the other core: this machine has two.
if ! lib_start_kdcperf_kdc "$build" "$work/kdc" --realm "$realm" --listen "127.0.0.1:$port" \
  --users "$users" --workers 1 --duration 600s --write-keytab "$work/users.keytab"; then
  exit 1
fi
kdc_pid=$LIB_PID
cat "$work/kdc.log" >&2

# The users' keys come from the KDC's keytab, so the generator starts at once.
status=0
"$build"/loadgen/kdcperf run --kdc "127.0.0.1:$port" --realm "$realm" \
  --keytab "$work/users.keytab" --window "$window" --warmup 1s --duration "$duration" \
  --kdc-pid "$kdc_pid" || status=$?

lib_stop_pid "$kdc_pid"
echo "== kdcperf-kdc's own counters ==" >&2
cat "$work/kdc.json" >&2
exit $status
