package io.registrybridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.registrybridge.core.SinkReconciler;
import io.registrybridge.testplugin.MemorySink;
import io.registrybridge.testplugin.MemorySinkProvider;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * The seam: a sink ({@code memory://}) and a source ({@code -source=static}) that exist only in
 * this module's tests, found through their provider files (src/test/resources/META-INF/services)
 * with nothing in {@code bridge/src/main} naming them, run in the daemon like the real ones:
 * their flags, help, names, readiness and debug pages.
 */
class PluginSeamTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aPluginSourceAndSinkRunEndToEndWithTheirFlagReadinessAndDebugPage() throws Exception {
    String name = "seam-" + UUID.randomUUID();
    BridgeConfig config = BridgeConfig.fromArgs("-source=static", "-hostname=h",
        "-http-listen=127.0.0.1:0", "-tags=t", "-memory-flag=hello", "memory://" + name);
    try (Bridge bridge = Bridge.create(config, Map.of(), Clock.systemUTC())) {
      bridge.start();
      int port = bridge.httpPort().orElseThrow();

      await().atMost(Duration.ofSeconds(10)).until(() ->
          MemorySinkProvider.BUILT.containsKey(name)
              && MemorySinkProvider.BUILT.get(name).held().size() == 2);
      MemorySink sink = MemorySinkProvider.BUILT.get(name);
      assertThat(sink.held().keySet()).containsExactly("h:static:db", "h:static:web");
      assertThat(sink.held().get("h:static:web").port()).isEqualTo(80);
      assertThat(sink.held().get("h:static:web").tags()).as("-tags, a daemon-wide flag")
          .containsExactly("t");
      assertThat(sink.held().get("h:static:web").source()).isEqualTo("static");
      assertThat(sink.flag()).as("its own flag").isEqualTo("hello");
      assertThat(sink.ownerId()).isEqualTo("h");
      assertThat(sink.name()).as("the only sink of its kind").isEqualTo("memory");
      assertThat(bridge.sinkStatus()).singleElement().satisfies(status -> {
        assertThat(status.sink()).isEqualTo("memory");
        assertThat(status.services()).isEqualTo(2);
      });

      // Converged, but its reader has not read: /readyz says so, by the sink's name.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(get(port, "/readyz")).isEqualTo(
              new Page(503, "memory: its reader has not read yet\n")));
      sink.markRead();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(get(port, "/readyz")).isEqualTo(new Page(200, "ok\n")));

      assertThat(get(port, "/debug/memory")).isEqualTo(new Page(200,
          "{\"memory\":{\"owner\":\"h\",\"flag\":\"hello\",\"services\":[\"h:static:db\","
              + "\"h:static:web\"]}}\n"));
      assertThat(get(port, "/debug/nothing-here").status()).isEqualTo(404);
      assertThat(get(port, "/metrics").body())
          .contains("registry_bridge_sink_services{sink=\"memory\"} 2.0");
    }
    assertThat(MemorySinkProvider.BUILT.get(name).closed()).isTrue();
  }

  /** Their gauges, log lines and /readyz entries must never collide. */
  @Test
  void twoSinksOfOneKindAreNamedKindColonInstance() throws Exception {
    String a = "a-" + UUID.randomUUID();
    String b = "b-" + UUID.randomUUID();
    BridgeConfig config = BridgeConfig.fromArgs("-source=static", "-hostname=h",
        "memory://" + a, "memory://" + b);
    try (Bridge bridge = Bridge.create(config, Map.of(), Clock.systemUTC())) {
      bridge.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> bridge.sinkStatus().stream()
          .allMatch(SinkReconciler.Status::convergedOnce));

      assertThat(bridge.sinkStatus()).extracting(SinkReconciler.Status::sink)
          .containsExactly("memory:" + a, "memory:" + b);
      assertThat(MemorySinkProvider.BUILT.get(a).name()).isEqualTo("memory:" + a);
      assertThat(MemorySinkProvider.BUILT.get(b).name()).isEqualTo("memory:" + b);
      assertThat(bridge.ready().detail()).isEqualTo("memory:" + a
          + ": its reader has not read yet; memory:" + b + ": its reader has not read yet");
    }
  }

  @Test
  void aPluginsFlagIsShownUnderItsTitle() {
    CommandLine cli = Main.commandLine(Map.of());
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("--help")).isZero();
    List<String> lines = out.toString().lines().toList();

    int title = lines.indexOf("Memory (memory://NAME; bridge's tests only):");
    assertThat(title).isNotNegative();
    assertThat(lines.get(title + 1)).isEqualTo(
        "  memory://NAME               records what it is given, in this JVM");
    assertThat(lines.get(title + 2)).startsWith("  -memory-flag=VALUE ")
        .contains("A value the memory sink records");
    assertThat(lines).contains("Static source (-source=static; bridge's tests only):");
  }

  /** A plugin's own check, in its own words, ends the command with 2 before anything starts. */
  @Test
  @Timeout(60) // were the check lost, the daemon would run
  void aPluginsOwnValidationIsAUsageError() {
    BridgeConfigTest.Run refused = BridgeConfigTest.exitAndError("-source=static", "-hostname=h",
        "-memory-flag=refuse", "memory://x");
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.stderr()).startsWith("registry-bridge: -memory-flag=refuse is refused");

    BridgeConfigTest.Run noName = BridgeConfigTest.exitAndError("-source=static", "memory://");
    assertThat(noName.code()).isEqualTo(2);
    assertThat(noName.stderr()).contains("memory URI 'memory://' needs a NAME without /");
  }

  /** The acceptance of the seam: the daemon's code knows no back end by name. */
  @Test
  void nothingInTheDaemonsSourcesNamesTheTestPlugins() throws IOException {
    Path main = Path.of("src/main");
    assertThat(main).isDirectory();
    try (Stream<Path> files = Files.walk(main)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(file)).as("%s", file)
            .doesNotContain("testplugin", "memory://", "MemorySink", "memory-flag",
                "StaticSource", "source=static");
      }
    }
  }

  private record Page(int status, String body) {}

  private Page get(int port, String path) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    return new Page(response.statusCode(), response.body());
  }
}
