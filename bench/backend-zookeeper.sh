#!/usr/bin/env bash
# zookeeper:// under load against a real ZooKeeper 3.8 (Debian's package, its own process on a
# free port with a fresh data directory; tests/infra/install-zookeeper.sh installs it). Not part
# of the test suite; the numbers and their conditions go into docs/benchmarks.md.
#
#   bench/backend-zookeeper.sh [PHASE...]     phases: floor sink bulk latency (default: all)
#
#   floor    a bare Curator client creating the same N nodes one after another (what
#            Registrator's adapter does): the floor
#   sink     N synthetic containers -> all written, from building the sink through the real
#            DesiredIndex, SinkReconciler and ZooKeeper sink; then SAMPLES more, one at a time:
#            reported -> visible to another client, p50/p99
#   bulk     N running containers (one service name, -internal) -> all N nodes visible, from
#            launching the daemon (bin/registry-bridge; build the jar first)
#   latency  LATENCY_COUNT containers started one by one: State.StartedAt -> the service's node
#            visible (bench/latency.py --zookeeper, which reads with Debian's python3-kazoo)
#
# N (1000), SAMPLES (200) and LATENCY_COUNT (300) come from the environment. Each phase gets a
# fresh server. bulk and latency need docker and busybox:1.36; what they create carries the
# run's label and is removed at exit. Every node is on 127.0.0.1; the script stops its server.
set -euo pipefail
cd "$(dirname "$0")/.."

PHASES=${*:-floor sink bulk latency}
N=${N:-1000}
SAMPLES=${SAMPLES:-200}
LATENCY_COUNT=${LATENCY_COUNT:-300}
JAR=${ZOOKEEPER_SERVER_JAR:-/usr/share/java/zookeeper.jar}
[ -r "$JAR" ] || { echo "no ZooKeeper at $JAR: run tests/infra/install-zookeeper.sh" >&2; exit 1; }
RUN=rbzk-$$
OUT=$PWD/bench/out/$RUN; mkdir -p "$OUT"
RESULT=$OUT/result.md
BASE=/bench-$RUN

./mvnw -q -pl sinks/zookeeper -am -DskipTests install >/dev/null
./mvnw -q -pl sinks/zookeeper dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$OUT/cp.txt" >/dev/null
CP="sinks/zookeeper/target/test-classes:sinks/zookeeper/target/classes:$(cat "$OUT/cp.txt")"
JAVA=$(./mvnw -q help:evaluate -Dexpression=java.home -DforceStdout 2>/dev/null)/bin/java
[ -x "$JAVA" ] || JAVA=java
if [ -x bin/registry-bridge ]; then LAUNCH=(bin/registry-bridge)
else LAUNCH=("$JAVA" -jar bridge/target/registry-bridge.jar); fi
case " $PHASES " in *" bulk "*|*" latency "*) bash tests/infra/install-kazoo.sh ;; esac
# The Python that has kazoo (Debian's python3-kazoo goes to the system Python).
PYTHON=python3
for py in python3 /usr/bin/python3; do
  if "$py" -c 'import kazoo' 2>/dev/null; then PYTHON=$py; break; fi
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
say() { echo "$*" | tee -a "$RESULT"; }
SERVER=""
DAEMON=""
stop_server() { if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi; SERVER=""; }
stop_bridge() { if [ -n "$DAEMON" ]; then kill "$DAEMON" 2>/dev/null || true; wait "$DAEMON" 2>/dev/null || true; fi; DAEMON=""; }
cleanup() {
  stop_bridge
  stop_server
  rm -rf "$OUT"/data-*
  docker ps -aq --filter "label=$RUN" 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network ls -q --filter "label=$RUN" 2>/dev/null | xargs -r docker network rm >/dev/null 2>&1 || true
}
trap cleanup EXIT

start_server() {
  local port; port=$(free_port)
  local dir="$OUT/data-$1"; mkdir -p "$dir"
  printf 'tickTime=2000\ndataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=ruok\nmaxClientCnxns=0\n' \
    "$dir" "$port" > "$dir/zoo.cfg"
  "$JAVA" -Xmx256m -cp "$JAR" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" \
    > "$dir/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do
    [ "$( (exec 3<>/dev/tcp/127.0.0.1/"$port" && printf ruok >&3 && cat <&3) 2>/dev/null)" = imok ] && break
    sleep 0.1
  done
  CONNECT=127.0.0.1:$port
}

run() { "$JAVA" -cp "$CP" io.registrybridge.sink.zookeeper.ZooKeeperLoad "$@"; }
start_bridge() {
  HTTP_PORT=$(free_port)
  "${LAUNCH[@]}" -hostname "$RUN" -internal -http-listen "127.0.0.1:$HTTP_PORT" \
    "zookeeper://$CONNECT$BASE" >>"$OUT/daemon.log" 2>&1 &
  DAEMON=$!
}
start_containers() { # prefix first last [docker args...]
  local prefix=$1 first=$2 last=$3; shift 3
  seq "$first" "$last" | xargs -P 8 -I{} docker run -d --label "$RUN" --name "$RUN-$prefix-{}" \
    "$@" busybox:1.36 sh -c "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done" >/dev/null
}
# Waits, connected before it says "ready", until PATH has COUNT children; prints the epoch ms.
wait_children() { # path count
  "$PYTHON" - "$CONNECT" "$1" "$2" <<'PY'
import sys, time
from kazoo.client import KazooClient
connect, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
zk = KazooClient(hosts=connect); zk.start(timeout=10)
print("ready", flush=True)
while True:
    stat = zk.exists(path)
    if stat is not None and stat.numChildren >= count:
        print(time.time_ns() // 1_000_000, flush=True)
        break
    time.sleep(0.005)
zk.stop(); zk.close()
PY
}

{
  echo "# zookeeper:// bench $RUN, $(date -u +%FT%TZ)"
  echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg); N=$N, samples=$SAMPLES, latency count=$LATENCY_COUNT"
  echo "launcher: ${LAUNCH[*]}; ZooKeeper: $JAR"
} | tee "$RESULT"

for phase in $PHASES; do case $phase in
floor)
  start_server floor; run floor "$CONNECT" /bench "$N" | tee -a "$RESULT"; stop_server ;;
sink)
  start_server sink; run bridge "$CONNECT" /bench "$N" "$SAMPLES" | tee -a "$RESULT"; stop_server ;;
bulk)
  docker network create --label "$RUN" "$RUN-bulk" >/dev/null
  start_containers bulk 1 "$N" -e SERVICE_NAME=bulk --expose 80 --network "$RUN-bulk"
  start_server bulk
  coproc WAITER { wait_children "$BASE/bulk" "$N"; }
  read -r _ <&"${WAITER[0]}"
  t0=$(now_ms); start_bridge
  read -r t1 <&"${WAITER[0]}"
  say "bulk: $N running containers -> all $N nodes visible from launch: $(( t1 - t0 )) ms"
  stop_bridge; stop_server
  docker ps -aq --filter "label=$RUN" --filter "name=$RUN-bulk-" | xargs -r docker rm -f >/dev/null
  docker network rm "$RUN-bulk" >/dev/null 2>&1 || true
  ;;
latency)
  start_server latency; start_bridge
  # Ready: the first listing is in and every sink has synced once (an empty start logs no "synced").
  until curl -fs "127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1; do sleep 0.05; done
  "$PYTHON" bench/latency.py --zookeeper "$CONNECT$BASE" --count "$LATENCY_COUNT" \
    --prefix "$RUN-lat" --label "$RUN" >"$OUT/latency.txt" 2>"$OUT/latency.summary"
  say "latency ($LATENCY_COUNT one by one): $(tail -1 "$OUT/latency.summary")"
  stop_bridge; stop_server
  ;;
*) echo "unknown phase $phase" >&2; exit 2 ;;
esac; done
echo "results: $RESULT"
