package io.registrybridge.sink.mesh;

import io.registrybridge.core.Protocol;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The last gate catches what a converter bug could produce. */
class ServiceEntryValidatorTest {

  @Test
  void aValidEntryHasNoProblems() {
    assertThat(ServiceEntryValidator.problems(entry(List.of(
        ServiceEntryModel.Port.of(9080, Protocol.HTTP)), List.of(
        new ServiceEntryModel.Endpoint("10.0.0.1", Map.of("http-9080", 32768),
            Map.of("version", "v1")))))).isEmpty();
  }

  @Test
  void reportsEveryRuleIstioWouldApply() {
    List<String> problems = ServiceEntryValidator.problems(new ServiceEntryModel("Bad_Name",
        "svc", "svc.123", List.of("240.241.0.1/33x"),
        List.of(ServiceEntryModel.Port.of(80, Protocol.HTTP),
            new ServiceEntryModel.Port(80, "http-80", Protocol.TCP),
            new ServiceEntryModel.Port(0, "Port_0", Protocol.TCP)),
        List.of(new ServiceEntryModel.Endpoint("db.internal", Map.of("grpc-9090", 70000),
            Map.of("-bad", "v 1"))),
        List.of("*", "."), new TreeSet<>()));

    assertThat(problems).containsExactly(
        "object name 'Bad_Name': label 'Bad_Name' must consist of lower-case letters, digits and"
            + " '-', and start and end with a letter or digit",
        "host 'svc.123': top-level domain '123' is all digits",
        "address '240.241.0.1/33x' is not an IP address or CIDR",
        "port name 'http-80' is defined twice",
        "port 80 is defined twice",
        "port name 'Port_0': must consist of lower-case letters, digits and '-', and start and"
            + " end with a letter or digit",
        "port Port_0: 0 is not in 1..65535",
        "endpoint address 'db.internal' is not an IP address",
        "endpoint db.internal maps port 'grpc-9090' that the entry does not define",
        "endpoint db.internal port grpc-9090: 70000 is not in 1..65535",
        "endpoint label key '-bad': name part must consist of letters, digits, '-', '_' and '.',"
            + " and start and end with a letter or digit",
        "endpoint label value 'v 1': must consist of letters, digits, '-', '_' and '.', and start"
            + " and end with a letter or digit",
        "exportTo: '*' cannot be combined with other entries");
  }

  private static ServiceEntryModel entry(List<ServiceEntryModel.Port> ports,
      List<ServiceEntryModel.Endpoint> endpoints) {
    return new ServiceEntryModel("svc.service.consul", "svc", "svc.service.consul", List.of(),
        ports, endpoints, List.of(), new TreeSet<>());
  }
}
