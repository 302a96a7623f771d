package io.registrybridge.sink.consul;

import io.registrybridge.core.LogCapture;
import static io.registrybridge.sink.consul.ConsulSinkIT.complete;
import static io.registrybridge.sink.consul.ConsulSinkIT.state;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.registrybridge.core.DesiredIndex;
import io.registrybridge.core.Health;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.SourceListener;
import io.registrybridge.core.SyncResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * Failures that concern one service, against a real agent: they stay with that service, and the
 * others are written as usual. And a restart over an unchanged agent, which must write nothing.
 */
@Testcontainers
class ConsulFailSafeIT {
  private static final String OWNER = "host-a";
  private static final String CHECK_NAME = RegistrationMapper.HEALTH_CHECK_NAME;

  @Container static final GenericContainer<?> CONSUL = ConsulContainers.devAgent();

  private ConsulHttp consul;
  private final List<ConsulSink> sinks = new ArrayList<>();
  private final LogCapture log = new LogCapture(ConsulSink.class);

  @BeforeEach
  void emptyAgent() {
    consul = ConsulContainers.http(CONSUL);
    consul.services().keySet().forEach(consul::deregister);
  }

  @AfterEach
  void close() {
    sinks.forEach(ConsulSink::close);
    log.close();
  }

  private ConsulSink sink(String uri) {
    ConsulSink sink = ConsulSinkFactory.create(ConsulSinkConfig.fromUri(uri, Map.of(), OWNER));
    sinks.add(sink);
    return sink;
  }

  private static ServiceInstance container(int n) {
    return ServiceInstance.builder(OWNER + ":app-" + n + ":80", "app").port(80)
        .origin("docker:app-" + n).build();
  }

  @Test
  void oneRegistrationConsulRefusesLeavesTheNineOthersRegistered() {
    List<ServiceInstance> desired = new ArrayList<>();
    for (int n = 1; n <= 10; n++) {
      desired.add(container(n));
    }
    // Consul answers 400 for a reserved meta key (sources drop it; this one got through).
    ServiceInstance refused = container(5).toBuilder()
        .meta(Map.of("consul-secret", "s3cr3t-value")).build();
    desired.set(4, refused);

    ConsulSink sink = sink(ConsulContainers.uri(CONSUL));
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ConsulMetrics.watch(meters, "consul", sink);
    SyncResult result = sink.sync(complete(desired.toArray(ServiceInstance[]::new)));

    assertThat(result).isEqualTo(new SyncResult(9, 0, 0));
    assertThat(consul.services()).hasSize(9).doesNotContainKey(refused.id());
    assertThat(log.lines()).filteredOn(line -> !line.startsWith("INFO")).singleElement()
        .asString()
        .startsWith("ERROR consul: Consul rejected the registration of host-a:app-5:80 from "
            + "docker:app-5 (HTTP 400)")
        .contains("Invalid Service Meta", "consul-secret")
        .doesNotContain("s3cr3t-value");
    assertThat(rejectedServices(meters)).isEqualTo(1.0);
    assertThat(rejections(meters)).isEqualTo(1.0);

    // Mended: written, no longer refused; the count of refusals since start stays.
    desired.set(4, container(5));
    assertThat(sink.sync(complete(desired.toArray(ServiceInstance[]::new))))
        .isEqualTo(new SyncResult(1, 0, 0));
    assertThat(consul.services()).hasSize(10);
    assertThat(rejectedServices(meters)).isZero();
    assertThat(rejections(meters)).isEqualTo(1.0);
  }

  private static double rejectedServices(SimpleMeterRegistry meters) {
    return meters.get("registry.bridge.consul.rejected.services").tag("sink", "consul").gauge()
        .value();
  }

  private static double rejections(SimpleMeterRegistry meters) {
    return meters.get("registry.bridge.consul.rejections").tag("sink", "consul")
        .functionCounter().count();
  }

  @Test
  void aServiceOfOursThatNoUrlCanNameDoesNotStopTheSync() {
    // An agent of its own: nothing can remove this service but a restart, since Consul's HTTP
    // server redirects a path with '..' (301) and Retrofit refuses to send one.
    try (GenericContainer<?> agent = ConsulContainers.devAgent()) {
      agent.start();
      ConsulHttp http = ConsulContainers.http(agent);
      http.register(Map.of("ID", "..", "Name", "odd", "Meta", Map.of(ConsulMeta.OWNER, OWNER)));
      ConsulSink sink = sink(ConsulContainers.uri(agent));

      assertThat(sink.sync(complete(container(1), container(2))))
          .isEqualTo(new SyncResult(2, 0, 0));
      assertThat(http.services()).containsOnlyKeys("..", "host-a:app-1:80", "host-a:app-2:80");
      assertThat(log.take()).filteredOn(line -> line.startsWith("ERROR")).singleElement()
          .asString().startsWith("ERROR consul: could not deregister ..: "
              + "java.lang.IllegalArgumentException: @Path parameters shouldn't perform path "
              + "traversal");

      // Not tried again every sync, and the others still change.
      assertThat(sink.sync(complete(container(1)))).isEqualTo(new SyncResult(0, 0, 1));
      assertThat(log.take()).containsExactly("INFO consul: deregistered host-a:app-2:80 "
          + "(app :80)");
    }
  }

  /**
   * A new bridge process (a new sink) over an agent that holds exactly what is desired,
   * health-checked services included, writes nothing. The calls come in the order in which the
   * reconciler drives a new bridge's sink: a full sync of the still-empty index at start, then
   * an apply for each container the Docker source reports during its first listing, then a full
   * sync when that listing is complete. The instances carry the source the index gives them,
   * as the previous bridge's did.
   */
  @Test
  void aRestartWithNothingChangedWritesNothing() throws Exception {
    ServiceInstance web = ServiceInstance.builder("host-a:web-1:8080", "web").port(8080)
        .origin("docker:web-1").source("docker")
        .checks(List.of(ServiceCheck.of(ServiceCheck.Type.TCP, "10.0.0.5:8080")))
        .health(new Health(Health.Status.PASSING, "fine")).build();
    ServiceInstance api = ServiceInstance.builder("host-a:api-1:9090", "api").port(9090)
        .origin("docker:api-1").source("docker")
        .health(new Health(Health.Status.CRITICAL, "refused")).build();
    ServiceInstance db = ServiceInstance.builder("host-a:db-1:5432", "db").port(5432)
        .origin("docker:db-1").source("docker").build();
    List<ServiceInstance> all = List.of(web, api, db);
    ConsulSink before = sink(ConsulContainers.uri(CONSUL));
    assertThat(before.sync(complete(web, api, db))).isEqualTo(new SyncResult(3, 0, 0));
    before.close();
    assertThat(consul.checks()).extractingByKey("service:host-a:api-1:9090:docker-health")
        .extracting(check -> check.get("Status")).isEqualTo("critical");

    try (CountingProxy proxy = new CountingProxy(
        ConsulContainers.httpUrl(CONSUL))) {
      ConsulSink restarted = sink(proxy.consulUri());
      DesiredIndex index = new DesiredIndex(Set.of("docker"));
      SourceListener docker = index.listenerFor("docker");

      assertThat(restarted.sync(index.snapshot())).isEqualTo(SyncResult.NOTHING);
      for (ServiceInstance instance : all) {
        docker.update(instance.origin(), List.of(instance));
        assertThat(restarted.apply(Set.of(instance.id()), index)).isEqualTo(SyncResult.NOTHING);
      }
      docker.replaceAll(all.stream().collect(Collectors.toMap(ServiceInstance::origin,
          List::of)));
      assertThat(restarted.sync(index.snapshot())).isEqualTo(SyncResult.NOTHING);
      // A full sync with everything at once, as the verify interval runs it.
      assertThat(sink(proxy.consulUri()).sync(state(true, web, api, db)))
          .isEqualTo(SyncResult.NOTHING);

      assertThat(proxy.writes()).isEmpty();
      assertThat(proxy.reads()).contains("GET /v1/agent/services");
    }
    assertThat(consul.checks()).extractingByKey("service:host-a:web-1:8080:docker-health")
        .extracting(check -> check.get("Status"), check -> check.get("Output"))
        .containsExactly("passing", "fine");
  }
}
