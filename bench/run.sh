#!/usr/bin/env bash
# Benchmark: the daemon (the shaded jar) against the real Docker engine and a real Consul agent.
#
#   bench/run.sh [LATENCY_CONTAINERS=300] [BULK_CONTAINERS=500] [STEADY_SECONDS=60]
#
# Reports
#   1. start-up: time until BULK containers that already run are all in Consul
#   2. latency: container start (State.StartedAt) -> visible on the agent, p50/p90/p99/max
#   3. steady state: Consul writes during STEADY seconds with -resync 5 (target: zero), counted
#      by the bridge (registry_bridge_sink_writes_total) and by Consul (catalog index)
#   4. the daemon's RSS (current and peak) with everything registered
# Needs: docker, curl, a JDK 21+ (java), the jar (built if missing), the images busybox:1.36 and
# hashicorp/consul:1.8.7 (or CONSUL_IMAGE). Not part of the test suite: it takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

LATENCY=${1:-300}
BULK=${2:-500}
STEADY=${3:-60}
CONSUL_IMAGE=${CONSUL_IMAGE:-hashicorp/consul:1.8.7}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:--XX:+UseSerialGC -XX:MaxRAMPercentage=75 -Xss512k -XX:TieredStopAtLevel=1}
RUN=rbbench-$$
OUT=bench/out; mkdir -p "$OUT"
LOG=$OUT/daemon-$RUN.log

if ! "$JAVA" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then
  for j in /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/*/bin/java; do
    if "$j" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then JAVA=$j; break; fi
  done
fi
[ -f bridge/target/registry-bridge.jar ] || ./mvnw -q -DskipTests package

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
  || echo $(( (RANDOM % 20000) + 30000 )); }
now_ms() { date +%s%3N; }
cleanup() {
  [ -n "${DAEMON:-}" ] && kill "$DAEMON" 2>/dev/null || true
  docker ps -aq --filter "label=$RUN" | xargs -r docker rm -f >/dev/null 2>&1 || true
}
trap cleanup EXIT

CONSUL_PORT=$(free_port); HTTP_PORT=$(free_port)
CONSUL=http://127.0.0.1:$CONSUL_PORT
docker run -d --label "$RUN" -e SERVICE_IGNORE=true -p "$CONSUL_PORT:8500" "$CONSUL_IMAGE" \
  agent -dev -client 0.0.0.0 -log-level warn >/dev/null
until curl -fs "$CONSUL/v1/status/leader" | grep -q '"'; do sleep 0.2; done

count() { curl -fs "$CONSUL/v1/agent/services" | grep -oE "\"Service\": *\"$1-[0-9]+\"" | wc -l; }
start_containers() { # prefix first last
  seq "$2" "$3" | xargs -P 8 -I{} docker run -d --label "$RUN" --name "$RUN-$1-{}" \
    -e "SERVICE_NAME=$1-{}" -e SERVICE_PROTOCOL=http --expose 80 busybox:1.36 \
    sh -c "trap 'exit 0' TERM; while true; do sleep 1; done" >/dev/null
}

echo "== start-up: $BULK containers already running"
start_containers bulk 1 "$BULK"
t0=$(now_ms)
# shellcheck disable=SC2086
"$JAVA" $JAVA_OPTS -jar bridge/target/registry-bridge.jar -hostname "$RUN" -internal -explicit \
  -resync 5 -retry-interval 200 -http-listen "127.0.0.1:$HTTP_PORT" "consul://127.0.0.1:$CONSUL_PORT" \
  >"$LOG" 2>&1 &
DAEMON=$!
until [ "$(count bulk)" -ge "$BULK" ]; do sleep 0.05; done
STARTUP_MS=$(( $(now_ms) - t0 ))
echo "   all $BULK registered ${STARTUP_MS} ms after the daemon was started (JVM start included)"

echo "== latency: $LATENCY containers started one by one"
LAT=$OUT/latency-$RUN.txt; : > "$LAT"
for i in $(seq 1 "$LATENCY"); do
  name=$RUN-lat-$i
  docker run -d --label "$RUN" --name "$name" -e "SERVICE_NAME=lat-$i" --expose 80 busybox:1.36 \
    sh -c "trap 'exit 0' TERM; while true; do sleep 1; done" >/dev/null
  until curl -fso /dev/null "$CONSUL/v1/agent/service/$RUN:$name:80"; do sleep 0.01; done
  seen=$(date +%s%N)
  started=$(date -d "$(docker inspect -f '{{.State.StartedAt}}' "$name")" +%s%N)
  echo $(( (seen - started) / 1000000 )) >> "$LAT"
done
pct() { sort -n "$LAT" | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if(i<1)i=1; print a[i]}'; }
P50=$(pct 50); P90=$(pct 90); P99=$(pct 99); MAX=$(pct 100)
echo "   start -> visible: p50 ${P50} ms, p90 ${P90} ms, p99 ${P99} ms, max ${MAX} ms"

echo "== steady state: ${STEADY} s with -resync 5"
writes() { curl -fs "127.0.0.1:$HTTP_PORT/metrics" | awk '/^registry_bridge_sink_writes_total/ {s+=$2} END {print s+0}'; }
index() { curl -fsi "$CONSUL/v1/catalog/services" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-consul-index" {print $2}'; }
sleep 10 # let the last registrations settle before counting
W0=$(writes); I0=$(index)
sleep "$STEADY"
W1=$(writes); I1=$(index)
echo "   bridge writes: $(( W1 - W0 )), Consul catalog index ${I0} -> ${I1}"

SERVICES=$(( BULK + LATENCY ))
RSS_KB=$(ps -o rss= -p "$DAEMON" | tr -d ' ')
HWM_KB=$(awk '/VmHWM/ {print $2}' "/proc/$DAEMON/status" 2>/dev/null || echo "?")
echo "== memory with $SERVICES services: RSS $(( RSS_KB / 1024 )) MiB, peak ${HWM_KB} kB"

cat > "$OUT/result-$RUN.md" <<EOT
| measure | value |
|---|---|
| containers running at start | $BULK |
| start-up: all registered after daemon start | $STARTUP_MS ms |
| start → visible (n=$LATENCY) p50 / p90 / p99 / max | $P50 / $P90 / $P99 / $MAX ms |
| bridge writes in $STEADY s steady state, -resync 5 | $(( W1 - W0 )) |
| Consul catalog index during steady state | $I0 → $I1 |
| RSS with $SERVICES services (peak) | $(( RSS_KB / 1024 )) MiB ($(( ${HWM_KB:-0} / 1024 )) MiB) |
| JVM options | \`$JAVA_OPTS\` |
EOT
echo "== written to $OUT/result-$RUN.md"
