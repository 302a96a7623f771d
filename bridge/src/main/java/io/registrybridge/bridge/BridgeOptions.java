package io.registrybridge.bridge;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The command line, flag for flag compatible with Registrator: every flag is accepted with one
 * dash or two, as {@code -flag=value} or {@code -flag value}. Fields are filled by picocli; {@link
 * #toConfig} validates them into an immutable {@link BridgeConfig}.
 */
final class BridgeOptions {

  @Parameters(paramLabel = "SINK-URI", arity = "1..*", description = {
      "Where to register services. One or more of:",
      "  consul://HOST[:PORT]        Consul agent over HTTP (port 8500)",
      "  consul-tls://HOST[:PORT]    Consul agent over HTTPS; CA, client certificate and key from"
          + " CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY; the server certificate is"
          + " verified",
      "  consul-unix:///PATH         Consul agent on a Unix domain socket",
      "  istio-k8s://[?namespace=NS] Istio ServiceEntry objects through the Kubernetes API"
          + " (in-cluster config or KUBECONFIG)",
      "  istio-dir:///PATH           Istio ServiceEntry YAML files in a directory (istiod"
          + " configSources fs://, GitOps, kubectl apply -f)",
      "  istio-xds://[HOST]:PORT     Istio ServiceEntry served to istiod over xDS (istiod"
          + " configSources xds://HOST:PORT); TLS with ?tlsCert=PEM&tlsKey=PEM",
      "The Consul ACL token comes from CONSUL_HTTP_TOKEN or the file named by"
          + " CONSUL_HTTP_TOKEN_FILE, never from the command line."})
  List<String> sinkUris = new ArrayList<>();

  @Option(names = {"-internal", "--internal"}, arity = "0..1", fallbackValue = "true",
      description = "Register the container's own address and exposed ports instead of the"
          + " published host ports. Default: off.")
  boolean internal;

  @Option(names = {"-ip", "--ip"}, paramLabel = "IP",
      description = "Address to register for published ports; overrides the binding's host"
          + " address. Default: the binding's address when it is specific, else empty (Consul"
          + " then uses the agent's node address).")
  String hostIp;

  @Option(names = {"-explicit", "--explicit"}, arity = "0..1", fallbackValue = "true",
      description = "Only register containers that set SERVICE_NAME (or SERVICE_<port>_NAME)."
          + " Default: off.")
  boolean explicit;

  @Option(names = {"-useIpFromLabel", "--useIpFromLabel"}, paramLabel = "LABEL",
      description = "Take the service address from this container label (a /prefix is"
          + " stripped). Default: none.")
  String useIpFromLabel;

  @Option(names = {"-tags", "--tags"}, paramLabel = "TAGS",
      description = "Comma-separated tags appended to every service. Default: none.")
  String tags;

  @Option(names = {"-ttl", "--ttl"}, paramLabel = "SECONDS",
      description = "Give every service a TTL check of this many seconds that the bridge keeps"
          + " passing. Default: 0 (none).")
  int ttl;

  @Option(names = {"-ttl-refresh", "--ttl-refresh"}, paramLabel = "SECONDS",
      description = "How often the bridge passes the TTL checks; must be below -ttl."
          + " Default: half of -ttl.")
  int ttlRefresh;

  @Option(names = {"-resync", "--resync"}, paramLabel = "SECONDS",
      description = "Re-list all containers this often. Only differences are written, so this"
          + " adds no writes at steady state. Default: 0 (never; the event stream suffices).")
  int resync;

  @Option(names = {"-deregister", "--deregister"}, paramLabel = "WHEN", defaultValue = "always",
      description = "When a stopped container's services leave the registry: always,"
          + " on-success (only after exit code 0), never (only when the container is removed)."
          + " Default: ${DEFAULT-VALUE}.")
  String deregister;

  @Option(names = {"-retry-attempts", "--retry-attempts"}, paramLabel = "N",
      defaultValue = "-1",
      description = "How many times to retry a control plane that has not answered yet before"
          + " exiting with status 1; -1 retries forever. Once it has answered, failed writes"
          + " are always retried. Default: ${DEFAULT-VALUE} (Registrator: 0).")
  int retryAttempts;

  @Option(names = {"-retry-interval", "--retry-interval"}, paramLabel = "MILLIS",
      defaultValue = "2000",
      description = "First retry delay in milliseconds; later delays double, with jitter, up to"
          + " -retry-max-interval. Default: ${DEFAULT-VALUE}.")
  long retryIntervalMillis;

  @Option(names = {"-retry-max-interval", "--retry-max-interval"}, paramLabel = "MILLIS",
      defaultValue = "30000",
      description = "Longest retry delay in milliseconds. Default: ${DEFAULT-VALUE}.")
  long retryMaxIntervalMillis;

  @Option(names = {"-cleanup", "--cleanup"}, arity = "0..1", fallbackValue = "true",
      description = "Also remove services that an old Registrator on this host left behind"
          + " (ID <hostname>:<container>:<port>, no owner mark) when no container runs for"
          + " them. The bridge's own orphans are always removed. Default: off.")
  boolean cleanup;

  @Option(names = {"-hostname", "--hostname"}, paramLabel = "NAME",
      description = "The <hostname> part of service IDs and this bridge's owner mark. Default:"
          + " the Docker engine's host name, which survives restarts and recreation of the"
          + " bridge container.")
  String hostname;

  @Option(names = {"-network", "--network"}, paramLabel = "NAME",
      description = "With -internal, the Docker network whose address is registered when a"
          + " container is on several; the container label registry-bridge.network wins over"
          + " it. Default: Docker's bridge network, then the network mode's, then the first by"
          + " name.")
  String network;

  @Option(names = {"-verify-interval", "--verify-interval"}, paramLabel = "SECONDS",
      description = "How often each sink reads back everything it owns, in full, to repair what"
          + " was changed behind its back. Reads only. Changes never wait for it, and a Consul"
          + " agent that lost its services is noticed within seconds by a blocking query."
          + " Default: 300.")
  int verifyInterval;

  @Option(names = {"-http-listen", "--http-listen"}, paramLabel = "HOST:PORT",
      description = "Serve /healthz, /readyz and /metrics (Prometheus) on this address; :8080"
          + " means every interface. Default: off (the container image turns it on at :8080).")
  String httpListen;

  @Option(names = {"-deregister-on-shutdown", "--deregister-on-shutdown"}, arity = "0..1",
      fallbackValue = "true",
      description = "On SIGTERM, remove every service this bridge registered before exiting."
          + " Default: keep them, as Registrator does, so a restart changes nothing.")
  boolean deregisterOnShutdown;

  BridgeConfig toConfig() {
    if (ttl < 0 || ttlRefresh < 0 || resync < 0) {
      throw new IllegalArgumentException("-ttl, -ttl-refresh and -resync must not be negative");
    }
    if (ttl == 0 && ttlRefresh > 0) {
      throw new IllegalArgumentException("-ttl must be greater than 0 when -ttl-refresh is set");
    }
    if (ttl > 0 && ttlRefresh == 0) {
      // Registrator accepted -ttl alone (its Consul adapter ignored it); a TTL check nobody
      // passes would turn critical, so refresh at half the TTL.
      ttlRefresh = Math.max(1, ttl / 2);
    }
    if (ttl > 0 && ttl <= ttlRefresh) {
      throw new IllegalArgumentException("-ttl must be greater than -ttl-refresh");
    }
    if (retryIntervalMillis <= 0 || retryMaxIntervalMillis < retryIntervalMillis) {
      throw new IllegalArgumentException(
          "-retry-interval must be positive and not above -retry-max-interval");
    }
    if (retryAttempts < -1) {
      throw new IllegalArgumentException(
          "-retry-attempts must be -1 (forever) or >= 0, not " + retryAttempts);
    }
    if (verifyInterval < 0) {
      throw new IllegalArgumentException("-verify-interval must be positive");
    }
    if (httpListen != null && !httpListen.isBlank()) {
      HealthServer.parseListen(httpListen.trim());
    }
    if (hostIp != null && !IpLiterals.isIpLiteral(hostIp)) {
      throw new IllegalArgumentException("-ip must be an IP address, not '" + hostIp + "'");
    }
    return new BridgeConfig(
        List.copyOf(sinkUris),
        internal,
        Optional.ofNullable(blankToNull(hostIp)),
        explicit,
        Optional.ofNullable(blankToNull(useIpFromLabel)),
        tags == null ? List.of() : io.registrybridge.source.docker.TagParser.parse(tags),
        ttl == 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(ttl)),
        ttlRefresh == 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(ttlRefresh)),
        resync == 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(resync)),
        io.registrybridge.source.docker.DeregisterPolicy.parse(deregister),
        retryAttempts,
        Duration.ofMillis(retryIntervalMillis),
        Duration.ofMillis(retryMaxIntervalMillis),
        cleanup,
        Optional.ofNullable(blankToNull(hostname)),
        Optional.ofNullable(blankToNull(network)),
        verifyInterval == 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(verifyInterval)),
        Optional.ofNullable(blankToNull(httpListen)),
        deregisterOnShutdown);
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
