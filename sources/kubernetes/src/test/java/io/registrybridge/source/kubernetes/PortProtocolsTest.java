package io.registrybridge.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.Protocol;
import io.registrybridge.core.Transport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PortProtocolsTest {

  @ParameterizedTest(name = "{0} / appProtocol {1} / name {2} -> {3}")
  @CsvSource(nullValues = "-", value = {
      "TCP, -, http, http",
      "TCP, -, HTTP2-api, http2",
      "TCP, -, grpc-web, grpc-web",
      "TCP, -, grpc-web-ui, grpc-web",
      "TCP, -, grpc-api, grpc",
      "TCP, -, http_proxy, http_proxy",
      "TCP, -, tcp-db, tcp",
      "TCP, -, mongo, mongo",
      "TCP, -, web, -",
      "TCP, -, -, -",
      "TCP, kubernetes.io/h2c, http, http2",
      "TCP, kubernetes.io/ws, tcp, http",
      "TCP, kubernetes.io/wss, -, https",
      "TCP, HTTPS, http, https",
      "TCP, example.com/custom, grpc, grpc",
      "UDP, -, dns, udp",
      "UDP, kubernetes.io/h2c, http, udp",
      "TCP, -, udp-x, -"})
  void appProtocolBeatsThePortNameAndUdpIsAlwaysUdp(Transport transport, String appProtocol,
      String name, String expected) {
    assertThat(PortProtocols.infer(transport, appProtocol, name).map(Protocol::spelling)
        .orElse(null)).isEqualTo(expected);
  }
}
