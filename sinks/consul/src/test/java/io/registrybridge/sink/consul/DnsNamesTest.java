package io.registrybridge.sink.consul;

import static io.registrybridge.sink.consul.ConsulSinkTest.complete;
import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.LogCapture;
import io.registrybridge.core.ServiceInstance;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DnsNamesTest {
  private final FakeConsulAgent agent = new FakeConsulAgent();
  private final LogCapture log = new LogCapture(ConsulSink.class);
  private final ConsulSink sink = new ConsulSink(agent, ConsulSinkTest.config(),
      Clock.systemUTC());

  @AfterEach
  void close() {
    log.close();
  }

  private static ServiceInstance named(String id, String name, int port) {
    return ServiceInstance.builder(id, name).port(port).origin("docker:" + id).build();
  }

  @Test
  void saysWhatConsulDnsDoesWithEachKindOfName() {
    assertThat(DnsNames.problemWith("web-front2")).isNull();
    assertThat(DnsNames.problemWith("Web_Front.End")).isEqualTo("it contains '.', so Consul DNS"
        + " reads Web_Front.End.service.consul as the tag 'Web_Front' of a service 'End' and"
        + " does not find it");
    assertThat(DnsNames.problemWith("web_front")).startsWith("it contains '_', which Consul"
        + " marks as not discoverable via DNS");
    assertThat(DnsNames.problemWith("a".repeat(63))).isNull();
    assertThat(DnsNames.problemWith("a".repeat(600))).isEqualTo("it is 600 bytes long and a DNS"
        + " label has at most 63, so no DNS query can ask for it");
    assertThat(DnsNames.problemWith("café")).startsWith("it contains non-ASCII characters");
    assertThat(DnsNames.problemWith("a b/c")).startsWith("it contains ' ' '/', which");
  }

  @Test
  void warnsOncePerServiceNameNamingTheContainerNotOncePerWrite() {
    ServiceInstance one = named("h:web-1:80", "Web_Front.End", 80);
    ServiceInstance two = named("h:web-2:80", "Web_Front.End", 80);
    ServiceInstance api = named("h:api-1:80", "api", 80);
    sink.sync(complete(one, two, api));
    // an update of one and a new instance of the same name: no second warning
    ServiceInstance three = named("h:web-3:80", "Web_Front.End", 80);
    sink.apply(Set.of(one.id(), three.id()),
        complete(one.toBuilder().port(81).build(), two, three, api));

    List<String> warnings = log.lines().stream().filter(l -> l.startsWith("WARN")).toList();
    assertThat(warnings).containsExactly("WARN consul: service name \"Web_Front.End\" of"
        + " h:web-1:80 from docker:h:web-1:80 is not a valid DNS label: it contains '.', so"
        + " Consul DNS reads Web_Front.End.service.consul as the tag 'Web_Front' of a service"
        + " 'End' and does not find it. It is registered and Consul's HTTP API and catalog list"
        + " it; for DNS, name it with letters, digits and '-' only (at most 63)");
    assertThat(agent.services).containsKeys("h:web-1:80", "h:web-2:80", "h:web-3:80");
  }
}
