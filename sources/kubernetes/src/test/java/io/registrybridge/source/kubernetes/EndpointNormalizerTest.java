package io.registrybridge.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.Protocol;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Transport;
import io.registrybridge.core.attributes.Finding;
import io.registrybridge.source.kubernetes.ServiceView.PortView;
import io.registrybridge.source.kubernetes.SliceView.EndpointView;
import io.registrybridge.source.kubernetes.SliceView.SlicePort;
import io.registrybridge.source.kubernetes.SliceView.TargetRef;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EndpointNormalizerTest {
  private static final EndpointNormalizer.Cluster CLUSTER = new EndpointNormalizer.Cluster() {
    @Override
    public Map<String, String> podLabels(String namespace, String name) {
      return Map.of();
    }

    @Override
    public Map<String, String> nodeAddresses(String nodeName) {
      return switch (nodeName) {
        case "node-1" -> Map.of("InternalIP", "10.0.0.1", "ExternalIP", "203.0.113.1");
        case "node-2" -> Map.of("InternalIP", "10.0.0.2");
        default -> Map.of();
      };
    }
  };

  private final EndpointNormalizer normalizer =
      new EndpointNormalizer(KubernetesSourceConfig.defaults("c1"));

  private static PortView tcp(String name, int port, int nodePort) {
    return new PortView(name, port, Optional.of(Transport.TCP), "TCP", null, nodePort);
  }

  private static ServiceView service(String type, Map<String, String> annotations,
      List<PortView> ports) {
    return new ServiceView("shop", "web", type, annotations, ports, List.of(), List.of());
  }

  private static EndpointView ready(String address, String node) {
    return new EndpointView(List.of(address), true, Optional.of(node), Optional.empty(),
        Optional.of(new TargetRef("Pod", "shop", "web-" + address)));
  }

  private static SliceView slice(List<SlicePort> ports, EndpointView... endpoints) {
    return new SliceView("web-1", ports, List.of(endpoints));
  }

  private EndpointNormalizer.Result normalize(ServiceView service, SliceView... slices) {
    return normalizer.normalize(service, List.of(slices), CLUSTER);
  }

  @Test
  void severalPortsGetASuffixUnlessNamedPerPortAndEndpointsKeepTheirOwnPort() {
    ServiceView svc = service("ClusterIP", Map.of("registry-bridge.io/grpc.name", "web-api",
        "registry-bridge.io/9090.protocol", "http2"),
        List.of(tcp("http", 80, 0), tcp("grpc", 9090, 0)));
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP),
        new SlicePort("grpc", 9091, Transport.TCP)), ready("10.1.0.1", "node-1"));

    List<ServiceInstance> instances = normalize(svc, slice).instances();

    assertThat(instances).extracting(ServiceInstance::id, ServiceInstance::name,
        ServiceInstance::port, ServiceInstance::targetPort, i -> i.protocol().orElseThrow())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("c1:shop.web:10.1.0.1:80", "web-80", 8080, 80,
                Protocol.HTTP),
            org.assertj.core.groups.Tuple.tuple("c1:shop.web:10.1.0.1:9090", "web-api", 9091,
                9090, Protocol.HTTP2));
  }

  @Test
  void consulK8sServicePortPicksOnePortUnderThePlainName() {
    ServiceView svc = service("ClusterIP", Map.of("consul.hashicorp.com/service-port", "grpc",
        "consul.hashicorp.com/service-tags", "a,b", "consul.hashicorp.com/service-meta-team",
        "blue"), List.of(tcp("http", 80, 0), tcp("grpc", 9090, 0)));
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP),
        new SlicePort("grpc", 9091, Transport.TCP)), ready("10.1.0.1", "node-1"));

    assertThat(normalize(svc, slice).instances()).singleElement().satisfies(i -> {
      assertThat(i.name()).isEqualTo("web");
      assertThat(i.port()).isEqualTo(9091);
      assertThat(i.tags()).containsExactly("a", "b", "k8s");
      assertThat(i.meta()).containsEntry("team", "blue").containsEntry("port-grpc", "9090");
    });
  }

  @Test
  void nodePortRegistersEachNodeOnceAtTheNodePortWithTheChosenAddressType() {
    ServiceView svc = service("NodePort", Map.of(), List.of(tcp("http", 80, 30080)));
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP)),
        ready("10.1.0.1", "node-1"), ready("10.1.0.2", "node-1"), ready("10.1.0.3", "node-2"));

    assertThat(normalize(svc, slice).instances()).extracting(ServiceInstance::address,
        ServiceInstance::port).containsExactly(org.assertj.core.groups.Tuple.tuple(
            "203.0.113.1", 30080)); // ExternalOnly: node-2 has no ExternalIP
    EndpointNormalizer externalFirst = new EndpointNormalizer(new KubernetesSourceConfig("c1",
        Set.of(), Set.of(), Optional.empty(), true, NodePortSync.EXTERNAL_FIRST,
        Optional.empty(), List.of(), SyncOptions.DEFAULTS, "k8s-sync"));
    assertThat(externalFirst.normalize(svc, List.of(slice), CLUSTER).instances())
        .extracting(ServiceInstance::address).containsExactly("203.0.113.1", "10.0.0.2");
  }

  @Test
  void externalIpsComeFirstThenLoadBalancerIngress() {
    ServiceView lb = new ServiceView("shop", "web", "LoadBalancer", Map.of(),
        List.of(tcp("http", 80, 30080)), List.of(), List.of("198.51.100.7", "lb.example.com"));
    assertThat(normalize(lb).instances()).extracting(ServiceInstance::address,
        ServiceInstance::port).containsExactly(
            org.assertj.core.groups.Tuple.tuple("198.51.100.7", 80),
            org.assertj.core.groups.Tuple.tuple("lb.example.com", 80));
    ServiceView withExternalIps = new ServiceView("shop", "web", "LoadBalancer", Map.of(),
        List.of(tcp("http", 80, 30080)), List.of("192.0.2.10"), List.of("198.51.100.7"));
    assertThat(normalize(withExternalIps).instances()).extracting(ServiceInstance::address)
        .containsExactly("192.0.2.10");
  }

  @Test
  void anIdNoSinkCanUseIsReportedAndOnlyThatInstanceLeftOut() {
    // 63-character namespace and name, and a load balancer hostname: over 256 characters.
    String longName = "n".repeat(63);
    String hostname = "a".repeat(63) + "." + "b".repeat(63) + ".elb.example.com";
    ServiceView lb = new ServiceView(longName, longName, "LoadBalancer", Map.of(),
        List.of(tcp("http", 80, 30080)), List.of(), List.of("198.51.100.7", hostname));

    EndpointNormalizer.Result result = normalize(lb);

    assertThat(result.instances()).extracting(ServiceInstance::address)
        .containsExactly("198.51.100.7");
    assertThat(result.problems()).extracting(Finding::toString).singleElement()
        .satisfies(p -> assertThat(p).startsWith("service " + longName + "/" + longName
            + ", service id: service id longer than 256 characters (").endsWith(
            "...'); port 80 at " + hostname + " not registered"));
  }

  @Test
  void idAndChecksAreRefusedPerPortAsWellAsForTheWholeService() {
    ServiceView svc = service("ClusterIP", Map.of("registry-bridge.io/id", "mine",
        "registry-bridge.io/http.id", "mine-too", "registry-bridge.io/80.check_http", "/health",
        "registry-bridge.io/check_tcp", "true"), List.of(tcp("http", 80, 0)));
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP)),
        ready("10.1.0.1", "node-1"));

    EndpointNormalizer.Result result = normalize(svc, slice);

    assertThat(result.instances()).singleElement().satisfies(i -> {
      assertThat(i.id()).isEqualTo("c1:shop.web:10.1.0.1:80");
      assertThat(i.checks()).isEmpty();
      assertThat(i.meta()).doesNotContainKeys("id", "check_http", "check_tcp");
    });
    String checks = "Kubernetes readiness decides which endpoints are registered; checks are"
        + " not supported here; ignored";
    String ids = "IDs are per endpoint and cannot be set; ignored";
    assertThat(result.problems()).extracting(Finding::toString).containsExactlyInAnyOrder(
        "service shop/web, registry-bridge.io/id: " + ids,
        "service shop/web, registry-bridge.io/http.id: " + ids,
        "service shop/web, registry-bridge.io/80.check_http: " + checks,
        "service shop/web, registry-bridge.io/check_tcp: " + checks);
  }

  private static EndpointNormalizer withSync(SyncOptions sync) {
    return new EndpointNormalizer(new KubernetesSourceConfig("c1", Set.of(), Set.of(),
        Optional.empty(), true, NodePortSync.EXTERNAL_ONLY, Optional.empty(), List.of(), sync,
        "k8s-sync"));
  }

  @Test
  void everyInstanceNamesTheConfiguredCatalogNode() {
    ServiceView svc = service("ClusterIP", Map.of(), List.of(tcp("http", 80, 0),
        tcp("grpc", 9090, 0)));
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP),
        new SlicePort("grpc", 9091, Transport.TCP)), ready("10.1.0.1", "node-1"),
        ready("10.1.0.2", "node-2"));
    EndpointNormalizer east = new EndpointNormalizer(new KubernetesSourceConfig("c1", Set.of(),
        Set.of(), Optional.empty(), true, NodePortSync.EXTERNAL_ONLY, Optional.empty(),
        List.of(), SyncOptions.DEFAULTS, "k8s-east"));

    assertThat(east.normalize(svc, List.of(slice), CLUSTER).instances()).hasSize(4)
        .allSatisfy(i -> assertThat(i.node()).contains("k8s-east"));
    assertThat(normalize(svc, slice).instances()).hasSize(4)
        .allSatisfy(i -> assertThat(i.node()).contains("k8s-sync"));
  }

  @Test
  void syncLbServicesEndpointsRegistersALoadBalancersReadyEndpointsInsteadOfItsIngress() {
    ServiceView lb = new ServiceView("shop", "web", "LoadBalancer", Map.of(),
        List.of(tcp("http", 80, 30080)), List.of(), List.of("198.51.100.7"));
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP)),
        ready("10.1.0.1", "node-1"), ready("10.1.0.2", "node-2"));

    assertThat(withSync(new SyncOptions(true, true, "", false))
        .normalize(lb, List.of(slice), CLUSTER).instances())
        .extracting(ServiceInstance::address, ServiceInstance::port).containsExactly(
            org.assertj.core.groups.Tuple.tuple("10.1.0.1", 8080),
            org.assertj.core.groups.Tuple.tuple("10.1.0.2", 8080));
    // ExternalIPs still come first, as in consul-k8s.
    ServiceView withExternalIps = new ServiceView("shop", "web", "LoadBalancer", Map.of(),
        List.of(tcp("http", 80, 30080)), List.of("192.0.2.10"), List.of("198.51.100.7"));
    assertThat(withSync(new SyncOptions(true, true, "", false))
        .normalize(withExternalIps, List.of(slice), CLUSTER).instances())
        .extracting(ServiceInstance::address).containsExactly("192.0.2.10");
  }

  @Test
  void syncClusterIpServicesFalseLeavesClusterIpServicesOutWhateverTheirAnnotation() {
    EndpointNormalizer noClusterIp = withSync(new SyncOptions(false, false, "", false));
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP)),
        ready("10.1.0.1", "node-1"));
    List<PortView> ports = List.of(tcp("http", 80, 30080));

    EndpointNormalizer.Result clusterIp = noClusterIp.normalize(service("ClusterIP",
        Map.of("consul.hashicorp.com/service-sync", "true"), ports), List.of(slice), CLUSTER);
    assertThat(clusterIp.instances()).isEmpty();
    assertThat(clusterIp.notes()).extracting(Finding::toString)
        .contains("service shop/web, type: a ClusterIP Service and"
            + " -sync-clusterip-services=false");
    assertThat(noClusterIp.normalize(service("NodePort", Map.of(), ports), List.of(slice),
        CLUSTER).instances()).hasSize(1);
  }

  @Test
  void thePrefixAndTheNamespaceSuffixApplyToNamesNoAnnotationSets() {
    EndpointNormalizer named = withSync(new SyncOptions(true, false, "k8s-", true));
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP),
        new SlicePort("admin", 9000, Transport.TCP)), ready("10.1.0.1", "node-1"));

    assertThat(named.normalize(service("ClusterIP", Map.of(), List.of(tcp("http", 80, 0))),
        List.of(slice), CLUSTER).instances()).extracting(ServiceInstance::name)
        .containsExactly("k8s-web-shop");
    // Several ports: the port goes last, as without the options.
    assertThat(named.normalize(service("ClusterIP", Map.of(),
        List.of(tcp("http", 80, 0), tcp("admin", 9000, 0))), List.of(slice), CLUSTER)
        .instances()).extracting(ServiceInstance::name)
        .containsExactlyInAnyOrder("k8s-web-shop-80", "k8s-web-shop-9000");
    // An annotated name is taken as it is, as consul-k8s takes it.
    assertThat(named.normalize(service("ClusterIP", Map.of("consul.hashicorp.com/service-name",
        "storefront"), List.of(tcp("http", 80, 0))), List.of(slice), CLUSTER).instances())
        .extracting(ServiceInstance::name).containsExactly("storefront");
  }

  @Test
  void aMalformedAnnotationIsReportedAndTheRestGoesThrough() {
    ServiceView svc = service("ClusterIP", Map.of("registry-bridge.io/protocol", "carrier-pigeon",
        "registry-bridge.io/bad key!", "x", "registry-bridge.io/8443.name", "nope",
        "registry-bridge.io/owner", "team-a"), List.of(tcp("http", 80, 0),
        new PortView("sctp", 9, Optional.empty(), "SCTP", null, 0)));
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP)),
        ready("10.1.0.1", "node-1"));

    EndpointNormalizer.Result result = normalize(svc, slice);

    assertThat(result.instances()).singleElement().satisfies(i -> {
      assertThat(i.name()).isEqualTo("web");
      assertThat(i.protocol()).contains(Protocol.HTTP); // from the port name
      assertThat(i.meta()).containsEntry("owner", "team-a").doesNotContainKey("bad key!");
    });
    assertThat(result.problems()).extracting(Finding::toString)
        .containsExactlyInAnyOrder(
            "service shop/web, port 9: protocol SCTP is not supported (only TCP and UDP);"
                + " port not synced",
            "service shop/web, registry-bridge.io/8443.name: the Service has no port '8443';"
                + " ignored",
            "service shop/web, registry-bridge.io/protocol: 'carrier-pigeon' is not a known"
                + " protocol (" + Protocol.describeAll() + "); ignored",
            "service shop/web, registry-bridge.io/bad key!: meta key 'bad key!' dropped: key"
                + " may only hold letters, digits, '_' and '-'");
  }

  @Test
  void optInModeSyncsOnlyAnnotatedServicesAndDeniedNamespacesNever() {
    EndpointNormalizer optIn = new EndpointNormalizer(new KubernetesSourceConfig("c1",
        Set.of(), Set.of("kube-system"), Optional.empty(), false, NodePortSync.EXTERNAL_ONLY,
        Optional.empty(), List.of(), SyncOptions.DEFAULTS, "k8s-sync"));
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP)),
        ready("10.1.0.1", "node-1"));
    List<PortView> ports = List.of(tcp("http", 80, 0));

    assertThat(optIn.normalize(service("ClusterIP", Map.of(), ports), List.of(slice), CLUSTER)
        .instances()).isEmpty();
    assertThat(optIn.normalize(service("ClusterIP", Map.of("consul.hashicorp.com/service-sync",
        "true"), ports), List.of(slice), CLUSTER).instances()).hasSize(1);
    assertThat(optIn.normalize(new ServiceView("kube-system", "dns", "ClusterIP",
        Map.of("registry-bridge.io/sync", "true"), ports, List.of(), List.of()), List.of(slice),
        CLUSTER).instances()).isEmpty();
  }

  @Test
  void aPerPortIgnoreFalseTakesOnePortBack() {
    ServiceView svc = service("ClusterIP", Map.of("registry-bridge.io/ignore", "true",
        "registry-bridge.io/http.ignore", "false"),
        List.of(tcp("http", 80, 0), tcp("admin", 9000, 0)));
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP),
        new SlicePort("admin", 9000, Transport.TCP)), ready("10.1.0.1", "node-1"));

    assertThat(normalize(svc, slice).instances()).extracting(ServiceInstance::name)
        .containsExactly("web-80");
  }

  @Test
  void consulK8sServiceWeightGoesOnEveryInstanceAndOursWins() {
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP),
        new SlicePort("admin", 9000, Transport.TCP)),
        ready("10.1.0.1", "node-1"), ready("10.1.0.2", "node-2"));
    List<PortView> ports = List.of(tcp("http", 80, 0), tcp("admin", 9000, 0));

    EndpointNormalizer.Result consulK8s = normalize(service("ClusterIP",
        Map.of("consul.hashicorp.com/service-weight", " 22 "), ports), slice);
    assertThat(consulK8s.instances()).hasSize(4)
        .allSatisfy(i -> assertThat(i.weight()).hasValue(22));
    assertThat(consulK8s.problems()).isEmpty();
    // Not meta: a weight has a field of its own.
    assertThat(consulK8s.instances().get(0).meta()).doesNotContainKey("weight");

    assertThat(normalize(service("ClusterIP", Map.of("consul.hashicorp.com/service-weight",
        "22", "registry-bridge.io/weight", "3"), ports), slice).instances())
        .allSatisfy(i -> assertThat(i.weight()).hasValue(3));
    assertThat(normalize(service("ClusterIP", Map.of(), ports), slice).instances())
        .allSatisfy(i -> assertThat(i.weight()).isEmpty());
  }

  @Test
  void aWeightThatIsNoWholeNumberFromOneTo65535IsReportedAndLeftOut() {
    SliceView slice = slice(List.of(new SlicePort("http", 8080, Transport.TCP)),
        ready("10.1.0.1", "node-1"));
    for (String bad : List.of("heavy", "0", "-2", "1.5", "65536")) {
      EndpointNormalizer.Result result = normalize(service("ClusterIP",
          Map.of("consul.hashicorp.com/service-weight", bad), List.of(tcp("http", 80, 0))),
          slice);
      assertThat(result.instances()).singleElement()
          .satisfies(i -> assertThat(i.weight()).as(bad).isEmpty());
      assertThat(result.problems()).extracting(Finding::toString)
          .containsExactly("service shop/web, consul.hashicorp.com/service-weight: '" + bad
              + "' is not a whole number from 1 to 65535; ignored");
    }
    EndpointNormalizer.Result perPort = normalize(service("ClusterIP",
        Map.of("registry-bridge.io/http.weight", "5"), List.of(tcp("http", 80, 0))), slice);
    assertThat(perPort.instances()).singleElement()
        .satisfies(i -> assertThat(i.weight()).isEmpty());
    assertThat(perPort.problems()).extracting(Finding::toString)
        .containsExactly("service shop/web, registry-bridge.io/http.weight: weight applies to"
            + " the whole Service; ignored");
  }
}
