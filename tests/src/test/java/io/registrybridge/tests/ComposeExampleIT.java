package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/compose/docker-compose.yml} as a user runs it: the image built from the repository's
 * Dockerfile by compose, {@code up -d}, then the Consul catalog read over HTTP on the published
 * port. Everything goes through the {@code docker} and {@code docker-compose} (or {@code docker
 * compose}) command lines, as in the compose README; a missing one fails the test.
 *
 * <p>The engine is shared with other tests and other users: the bridge in the example registers
 * every container it sees. This test therefore judges the services that come from its own compose
 * project (by address on the project's network, or by container name in the service ID) and
 * requires exactly the six demo services among them.
 */
class ComposeExampleIT {
  private static final Path JAR = Path.of(System.getProperty("registry-bridge.jar",
      "../bridge/target/registry-bridge.jar")).toAbsolutePath().normalize();
  /** bridge/target/registry-bridge.jar -> the repository root. */
  private static final Path ROOT = JAR.getParent().getParent().getParent();
  private static final Path COMPOSE_FILE = ROOT.resolve("docs/compose/docker-compose.yml");
  private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(5);

  /** One registration as the catalog shows it, reduced to what the example promises. */
  record Registration(String name, List<String> tags, String protocol, String address,
      int port) { }

  /** compose service -> Consul service name and tag. */
  private static final Map<String, String[]> DEMO = Map.of(
      "productpage", new String[] {"productpage", "version|v1"},
      "details", new String[] {"details", "version|v1"},
      "ratings", new String[] {"ratings", "version|v1"},
      "reviews-v1", new String[] {"reviews", "version|v1"},
      "reviews-v2", new String[] {"reviews", "version|v2"},
      "reviews-v3", new String[] {"reviews", "version|v3"});

  private final String project = "rbcompose" + UUID.randomUUID().toString().substring(0, 8);
  private final String image = "registry-bridge-compose-it:" + project;
  private final int consulPort = ConsulAgent.freePort();
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final ObjectMapper json = new ObjectMapper();
  private List<String> compose;
  private Map<String, String> env;

  @BeforeEach
  void setUp() throws Exception {
    assertThat(JAR).as("build the jar first: ./mvnw -DskipTests package").exists();
    assertThat(COMPOSE_FILE).exists();
    assertThat(ROOT.resolve("Dockerfile")).exists();
    Result engine = probe(List.of("docker", "version", "--format", "{{.Server.Version}}"));
    if (engine.exit != 0) {
      fail("this test needs the docker CLI and a reachable Docker engine; `docker version` said:%n%s",
          engine.output);
    }
    List<String> command = composeCommand();
    env = new HashMap<>();
    env.put("CONSUL_PORT", Integer.toString(consulPort));
    env.put("REGISTRY_BRIDGE_IMAGE", image);
    // The README's lines carry no -p: the project comes from here, unique to this run.
    env.put("COMPOSE_PROJECT_NAME", project);
    compose = command; // from here on, tearDown cleans up
  }

  @AfterEach
  void tearDown() throws Exception {
    if (compose == null) {
      return;
    }
    // The bridge's log belongs in the report of a failed run; it is short.
    Result logs = attempt(composeArgs("logs", "--no-color", "registry-bridge"));
    System.out.println("--- registry-bridge log (" + project + ") ---\n" + logs.output);
    Result down = attempt(composeArgs("down", "-v", "--remove-orphans", "-t", "5"));
    attempt(List.of("docker", "image", "rm", "-f", image));
    assertThat(down.exit).as("compose down:%n%s", down.output).isZero();
  }

  /**
   * The README's compose block, line by line, each in a new {@code sh} without {@code
   * DOCKER_GID} (see {@link #execute}), with {@code docker compose} in place of {@code
   * docker-compose} where only the plugin is installed. The jar is built already ({@code ./mvnw}
   * line skipped); {@code CONSUL_PORT} and {@code COMPOSE_PROJECT_NAME} keep the run apart from
   * others on the same engine.
   */
  @Test
  void theReadmeCommandsBringUpBookinfoWhichRegistersExactlyTheSixAndTearItDown()
      throws Exception {
    List<String> lines = readmeComposeBlock();
    assertThat(lines.get(0)).startsWith("./mvnw ");
    assertThat(lines).anyMatch(line -> line.contains(" up -d"))
        .anyMatch(line -> line.contains(" down -v"));
    int down = lines.size() - 1;
    assertThat(lines.get(down)).contains(" down -v");
    for (String line : lines.subList(1, down)) {
      Result result = run(List.of("sh", "-c", asOnThisMachine(line)));
      if (line.startsWith("curl ")) {
        assertThat(result.output).as("the catalog answers on CONSUL_PORT").startsWith("[");
      }
    }

    Map<String, String> ids = containers();
    assertThat(ids.keySet()).containsAll(DEMO.keySet()).contains("consul", "registry-bridge");
    assertBookinfoRegisteredAndFollowingAStop(ids);

    run(List.of("sh", "-c", asOnThisMachine(lines.get(down))));
    assertThat(containers()).as("containers left by down -v").isEmpty();
  }

  /** The sh code block of README.md's "In Docker Compose" paragraph, without blank lines. */
  private static List<String> readmeComposeBlock() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int section = readme.indexOf("**In Docker Compose**");
    assertThat(section).as("README.md has the compose paragraph").isNotNegative();
    int start = readme.indexOf("```sh\n", section) + "```sh\n".length();
    String block = readme.substring(start, readme.indexOf("```", start));
    return block.lines().filter(line -> !line.isBlank()).toList();
  }

  /** A README line with this machine's compose command. */
  private String asOnThisMachine(String line) {
    return compose.size() == 1 ? line : line.replace("docker-compose ", "docker compose ");
  }

  private void assertBookinfoRegisteredAndFollowingAStop(Map<String, String> ids)
      throws Exception {
    Map<String, String> ips = new TreeMap<>();
    for (Map.Entry<String, String> container : ids.entrySet()) {
      ips.put(container.getKey(), ip(container.getValue()));
    }

    Set<Registration> expected = new HashSet<>();
    DEMO.forEach((service, nameAndTag) -> expected.add(new Registration(nameAndTag[0],
        List.of(nameAndTag[1]), "http", ips.get(service), 9080)));

    // On a busy shared engine the bridge first registers everyone else's containers too.
    await("the six demo services in Consul").atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
        .untilAsserted(() -> assertThat(ours(ips)).containsExactlyInAnyOrderElementsOf(expected));
    assertThat(catalogNames()).contains("productpage", "details", "ratings", "reviews");

    // What a sidecar would reach: the stand-ins answer HTTP on the registered address, and the
    // bridge reports ready on :8080 inside the network.
    assertThat(httpFromNetwork(ips.get("reviews-v2"), 9080, "/")).startsWith("HTTP/1.")
        .contains(" 200 ").endsWith("reviews v2\n");
    assertThat(httpFromNetwork(ips.get("registry-bridge"), 8080, "/readyz")).contains(" 200 ")
        .endsWith("ok\n");

    // The image's HEALTHCHECK (GET /healthz on :8080), every 5 s in the example.
    await("registry-bridge container healthy").atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> inspect(ids.get("registry-bridge")).at("/State/Health/Status").asText(),
            "healthy"::equals);

    run(composeArgs("stop", "-t", "5", "reviews-v3"));
    Set<Registration> withoutV3 = new HashSet<>(expected);
    withoutV3.remove(new Registration("reviews", List.of("version|v3"), "http",
        ips.get("reviews-v3"), 9080));
    await("reviews v3 leaves, the others stay").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
        .untilAsserted(() -> assertThat(ours(ips)).containsExactlyInAnyOrderElementsOf(withoutV3));
  }

  // --- the catalog -----------------------------------------------------------------------------

  /**
   * Every catalog entry that comes from this compose project: its address is one of the project's
   * containers, or its ID names one of them. Consul's and the bridge's own containers are
   * included in that test, so any registration of theirs makes the set differ from the six.
   */
  private List<Registration> ours(Map<String, String> ips) throws Exception {
    Set<String> addresses = new HashSet<>(ips.values());
    List<Registration> result = new ArrayList<>();
    for (String name : catalogNames()) {
      for (JsonNode entry : get("/v1/catalog/service/"
          + URLEncoder.encode(name, StandardCharsets.UTF_8))) {
        String id = entry.path("ServiceID").asText();
        String address = entry.path("ServiceAddress").asText();
        if (!addresses.contains(address) && !id.contains(project)) {
          continue; // a container of someone else on the same engine
        }
        List<String> tags = new ArrayList<>();
        entry.path("ServiceTags").forEach(tag -> tags.add(tag.asText()));
        result.add(new Registration(entry.path("ServiceName").asText(), tags,
            entry.path("ServiceMeta").path("protocol").asText(null), address,
            entry.path("ServicePort").asInt()));
      }
    }
    return result;
  }

  private List<String> catalogNames() throws Exception {
    List<String> names = new ArrayList<>();
    get("/v1/catalog/services").fieldNames().forEachRemaining(names::add);
    return names;
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + consulPort + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  // --- docker and compose --------------------------------------------------------------------

  /** {@code docker-compose} when it is on the PATH, else the {@code docker compose} plugin. */
  private static List<String> composeCommand() throws Exception {
    Result v1 = probe(List.of("docker-compose", "version"));
    if (v1.exit == 0) {
      return List.of("docker-compose");
    }
    Result v2 = probe(List.of("docker", "compose", "version"));
    if (v2.exit == 0) {
      return List.of("docker", "compose");
    }
    return fail("this test needs docker-compose or the docker compose plugin;%n"
        + "docker-compose: %s%ndocker compose: %s", v1.output, v2.output);
  }

  private List<String> composeArgs(String... args) {
    List<String> command = new ArrayList<>(compose);
    command.addAll(List.of("-p", project, "-f", COMPOSE_FILE.toString()));
    command.addAll(List.of(args));
    return command;
  }

  /**
   * An HTTP/1.0 GET from a throw-away busybox container on the project's network (the test
   * process may not reach container addresses, e.g. with Docker Desktop): the raw response.
   */
  private String httpFromNetwork(String ip, int port, String path) throws Exception {
    String request = "GET " + path + " HTTP/1.0\\r\\n\\r\\n";
    return run(List.of("docker", "run", "--rm", "--network", project + "_default",
        Workloads.IMAGE, "sh", "-c",
        "printf '" + request + "' | nc -w 5 " + ip + " " + port)).output.replace("\r", "");
  }

  /** compose service name -> container ID, for this project only. */
  private Map<String, String> containers() throws Exception {
    Result ps = run(List.of("docker", "ps", "-a", "--no-trunc",
        "--filter", "label=com.docker.compose.project=" + project,
        "--format", "{{.Label \"com.docker.compose.service\"}} {{.ID}}"));
    Map<String, String> ids = new TreeMap<>();
    ps.output.lines().filter(line -> !line.isBlank()).forEach(line -> {
      String[] parts = line.trim().split(" ");
      ids.put(parts[0], parts[1]);
    });
    return ids;
  }

  private JsonNode inspect(String id) throws Exception {
    return json.readTree(run(List.of("docker", "inspect", id)).output).get(0);
  }

  /** The container's address on the project's (only) network. */
  private String ip(String id) throws Exception {
    JsonNode networks = inspect(id).at("/NetworkSettings/Networks");
    assertThat(networks.size()).as("networks of %s: %s", id, networks).isEqualTo(1);
    return networks.elements().next().path("IPAddress").asText();
  }

  record Result(int exit, String output) { }

  /** Runs a command with the example's variables; a non-zero exit fails the test with its output. */
  private Result run(List<String> command) throws Exception {
    return run(command, env);
  }

  /** Runs a command with the example's variables, whatever its exit status. */
  private Result attempt(List<String> command) throws Exception {
    return execute(command, env);
  }

  private static Result run(List<String> command, Map<String, String> extraEnv)
      throws Exception {
    Result result = execute(command, extraEnv);
    assertThat(result.exit).as("%s exited %d:%n%s", String.join(" ", command), result.exit,
        result.output).isZero();
    return result;
  }

  private static Result probe(List<String> command) throws Exception {
    return execute(command, Map.of());
  }

  private static Result execute(List<String> command, Map<String, String> extraEnv)
      throws Exception {
    Path output = Files.createTempFile("compose-it", ".log");
    try {
      ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
          .redirectErrorStream(true).redirectOutput(output.toFile());
      // As from a new shell: no DOCKER_GID, which the example once required even for `down`.
      builder.environment().remove("DOCKER_GID");
      builder.environment().putAll(extraEnv);
      Process process;
      try {
        process = builder.start();
      } catch (IOException e) {
        return new Result(127, command.get(0) + ": " + e.getMessage());
      }
      if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return fail("%s did not finish within %s:%n%s", String.join(" ", command),
            COMMAND_TIMEOUT, Files.readString(output));
      }
      return new Result(process.exitValue(), Files.readString(output));
    } finally {
      Files.deleteIfExists(output);
    }
  }
}
