# registry-bridge runtime image.
#
#   ./mvnw -q -DskipTests package          # builds bridge/target/registry-bridge.jar
#   docker build -t registry-bridge .
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

# The JVM of a small, mostly idle daemon (measured in docs/operations.md, "Memory, size,
# start-up": about 128 MB resident with 100 services, against 180 MB with the JVM's defaults):
#   -XX:+UseSerialGC           one GC thread, no concurrent GC structures
#   -Xmx64m                    the live heap is about 15 MB with 100 services
#   -Xss512k                   a few dozen threads, none of them deep
#   -XX:TieredStopAtLevel=1    C1 only: less compiler memory and CPU; peak speed does not matter
#   -XX:ReservedCodeCacheSize  enough for C1 code of this application
#   -XX:-UsePerfData           no /tmp/hsperfdata file (jcmd/jstat cannot attach by PID then)
#   -XX:+ExitOnOutOfMemoryError  let the restart policy start a clean process
#   --enable-native-access     native code (junixsocket for consul-unix://) without JDK warnings
# Replace JAVA_OPTS as a whole to change them (docker run -e JAVA_OPTS=..., compose environment).
ENV JAVA_OPTS="-XX:+UseSerialGC -Xmx64m -Xss512k -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=32m -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError --enable-native-access=ALL-UNNAMED"

# junixsocket (consul-unix://) unpacks its native library into java.io.tmpdir: /tmp must be
# writable by any user (it is on the Ubuntu-based image; this matters for minimal bases).
RUN mkdir -p /tmp && chmod 1777 /tmp

COPY bridge/target/registry-bridge.jar /opt/registry-bridge/registry-bridge.jar

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
# wins). exec: java is PID 1's replacement and receives SIGTERM from `docker stop` (exit 0).
ENTRYPOINT ["/bin/sh", "-c", "exec java $JAVA_OPTS -jar /opt/registry-bridge/registry-bridge.jar -http-listen=:8080 \"$@\"", "registry-bridge"]
CMD ["--help"]
