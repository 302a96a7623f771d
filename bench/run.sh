#!/usr/bin/env bash
# Benchmarks of the daemon against the real Docker engine and a real Consul agent. Not part of
# the test suite (it takes 10-20 minutes); the numbers and their conditions go into
# docs/benchmarks.md.
#
#   bench/run.sh [PHASE...]      phases: startup latency bulk ports steady synthetic (default: all)
#
#   startup    20 running containers -> all registered, from launching bin/registry-bridge
#              (bench/startup.py: 5 runs, the agent emptied before each)
#   latency    300 containers started one by one: State.StartedAt -> visible on the agent
#   bulk       1,000 running containers -> all registered from process start, against the floor:
#              a bare HTTP client sending the same registrations into a fresh agent; RSS
#   ports      40 containers x 100 exposed ports (4,000 services), then 100 more containers one
#              by one, and the agent's own cost of one PUT at that size
#   steady     with those 4,000 services: Consul requests and bytes read per minute, idle,
#              through a counting proxy; bridge writes
#   synthetic  10,000 services through a synthetic source into a fresh agent, against the floor;
#              one change at 10,000 against one change at 100
#
# Needs: docker, curl, python3, a JDK 21+ (found like bin/registry-bridge finds it), the images
# busybox:1.36 and hashicorp/consul:1.8.7 (or CONSUL_IMAGE). The agent runs in dev mode with
# -log-level=warn: a dev agent's default DEBUG logging lists every service after each
# registration, and would make Consul's logging the thing measured.
set -euo pipefail
cd "$(dirname "$0")/.."

PHASES=${*:-startup latency bulk ports steady synthetic}
CONSUL_IMAGE=${CONSUL_IMAGE:-hashicorp/consul:1.8.7}
RUN=rbbench-$$
OUT=bench/out/$RUN; mkdir -p "$OUT"
RESULT=$OUT/result.md
HOSTNAME_ID=$RUN

JAVA=${JAVA:-java}
for j in "$JAVA" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/*/bin/java; do
  if "$j" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then JAVA=$j; break; fi
done
if [ -x bin/registry-bridge ]; then
  LAUNCH=(bin/registry-bridge)
else
  [ -f bridge/target/registry-bridge.jar ] || ./mvnw -q -DskipTests package
  LAUNCH=("$JAVA" -jar bridge/target/registry-bridge.jar)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
say() { echo "$*" | tee -a "$RESULT"; }

DAEMON=""; PROXY=""
cleanup() {
  stop_bridge
  [ -n "$PROXY" ] && kill "$PROXY" 2>/dev/null || true
  docker ps -aq --filter "label=$RUN" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network ls -q --filter "label=$RUN" | xargs -r docker network rm >/dev/null 2>&1 || true
}
trap cleanup EXIT

CONSUL_PORT=$(free_port); HTTP_PORT=$(free_port)
CONSUL=127.0.0.1:$CONSUL_PORT
CONSUL_CTR=$(docker run -d --label "$RUN" -e SERVICE_IGNORE=true -p "$CONSUL_PORT:8500" \
  "$CONSUL_IMAGE" agent -dev -client 0.0.0.0 -log-level warn)

wait_leader() { until curl -fs "http://$CONSUL/v1/status/leader" | grep -q '"[^"]'; do sleep 0.1; done; }
fresh_agent() { docker restart -t 1 "$CONSUL_CTR" >/dev/null; wait_leader; }
wait_leader

start_bridge() { # consul-address extra-flags...
  local target=$1; shift
  "${LAUNCH[@]}" -hostname "$HOSTNAME_ID" -internal -http-listen "127.0.0.1:$HTTP_PORT" "$@" \
    "consul://$target" >>"$OUT/daemon.log" 2>&1 &
  DAEMON=$!
}
stop_bridge() {
  if [ -n "$DAEMON" ]; then kill "$DAEMON" 2>/dev/null || true; wait "$DAEMON" 2>/dev/null || true; fi
  DAEMON=""
}
metric() { # name [filter] -> integer sum over its series
  curl -fs "127.0.0.1:$HTTP_PORT/metrics" 2>/dev/null \
    | awk -v m="$1" -v f="${2:-}" 'index($1, m) == 1 && index($1, f) > 0 {s+=$2} END {printf "%d\n", s}'
}
wait_writes() { # n: until the bridge counted n creates
  until [ "$(metric registry_bridge_sink_writes_total 'op="create"')" -ge "$1" ] 2>/dev/null; do sleep 0.02; done
}
start_containers() { # prefix first last [docker args...]
  # Idle, as services mostly are: a loop of `sleep 1` forks 1,000 processes a second across
  # 1,000 containers, and on two cores that load (average past 80) measured the engine's fork
  # storm more than the bridge (runs before 2026-12-01 05:40 used it).
  local prefix=$1 first=$2 last=$3; shift 3
  seq "$first" "$last" | xargs -P 8 -I{} docker run -d --label "$RUN" --name "$RUN-$prefix-{}" \
    -e "SERVICE_NAME=$prefix-{}" "$@" busybox:1.36 \
    sh -c "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done" >/dev/null
}
remove_containers() { # prefix
  docker ps -aq --filter "label=$RUN" --filter "name=$RUN-$1-" | xargs -r docker rm -f >/dev/null
}
synthetic() { # args for SyntheticLoad
  if [ ! -f "$OUT/cp.txt" ]; then
    # In the reactor, so that our own modules come from this checkout, not from ~/.m2.
    ./mvnw -q -DskipTests package dependency:build-classpath -pl tests -am \
      -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$OUT/cp.txt" >/dev/null
  fi
  "$JAVA" -cp "tests/target/test-classes:$(cat "$OUT/cp.txt")" \
    io.registrybridge.tests.bench.SyntheticLoad "$@"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

{
  echo "# registry-bridge benchmark $RUN, $(date -u +%FT%TZ)"
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "launcher: ${LAUNCH[*]}; Consul: $CONSUL_IMAGE dev, -log-level warn; Docker $(docker version -f '{{.Server.Version}}')"
} | tee "$RESULT"

for phase in $PHASES; do case $phase in
startup)
  # bench/startup.py polls the agent over one kept-alive connection every 5 ms. A shell loop of
  # curl | grep | wc every 10 ms forks three processes per poll and, on two cores, took about
  # 250 ms from the daemon's own start (measured 2026-12-01: median 1,090 vs 832 ms).
  python3 bench/startup.py --consul "http://$CONSUL" --runs 5 --logdir "$OUT" >"$OUT/startup.txt"
  say "startup: 20 running containers -> all registered from launch: $(sed -n 's/.*registered 20 in \([0-9]*\) ms.*/\1/p' "$OUT/startup.txt" | tr '\n' ' ')ms (median $(sed -n 's/.*ms to registered: .*median \([0-9]*\).*/\1/p' "$OUT/startup.txt"))"
  ;;
latency)
  fresh_agent; start_bridge "$CONSUL"
  until curl -fs "127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1; do sleep 0.05; done
  python3 bench/latency.py --consul "$CONSUL" --host "$HOSTNAME_ID" --count "${LATENCY_COUNT:-300}" \
    --prefix "$RUN-lat" --label "$RUN" >"$OUT/latency.txt" 2>"$OUT/latency.summary"
  say "latency (${LATENCY_COUNT:-300} one by one, near-empty agent): $(cat "$OUT/latency.summary")"
  stop_bridge; remove_containers lat
  ;;
bulk)
  # A network of its own: a Linux bridge takes at most 1,023 ports, and docker0 has others.
  docker network create --label "$RUN" "$RUN-bulk" >/dev/null
  start_containers bulk 1 1000 --expose 80 --network "$RUN-bulk"
  fresh_agent
  t0=$(now_ms); start_bridge "$CONSUL"; wait_writes 1000
  BULK_MS=$(( $(now_ms) - t0 ))
  sleep 5
  RSS=$(( $(ps -o rss= -p "$DAEMON" | tr -d ' ') / 1024 ))
  sleep 30 # past the launcher's native-heap trim interval
  RSS35=$(( $(ps -o rss= -p "$DAEMON" | tr -d ' ') / 1024 ))
  stop_bridge
  f1=$(fresh_agent; synthetic floor "http://$CONSUL" 1000 1 | sed -n 's/floor_bulk_ms=\([0-9]*\).*/\1/p')
  f4=$(fresh_agent; synthetic floor "http://$CONSUL" 1000 4 | sed -n 's/floor_bulk_ms=\([0-9]*\).*/\1/p')
  FLOOR=$(( f1 < f4 ? f1 : f4 ))
  say "bulk: 1,000 running containers -> all registered from launch: $BULK_MS ms; floor (bare client, fresh agent, 1 / 4 threads): $f1 / $f4 ms; ratio $(python3 -c "print(round($BULK_MS/$FLOOR,2))")"
  say "memory: RSS with 1,000 services, launcher defaults: $RSS MiB 5 s after the last registration, $RSS35 MiB 35 s after"
  remove_containers bulk
  # After a mass removal the engine can keep stale endpoints for a while ("has active
  # endpoints"); a leftover network costs nothing, so it must not end the run.
  docker network rm "$RUN-bulk" >/dev/null 2>&1 || say "note: network $RUN-bulk left behind"
  ;;
ports)
  start_containers ports 1 40 --expose 8000-8099
  fresh_agent; start_bridge "$CONSUL"; wait_writes 4000
  sleep 5
  python3 bench/latency.py --consul "$CONSUL" --host "$HOSTNAME_ID" --count "${PORTS_LATENCY_COUNT:-100}" \
    --prefix "$RUN-plat" --label "$RUN" >"$OUT/latency-4000.txt" 2>"$OUT/latency-4000.summary"
  say "latency with 4,000 services registered (${PORTS_LATENCY_COUNT:-100} one by one): $(cat "$OUT/latency-4000.summary")"
  stop_bridge
  floor=$(python3 - "$CONSUL" <<'EOF'
import http.client, json, sys, time
host, port = sys.argv[1].rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port))
took = []
for i in range(50):
    body = json.dumps({"ID": f"floor-{i}", "Name": f"floor-{i}", "Port": 80, "Address": "10.0.0.1",
                       "Meta": {"protocol": "http"}})
    t = time.perf_counter()
    c.request("PUT", "/v1/agent/service/register", body); r = c.getresponse(); r.read()
    c.request("GET", f"/v1/agent/service/floor-{i}"); r = c.getresponse(); r.read()
    took.append((time.perf_counter() - t) * 1000)
    c.request("PUT", f"/v1/agent/service/deregister/floor-{i}", ""); r = c.getresponse(); r.read()
took.sort()
print(f"p50={took[24]:.1f} p99={took[49]:.1f} ms")
EOF
)
  say "agent floor with 4,000 services (one PUT, then the GET that sees it): $floor"
  ;;
steady)
  # Needs the 4,000 services of "ports" on the agent (run after it, with its containers).
  PROXY_PORT=$(free_port)
  python3 bench/countproxy.py "$PROXY_PORT" "$CONSUL" "$OUT/proxy.stats" & PROXY=$!
  sleep 0.5
  start_bridge "127.0.0.1:$PROXY_PORT"
  until curl -fs "127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1; do sleep 0.1; done
  sleep 15
  read -r r0 b0 <<<"$(awk '{split($1,a,"="); split($2,b,"="); print a[2], b[2]}' "$OUT/proxy.stats")"
  w0=$(metric registry_bridge_sink_writes_total)
  sleep 60
  read -r r1 b1 <<<"$(awk '{split($1,a,"="); split($2,b,"="); print a[2], b[2]}' "$OUT/proxy.stats")"
  w1=$(metric registry_bridge_sink_writes_total)
  say "steady state with 4,000 services, 60 s idle: $((r1 - r0)) Consul requests, $(( (b1 - b0) / 1024 )) KiB read, $((w1 - w0)) bridge writes"
  stop_bridge; kill "$PROXY" 2>/dev/null || true; PROXY=""
  remove_containers ports
  ;;
synthetic)
  N=${SYNTHETIC_COUNT:-10000}
  fresh_agent; synthetic floor "http://$CONSUL" "$N" 1 | tee "$OUT/floor1.txt"
  fresh_agent; synthetic floor "http://$CONSUL" "$N" 4 | tee "$OUT/floor4.txt"
  fresh_agent; synthetic bridge "http://$CONSUL" "$N" 200 | tee "$OUT/bridge-big.txt"
  fresh_agent; synthetic bridge "http://$CONSUL" 100 200 | tee "$OUT/bridge-small.txt"
  fresh_agent; synthetic floor "http://$CONSUL" 100 1 | tee "$OUT/floor-small.txt"
  synthetic ourside - 100 2000 | tee "$OUT/ourside-small.txt"
  synthetic ourside - "$N" 2000 | tee "$OUT/ourside-big.txt"
  say "synthetic: $N services: $(cat "$OUT/floor1.txt" "$OUT/floor4.txt" "$OUT/bridge-big.txt" | tr '\n' ' ')"
  say "synthetic: 100 services: $(cat "$OUT/bridge-small.txt" "$OUT/floor-small.txt" | tr '\n' ' ')"
  say "our side of the wire (an agent that answers at once): 100: $(cat "$OUT/ourside-small.txt" | tr '\n' ' '); $N: $(cat "$OUT/ourside-big.txt" | tr '\n' ' ')"
  ;;
*) echo "unknown phase $phase" >&2; exit 2 ;;
esac; done
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== written to $RESULT"
