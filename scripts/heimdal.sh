#!/usr/bin/env bash
# Heimdal 7.8 (the Debian 12 packages) as a test peer, next to MIT krb5. Run as root; idempotent.
#
#   scripts/heimdal.sh                    installs, then prints where the binaries are
#   HEIMDAL_ROOT=DIR scripts/heimdal.sh   the same into DIR (default /opt/kdcperf-heimdal); the
#                                         tests read the same variable (tests/support/heimdal_realm.hpp)
#
# heimdal-kdc conflicts with krb5-kdc/krb5-admin-server, and heimdal-clients would take over
# /usr/bin/kinit, klist, ... through update-alternatives, so neither is installed: their .debs are
# unpacked with `dpkg -x` into $HEIMDAL_ROOT/root, and $HEIMDAL_ROOT/bin holds plain names:
#   kdc kstash kadmin kinit klist kdestroy ktutil
# The Heimdal libraries they link against (libkrb5.so.26, libhdb.so.9, ...) do not conflict with
# MIT's (libkrb5.so.3, ...), so they are installed with apt-get like any other package. The list
# is the Heimdal libraries in `apt-cache depends heimdal-kdc heimdal-clients` (apt pulls in the
# rest, e.g. libwind0-heimdal).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

ROOT=${HEIMDAL_ROOT:-/opt/kdcperf-heimdal}
unpacked_pkgs=(heimdal-kdc heimdal-clients)
lib_pkgs=(libasn1-8-heimdal libgssapi3-heimdal libhcrypto5-heimdal libhdb9-heimdal
  libheimbase1-heimdal libheimntlm0-heimdal libhx509-5-heimdal libkadm5clnt7-heimdal
  libkadm5srv8-heimdal libkafs0-heimdal libkdc2-heimdal libkrb5-26-heimdal libotp0-heimdal
  libroken19-heimdal libsl0-heimdal libwind0-heimdal)
# name in bin/ -> file in the unpacked tree (klist is heimtools, which dispatches on argv[0]).
tools=(kdc:usr/lib/heimdal-servers/kdc kstash:usr/sbin/kstash kadmin:usr/bin/kadmin.heimdal
  kinit:usr/bin/kinit.heimdal klist:usr/bin/heimtools kdestroy:usr/bin/kdestroy.heimdal
  ktutil:usr/bin/ktutil.heimdal)

die() { echo "heimdal.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (apt-get install, and the default folder is under /opt)"

# Runs an apt-get command; if it fails, refreshes the package lists once and tries again (a fresh
# image has none).
apt_retry() {
  "$@" >/dev/null 2>&1 && return 0
  apt-get update -qq >/dev/null
  "$@" >/dev/null
}

installed_version() {
  dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null | awk '$3 == "installed" {print $4}'
}

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }

# True when the folder holds every tool and each one's libraries resolve.
usable() {
  local t name libs
  [ -f "$ROOT/VERSION" ] || return 1
  for t in "${tools[@]}"; do
    name=${t%%:*}
    [ -x "$ROOT/bin/$name" ] || return 1
    libs=$(ldd "$ROOT/bin/$name" 2>&1) || return 1
    [[ $libs != *"not found"* ]] || return 1
  done
}

version=$(candidate heimdal-kdc)
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  apt-get update -qq >/dev/null
  version=$(candidate heimdal-kdc)
fi
[ -n "$version" ] && [ "$version" != "(none)" ] || die "no heimdal-kdc package in the apt sources"

# The libraries at the very version of the programs unpacked below.
missing=()
for p in "${lib_pkgs[@]}"; do
  [ "$(installed_version "$p")" = "$version" ] || missing+=("$p=$version")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt_retry apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed"
fi

if ! usable || [ "$(cat "$ROOT/VERSION")" != "$version" ]; then
  debs=$(mktemp -d)
  trap 'rm -rf "$debs"' EXIT
  # apt-get download drops privileges to _apt when it can write the target folder.
  id _apt >/dev/null 2>&1 && chown _apt "$debs"
  versioned=()
  for p in "${unpacked_pkgs[@]}"; do versioned+=("$p=$version"); done
  (cd "$debs" && apt_retry apt-get download -qq "${versioned[@]}") ||
    die "apt-get download ${unpacked_pkgs[*]} failed"
  rm -rf "$ROOT/root" "$ROOT/bin" "$ROOT/VERSION"
  mkdir -p "$ROOT/root" "$ROOT/bin"
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$ROOT/root"; done
  for t in "${tools[@]}"; do
    ln -sfn "../root/${t#*:}" "$ROOT/bin/${t%%:*}"
  done
  echo "$version" >"$ROOT/VERSION"
  usable || die "the unpacked binaries do not run (missing files or libraries; see ldd $ROOT/bin/kdc)"
fi

kdc_version=$("$ROOT/bin/kdc" --version 2>&1 || true)
[[ $kdc_version == *Heimdal* ]] || die "$ROOT/bin/kdc --version does not say Heimdal: $kdc_version"
echo "heimdal: $version in $ROOT/bin ($(cd "$ROOT/bin" && echo *))"
