#!/usr/bin/env bash
# Installs the etcd server the sinks/etcd integration tests start (Debian's etcd-server 3.4:
# /usr/bin/etcd). Idempotent: does nothing when an etcd binary is there already (ETCD_BIN or
# /usr/bin/etcd). The tests start their own process on free ports with a temporary data
# directory; the package's system service is not used, so it is stopped and kept from starting.
set -euo pipefail

bin=${ETCD_BIN:-/usr/bin/etcd}
if [ -x "$bin" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-etcd.sh: no $bin and no apt-get; install etcd 3.4+ and set ETCD_BIN" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
# policy-rc.d 101: the package's postinst must not start a system etcd on 2379.
had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
if [ "$had_policy" -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
fi
trap '[ "$had_policy" -eq 1 ] || $sudo rm -f /usr/sbin/policy-rc.d' EXIT
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends etcd-server
"$bin" --version | head -1
