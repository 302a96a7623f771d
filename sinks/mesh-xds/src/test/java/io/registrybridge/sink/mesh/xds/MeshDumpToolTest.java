package io.registrybridge.sink.mesh.xds;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.registrybridge.sink.mesh.MeshSinkUri.XdsListen;
import io.registrybridge.spi.Tool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code registry-bridge mesh-dump istio-xds://HOST:PORT} against a real xDS port. */
class MeshDumpToolTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private static Tool tool() {
    return ServiceLoader.load(Tool.class).stream().map(ServiceLoader.Provider::get)
        .filter(t -> t.name().equals("mesh-dump")).findFirst().orElseThrow();
  }

  private int run(String... args) {
    return tool().run(List.of(args), new PrintStream(out, true, UTF_8),
        new PrintStream(err, true, UTF_8));
  }

  private List<JsonNode> documents() throws IOException {
    List<JsonNode> documents = new ArrayList<>();
    try (MappingIterator<JsonNode> read = new YAMLMapper().readerFor(JsonNode.class)
        .readValues(out.toString(UTF_8))) {
      read.forEachRemaining(documents::add);
    }
    return documents;
  }

  @Test
  void printsEveryServiceEntryAsIstiodReceivesItAndExitsZero() throws Exception {
    try (XdsHarness xds = new XdsHarness()) {
      xds.sync(XdsHarness.bookinfo(), true);
      assertThat(run("istio-xds://127.0.0.1:" + xds.port())).as(err.toString(UTF_8))
          .isZero();
      List<JsonNode> documents = documents();
      assertThat(documents).extracting(d -> d.get("metadata").get("name").asText())
          .containsExactly("details.service.consul", "productpage.service.consul",
              "ratings.service.consul", "reviews.service.consul");
      JsonNode reviews = documents.get(3);
      assertThat(reviews.get("apiVersion").asText()).isEqualTo("networking.istio.io/v1");
      assertThat(reviews.get("kind").asText()).isEqualTo("ServiceEntry");
      assertThat(reviews.get("metadata").get("namespace").asText()).isEqualTo("istio-system");
      assertThat(reviews.get("metadata").get("labels").get("registry-bridge.io/owner").asText())
          .isEqualTo(XdsHarness.OWNER);
      assertThat(reviews.get("spec").get("ports").get(0).get("protocol").asText())
          .isEqualTo("HTTP");
      assertThat(reviews.get("spec").get("endpoints")).extracting(e -> e.get("address")
          .asText()).containsExactly("172.18.0.5", "172.18.0.6");
      assertThat(err.toString(UTF_8)).contains("mesh-dump: 4 ServiceEntries from 127.0.0.1:"
          + xds.port());
    }
  }

  @Test
  void speaksTlsWithAClientCertificate(@TempDir Path dir) throws Exception {
    TestPki ca = new TestPki(dir, "ca");
    Path server = ca.issue(dir, "bridge");
    Path client = ca.issue(dir, "dump");
    XdsListen listen = new XdsListen(Optional.of("127.0.0.1"), 0, Optional.of(server),
        Optional.of(TestPki.key(server)), Optional.of(ca.certificate),
        XdsListen.DEFAULT_MAX_STREAMS, XdsListen.DEFAULT_MAX_SUBSCRIPTIONS);
    try (XdsHarness xds = new XdsHarness(listen, XdsServer.Keepalive.ISTIOD)) {
      xds.sync(XdsHarness.bookinfo(), true);
      assertThat(run("istio-xds://localhost:" + xds.port() + "?tlsCa=" + ca.certificate
          + "&tlsCert=" + client + "&tlsKey=" + TestPki.key(client)))
          .as(err.toString(UTF_8)).isZero();
      assertThat(documents()).hasSize(4);
    }
  }

  @Test
  void aServerWithoutACompleteStateYetIsExitOneWithWhy() throws Exception {
    try (XdsHarness xds = new XdsHarness()) {
      xds.sync(XdsHarness.bookinfo(), false);
      int status = run("istio-xds://127.0.0.1:" + xds.port() + "?timeout=5");
      assertThat(status).as(err.toString(UTF_8)).isEqualTo(1);
      assertThat(out.toString(UTF_8)).isEmpty();
      assertThat(err.toString(UTF_8)).contains("answers, but serves no ServiceEntry yet");
    }
  }

  @Test
  void anUnreachablePortIsExitOne() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    assertThat(run("istio-xds://127.0.0.1:" + port)).isEqualTo(1);
    assertThat(err.toString(UTF_8)).startsWith("mesh-dump: cannot read the feed of 127.0.0.1:"
        + port + ": UNAVAILABLE");
  }

  @Test
  void wrongArgumentsAreExitTwoWithTheUsage() {
    assertThat(run()).isEqualTo(2);
    assertThat(run("consul://localhost:8500")).isEqualTo(2);
    assertThat(run("istio-xds://localhost")).isEqualTo(2);
    assertThat(run("istio-xds://localhost:15010?tlsCert=/a.pem")).isEqualTo(2);
    assertThat(run("istio-xds://localhost:15010?bogus=1")).isEqualTo(2);
    assertThat(err.toString(UTF_8)).contains("mesh-dump: a port is required",
        "mesh-dump: unknown parameter 'bogus'", "usage: registry-bridge mesh-dump istio-xds://");
    assertThat(out.toString(UTF_8)).isEmpty();
    assertThat(tool().usage()).startsWith("mesh-dump istio-xds://HOST:PORT");
  }
}
