#!/usr/bin/env bash
# consulkv:// benchmark (issue 15), against the real Docker engine and a real Consul agent:
#
#   bench/backend-consulkv.sh [PHASE...]     phases: floor bulk latency (default: all)
#
#   floor    a bare HTTP client (one kept-alive connection) creating the same 1,000 keys the
#            bridge writes (PUT ?flags=..&cas=0, as the bridge does) into a fresh agent
#   bulk     1,000 running containers -> all 1,000 keys visible, from launching the bridge
#   latency  LATENCY_COUNT (300) containers started one by one: State.StartedAt -> key visible
#
# bulk and latency need a daemon that loads the consulkv provider (bridge/ on ServiceLoader);
# without it they say so and only the floor runs. Needs docker, curl, python3, busybox:1.36 and
# hashicorp/consul:1.8.7 (or CONSUL_IMAGE); the agent runs in dev mode at -log-level warn.
set -euo pipefail
cd "$(dirname "$0")/.."

PHASES=${*:-floor bulk latency}
N=${N:-1000}
CONSUL_IMAGE=${CONSUL_IMAGE:-hashicorp/consul:1.8.7}
RUN=rbkv-$$
OUT=bench/out/$RUN; mkdir -p "$OUT"
RESULT=$OUT/result.md
KV=bench-$RUN
JAVA=${JAVA:-java}
for j in "$JAVA" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/*/bin/java; do
  if "$j" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then JAVA=$j; break; fi
done
if [ -x bin/registry-bridge ]; then LAUNCH=(bin/registry-bridge)
else LAUNCH=("$JAVA" -jar bridge/target/registry-bridge.jar); fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
say() { echo "$*" | tee -a "$RESULT"; }
DAEMON=""
stop_bridge() {
  if [ -n "$DAEMON" ]; then kill "$DAEMON" 2>/dev/null || true; wait "$DAEMON" 2>/dev/null || true; fi
  DAEMON=""
}
cleanup() {
  stop_bridge
  docker ps -aq --filter "label=$RUN" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network ls -q --filter "label=$RUN" | xargs -r docker network rm >/dev/null 2>&1 || true
}
trap cleanup EXIT

CONSUL_PORT=$(free_port)
CONSUL=127.0.0.1:$CONSUL_PORT
CONSUL_CTR=$(docker run -d --label "$RUN" -e SERVICE_IGNORE=true -p "$CONSUL_PORT:8500" \
  "$CONSUL_IMAGE" agent -dev -client 0.0.0.0 -log-level warn)
wait_leader() { until curl -fs "http://$CONSUL/v1/status/leader" | grep -q '"[^"]'; do sleep 0.1; done; }
fresh_agent() { docker restart -t 1 "$CONSUL_CTR" >/dev/null; wait_leader; }
keys() { curl -fs "http://$CONSUL/v1/kv/$KV/?keys" 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0; }
wait_leader

has_consulkv() { "${LAUNCH[@]}" --help 2>&1 | grep -q 'consulkv://'; }
start_bridge() { # extra flags...
  HTTP_PORT=$(free_port)
  "${LAUNCH[@]}" -hostname "$RUN" -internal -http-listen "127.0.0.1:$HTTP_PORT" "$@" \
    "consulkv://$CONSUL/$KV" >>"$OUT/daemon.log" 2>&1 &
  DAEMON=$!
}
start_containers() { # prefix first last [docker args...]
  local prefix=$1 first=$2 last=$3; shift 3
  seq "$first" "$last" | xargs -P 8 -I{} docker run -d --label "$RUN" --name "$RUN-$prefix-{}" \
    -e "SERVICE_NAME=$prefix-{}" "$@" busybox:1.36 \
    sh -c "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done" >/dev/null
}

{
  echo "# consulkv benchmark $RUN, $(date -u +%FT%TZ)"
  echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg); N=$N"
  echo "launcher: ${LAUNCH[*]}; Consul: $CONSUL_IMAGE dev, -log-level warn"
} | tee "$RESULT"

for phase in $PHASES; do case $phase in
floor)
  fresh_agent
  ms=$(python3 - "$CONSUL" "$KV" "$N" <<'PY'
import http.client, sys, time
consul, kv, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
host, port = consul.rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port), timeout=10)
t = time.monotonic()
for i in range(n):
    c.request("PUT", f"/v1/kv/{kv}/floor-{i}/host:floor-{i}:80?flags=6077546133451906918&cas=0",
              f"10.0.{i // 250}.{i % 250 + 1}:80")
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
print(round((time.monotonic() - t) * 1000))
PY
)
  say "floor: $N keys created by a bare client, one connection: $ms ms"
  ;;
bulk)
  if ! has_consulkv; then say "bulk: skipped, ${LAUNCH[*]} does not load consulkv:// yet"; continue; fi
  docker network create --label "$RUN" "$RUN-bulk" >/dev/null
  start_containers bulk 1 "$N" --expose 80 --network "$RUN-bulk"
  fresh_agent
  t0=$(now_ms); start_bridge
  until [ "$(keys)" -ge "$N" ]; do sleep 0.05; done
  say "bulk: $N running containers -> all $N keys visible from launch: $(( $(now_ms) - t0 )) ms"
  stop_bridge
  docker ps -aq --filter "label=$RUN" --filter "name=$RUN-bulk-" | xargs -r docker rm -f >/dev/null
  docker network rm "$RUN-bulk" >/dev/null 2>&1 || true
  ;;
latency)
  if ! has_consulkv; then say "latency: skipped, ${LAUNCH[*]} does not load consulkv:// yet"; continue; fi
  fresh_agent; start_bridge
  # Ready: the first listing is in and every sink has synced once (an empty start logs no "synced").
  until curl -fs "127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1; do sleep 0.05; done
  python3 bench/latency.py --consul "$CONSUL" --host "$RUN" --count "${LATENCY_COUNT:-300}" \
    --prefix "$RUN-lat" --label "$RUN" --kv "$KV" >"$OUT/latency.txt" 2>"$OUT/latency.summary"
  say "latency (${LATENCY_COUNT:-300} one by one): $(cat "$OUT/latency.summary")"
  stop_bridge
  ;;
*) echo "unknown phase $phase" >&2; exit 2 ;;
esac; done
