package io.registrybridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExplainToolTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private int print(String wanted, String json) throws Exception {
    return ExplainTool.print(wanted, new ObjectMapper().readTree(json),
        new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  private List<String> lines() {
    return out.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void aServiceIsDescribedInPlainWordsPerSink() throws Exception {
    int status = print("web", """
        {"complete": true, "services": [{"id": "h:web-1:80", "name": "web", "source": "docker",
          "origin": "docker:web-1", "object": "container web-1 (0123456789ab)",
          "attributes": {"SERVICE_NAME": "web"}, "problems": ["SERVICE_80_TAGS: odd"],
          "instance": {"address": "10.0.0.2", "port": 80, "protocol": "http", "tags": ["a"]},
          "hash": "1f",
          "sinks": {"consul": {"state": "written", "hash": "1f"},
                    "mesh-dir": {"state": "held", "why": "port 80 collides with shop"},
                    "mesh-xds": {"state": "retrying", "why": "no answer",
                                 "nextAttempt": "2026-12-05T18:00:00Z"}}}],
         "ignored": []}""");

    assertThat(status).isZero();
    assertThat(lines()).containsExactly(
        "web (ID h:web-1:80), from docker: container web-1 (0123456789ab)",
        "  built from SERVICE_NAME=web",
        "  problem: SERVICE_80_TAGS: odd",
        "  registered as 10.0.0.2:80 (http), tags a",
        "  consul: written (hash 1f)",
        "  mesh-dir: held: port 80 collides with shop",
        "  mesh-xds: retrying: no answer; next attempt at 2026-12-05T18:00:00Z");
  }

  @Test
  void anIgnoredContainerSaysWhy() throws Exception {
    int status = print("quiet", """
        {"complete": true, "services": [], "ignored": [{"source": "docker",
          "origin": "docker:quiet", "object": "container quiet (0123456789ab)",
          "attributes": {}, "problems": [], "why": "the container exposes and publishes no port"}]}
        """);

    assertThat(status).isZero();
    assertThat(lines()).containsExactly("container quiet (0123456789ab) (docker): not"
        + " registered: the container exposes and publishes no port");
  }

  @Test
  void somethingUnknownSaysWhatToCheckAndFails() throws Exception {
    assertThat(print("nope", "{\"complete\": false, \"services\": [], \"ignored\": []}"))
        .isEqualTo(1);
    assertThat(lines()).containsExactly(
        "The daemon knows no service named or with the ID 'nope'.",
        "Its sources have not listed everything yet; ask again in a moment.");
  }

  @Test
  void noDaemonIsExitOneNamingTheAddressAndWrongArgumentsAreTwo() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream errors = new PrintStream(err, true, StandardCharsets.UTF_8);
    ExplainTool tool = new ExplainTool();

    assertThat(tool.run(List.of("-http=127.0.0.1:1", "web"), new PrintStream(out), errors))
        .isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .startsWith("registry-bridge explain: no daemon answers at"
            + " http://127.0.0.1:1/debug/services");
    assertThat(tool.run(List.of(), new PrintStream(out), errors)).isEqualTo(2);
    assertThat(tool.run(List.of("a", "b"), new PrintStream(out), errors)).isEqualTo(2);
  }
}
