#!/usr/bin/env bash
# DESIGN.md: libkrb does no I/O. Fails if krb/ includes socket, io_uring, thread or file-stream
# headers, or if io/ includes Kerberos code.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -rnE '#include <(sys/socket\.h|netinet/|arpa/inet\.h|liburing\.h|fstream|thread|pthread\.h|sys/epoll\.h|fcntl\.h|unistd\.h|cstdio|stdio\.h|chrono|filesystem)>' krb --include='*.cpp' --include='*.hpp' | grep -v '_test\.cpp:' || true)
if [ -n "$bad" ]; then
  echo "check-layering: krb/ must not do I/O; offending includes:"
  echo "$bad"
  exit 1
fi
if [ -d io ]; then
  bad=$(grep -rn '#include "krb/' io --include='*.cpp' --include='*.hpp' || true)
  if [ -n "$bad" ]; then
    echo "check-layering: io/ must not include krb/:"
    echo "$bad"
    exit 1
  fi
fi
echo "check-layering: ok"
