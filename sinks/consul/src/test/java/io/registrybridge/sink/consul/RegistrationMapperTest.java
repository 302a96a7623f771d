package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceCheck.InitialStatus;
import io.registrybridge.core.ServiceCheck.Type;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.core.Transport;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.kiwiproject.consul.model.agent.ImmutableRegCheck;
import org.kiwiproject.consul.model.agent.ImmutableRegistration;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.catalog.ImmutableServiceWeights;

class RegistrationMapperTest {
  private final RegistrationMapper mapper = new RegistrationMapper("host-a", Optional.empty());

  static ServiceInstance web() {
    return ServiceInstance.builder("host-a:web-1:8080", "web")
        .address("10.0.0.5")
        .port(8080)
        .protocol("HTTP")
        .tags(List.of("v2", "primary"))
        .meta(Map.of("team", "payments", "version", "2.1"))
        .origin("docker:web-1")
        .build();
  }

  @Test
  void mapsIdNameAddressPortTagsAndMeta() {
    PlannedRegistration plan = mapper.map(web());

    assertThat(plan.hash()).matches("[0-9a-f]{16}");
    Registration expected = ImmutableRegistration.builder()
        .id("host-a:web-1:8080")
        .name("web")
        .address("10.0.0.5")
        .port(8080)
        .tags(List.of("v2", "primary"))
        .meta(Map.of("team", "payments", "version", "2.1", "protocol", "http",
            "registry-bridge-owner", "host-a", "registry-bridge-hash", plan.hash()))
        .build();
    assertThat(plan.registration()).isEqualTo(expected);
    assertThat(plan.registration().getMeta().keySet()).containsExactly("protocol",
        "registry-bridge-hash", "registry-bridge-owner", "team", "version");
    assertThat(plan.warnings()).isEmpty();
    assertThat(plan.describe()).isEqualTo("web 10.0.0.5:8080");
  }

  @Test
  void leavesAddressAndProtocolOutWhenUnknown() {
    ServiceInstance instance = ServiceInstance.builder("db-1", "db").port(5432).build();
    PlannedRegistration plan = mapper.map(instance);

    assertThat(plan.registration().getAddress()).isEmpty();
    assertThat(plan.registration().getMeta()).containsOnlyKeys("registry-bridge-owner",
        "registry-bridge-hash");
    assertThat(plan.describe()).isEqualTo("db :5432");
  }

  @Test
  void mapsEveryCheckTypeWithStableIdsAndRegistratorDefaults() {
    ServiceInstance instance = web().toBuilder().checks(List.of(
        new ServiceCheck(Type.HTTP, "http://10.0.0.5:8080/health", Optional.empty(),
            Optional.of(Duration.ofSeconds(2)), Optional.empty(),
            Optional.of(Duration.ofMinutes(5)), Optional.of("GET"), true,
            Optional.of(InitialStatus.WARNING)),
        new ServiceCheck(Type.TCP, "10.0.0.5:8080", Optional.of(Duration.ofMillis(1500)),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false,
            Optional.empty()),
        new ServiceCheck(Type.GRPC, "10.0.0.5:9090", Optional.of(Duration.ofSeconds(30)),
            Optional.of(Duration.ofSeconds(3)), Optional.empty(), Optional.empty(),
            Optional.empty(), false, Optional.of(InitialStatus.CRITICAL)),
        ServiceCheck.of(Type.SCRIPT, "curl -fs localhost:8080 | grep ok"),
        new ServiceCheck(Type.TTL, "", Optional.of(Duration.ofSeconds(99)),
            Optional.of(Duration.ofSeconds(99)), Optional.of(Duration.ofSeconds(45)),
            Optional.empty(), Optional.empty(), false, Optional.of(InitialStatus.PASSING))))
        .build();

    List<Registration.RegCheck> checks = mapper.map(instance).registration().getChecks();

    assertThat(checks).containsExactly(
        ImmutableRegCheck.builder().id("service:host-a:web-1:8080:1")
            .http("http://10.0.0.5:8080/health").interval("10s").timeout("2s")
            .deregisterCriticalServiceAfter("300s").tlsSkipVerify(true).status("warning")
            .build(),
        ImmutableRegCheck.builder().id("service:host-a:web-1:8080:2")
            .tcp("10.0.0.5:8080").interval("1500ms").build(),
        ImmutableRegCheck.builder().id("service:host-a:web-1:8080:3")
            .grpc("10.0.0.5:9090").interval("30s").timeout("3s").status("critical").build(),
        ImmutableRegCheck.builder().id("service:host-a:web-1:8080:4")
            .args(List.of("/bin/sh", "-c", "curl -fs localhost:8080 | grep ok"))
            .interval("10s").build(),
        // A TTL check has no interval or timeout, whatever the instance says.
        ImmutableRegCheck.builder().id("service:host-a:web-1:8080:5")
            .ttl("45s").status("passing").build());
  }

  @Test
  void checksOfAServiceWithoutAddressNameTheNodeAddress() {
    String node = ServiceCheck.NODE_ADDRESS;
    ServiceInstance instance = ServiceInstance.builder("host-a:web-1:80", "web").port(32768)
        .checks(List.of(
            ServiceCheck.of(Type.HTTP, "http://" + node + ":32768/health"),
            ServiceCheck.of(Type.TCP, node + ":32768"),
            ServiceCheck.of(Type.SCRIPT, "ping -c1 " + node)))
        .build();

    List<Registration.RegCheck> v4 = mapper.map(instance, "10.1.2.3").registration().getChecks();
    List<Registration.RegCheck> v6 = mapper.map(instance, "fd00::7").registration().getChecks();

    assertThat(v4).extracting(c -> c.getHttp().orElse(c.getTcp().orElse(
        String.join(" ", c.getArgs().orElse(List.of())))))
        .containsExactly("http://10.1.2.3:32768/health", "10.1.2.3:32768",
            "/bin/sh -c ping -c1 10.1.2.3");
    assertThat(v6).extracting(c -> c.getHttp().orElse(c.getTcp().orElse(
        String.join(" ", c.getArgs().orElse(List.of())))))
        .containsExactly("http://[fd00::7]:32768/health", "[fd00::7]:32768",
            "/bin/sh -c ping -c1 fd00::7");
    assertThat(mapper.map(instance, "10.1.2.3").hash())
        .isNotEqualTo(mapper.map(instance, "10.1.2.4").hash());
  }

  @Test
  void warnsAboutAnHttpMethodItCannotSend() {
    ServiceInstance instance = web().toBuilder().checks(List.of(
        new ServiceCheck(Type.HTTP, "http://x/", Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.of("POST"), false, Optional.empty())))
        .build();
    assertThat(mapper.map(instance).warnings()).containsExactly("check 1 asks for HTTP method "
        + "POST, but consul-client cannot send a method; Consul will use GET");
  }

  @Test
  void addsThePassingBridgeTtlCheckLast() {
    RegistrationMapper withTtl = new RegistrationMapper("host-a",
        Optional.of(new ConsulSinkConfig.Ttl(Duration.ofSeconds(30), Duration.ofSeconds(10))));
    ServiceInstance instance =
        web().toBuilder().checks(List.of(ServiceCheck.of(Type.TCP, "10.0.0.5:8080"))).build();

    List<Registration.RegCheck> checks = withTtl.map(instance).registration().getChecks();

    assertThat(checks).hasSize(2);
    assertThat(checks.get(1)).isEqualTo(ImmutableRegCheck.builder()
        .id("service:host-a:web-1:8080:ttl").name("registry-bridge TTL").ttl("30s")
        .status("passing").notes("passed by registry-bridge every 10s").build());
    assertThat(withTtl.map(instance).hash()).isNotEqualTo(mapper.map(instance).hash());
  }

  @Test
  void hashIsStableForEqualInstances() {
    assertThat(mapper.map(web()).hash()).isEqualTo(mapper.map(web()).hash());
    // Meta given in another order is the same meta.
    Map<String, String> reversed = new LinkedHashMap<>();
    reversed.put("version", "2.1");
    reversed.put("team", "payments");
    assertThat(mapper.map(web().toBuilder().meta(reversed).build()).hash())
        .isEqualTo(mapper.map(web()).hash());
    // The origin is not sent to Consul, so it does not count.
    assertThat(mapper.map(web().toBuilder().origin("docker:other").build()).hash())
        .isEqualTo(mapper.map(web()).hash());
  }

  @Test
  void hashChangesWithEveryFieldConsulReceives() {
    ServiceCheck check = ServiceCheck.of(Type.HTTP, "http://10.0.0.5:8080/health");
    ServiceInstance base = web().toBuilder().checks(List.of(check)).build();
    Map<String, UnaryOperator<ServiceInstance.Builder>> changes = new LinkedHashMap<>();
    changes.put("name", b -> b.name("web2"));
    changes.put("address", b -> b.address("10.0.0.6"));
    changes.put("no address", b -> b.address(""));
    changes.put("port", b -> b.port(8081));
    changes.put("protocol", b -> b.protocol("grpc"));
    changes.put("no protocol", b -> b.protocol((String) null));
    changes.put("tag added", b -> b.tags(List.of("v2", "primary", "x")));
    changes.put("tag order", b -> b.tags(List.of("primary", "v2")));
    changes.put("meta value", b -> b.meta(Map.of("team", "payments", "version", "2.2")));
    changes.put("meta key", b -> b.meta(Map.of("team", "payments")));
    changes.put("check target", b -> b.checks(List.of(
        ServiceCheck.of(Type.HTTP, "http://10.0.0.5:8080/ready"))));
    changes.put("check interval", b -> b.checks(List.of(new ServiceCheck(Type.HTTP,
        check.target(), Optional.of(Duration.ofSeconds(11)), Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), false, Optional.empty()))));
    changes.put("check status", b -> b.checks(List.of(new ServiceCheck(Type.HTTP,
        check.target(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), false, Optional.of(InitialStatus.CRITICAL)))));
    changes.put("check type", b -> b.checks(List.of(ServiceCheck.of(Type.TCP, check.target()))));
    changes.put("no checks", b -> b.checks(List.of()));
    changes.put("weight", b -> b.weight(5));

    String baseHash = mapper.map(base).hash();
    Set<String> hashes = new HashSet<>(Set.of(baseHash));
    changes.forEach((what, change) -> {
      String hash = mapper.map(change.apply(base.toBuilder()).build()).hash();
      assertThat(hash).as(what).isNotEqualTo(baseHash);
      assertThat(hashes.add(hash)).as(what + " gives a hash of its own").isTrue();
    });
    // The service ID and the owner count too.
    assertThat(mapper.map(ServiceInstance.builder("other-id", "web").build()).hash())
        .isNotEqualTo(mapper.map(ServiceInstance.builder("host-a:web-1:8080", "web").build())
            .hash());
    assertThat(new RegistrationMapper("host-b", Optional.empty()).map(base).hash())
        .isNotEqualTo(baseHash);
  }

  @Test
  void aWeightIsSentAsPassingWithConsulsDefaultWarningAndNoWeightAsNothing() {
    Registration weighted = mapper.map(web().toBuilder().weight(22).build()).registration();
    assertThat(weighted.getServiceWeights()).contains(
        ImmutableServiceWeights.builder().passing(22).warning(1).build());
    // Unweighted registrations stay as they were before weights existed: same body, same hash.
    assertThat(mapper.map(web()).registration().getServiceWeights()).isEmpty();
    assertThat(mapper.map(web()).hash()).isEqualTo(mapper.map(web().toBuilder()
        .weight(java.util.OptionalInt.empty()).build()).hash());
  }

  @Test
  void transportIsNotSentSoItDoesNotCount() {
    assertThat(mapper.map(web().toBuilder().transport(Transport.UDP).build()).hash())
        .isEqualTo(mapper.map(web()).hash());
  }
}
