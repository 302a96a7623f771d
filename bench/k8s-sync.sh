#!/usr/bin/env bash
# The Kubernetes source end to end, against a real Consul agent. Not part of the test suite
# (about a minute, plus the build); the numbers and their conditions go into
# docs/benchmarks.md.
#
#   bench/k8s-sync.sh [SERVICES [ENDPOINTS [CHANGES]]]      (default 200 25 50)
#
# What it measures (tests/.../bench/KubernetesSyncBench.java, one JVM):
#   The API server is fabric8's mock server in CRUD mode (with watches), in the bench's own JVM:
#   there is no kube-apiserver on this machine. It holds SERVICES ClusterIP Services, each with
#   one EndpointSlice of ENDPOINTS ready endpoints and a Pod per endpoint, all on one Node
#   (200 x 25 = 5,000 instances). The real KubernetesSource -> DesiredIndex -> SinkReconciler ->
#   ConsulSink write them to the catalog node k8s-sync of a Consul 1.8.7 dev agent (a container
#   of its own, removed at the end).
#   1. full sync: from the source's start to every instance in the catalog (the sink's write
#      count, then one read of the node that confirms it), against two floors: the same
#      registrations (read back from the catalog) sent by a bare JDK HttpClient into a freshly
#      emptied node, as 4 threads of PUT /v1/catalog/register and as 4 threads of /v1/txn with
#      64 operations (the sink's concurrency and batch); median of 3 rounds after a warm-up.
#   2. one change: CHANGES EndpointSlice writes one after the other, each on another Service
#      (every other one adds an endpoint, the others flip an endpoint to not ready), timed from
#      just before the write to the mock until a blocking query on the Service's catalog entries
#      shows it: p50 / p90 / p99 / max (nearest rank: p99 of 50 is the max).
#   3. memory: heap used after a full GC (MemoryMXBean) and VmRSS with every instance synced.
#      The mock's objects live in the same JVM: the heap its store holds is measured before the
#      source starts and printed, and subtracted (heap_without_mock_store_mib); RSS includes
#      the mock and its objects and cannot be split (rss_grown_since_mock_full_mib is the
#      growth from the source's start).
#   Also printed: when the source's first listing completed and when the sink counted its
#   writes (the breakdown of 1.), Consul's own count of HTTP requests by endpoint in its 10 s
#   metrics intervals around the sync (/v1/agent/metrics), and the sink's writes in 10 s idle
#   (expected 0).
#
# JVM options: the launcher's defaults (bin/registry-bridge), with -Xmx256m for the mock's
# objects; JAVA_OPTS replaces them. Needs docker, curl, a JDK 21+, hashicorp/consul:1.8.7
# (or CONSUL_IMAGE).
set -euo pipefail
cd "$(dirname "$0")/.."

CONSUL_IMAGE=${CONSUL_IMAGE:-hashicorp/consul:1.8.7}
RUN=rbk8sbench-$$-$RANDOM
OUT=bench/out/$RUN; mkdir -p "$OUT"
CP=$OUT/cp.txt

JAVA=${JAVA:-java}
for j in "$JAVA" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/*/bin/java; do
  if "$j" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then JAVA=$j; break; fi
done
JAVA_OPTS=${JAVA_OPTS-"-XX:+UseSerialGC -Xms8m -Xmx256m -Xmn4m -Xss512k -XX:TieredStopAtLevel=1 \
-XX:ReservedCodeCacheSize=32m -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError \
-XX:MinHeapFreeRatio=20 -XX:MaxHeapFreeRatio=40 -XX:-ShrinkHeapInSteps \
--enable-native-access=ALL-UNNAMED"}
if "$JAVA" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  JAVA_OPTS="$JAVA_OPTS -XX:TrimNativeHeapInterval=30000"
fi

# In the reactor, so that our own modules come from this checkout, not from ~/.m2.
./mvnw -q -DskipTests package dependency:build-classpath -pl tests -am \
  -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$CP" >/dev/null

cleanup() { docker rm -f "$RUN" >/dev/null 2>&1 || true; }
trap cleanup EXIT
docker run -d --name "$RUN" -e SERVICE_IGNORE=true -p 127.0.0.1::8500 "$CONSUL_IMAGE" \
  agent -dev -client 0.0.0.0 -log-level warn >/dev/null
CONSUL=http://$(docker port "$RUN" 8500/tcp | head -1)
for i in $(seq 300); do
  curl -fs "$CONSUL/v1/status/leader" | grep -q '"[^"]' && break
  [ "$i" -lt 300 ] || { echo "Consul at $CONSUL elected no leader in 30 s" >&2; exit 1; }
  sleep 0.1
done

{
  echo "# k8s-sync $RUN, $(date -u +%FT%TZ);" \
    "$(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB"
  echo "consul: $CONSUL_IMAGE dev, -log-level warn, container $RUN"
} | tee "$OUT/result.txt"
# Three logback-test.xml on the test classpath: logback's status lines about it are noise.
# shellcheck disable=SC2086 # JAVA_OPTS is a list of words
"$JAVA" $JAVA_OPTS -Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener \
  -cp "tests/target/test-classes:$(cat "$CP")" \
  io.registrybridge.tests.bench.KubernetesSyncBench "$CONSUL" "$@" | tee -a "$OUT/result.txt"
echo "== written to $OUT/result.txt"
