#!/usr/bin/env bash
# Consul up late -> first registration after it answers (issue 18's "late control plane").
#
#   bench/late-consul.sh [DOWN_SECONDS] [RUNS]     defaults: 20 s down, 3 runs
#
# Starts one container with SERVICE_NAME, then the bridge (launcher, -internal, default
# -retry-* flags) against a Consul port where nothing listens yet; after DOWN_SECONDS (the
# backoff has grown meanwhile) starts a Consul 1.8.7 dev agent on that port and measures, by
# polling every 10 ms, from the agent first answering /v1/status/leader with a leader to the
# container's service being on the agent. Needs a Docker engine; names what it creates
# rbbench-late-<pid>-* and removes exactly that.
set -euo pipefail
cd "$(dirname "$0")/.."
down=${1:-20}; runs=${2:-3}
image=${CONSUL_IMAGE:-hashicorp/consul:1.8.7}
run=rbbench-late-$$
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64} REGISTRY_BRIDGE_LOCAL_CONSUL=off
out=bench/out; mkdir -p "$out"

cleanup() { docker rm -f "$run-web" "$run-consul" >/dev/null 2>&1 || true; }
trap cleanup EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

docker run -d --name "$run-web" -e SERVICE_NAME="$run-web" --expose 80 busybox:1.36 sleep 3600 >/dev/null
for i in $(seq "$runs"); do
  port=$(free_port)
  bin/registry-bridge -internal -hostname "$run" "consul://127.0.0.1:$port" >"$out/late-consul.log" 2>&1 &
  pid=$!
  sleep "$down"
  docker run -d --name "$run-consul" -p "127.0.0.1:$port:8500" "$image" agent -dev -client 0.0.0.0 >/dev/null
  until curl -sf "127.0.0.1:$port/v1/status/leader" | grep -q '"[^"]'; do sleep 0.01; done
  answered=$(now_ms)
  until curl -sf "127.0.0.1:$port/v1/agent/services" | grep -q "\"$run:$run-web:80\""; do sleep 0.01; done
  registered=$(now_ms)
  echo "run $i: registered $((registered - answered)) ms after Consul first answered (down ${down} s)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  docker rm -f "$run-consul" >/dev/null
done
