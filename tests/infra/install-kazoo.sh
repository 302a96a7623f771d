#!/usr/bin/env bash
# Installs Debian's python3-kazoo (a ZooKeeper client for Python) for bench/latency.py
# --zookeeper and bench/backend-zookeeper.sh; not needed by the tests. Idempotent: does nothing
# when the system Python already has it.
set -euo pipefail

if /usr/bin/python3 -c 'import kazoo' 2>/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-kazoo.sh: python3-kazoo is missing and installing it needs root:" >&2
  echo "  apt-get install -y --no-install-recommends python3-kazoo" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3-kazoo >/dev/null
/usr/bin/python3 -c 'import kazoo'
