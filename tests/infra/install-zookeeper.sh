#!/usr/bin/env bash
# Installs Debian's ZooKeeper 3.8 server for the ZooKeeper sink's integration tests
# (sinks/zookeeper/*IT), which start their own server process from /usr/share/java/zookeeper.jar
# on a free port; the system service is never started. Idempotent: does nothing when it is there.
set -euo pipefail

if [ -r /usr/share/java/zookeeper.jar ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-zookeeper.sh: ZooKeeper is missing and installing it needs root:" >&2
  echo "  apt-get install -y --no-install-recommends zookeeper" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends zookeeper >/dev/null
# The package enables a system service on port 2181; the tests never use it.
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now zookeeper >/dev/null 2>&1 || true
fi
test -r /usr/share/java/zookeeper.jar
