#!/usr/bin/env bash
# zookeeper:// under load against a real ZooKeeper 3.8 (Debian's package, its own process on a
# free port with a fresh data directory; tests/infra/install-zookeeper.sh installs it). Not part
# of the test suite; the numbers and their conditions go into docs/benchmarks.md.
#
#   bench/backend-zookeeper.sh [N] [SAMPLES]     (defaults: 1000 containers, 200 samples)
#
#   floor    a bare Curator client creating the same N nodes one after another (what
#            Registrator's adapter does): the floor
#   bridge   N synthetic containers -> all written, from building the sink through the real
#            DesiredIndex, SinkReconciler and ZooKeeper sink (the Docker half is measured by
#            bench/run.sh); then SAMPLES more, one at a time: reported -> visible to another
#            client, p50/p99
# Each phase gets a fresh server. Bounded: every node is on 127.0.0.1, the script stops itself.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-1000}
SAMPLES=${2:-200}
JAR=${ZOOKEEPER_SERVER_JAR:-/usr/share/java/zookeeper.jar}
[ -r "$JAR" ] || { echo "no ZooKeeper at $JAR: run tests/infra/install-zookeeper.sh" >&2; exit 1; }
OUT=$PWD/bench/out/zookeeper-$$; mkdir -p "$OUT"

./mvnw -q -pl sinks/zookeeper -am -DskipTests install >/dev/null
./mvnw -q -pl sinks/zookeeper dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$OUT/cp.txt" >/dev/null
CP="sinks/zookeeper/target/test-classes:sinks/zookeeper/target/classes:$(cat "$OUT/cp.txt")"
JAVA=$(./mvnw -q help:evaluate -Dexpression=java.home -DforceStdout 2>/dev/null)/bin/java
[ -x "$JAVA" ] || JAVA=java

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SERVER=""
stop_server() { if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi; SERVER=""; }
trap 'stop_server; rm -rf "$OUT"/data-*' EXIT

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

echo "# zookeeper:// bench, $(date -u +%FT%TZ), N=$N, samples=$SAMPLES" | tee "$OUT/result.md"
start_server floor; run floor "$CONNECT" /bench "$N" | tee -a "$OUT/result.md"; stop_server
start_server bridge; run bridge "$CONNECT" /bench "$N" "$SAMPLES" | tee -a "$OUT/result.md"; stop_server
echo "results: $OUT/result.md"
