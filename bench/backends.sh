#!/usr/bin/env bash
# Benchmarks of the etcd back ends, against a real etcd (Debian's etcd-server, started on free
# ports with a temporary data directory by the harness) and the floor: a bare JDK HttpClient
# writing the same keys (1 and 8 threads; the faster counts).
#
#   bench/backends.sh etcd|etcd3|skydns2 [SERVICES] [ONE_BY_ONE]
#
#   bulk        SERVICES (1,000) services -> all written, through the real index, reconciler and
#               sink (built by its provider), from the first listing
#   one by one  ONE_BY_ONE (200) services added one at a time: change -> visible in etcd
#               (p50/p90/p99), polled with a bare GET
#
# Synthetic instances (no Docker): the daemon finds this sink through ServiceLoader, which the
# bench does not need to measure. Results go to bench/out/backends-<scheme>-<pid>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEME=${1:?usage: bench/backends.sh etcd|etcd3|skydns2 [SERVICES] [ONE_BY_ONE]}
case "$SCHEME" in etcd|etcd3|skydns2) ;; *) echo "unknown back end: $SCHEME" >&2; exit 2;; esac
bash tests/infra/install-etcd.sh

./mvnw -q -pl sinks/etcd -am install -DskipTests
CP_FILE=$(mktemp)
trap 'rm -f "$CP_FILE"' EXIT
./mvnw -q -pl sinks/etcd dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$CP_FILE" >/dev/null
JAVA=${JAVA:-java}
for j in "$JAVA" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/*/bin/java; do
  if "$j" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then JAVA=$j; break; fi
done
mkdir -p bench/out
OUT=bench/out/backends-$SCHEME-$$.txt
"$JAVA" -Xmx256m \
  -cp "sinks/etcd/target/test-classes:sinks/etcd/target/classes:$(cat "$CP_FILE")" \
  io.registrybridge.sink.etcd.EtcdBench "$SCHEME" "${2:-1000}" "${3:-200}" | grep "^$SCHEME:" | tee "$OUT"
