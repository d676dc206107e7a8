#!/bin/bash
# Regenerates the MIT-written samples in this folder: a throwaway MIT realm EXAMPLE.TEST (Debian
# 12 krb5-kdc/krb5-user 1.20.1) in a temporary folder, KDC on a loopback high port, stopped by
# PID. Writes mit_*.hex (hex of the file, with the MIT tools' own listing as '#' comments).
#   usage: krb/testdata/files/make_mit_samples.sh [port]
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
port=${1:-28611}
dir=$(mktemp -d /tmp/kdcperf-files-realm.XXXXXX)
kdc_pid=
cleanup() {
  if [[ -n $kdc_pid ]]; then kill "$kdc_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

cat >"$dir/krb5.conf" <<CONF
[libdefaults]
  default_realm = EXAMPLE.TEST
  dns_lookup_kdc = false
  dns_lookup_realm = false
  forwardable = true
  proxiable = true
[realms]
  EXAMPLE.TEST = {
    kdc = 127.0.0.1:$port
  }
CONF
cat >"$dir/kdc.conf" <<CONF
[kdcdefaults]
  kdc_ports = $port
  kdc_tcp_ports = $port
[realms]
  EXAMPLE.TEST = {
    database_name = $dir/principal
    key_stash_file = $dir/stash
    acl_file = $dir/kadm5.acl
    max_life = 10h 0m 0s
    max_renewable_life = 7d 0h 0m 0s
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }
[logging]
  kdc = FILE:$dir/kdc.log
CONF
: >"$dir/kadm5.acl"
export KRB5_CONFIG=$dir/krb5.conf KRB5_KDC_PROFILE=$dir/kdc.conf

kdb5_util create -s -r EXAMPLE.TEST -P masterpw >/dev/null
kadmin.local -q "addprinc -pw secret +requires_preauth alice" >/dev/null 2>&1
kadmin.local -q "addprinc -randkey host/server.example.test" >/dev/null 2>&1
kadmin.local -q "ktadd -k $dir/alice.keytab -norandkey alice" >/dev/null
kadmin.local -q "ktadd -k $dir/alice.keytab -norandkey krbtgt/EXAMPLE.TEST" >/dev/null
# ktadd without -norandkey re-keys: the host entries get kvno 2.
kadmin.local -q "ktadd -k $dir/alice.keytab host/server.example.test" >/dev/null

krb5kdc -n -P "$dir/kdc.pid" 2>/dev/null &
kdc_pid=$!
for _ in $(seq 50); do [[ -s $dir/kdc.pid ]] && break; sleep 0.1; done
sleep 0.3
echo secret | kinit -c "FILE:$dir/alice.ccache" alice >/dev/null

emit() {  # emit <file> <name> <comment lines...>
  local f=$1 name=$2
  shift 2
  {
    printf '# %s\n' "$@"
    xxd -p "$f"
  } >"$out/$name"
}
mapfile -t kt_list < <(TZ=UTC LC_ALL=C klist -k -t -e -K "$dir/alice.keytab" | sed 's/^/  /')
emit "$dir/alice.keytab" mit_ktadd.keytab.hex \
  "Keytab written by MIT kadmin.local 1.20.1 (Debian 12), realm EXAMPLE.TEST, by" \
  "krb/testdata/files/make_mit_samples.sh: ktadd -norandkey alice (password 'secret')," \
  "ktadd -norandkey krbtgt/EXAMPLE.TEST, ktadd host/server.example.test (re-keyed, kvno 2)." \
  "Throwaway realm: these keys protect nothing. 'TZ=UTC klist -k -t -e -K' printed:" \
  "${kt_list[@]}"
mapfile -t cc_list < <(TZ=UTC LC_ALL=C klist -c "FILE:$dir/alice.ccache" -f -e | sed 's/^/  /')
emit "$dir/alice.ccache" mit_kinit.ccache.hex \
  "FILE ccache written by MIT kinit 1.20.1 (Debian 12) for alice@EXAMPLE.TEST against MIT" \
  "krb5kdc 1.20.1 (max_life 10h, max_renewable_life 7d; krb5.conf forwardable, proxiable)," \
  "by krb/testdata/files/make_mit_samples.sh. Throwaway realm. 'TZ=UTC klist -f -e' printed:" \
  "${cc_list[@]}"
