#!/usr/bin/env bash
# Process start -> istio-xds port accepting connections, with and without the AOT cache
# (issue 16: istiod <= 1.23 exits when its xds:// config source refuses it at its start).
#
#   bench/xds-port-first.sh [RUNS]     default 5 runs per mode
#
# Runs the launcher (bin/registry-bridge) with -source=docker on the local engine, one
# istio-xds:// sink on a free loopback port and nothing else, polls the port every 5 ms from
# the moment the process is started, and prints the median and range per mode. The cache is
# trained first (REGISTRY_BRIDGE_AOT=train) into bench/out. Needs a Docker engine and JDK 25.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
out=bench/out; mkdir -p "$out"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export REGISTRY_BRIDGE_LOCAL_CONSUL=off REGISTRY_BRIDGE_AOT_CACHE=$PWD/$out/xds-port.aot

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

one_run() { # prints milliseconds from start to the port accepting
  local port; port=$(free_port)
  local start; start=$(date +%s%N)
  bin/registry-bridge -hostname bench-xds "istio-xds://127.0.0.1:$port" > "$out/xds-port.log" 2>&1 &
  local pid=$!
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.005; done
  local bound; bound=$(date +%s%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo $(( (bound - start) / 1000000 ))
}

summary() { sort -n | awk '{a[NR]=$1} END {printf "median %d ms, range %d-%d ms (%d runs)\n", a[int((NR+1)/2)], a[1], a[NR], NR}'; }

REGISTRY_BRIDGE_AOT=train bin/registry-bridge > "$out/xds-port-train.log" 2>&1 || true
for mode in auto off; do
  export REGISTRY_BRIDGE_AOT=$mode
  one_run > /dev/null # warm the page cache
  printf 'AOT cache %-4s: ' "$mode"
  for _ in $(seq "$runs"); do one_run; done | summary
done
