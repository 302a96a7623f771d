package io.registrybridge.sink.mesh;

import io.registrybridge.core.Protocol;
import static io.registrybridge.sink.mesh.Fixtures.bookinfo;
import static io.registrybridge.sink.mesh.Fixtures.config;
import static io.registrybridge.sink.mesh.Fixtures.instance;
import static io.registrybridge.sink.mesh.Fixtures.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.registrybridge.core.Health;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Transport;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ServiceEntryConverterTest {

  private static Conversion convert(MeshSinkConfig config, List<ServiceInstance> instances) {
    return new ServiceEntryConverter(config).convert(state(instances), Map.of());
  }

  @Test
  void bookinfoWithHttpGivesFourHostsWithHttpPortsAndVersionLabels() {
    Conversion conversion = convert(config(), bookinfo("http"));

    assertThat(conversion.entries()).containsOnlyKeys("details.service.consul",
        "productpage.service.consul", "ratings.service.consul", "reviews.service.consul");
    assertThat(conversion.reports()).isEmpty();
    assertThat(conversion.collisions()).isEmpty();
    assertThat(conversion.held()).isEmpty();
    ServiceEntryModel reviews = conversion.entries().get("reviews.service.consul");
    assertThat(reviews.ports()).containsExactly(
        new ServiceEntryModel.Port(9080, "http-9080", Protocol.HTTP));
    assertThat(reviews.endpoints()).extracting(e -> e.labels().get("version"))
        .containsExactly("v1", "v2", "v3");
    Golden.assertMatches("bookinfo-http.yaml", Golden.render(conversion, config()));
  }

  @Test
  void bookinfoWithoutProtocolReportsTheSharedListener() {
    Conversion conversion = convert(config(), bookinfo(null));

    assertThat(conversion.entries()).hasSize(4);
    assertThat(conversion.entries().values()).allSatisfy(e -> {
      assertThat(e.ports()).containsExactly(
          new ServiceEntryModel.Port(9080, "tcp-9080", Protocol.TCP));
      assertThat(e.addresses()).isEmpty();
    });
    assertThat(conversion.collisions()).containsExactly(new PortCollision(9080, List.of(
        "details.service.consul", "productpage.service.consul", "ratings.service.consul",
        "reviews.service.consul")));
    assertThat(conversion.reports()).containsExactly(new MeshReport(
        MeshReport.Kind.PORT_COLLISION,
        "details.service.consul,productpage.service.consul,ratings.service.consul,"
            + "reviews.service.consul",
        "port collision on 9080: details.service.consul (TCP), productpage.service.consul (TCP),"
            + " ratings.service.consul (TCP) and reviews.service.consul (TCP) declare it without"
            + " addresses, so Istio builds one listener 0.0.0.0_9080 for all of them and sends"
            + " every connection to one; declare an application protocol (SERVICE_PROTOCOL=http,"
            + " grpc, ...) or use collision mode allocate"));
    Golden.assertMatches("bookinfo-tcp-report.yaml", Golden.render(conversion, config()));
  }

  @Test
  void bookinfoWithoutProtocolInAllocateModeGetsDistinctStableAddresses() {
    MeshSinkConfig config = config().toBuilder().collisionMode(CollisionMode.ALLOCATE).build();
    Conversion conversion = convert(config, bookinfo(null));

    assertThat(conversion.collisions()).isEmpty();
    assertThat(conversion.reports()).isEmpty();
    List<String> addresses = conversion.entries().values().stream()
        .map(e -> e.addresses().get(0)).toList();
    assertThat(addresses).doesNotHaveDuplicates().allMatch(a -> a.startsWith("240.241."));
    // The same hosts give the same addresses in a fresh converter (a restarted bridge).
    assertThat(convert(config, bookinfo(null)).entries()).isEqualTo(conversion.entries());
    Golden.assertMatches("bookinfo-tcp-allocate.yaml", Golden.render(conversion, config));
  }

  @Test
  void allocationKeepsTheAddressAHostAlreadyHas() {
    MeshSinkConfig config = config().toBuilder().collisionMode(CollisionMode.ALLOCATE).build();
    Conversion conversion = new ServiceEntryConverter(config).convert(state(bookinfo(null)),
        Map.of("reviews.service.consul", "240.241.0.9", "ratings.service.consul", "10.0.0.1"));

    assertThat(conversion.entries().get("reviews.service.consul").addresses())
        .containsExactly("240.241.0.9");
    // An address outside the range is not kept: the host gets its derived one.
    assertThat(conversion.entries().get("ratings.service.consul").addresses())
        .isEqualTo(convert(config, bookinfo(null)).entries().get("ratings.service.consul")
            .addresses());
  }

  @Test
  void httpPortsNeverCollideAndMixedHostsAreReportedPerPort() {
    List<ServiceInstance> instances = new ArrayList<>(bookinfo("http"));
    instances.add(instance("db-1", "postgres", "172.18.0.10", 5432).build());
    instances.add(instance("db-2", "postgres-replica", "172.18.0.11", 5432).build());
    instances.add(instance("cache", "redis", "172.18.0.12", 6379).protocol("redis").build());
    Conversion conversion = convert(config(), instances);

    assertThat(conversion.collisions()).containsExactly(new PortCollision(5432,
        List.of("postgres-replica.service.consul", "postgres.service.consul")));
  }

  @Test
  void randomHostPortsShareTheContainerPortAsServicePortAndMapEachEndpoint() {
    // Docker publishes one container port on a different host port per container.
    Conversion conversion = convert(config(), List.of(
        instance("h:reviews-v1:9080", "reviews", "10.0.0.5", 32768).targetPort(9080)
            .protocol("http").tags(List.of("version|v1")).build(),
        instance("h:reviews-v2:9080", "reviews", "10.0.0.5", 32769).targetPort(9080)
            .protocol("http").tags(List.of("version|v2")).build(),
        instance("h:reviews-v3:9080", "reviews", "10.0.0.6", 32770).targetPort(9080)
            .protocol("http").tags(List.of("version|v3")).build()));

    ServiceEntryModel reviews = conversion.entries().get("reviews.service.consul");
    assertThat(reviews.ports()).containsExactly(ServiceEntryModel.Port.of(9080,
        Protocol.HTTP));
    assertThat(reviews.endpoints()).extracting(ServiceEntryModel.Endpoint::address,
            e -> e.ports(), e -> e.labels().get("version"))
        .containsExactly(
            tuple("10.0.0.5", Map.of("http-9080", 32768), "v1"),
            tuple("10.0.0.5", Map.of("http-9080", 32769), "v2"),
            tuple("10.0.0.6", Map.of("http-9080", 32770), "v3"));
    Golden.assertMatches("random-host-ports.yaml", Golden.render(conversion, config()));
  }

  @Test
  void withoutTargetPortsTheLowestPortIsTheServicePort() {
    Conversion conversion = convert(config(), List.of(
        instance("a", "reviews", "10.0.0.5", 32768).protocol("http").build(),
        instance("b", "reviews", "10.0.0.6", 32769).protocol("http").build()));

    ServiceEntryModel reviews = conversion.entries().get("reviews.service.consul");
    assertThat(reviews.ports()).containsExactly(ServiceEntryModel.Port.of(32768,
        Protocol.HTTP));
    assertThat(reviews.endpoints()).extracting(e -> e.ports())
        .containsExactly(Map.of(), Map.of("http-32768", 32769));
  }

  @Test
  void criticalInstancesLeaveAndAHostWithOnlyCriticalOnesHasNoEntry() {
    Health critical = new Health(Health.Status.CRITICAL, "probe failed");
    Conversion conversion = convert(config(), List.of(
        instance("r1", "reviews", "10.0.0.5", 9080).protocol("http").build(),
        instance("r2", "reviews", "10.0.0.6", 9080).protocol("http").health(critical).build(),
        instance("r3", "reviews", "10.0.0.7", 9080).protocol("http")
            .health(new Health(Health.Status.WARNING, "starting")).build(),
        instance("d1", "details", "10.0.0.8", 9080).protocol("http").health(critical).build()));

    assertThat(conversion.entries()).containsOnlyKeys("reviews.service.consul");
    assertThat(conversion.entries().get("reviews.service.consul").endpoints())
        .extracting(ServiceEntryModel.Endpoint::address)
        .containsExactly("10.0.0.5", "10.0.0.7");
    assertThat(conversion.reports()).extracting(MeshReport::kind, MeshReport::message)
        .containsExactlyInAnyOrder(
            tuple(MeshReport.Kind.UNHEALTHY, "service 'details': instance d1 (10.0.0.8:9080, docker:d1)"
                + " left out while its health is critical"),
            tuple(MeshReport.Kind.UNHEALTHY, "service 'reviews': instance r2 (10.0.0.6:9080, docker:r2)"
                + " left out while its health is critical"));
  }

  @Test
  void instancesOfOneContainerShareAnEndpointWithSeveralPorts() {
    Conversion conversion = convert(config(), List.of(
        instance("api-http", "api", "172.18.0.20", 8080).protocol("http").build(),
        instance("api-grpc", "api", "172.18.0.20", 9090).protocol("grpc").build(),
        instance("api2-http", "api", "172.18.0.21", 8080).protocol("http").build()));

    ServiceEntryModel api = conversion.entries().get("api.service.consul");
    assertThat(api.ports()).containsExactly(ServiceEntryModel.Port.of(8080, Protocol.HTTP),
        ServiceEntryModel.Port.of(9090, Protocol.GRPC));
    assertThat(api.endpoints()).extracting(ServiceEntryModel.Endpoint::address)
        .containsExactly("172.18.0.20", "172.18.0.21");
    assertThat(conversion.reports()).containsExactly(new MeshReport(
        MeshReport.Kind.PARTIAL_ENDPOINT, "api", "service 'api': endpoint 172.18.0.21"
            + " {app=api} has no instance for port(s) grpc-9090; Istio sends that traffic to it"
            + " on the service port"));
  }

  @Test
  void everyProtocolIsWrittenInIstioSpelling() {
    String[] protocols = {"http", "http2", "grpc", "grpc-web", "https", "tls", "tcp", "mongo",
        "mysql", "redis"};
    List<ServiceInstance> instances = new ArrayList<>();
    for (int i = 0; i < protocols.length; i++) {
      instances.add(instance("svc-" + i, "svc", "10.1.0.1", 7000 + i).protocol(protocols[i])
          .build());
    }
    Conversion conversion = convert(config(), instances);

    assertThat(conversion.entries().get("svc.service.consul").ports())
        .extracting(p -> p.name() + "/" + p.protocol().istioName())
        .containsExactly("http-7000/HTTP", "http2-7001/HTTP2", "grpc-7002/GRPC",
            "grpc-web-7003/GRPC-WEB", "https-7004/HTTPS", "tls-7005/TLS", "tcp-7006/TCP",
            "mongo-7007/MONGO", "mysql-7008/MYSQL", "redis-7009/REDIS");
  }

  @Test
  void exportToAndDomainComeFromTheConfig() {
    MeshSinkConfig config = config().toBuilder().domain("mesh.example").exportTo(List.of(".",
        "shop")).build();
    Conversion conversion = convert(config, List.of(
        instance("web-1", "Web_Frontend", "10.2.0.1", 80).protocol("http").build()));

    assertThat(conversion.entries()).containsOnlyKeys("web-frontend.mesh.example");
    assertThat(conversion.entries().get("web-frontend.mesh.example").exportTo())
        .containsExactly(".", "shop");
    Golden.assertMatches("export-to.yaml", Golden.render(conversion, config));
  }

  // --- validation cases: each problem is reported with the service name, others continue ---

  @Test
  void badServiceNameIsRejectedAndOthersContinue() {
    Conversion conversion = convert(config(), List.of(
        instance("a", "web/frontend", "10.0.0.1", 80).protocol("http").build(),
        instance("b", "-leading-dash", "10.0.0.2", 80).protocol("http").build(),
        instance("c", "x".repeat(64), "10.0.0.3", 80).protocol("http").build(),
        instance("d", "details", "10.0.0.4", 9080).protocol("http").build()));

    assertThat(conversion.entries()).containsOnlyKeys("details.service.consul");
    assertThat(conversion.held()).isEmpty();
    assertThat(conversion.reports()).extracting(MeshReport::kind, MeshReport::message)
        .containsExactly( // in name order
            tuple(MeshReport.Kind.INVALID_SERVICE,
                "service name '-leading-dash' cannot be a host name: '-leading-dash' must"
                    + " consist of lower-case letters, digits and '-', and start and end with a"
                    + " letter or digit; no ServiceEntry is written for it"),
            tuple(MeshReport.Kind.INVALID_SERVICE,
                "service name 'web/frontend' cannot be a host name: 'web/frontend' must consist"
                    + " of lower-case letters, digits and '-', and start and end with a letter"
                    + " or digit; no ServiceEntry is written for it"),
            tuple(MeshReport.Kind.INVALID_SERVICE,
                "service name '" + "x".repeat(64) + "' cannot be a host name: '"
                    + "x".repeat(64) + "' longer than 63 characters; no ServiceEntry is written"
                    + " for it"));
  }

  // --- protocol conflicts: settled per instance, never by dropping the service ---

  @Test
  void anUndeclaredInstanceIsServedWithTheProtocolTheOthersDeclare() {
    // The case seen on the machine: a stray ratings container without SERVICE_PROTOCOL.
    Conversion conversion = convert(config(), List.of(
        instance("ratings-v1", "ratings", "172.18.0.4", 9080).protocol("http").build(),
        instance("ratings-stray", "ratings", "172.18.0.9", 9080).build()));

    ServiceEntryModel ratings = conversion.entries().get("ratings.service.consul");
    assertThat(ratings).isNotNull();
    assertThat(ratings.ports()).containsExactly(
        new ServiceEntryModel.Port(9080, "http-9080", Protocol.HTTP));
    assertThat(ratings.endpoints()).extracting(ServiceEntryModel.Endpoint::address)
        .containsExactly("172.18.0.4", "172.18.0.9");
    assertThat(conversion.held()).isEmpty();
    assertThat(conversion.reports()).containsExactly(new MeshReport(
        MeshReport.Kind.PROTOCOL_CONFLICT, "ratings", "service 'ratings': instance"
            + " ratings-stray (172.18.0.9:9080, docker:ratings-stray) declares no protocol for"
            + " port 9080, which other instances declare as HTTP; it is served as HTTP too (an"
            + " explicit protocol beats none; give it SERVICE_PROTOCOL to say so)"));
  }

  @Test
  void theProtocolMostInstancesDeclareKeepsThePortAndTheOthersAreLeftOut() {
    // The odd one sorts first by ID, so only the count can decide.
    Conversion conversion = convert(config(), List.of(
        instance("api-1", "api", "10.0.0.1", 8080).protocol("grpc").build(),
        instance("api-2", "api", "10.0.0.2", 8080).protocol("http").build(),
        instance("api-3", "api", "10.0.0.3", 8080).protocol("http").build(),
        instance("d", "details", "10.0.0.4", 9080).protocol("http").build()));

    assertThat(conversion.entries()).containsOnlyKeys("api.service.consul",
        "details.service.consul");
    ServiceEntryModel api = conversion.entries().get("api.service.consul");
    assertThat(api.ports()).containsExactly(
        new ServiceEntryModel.Port(8080, "http-8080", Protocol.HTTP));
    assertThat(api.endpoints()).extracting(ServiceEntryModel.Endpoint::address)
        .containsExactly("10.0.0.2", "10.0.0.3");
    assertThat(conversion.held()).isEmpty();
    assertThat(conversion.reports()).containsExactly(new MeshReport(
        MeshReport.Kind.PROTOCOL_CONFLICT, "api", "service 'api': instance api-1 (10.0.0.1:8080,"
            + " docker:api-1) declares port 8080 as GRPC, but more instances declare it as HTTP;"
            + " a port has one protocol, so this instance is left out"));
  }

  @Test
  void onATieTheInstanceRegisteredFirstKeepsThePort() {
    List<ServiceInstance> instances = List.of(
        instance("api-1", "api", "10.0.0.1", 8080).protocol("http").build(),
        instance("api-2", "api", "10.0.0.2", 8080).protocol("grpc").build());
    ServiceEntryConverter converter = new ServiceEntryConverter(config());

    // api-2 was seen first: GRPC keeps the port although api-1 sorts first.
    ServiceEntryConverter.HostConversion conversion = converter.convertHost("api.service.consul",
        instances, id -> id.equals("api-2") ? 0 : 1);

    ServiceEntryModel api = conversion.entry().orElseThrow();
    assertThat(api.ports()).containsExactly(
        new ServiceEntryModel.Port(8080, "grpc-8080", Protocol.GRPC));
    assertThat(api.endpoints()).extracting(ServiceEntryModel.Endpoint::address)
        .containsExactly("10.0.0.2");
    assertThat(conversion.held()).isFalse();
    assertThat(conversion.reports()).containsExactly(new MeshReport(
        MeshReport.Kind.PROTOCOL_CONFLICT, "api", "service 'api': instance api-1 (10.0.0.1:8080,"
            + " docker:api-1) declares port 8080 as HTTP, but as many instances, registered"
            + " earlier, declare it as GRPC; a port has one protocol, so this instance is left"
            + " out"));
    // Without a history (a fresh start), the lowest ID counts as the earliest.
    assertThat(convert(config(), instances).entries().get("api.service.consul").ports())
        .extracting(ServiceEntryModel.Port::protocol).containsExactly(Protocol.HTTP);
  }

  @Test
  void anInstanceOutvotedOnOnePortKeepsItsProtocolOnAnother() {
    // grpc is declared on 8080 (outvoted there) and on 9090; only the 8080 instance goes.
    Conversion conversion = convert(config(), List.of(
        instance("api-1", "api", "10.0.0.1", 8080).protocol("http").build(),
        instance("api-2", "api", "10.0.0.2", 8080).protocol("http").build(),
        instance("api-3", "api", "10.0.0.3", 8080).protocol("grpc").build(),
        instance("api-4", "api", "10.0.0.4", 9090).protocol("grpc").build()));

    ServiceEntryModel api = conversion.entries().get("api.service.consul");
    assertThat(api.ports()).containsExactly(
        new ServiceEntryModel.Port(8080, "http-8080", Protocol.HTTP),
        new ServiceEntryModel.Port(9090, "grpc-9090", Protocol.GRPC));
    assertThat(api.endpoints()).extracting(ServiceEntryModel.Endpoint::address)
        .containsExactly("10.0.0.1", "10.0.0.2", "10.0.0.4");
    // (and each endpoint serves one of the two ports: PARTIAL_ENDPOINT reports)
    assertThat(conversion.reports()).filteredOn(r -> r.kind() == MeshReport.Kind.PROTOCOL_CONFLICT)
        .singleElement().extracting(MeshReport::message).asString()
        .contains("instance api-3 ", "as GRPC", "as HTTP");
  }

  @Test
  void aProtocolAServiceEntryCannotDeclareSkipsTheInstanceNotTheService() {
    Conversion conversion = convert(config(), List.of(
        instance("api-1", "api", "10.0.0.1", 8080).protocol("http").build(),
        instance("api-2", "api", "10.0.0.2", 8080).protocol("http_proxy").build()));

    assertThat(conversion.entries().get("api.service.consul").endpoints())
        .extracting(ServiceEntryModel.Endpoint::address).containsExactly("10.0.0.1");
    assertThat(conversion.reports()).containsExactly(new MeshReport(
        MeshReport.Kind.SKIPPED_INSTANCE, "api", "service 'api': instance api-2 (10.0.0.2:8080,"
            + " docker:api-2) skipped: protocol 'http_proxy' cannot be a ServiceEntry port's"
            + " protocol (http, http2, grpc, grpc-web, https, tls, tcp, mongo, mysql, redis)"));
  }

  @Test
  void invalidLabelsAreDroppedAndReported() {
    Conversion conversion = convert(config(), List.of(
        instance("r-1", "reviews", "10.0.0.1", 9080).protocol("http")
            .tags(List.of("version|v1!", "track=stable", "urlprefix-/reviews", "-bad=x",
                "track=canary", "team|" + "y".repeat(64)))
            .meta(Map.of("version", "v1")).build()));

    assertThat(conversion.entries().get("reviews.service.consul").endpoints().get(0).labels())
        .containsExactlyEntriesOf(new TreeMap<>(Map.of("app", "reviews", "track",
            "stable", "version", "v1")));
    assertThat(conversion.reports()).extracting(MeshReport::kind).containsOnly(
        MeshReport.Kind.DROPPED_LABEL);
    assertThat(conversion.reports()).extracting(MeshReport::message).containsExactly(
        "service 'reviews': instance r-1 (10.0.0.1:9080, docker:r-1): tag 'version|v1!' dropped:"
            + " label value 'v1!' must consist of letters, digits, '-', '_' and '.', and start"
            + " and end with a letter or digit",
        "service 'reviews': instance r-1 (10.0.0.1:9080, docker:r-1): tag '-bad=x' dropped:"
            + " label key '-bad' name part must consist of letters, digits, '-', '_' and '.',"
            + " and start and end with a letter or digit",
        "service 'reviews': instance r-1 (10.0.0.1:9080, docker:r-1): tag 'track=canary'"
            + " dropped: label 'track' is already 'stable' from an earlier tag",
        "service 'reviews': instance r-1 (10.0.0.1:9080, docker:r-1): tag 'team|" + "y".repeat(64)
            + "' dropped: label value '" + "y".repeat(64) + "' longer than 63 characters");
  }

  @Test
  void instancesWithoutAnIpAddressAreSkipped() {
    Conversion conversion = convert(config(), List.of(
        instance("db-1", "db", "", 5432).build(),
        instance("db-2", "db", "db.internal", 5432).build(),
        instance("db-3", "db", "fe80::1%eth0", 5432).build(),
        instance("db-4", "db", "fd00::4", 5432).build()));

    assertThat(conversion.entries().get("db.service.consul").endpoints())
        .extracting(ServiceEntryModel.Endpoint::address).containsExactly("fd00::4");
    assertThat(conversion.reports()).extracting(MeshReport::message).containsExactly(
        "service 'db': instance db-1 (5432, docker:db-1) skipped: no address; a STATIC endpoint"
            + " needs an IP address",
        "service 'db': instance db-2 (db.internal:5432, docker:db-2) skipped: address"
            + " 'db.internal' is not an IP address; a STATIC endpoint needs one",
        "service 'db': instance db-3 (fe80::1%eth0:5432, docker:db-3) skipped: address"
            + " 'fe80::1%eth0' is not an IP address; a STATIC endpoint needs one");
  }

  @Test
  void aServiceWhoseEveryInstanceFailedIsHeldNotDeleted() {
    Conversion conversion = convert(config(), List.of(instance("db-1", "db", "", 5432).build()));

    assertThat(conversion.entries()).isEmpty();
    assertThat(conversion.held()).containsExactly("db.service.consul");
  }

  @Test
  void udpInstancesAreSkippedAndAUdpOnlyServiceIsNotWritten() {
    Conversion conversion = convert(config(), List.of(
        instance("dns-1", "dns", "10.0.0.53", 53).transport(Transport.UDP).build(),
        instance("dns-2", "dns-tcp", "10.0.0.53", 53).build(),
        instance("syslog", "syslog", "10.0.0.54", 514).transport(Transport.UDP).build()));

    assertThat(conversion.entries()).containsOnlyKeys("dns-tcp.service.consul");
    assertThat(conversion.held()).isEmpty();
    assertThat(conversion.reports()).containsExactly(
        new MeshReport(MeshReport.Kind.SKIPPED_UDP, "dns", "service 'dns': instance dns-1"
            + " (10.0.0.53:53, docker:dns-1) skipped: UDP; Istio's proxies do not carry UDP, so"
            + " a ServiceEntry cannot describe it"),
        new MeshReport(MeshReport.Kind.SKIPPED_UDP, "syslog", "service 'syslog': instance"
            + " syslog (10.0.0.54:514, docker:syslog) skipped: UDP; Istio's proxies do not"
            + " carry UDP, so a ServiceEntry cannot describe it"));
  }

  @Test
  void namesDifferingOnlyInCaseOrSeparatorsMergeWithAReport() {
    Conversion conversion = convert(config(), List.of(
        instance("a", "my_web", "10.0.0.1", 80).protocol("http").build(),
        instance("b", "My-Web", "10.0.0.2", 80).protocol("http").build()));

    assertThat(conversion.entries().get("my-web.service.consul").endpoints()).hasSize(2);
    assertThat(conversion.reports()).containsExactly(new MeshReport(
        MeshReport.Kind.MERGED_NAMES, "My-Web,my_web", "service names My-Web, my_web all map to"
            + " host my-web.service.consul; their instances are merged into one ServiceEntry"));
  }

  @Test
  void theOutputDoesNotDependOnInstanceOrder() {
    List<ServiceInstance> reversed = new ArrayList<>(bookinfo("http"));
    Collections.reverse(reversed);
    assertThat(convert(config(), reversed)).isEqualTo(convert(config(), bookinfo("http")));
  }
}
