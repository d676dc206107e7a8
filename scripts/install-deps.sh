#!/usr/bin/env bash
# Installs what kdcperf needs on Debian 12, as root.
#   install-deps.sh build   compilers and libraries to build and run kdcperf
#   install-deps.sh test    the above plus test peers (MIT krb5; Heimdal via heimdal.sh) and
#                           fuzzing (clang 14)
set -euo pipefail
what=${1:-build}
export DEBIAN_FRONTEND=noninteractive

build_pkgs=(build-essential cmake ninja-build pkg-config git python3
  libssl-dev libsodium-dev liburing-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libipsec-mb-dev)
test_pkgs=(clang-14 libclang-rt-14-dev clang-format-14 krb5-kdc krb5-admin-server krb5-user)

pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  # krb5-config (pulled in by the MIT packages) asks for a default realm unless preseeded.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian MIT packages start a system krb5kdc/kadmind on install; tests run their own.
if [ "$what" = test ]; then
  for svc in krb5-kdc krb5-admin-server; do
    service "$svc" stop >/dev/null 2>&1 || true
  done
  # Heimdal's packages conflict with MIT's: unpacked into a private folder ($HEIMDAL_ROOT).
  "$(dirname "${BASH_SOURCE[0]}")/heimdal.sh" >/dev/null
fi
echo "install-deps: ${what} packages present"
