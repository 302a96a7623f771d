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

  @Option(names = {"-source", "--source"}, paramLabel = "KIND",
      description = "Where services come from: docker (the local engine) or kubernetes (a"
          + " cluster's Services and EndpointSlices). Repeat it to run both. Default: docker.")
  List<String> sources = new ArrayList<>();

  @Option(names = {"-k8s-context", "--k8s-context"}, paramLabel = "NAME",
      description = "The kubeconfig context of the cluster. The cluster is found as kubectl"
          + " finds it: KUBECONFIG, else ~/.kube/config, else the in-cluster service account."
          + " Default: the current context.")
  String k8sContext;

  @Option(names = {"-leader-elect", "--leader-elect"}, paramLabel = "NAMESPACE/NAME",
      description = "Elect one writer among the replicas with this coordination.k8s.io/v1"
          + " Lease; the others watch and stand by. Needs -source=kubernetes alone. Default:"
          + " off (this replica writes).")
  String leaderElect;

  @Option(names = {"-allow-k8s-namespace", "--allow-k8s-namespace"}, paramLabel = "NS",
      description = "Sync only Services in this namespace; repeatable; * means all. Default:"
          + " all.")
  List<String> allowNamespaces = new ArrayList<>();

  @Option(names = {"-deny-k8s-namespace", "--deny-k8s-namespace"}, paramLabel = "NS",
      description = "Never sync Services in this namespace; repeatable; wins over"
          + " -allow-k8s-namespace. Default: none.")
  List<String> denyNamespaces = new ArrayList<>();

  @Option(names = {"-k8s-label-selector", "--k8s-label-selector"}, paramLabel = "SELECTOR",
      description = "Sync only Services whose labels match this selector (app=web,tier!=db)."
          + " Default: all.")
  String labelSelector;

  @Option(names = {"-k8s-default-sync", "--k8s-default-sync"}, arity = "0..1",
      fallbackValue = "true", defaultValue = "true",
      description = "Sync Services without a sync annotation; false syncs only those annotated"
          + " consul.hashicorp.com/service-sync or registry-bridge.io/sync: \"true\"."
          + " Default: true.")
  boolean defaultSync = true;

  @Option(names = {"-node-port-sync-type", "--node-port-sync-type"}, paramLabel = "TYPE",
      defaultValue = "ExternalOnly",
      description = "The node address of NodePort Services: ExternalOnly, ExternalFirst or"
          + " InternalOnly. Default: ${DEFAULT-VALUE}.")
  String nodePortSync;

  @Option(names = {"-consul-k8s-tag", "--consul-k8s-tag"}, paramLabel = "TAG",
      defaultValue = "k8s",
      description = "A tag on every Kubernetes instance; empty for none. Default:"
          + " ${DEFAULT-VALUE}.")
  String k8sTag;

  @Option(names = {"-sync-clusterip-services", "--sync-clusterip-services"}, arity = "0..1",
      fallbackValue = "true", defaultValue = "true", paramLabel = "BOOL",
      description = "Sync ClusterIP Services (headless ones included); false leaves them out"
          + " whatever their annotations say. Default: true.")
  boolean syncClusterIp = true;

  @Option(names = {"-sync-lb-services-endpoints", "--sync-lb-services-endpoints"},
      arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
      description = "Register a LoadBalancer Service's ready endpoints instead of its ingress"
          + " addresses. Default: false.")
  boolean syncLbEndpoints;

  @Option(names = {"-consul-service-prefix", "--consul-service-prefix"}, paramLabel = "PREFIX",
      description = "Put this before the name of every Kubernetes instance whose name no"
          + " annotation sets. Default: none.")
  String servicePrefix;

  @Option(names = {"-add-k8s-namespace-suffix", "--add-k8s-namespace-suffix"}, arity = "0..1",
      fallbackValue = "true", paramLabel = "BOOL",
      description = "Append -<namespace> to the name of every Kubernetes instance whose name no"
          + " annotation sets. Default: false.")
  boolean namespaceSuffix;

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

  @Option(names = {"-docker-health", "--docker-health"}, arity = "0..1", fallbackValue = "true",
      defaultValue = "true", paramLabel = "BOOL",
      description = "Mirror a container's Docker HEALTHCHECK into its services (a Consul check"
          + " set on every health_status event; critical endpoints leave the mesh) unless it"
          + " has SERVICE_CHECK_* or SERVICE_DOCKER_HEALTH=false. Default: true.")
  boolean dockerHealth = true;

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
          + " Not with -leader-elect. Default: keep them, as Registrator does, so a restart"
          + " changes nothing.")
  boolean deregisterOnShutdown;

  @Option(names = {"-k8s-consul-node", "--k8s-consul-node"}, paramLabel = "NAME",
      defaultValue = "k8s-sync",
      description = "The Consul node that holds instances which do not run on this host"
          + " (Kubernetes endpoints), registered through the catalog API, without checks, as"
          + " consul-k8s's -consul-node-name. Created with address 127.0.0.1 and node meta"
          + " external-source=kubernetes. Default: ${DEFAULT-VALUE}, consul-k8s's.")
  String k8sConsulNode;

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
    try {
      new io.registrybridge.sink.consul.CatalogNode(k8sConsulNode.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("-k8s-consul-node: " + e.getMessage(), e);
    }
    if (hostIp != null && !IpLiterals.isIpLiteral(hostIp)) {
      throw new IllegalArgumentException("-ip must be an IP address, not '" + hostIp + "'");
    }
    List<String> kinds = SourceKinds.parse(sources);
    KubernetesOptions kubernetes = kubernetesOptions();
    if (kubernetes.leaderElect().isPresent() && !kinds.equals(List.of(SourceKinds.KUBERNETES))) {
      // A Docker source sees one host: electing one writer among hosts would leave the other
      // hosts' containers unregistered.
      throw new IllegalArgumentException("-leader-elect needs -source=kubernetes alone");
    }
    if (kubernetes.leaderElect().isPresent() && deregisterOnShutdown) {
      // Every replica shares one owner ID, so "what this bridge registered" is the whole
      // catalog: a leader stopped by a rolling update would remove it all, and one that lost
      // its Lease would remove what the new leader holds.
      throw new IllegalArgumentException("-deregister-on-shutdown cannot be used with"
          + " -leader-elect: the replicas share one owner ID, so every rolling update would"
          + " deregister the whole catalog, and a leader that lost its Lease could delete what"
          + " the new leader holds; without it, a new leader adopts the registrations as they"
          + " are");
    }
    return new BridgeConfig(
        kinds,
        kubernetes,
        List.copyOf(sinkUris),
        internal,
        Optional.ofNullable(blankToNull(hostIp)),
        explicit,
        Optional.ofNullable(blankToNull(useIpFromLabel)),
        tags == null ? List.of() : io.registrybridge.core.TagParser.parse(tags),
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
        deregisterOnShutdown,
        dockerHealth,
        k8sConsulNode.trim());
  }

  private KubernetesOptions kubernetesOptions() {
    return new KubernetesOptions(
        Optional.ofNullable(blankToNull(k8sContext)),
        Optional.ofNullable(blankToNull(leaderElect)).map(KubernetesOptions.LeaseName::parse),
        allowNamespaces.stream().map(String::trim).filter(n -> !n.isEmpty()).toList(),
        denyNamespaces.stream().map(String::trim).filter(n -> !n.isEmpty()).toList(),
        Optional.ofNullable(blankToNull(labelSelector)),
        defaultSync,
        io.registrybridge.source.kubernetes.NodePortSync.parse(nodePortSync),
        Optional.ofNullable(blankToNull(k8sTag)),
        new io.registrybridge.source.kubernetes.SyncOptions(syncClusterIp, syncLbEndpoints,
            servicePrefix == null ? "" : servicePrefix, namespaceSuffix));
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
