# registry-bridge runtime image.
#
#   ./mvnw -q -DskipTests package          # builds bridge/target/registry-bridge.jar
#   docker build -t registry-bridge .      # copies it and bin/registry-bridge, trains the AOT cache
#   docker run -d --name registry-bridge \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     --group-add "$(stat -c %g /var/run/docker.sock)" \
#     registry-bridge -internal consul://CONSUL_HOST:8500
#
# The jar is built by Maven on the host (or in CI) and copied in; this is not a multi-stage
# build with a Maven stage on purpose: a Maven/JDK builder image cannot be pulled on the
# project's offline build machines, and the jar already is the tested artifact (the
# integration tests run exactly this file). The legacy builder (Docker 20.10 without BuildKit)
# must build it too, so it uses no RUN --mount, no heredocs and no COPY --chmod.
# See docs/operations.md for the socket group, a GET-only socket proxy, sizes and memory.
FROM eclipse-temurin:25-jre

ARG VERSION=0.1.0-SNAPSHOT
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="registry-bridge" \
      org.opencontainers.image.description="Keeps Consul (and an Istio ServiceEntry feed) equal to the running Docker containers; a drop-in replacement for gliderlabs/Registrator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="docker.io/library/eclipse-temurin:25-jre"

# The JVM options are bin/registry-bridge's defaults (the launcher is the entrypoint, so the
# image and a source checkout run the daemon the same way):
#   -XX:+UseSerialGC -Xms8m -Xmx64m -Xmn4m   one GC thread; a heap that starts small, a small
#                              young generation, a cap (live heap 15.5 MB with 1,000 services)
#   -Xss512k                   a few dozen threads, none of them deep
#   -XX:TieredStopAtLevel=1    C1 only: less compiler memory and CPU; peak speed does not matter
#   -XX:ReservedCodeCacheSize=32m  enough for C1 code of this application
#   -XX:-UsePerfData           no /tmp/hsperfdata file (jps/jstat cannot find the process)
#   -XX:+ExitOnOutOfMemoryError  let the restart policy start a clean process
#   -XX:MinHeapFreeRatio=20 -XX:MaxHeapFreeRatio=40 -XX:-ShrinkHeapInSteps  the one full
#                              collection after start-up gives the listing's garbage back at once
#   --enable-native-access=ALL-UNNAMED  native code (junixsocket, consul-unix://) without warnings
#   -XX:TrimNativeHeapInterval=30000  (Java 25+) glibc's freed memory back every 30 s
#   --sun-misc-unsafe-memory-access=allow  (Java 24+) gRPC's shaded Netty (istio-xds://) may use
#                              sun.misc.Unsafe without the JVM's four WARNING lines at every start
#                              (what Java 21 to 23 do by default; JAVA_OPTS replacing the
#                              defaults should keep it)
# Measured (docs/operations.md, "Memory, size, start-up", 2 shared cores): with the AOT cache
# below, docker run -> 20 containers in Consul in 1.8 s at best, 1.56 CPU-s, RSS 111 MB; with
# 1,000 services RSS 120 MB (146 MB before the heap ratios and the trim); the JVM's defaults
# used 150-170 MB. Replace the options as a whole
# with JAVA_OPTS (docker run -e JAVA_OPTS=..., compose environment); JAVA_OPTS="" means the
# JVM's own defaults.

# junixsocket (consul-unix://) unpacks its native library into java.io.tmpdir: /tmp must be
# writable by any user (it is on the Ubuntu-based image; this matters for minimal bases).
RUN mkdir -p /tmp && chmod 1777 /tmp

COPY bridge/target/registry-bridge.jar /opt/registry-bridge/registry-bridge.jar
COPY bin/registry-bridge /opt/registry-bridge/bin/registry-bridge

# The JDK 25 AOT cache (JEP 483/514/515): a training run of the real daemon against in-process
# fakes of the Docker engine and Consul (the jar's hidden --aot-training mode, about 10 s)
# records the classes start-up loads and links; the container then starts with them ready:
# about 1 CPU-s and 1 s less to the first registrations, for +55 MB of image and +2 to 3 MB of
# RSS (docs/operations.md). It is made by the launcher with the same JVM, jar and
# options as the entrypoint, so the JVM accepts it at run time: the launcher keeps a stamp
# (registry-bridge.aot.stamp) and only passes -XX:AOTCache= when it matches. It runs as root
# so that the cache and its directory stay read-only for UID 10001 (the user does not enter the
# JVM's checks); with other cache-relevant JAVA_OPTS at run time (module options, compressed
# oops...) the launcher says so and starts without it. A broken training fails the build.
RUN REGISTRY_BRIDGE_AOT=train /opt/registry-bridge/bin/registry-bridge

# Not root. The Docker socket is usually root:docker 0660, so give the container the socket's
# group at run time: `--group-add $(stat -c %g /var/run/docker.sock)` (compose: group_add).
USER 10001:10001
WORKDIR /opt/registry-bridge

# /healthz, /readyz and /metrics. The port is fixed here because the HEALTHCHECK below and the
# Kubernetes probes use it; a later -http-listen in the command wins (then adapt the checks).
EXPOSE 8080

# Alive = /healthz answers 200. The real eclipse-temurin image (Ubuntu) has neither wget nor curl,
# but bash with /dev/tcp; busybox-based images have nc but no bash. Plain HTTP/1.0 over a socket
# works with both and needs no name resolution.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD if command -v bash >/dev/null 2>&1; then bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /healthz HTTP/1.0\r\n\r\n" >&3 && read -r -t 4 _ s _ <&3 && [ "$s" = 200 ]'; else printf 'GET /healthz HTTP/1.0\r\n\r\n' | nc -w 4 127.0.0.1 8080 | head -n 1 | grep -q ' 200 '; fi

# `docker run IMAGE ARGS...` appends ARGS after -http-listen=:8080 (the last repeated option
# wins). The launcher (POSIX sh: the minimal stand-in base has no bash) exec's java, so java
# replaces it as PID 1 and receives SIGTERM from `docker stop` (exit 0).
ENTRYPOINT ["/opt/registry-bridge/bin/registry-bridge", "-http-listen=:8080"]
CMD ["--help"]
