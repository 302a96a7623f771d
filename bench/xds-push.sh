#!/usr/bin/env bash
# The istio-xds push benchmark: N services (default 1,000, two endpoints each) through the real
# mesh engine and ADS server to an istiod-like client on a local port, plaintext gRPC. Prints
# the push size and the time from a complete sync to the client holding every object, and for
# one change. No Docker, no istiod. Numbers and their conditions go into docs/benchmarks.md.
#
#   bench/xds-push.sh [SERVICES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
SERVICES=${1:-1000}
RUNS=${2:-5}
CP=sinks/mesh-xds/target/bench.classpath
./mvnw -q -pl sinks/mesh-xds -am -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile="$PWD/$CP" -Dmdep.includeScope=test
JAVA=${JAVA:-java}
for j in "$JAVA" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/*/bin/java; do
  if "$j" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then JAVA=$j; break; fi
done
"$JAVA" -Xmx256m -cp "sinks/mesh-xds/target/test-classes:sinks/mesh-xds/target/classes:$(cat "$CP")" \
  io.registrybridge.sink.mesh.xds.XdsPushBench "$SERVICES" "$RUNS"
