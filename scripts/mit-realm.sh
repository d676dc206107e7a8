#!/usr/bin/env bash
# A throwaway MIT krb5 realm on a loopback port, for manual runs against kdcperf.
#
#   scripts/mit-realm.sh start [-d DIR] [-r REALM] [-p PORT] [-e ENCTYPES|default] [-t]
#                              [-w WORKERS] [-D 'KEY = VALUE']...
#       Creates the realm database in DIR (default: a new mktemp dir), starts krb5kdc on
#       127.0.0.1:PORT (default: a free port) and prints the environment to export.
#       -e: client permitted_enctypes/default_tkt_enctypes ("default" = MIT's built-in list).
#       -t: clients send over TCP only (udp_preference_limit = 1).
#       -w: krb5kdc -w WORKERS (worker processes forked by the PID in DIR/krb5kdc.pid).
#       -D: a line for the realm's [dbmodules] section of kdc.conf (DB2 options), repeatable,
#           e.g. -D 'disable_last_success = true' -D 'disable_lockout = true'.
#   scripts/mit-realm.sh env DIR     prints the exports again
#   scripts/mit-realm.sh stop DIR    stops that realm's KDC (by its PID file) and keeps DIR
#
# Then, with the exports in place:
#   kadmin.local -q "addprinc -pw secret +requires_preauth alice"
#   kinit alice; klist -e
#
# The configs come from scripts/templates/mit-{krb5,kdc}.conf.in, the same templates the C++
# test helper (tests/support/mit_realm.cpp) fills. Nothing listens beyond 127.0.0.1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEMPLATES=$HERE/templates
ALL_ENCTYPES="aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128 arcfour-hmac"
SUPPORTED="aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal arcfour-hmac:normal"
MASTER_PW=${MASTER_PW:-kdcperf-master-pw}
export PATH=$PATH:/usr/sbin:/sbin

die() { echo "mit-realm.sh: $*" >&2; exit 1; }

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # lib_free_port

# fill TEMPLATE OUT: replaces @REALM@ @PORT@ @DIR@ @SUPPORTED_ENCTYPES@ @MAX_LIFE@
# @MAX_RENEWABLE_LIFE@ @LIBDEFAULTS@ @REALM_EXTRA@ from the variables of the same names.
fill() {
  local text
  text=$(<"$1")
  text=${text//@REALM@/$REALM}
  text=${text//@PORT@/$PORT}
  text=${text//@DIR@/$DIR}
  text=${text//@SUPPORTED_ENCTYPES@/$SUPPORTED}
  text=${text//@MAX_LIFE@/10h}
  text=${text//@MAX_RENEWABLE_LIFE@/7d}
  text=${text//@LIBDEFAULTS@/$LIBDEFAULTS}
  text=${text//@REALM_EXTRA@/}
  printf '%s\n' "$text" >"$2"
}

print_env() {
  local dir=$1
  [[ -f $dir/realm.env ]] || die "$dir is not a realm made by this script"
  cat "$dir/realm.env"
  echo "# KDC pid $(cat "$dir/krb5kdc.pid" 2>/dev/null || echo '?'), log $dir/kdc.log"
  echo "# stop with: $0 stop $dir"
}

cmd_start() {
  local DIR="" REALM=KDCPERF.TEST PORT="" ENCTYPES=$ALL_ENCTYPES TCP=0 WORKERS="" opt
  local -a DBMODULES=()
  while getopts "d:r:p:e:tw:D:" opt; do
    case $opt in
      d) DIR=$OPTARG ;;
      r) REALM=$OPTARG ;;
      p) PORT=$OPTARG ;;
      e) ENCTYPES=$OPTARG ;;
      t) TCP=1 ;;
      w) WORKERS=$OPTARG ;;
      D) DBMODULES+=("$OPTARG") ;;
      *) die "bad option" ;;
    esac
  done
  for t in kdb5_util kadmin.local krb5kdc python3; do
    command -v "$t" >/dev/null || die "$t not found (apt-get install krb5-kdc krb5-admin-server krb5-user)"
  done
  if [[ -z $DIR ]]; then DIR=$(mktemp -d "${TMPDIR:-/tmp}/kdcperf-mit-XXXXXX"); fi
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  [[ -e $DIR/principal ]] && die "$DIR already holds a realm database"
  [[ -n $PORT ]] || PORT=$(lib_free_port)
  [[ -n $PORT ]] || die "no free port"

  local LIBDEFAULTS=""
  if [[ $ENCTYPES != default ]]; then
    LIBDEFAULTS="  permitted_enctypes = $ENCTYPES"$'\n'"  default_tkt_enctypes = $ENCTYPES"
  fi
  if [[ $TCP == 1 ]]; then LIBDEFAULTS+=$'\n'"  udp_preference_limit = 1"; fi
  fill "$TEMPLATES/mit-krb5.conf.in" "$DIR/krb5.conf"
  fill "$TEMPLATES/mit-kdc.conf.in" "$DIR/kdc.conf"
  if [[ ${#DBMODULES[@]} -gt 0 ]]; then
    # The realm's database module is named after the realm (no database_module line); DB2
    # reads its options from [dbmodules] REALM, database_name repeated there for clarity.
    {
      echo
      echo "[dbmodules]"
      echo "  $REALM = {"
      echo "    database_name = $DIR/principal"
      printf '    %s\n' "${DBMODULES[@]}"
      echo "  }"
    } >>"$DIR/kdc.conf"
  fi
  local -a KDC_ARGS=(-n -r "$REALM")
  if [[ -n $WORKERS ]]; then
    [[ $WORKERS =~ ^[1-9][0-9]*$ ]] || die "-w needs a positive number"
    KDC_ARGS+=(-w "$WORKERS")
  fi
  : >"$DIR/kadm5.acl"
  cat >"$DIR/realm.env" <<EOF
export KRB5_CONFIG=$DIR/krb5.conf
export KRB5_KDC_PROFILE=$DIR/kdc.conf
export KRB5CCNAME=FILE:$DIR/ccache
export KRB5RCACHEDIR=$DIR
# realm $REALM, KDC 127.0.0.1:$PORT (UDP and TCP)
EOF
  # shellcheck disable=SC1091
  source "$DIR/realm.env"
  kdb5_util -r "$REALM" create -s -P "$MASTER_PW" >"$DIR/kdb5_util.out" 2>&1 ||
    { cat "$DIR/kdb5_util.out" >&2; die "kdb5_util create failed"; }

  krb5kdc "${KDC_ARGS[@]}" >>"$DIR/krb5kdc.out" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$DIR/krb5kdc.pid"
  for _ in $(seq 1 500); do
    if grep -q "commencing operation" "$DIR/kdc.log" 2>/dev/null; then
      print_env "$DIR"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  kill "$pid" 2>/dev/null || true
  cat "$DIR/kdc.log" "$DIR/krb5kdc.out" >&2 || true
  die "krb5kdc did not start"
}

cmd_stop() {
  local dir=${1:?usage: $0 stop DIR}
  local pidfile=$dir/krb5kdc.pid
  [[ -f $pidfile ]] || die "no $pidfile"
  local pid
  pid=$(cat "$pidfile")
  # Only our KDC: the PID from our PID file, and only if it still is a krb5kdc.
  if kill -0 "$pid" 2>/dev/null && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == krb5kdc ]]; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped krb5kdc $pid"
  else
    echo "krb5kdc $pid is not running"
  fi
  rm -f "$pidfile"
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  env) shift; print_env "${1:?usage: $0 env DIR}" ;;
  *) sed -n '2,21p' "$0"; exit 2 ;;
esac
