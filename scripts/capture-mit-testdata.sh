#!/usr/bin/env bash
# Regenerates krb/testdata/mit/: AS exchanges between MIT kinit and MIT krb5kdc, captured on
# loopback by scripts/capture-kdc.py, plus the keys (keytabs) and the ticket cache needed to
# decrypt and check them. See krb/testdata/mit/README.md for what each file is.
#
#   scripts/capture-mit-testdata.sh [OUT_DIR]      (default: krb/testdata/mit)
#
# The realm is thrown away afterwards; its krbtgt key survives only in OUT/krbtgt.keytab.
# Every run gives new bytes (nonces, times, random keys): regenerate the whole folder, never a
# single file, and update the README's capture date.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${1:-$ROOT/krb/testdata/mit}
REALM=KDCPERF.TEST
export PATH=$PATH:/usr/sbin:/sbin
export LC_ALL=C TZ=UTC

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kdcperf-capture-XXXXXX")
RELAY_PID=""
cleanup() {
  if [[ -n $RELAY_PID ]]; then kill "$RELAY_PID" 2>/dev/null || true; fi
  "$HERE/mit-realm.sh" stop "$WORK/realm" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Clients send MIT's built-in enctype list (-e default): 18 17 20 19 16 23 25 26 in 1.20.
"$HERE/mit-realm.sh" start -d "$WORK/realm" -r "$REALM" -e default >"$WORK/realm.env"
# shellcheck disable=SC1091
source <(grep ^export "$WORK/realm.env")
KDC_PORT=$(sed -n 's/^# realm .*, KDC 127.0.0.1:\([0-9]*\) .*/\1/p' "$WORK/realm.env")

kadmin() {
  local out
  out=$(kadmin.local -r "$REALM" -q "$1" 2>&1)
  # kadmin.local 1.20 exits 0 even when the query fails: look for the success message.
  grep -q "$2" <<<"$out" || { echo "$out" >&2; echo "kadmin.local -q '$1' failed" >&2; exit 1; }
}

# name  password  kadmin -e spec  attributes
PRINCIPALS=(
  "alice|secret|aes256-cts-hmac-sha1-96:normal|+requires_preauth"
  "aes128user|secret-17|aes128-cts-hmac-sha1-96:normal|+requires_preauth"
  "aes128sha256user|secret-19|aes128-cts-hmac-sha256-128:normal|+requires_preauth"
  "aes256sha384user|secret-20|aes256-cts-hmac-sha384-192:normal|+requires_preauth"
  "rc4user|secret-23|arcfour-hmac:normal|+requires_preauth"
  "bob|bobsecret|aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal arcfour-hmac:normal|-requires_preauth"
)
for p in "${PRINCIPALS[@]}"; do
  IFS='|' read -r name pw enc attrs <<<"$p"
  kadmin "addprinc -pw \"$pw\" -e \"$enc\" $attrs $name" "\" created."
done

mkdir -p "$OUT"
# Start from an empty folder (README.md is kept: it is written by hand).
find "$OUT" -maxdepth 1 -type f ! -name README.md -delete

MIT_VERSION=$(dpkg-query -W -f '${Version}' krb5-kdc 2>/dev/null || echo unknown)
CAPTURED=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# capture SCENARIO TCP(0|1) PRINCIPAL PASSWORD [CCACHE]: one kinit through a fresh relay.
# Leaves the recorded messages in $WORK/cap/SCENARIO/ and kinit's status in .../kinit.rc.
capture() {
  local scen=$1 tcp=$2 princ=$3 pw=$4 ccache=${5:-$WORK/cap/$1/ccache}
  local dir=$WORK/cap/$scen
  mkdir -p "$dir"
  python3 "$HERE/capture-kdc.py" --kdc "127.0.0.1:$KDC_PORT" --out "$dir" \
    --port-file "$dir/port" 2>"$dir/relay.err" &
  RELAY_PID=$!
  for _ in $(seq 1 250); do [[ -s $dir/port ]] && break; sleep 0.02; done
  [[ -s $dir/port ]] || { cat "$dir/relay.err" >&2; exit 1; }
  local rport
  rport=$(cat "$dir/port")
  sed "s/kdc = 127.0.0.1:$KDC_PORT/kdc = 127.0.0.1:$rport/" "$KRB5_CONFIG" >"$dir/krb5.conf"
  if [[ $tcp == 1 ]]; then
    sed -i 's/^\[libdefaults\]$/[libdefaults]\n  udp_preference_limit = 1/' "$dir/krb5.conf"
  fi
  set +e
  printf '%s\n' "$pw" | KRB5_CONFIG=$dir/krb5.conf KRB5CCNAME=FILE:$ccache \
    KRB5_TRACE=$dir/trace.log kinit "$princ" >"$dir/kinit.out" 2>&1
  echo $? >"$dir/kinit.rc"
  set -e
  kill "$RELAY_PID"
  wait "$RELAY_PID" 2>/dev/null || true
  RELAY_PID=""
}

# keep SCENARIO SEQ DEST DESCRIPTION: copies message SEQ of a scenario to OUT/DEST with a header.
keep() {
  local scen=$1 seq=$2 dest=$3 desc=$4
  local src
  src=$(ls "$WORK/cap/$scen/"$(printf '%03d' "$seq")-*.hex)
  {
    echo "# $desc"
    echo "# Captured $CAPTURED from MIT krb5kdc $MIT_VERSION (Debian 12) answering MIT kinit"
    echo "# $MIT_VERSION, realm $REALM, by scripts/capture-mit-testdata.sh (see README.md)."
    case $src in
      *-tcp-*) echo "# TCP framing: starts with the 4-byte big-endian length (RFC 4120 7.2.2)." ;;
      *) echo "# One UDP datagram, exactly as sent." ;;
    esac
    cat "$src"
  } >"$OUT/$dest"
}

expect_messages() {  # SCENARIO COUNT RC
  local n
  n=$(wc -l <"$WORK/cap/$1/index.tsv")
  [[ $n == "$2" ]] || { cat "$WORK/cap/$1/index.tsv" "$WORK/cap/$1/kinit.out" >&2; echo "$1: $n messages, expected $2" >&2; exit 1; }
  [[ $(cat "$WORK/cap/$1/kinit.rc") == "$3" ]] || { cat "$WORK/cap/$1/kinit.out" >&2; echo "$1: kinit status" >&2; exit 1; }
}

# 1. Preauth exchanges, one principal per enctype (UDP).
for p in "alice|secret|aes256|18" "aes128user|secret-17|aes128|17" \
  "aes128sha256user|secret-19|aes128sha256|19" "aes256sha384user|secret-20|aes256sha384|20" \
  "rc4user|secret-23|rc4|23"; do
  IFS='|' read -r name pw tag et <<<"$p"
  cc=$WORK/cap/$tag/ccache
  [[ $name == alice ]] && cc=$OUT/alice.ccache
  capture "$tag" 0 "$name" "$pw" "$cc"
  expect_messages "$tag" 4 0
  keep "$tag" 1 "${tag}_as_req.hex" "AS-REQ #1 of kinit $name (no preauth yet), etype $et key, password '$pw'"
  keep "$tag" 2 "${tag}_preauth_required.hex" "KRB-ERROR 25 KDC_ERR_PREAUTH_REQUIRED answering ${tag}_as_req.hex"
  keep "$tag" 3 "${tag}_as_req_preauth.hex" "AS-REQ #2 of kinit $name with PA-ENC-TIMESTAMP (key usage 1, etype $et key from password '$pw')"
  keep "$tag" 4 "${tag}_as_rep.hex" "AS-REP answering ${tag}_as_req_preauth.hex; enc-part key usage 3 with $name's etype $et key"
done

# 2. Wrong password: PREAUTH_FAILED.
capture wrongpw 0 alice "wrong-password"
expect_messages wrongpw 4 1
keep wrongpw 1 wrongpw_as_req.hex "AS-REQ #1 of kinit alice typed with the wrong password 'wrong-password'"
keep wrongpw 2 wrongpw_preauth_required.hex "KRB-ERROR 25 KDC_ERR_PREAUTH_REQUIRED answering wrongpw_as_req.hex"
keep wrongpw 3 wrongpw_as_req_preauth.hex "AS-REQ #2 of kinit alice, PA-ENC-TIMESTAMP encrypted with the key of 'wrong-password'"
keep wrongpw 4 preauth_failed.hex "KRB-ERROR 24 KDC_ERR_PREAUTH_FAILED answering wrongpw_as_req_preauth.hex"

# 3. Unknown client.
capture unknown 0 nobody "whatever"
expect_messages unknown 2 1
keep unknown 1 unknown_as_req.hex "AS-REQ of kinit nobody (no such principal)"
keep unknown 2 client_unknown.hex "KRB-ERROR 6 KDC_ERR_C_PRINCIPAL_UNKNOWN answering unknown_as_req.hex"

# 4. No preauth required: the AS-REP comes at once.
capture nopreauth 0 bob "bobsecret"
expect_messages nopreauth 2 0
keep nopreauth 1 nopreauth_as_req.hex "AS-REQ of kinit bob (principal without requires_preauth, password 'bobsecret')"
keep nopreauth 2 nopreauth_as_rep.hex "AS-REP answering nopreauth_as_req.hex without preauth; enc-part usage 3 with bob's key"

# 5. The aes256 exchange over TCP (udp_preference_limit = 1), with length prefixes.
capture tcp 1 alice "secret"
expect_messages tcp 4 0
keep tcp 1 tcp_aes256_as_req.hex "TCP: AS-REQ #1 of kinit alice (no preauth yet), password 'secret'"
keep tcp 2 tcp_aes256_preauth_required.hex "TCP: KRB-ERROR 25 KDC_ERR_PREAUTH_REQUIRED answering tcp_aes256_as_req.hex"
keep tcp 3 tcp_aes256_as_req_preauth.hex "TCP: AS-REQ #2 of kinit alice with PA-ENC-TIMESTAMP (etype 18, password 'secret')"
keep tcp 4 tcp_aes256_as_rep.hex "TCP: AS-REP answering tcp_aes256_as_req_preauth.hex"

# 6. Keys: krbtgt (random, so only here), alice, and every client principal.
kadmin "ktadd -norandkey -k $OUT/krbtgt.keytab krbtgt/$REALM" "added to keytab"
kadmin "ktadd -norandkey -k $OUT/alice.keytab alice" "added to keytab"
for p in "${PRINCIPALS[@]}"; do
  IFS='|' read -r name _ <<<"$p"
  kadmin "ktadd -norandkey -k $OUT/clients.keytab $name" "added to keytab"
done

# 7. What MIT's own tools print for those files, as expected values for our codecs.
# Relative names, so the listings do not depend on where the tree is checked out.
for kt in krbtgt alice clients; do
  (cd "$OUT" && klist -k -e -K -t "$kt.keytab" >"$kt.keytab.klist.txt")
done
(cd "$OUT" && klist -e -f -a -c "FILE:alice.ccache" >alice.ccache.klist.txt)
# The KDC's log of these exchanges (authtime, chosen etypes) with the host name removed.
sed -E 's/^([A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8}) [^ ]+ /\1 host /' "$WORK/realm/kdc.log" >"$OUT/kdc.log"
kdb5_util -r "$REALM" tabdump keyinfo | grep -v -e '^kadmin/' -e '^K/M@' >"$OUT/keyinfo.tsv"

# 8. The principals as a vector file (tests/support/testdata.hpp read_vector_file) so tests
# need not repeat names and passwords. Salt: MIT's default salt (keyinfo.tsv: "normal", none
# stored), which the KDC also sends in every PA-ETYPE-INFO2 entry.
{
  echo "# Client principals of the captures in this folder (generated by"
  echo "# scripts/capture-mit-testdata.sh). Prefix: the name prefix of the principal's capture"
  echo "# files. Etypes: the keys the principal has (kadmin order). Salt: MIT's default salt."
  for p in "${PRINCIPALS[@]}"; do
    IFS='|' read -r name pw enc attrs <<<"$p"
    case $name in
      alice) prefix=aes256 ;; aes128user) prefix=aes128 ;; aes128sha256user) prefix=aes128sha256 ;;
      aes256sha384user) prefix=aes256sha384 ;; rc4user) prefix=rc4 ;; bob) prefix=nopreauth ;;
    esac
    etypes=$(sed -e 's/aes256-cts-hmac-sha1-96:normal/18/; s/aes128-cts-hmac-sha1-96:normal/17/' \
      -e 's/aes256-cts-hmac-sha384-192:normal/20/; s/aes128-cts-hmac-sha256-128:normal/19/' \
      -e 's/arcfour-hmac:normal/23/' <<<"$enc")
    echo
    echo "Principal = $name"
    echo "Realm = $REALM"
    echo "Password = $pw"
    echo "Salt = $REALM$name"
    echo "Etypes = $etypes"
    echo "RequiresPreauth = $([[ $attrs == +requires_preauth ]] && echo yes || echo no)"
    echo "Prefix = $prefix"
  done
} >"$OUT/principals.txt"

echo "MIT krb5 $MIT_VERSION, captured $CAPTURED into $OUT:"
ls -l "$OUT"
