package io.registrybridge.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.registrybridge.spi.Tool;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code registry-bridge explain [-http=HOST:PORT] NAME|ID}: asks a running daemon's {@code
 * /debug/services} about one service and says, in plain words, where it stands in every sink, or
 * why the sources left it out.
 */
public final class ExplainTool implements Tool {
  static final String DEFAULT_ADDRESS = "127.0.0.1:8080";

  @Override
  public String name() {
    return "explain";
  }

  @Override
  public String usage() {
    return "explain [-http=HOST:PORT] NAME|ID   why a service is (not) registered, asked of a"
        + " running daemon's -http-listen (default " + DEFAULT_ADDRESS + ")";
  }

  @Override
  public int run(List<String> args, PrintStream out, PrintStream err) {
    String address = DEFAULT_ADDRESS;
    List<String> rest = new ArrayList<>();
    for (String arg : args) {
      if (arg.startsWith("-http=") || arg.startsWith("--http=")) {
        address = arg.substring(arg.indexOf('=') + 1);
      } else {
        rest.add(arg);
      }
    }
    if (rest.size() != 1 || rest.get(0).startsWith("-")) {
      err.println("usage: registry-bridge " + usage());
      return 2;
    }
    String wanted = rest.get(0);
    try {
      JsonNode byId = fetch(address, "id", wanted);
      JsonNode page = byId.path("services").isEmpty() && byId.path("ignored").isEmpty()
          ? fetch(address, "name", wanted) : byId;
      return print(wanted, page, out);
    } catch (IOException e) {
      err.println("registry-bridge explain: no daemon answers at http://" + address
          + "/debug/services (" + e.getMessage() + "); start it with -http-listen, or give"
          + " -http=HOST:PORT");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  private static JsonNode fetch(String address, String key, String value)
      throws IOException, InterruptedException {
    URI uri = URI.create("http://" + address + "/debug/services?" + key + "="
        + URLEncoder.encode(value, StandardCharsets.UTF_8));
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri)
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode());
    }
    return new ObjectMapper().readTree(response.body());
  }

  /** @return 0 when something was found, 1 when the daemon knows nothing of it */
  static int print(String wanted, JsonNode page, PrintStream out) {
    JsonNode services = page.path("services");
    JsonNode ignored = page.path("ignored");
    if (services.isEmpty() && ignored.isEmpty()) {
      out.println("The daemon knows no service named or with the ID '" + wanted + "'.");
      out.println(page.path("complete").asBoolean()
          ? "Its sources have listed everything: is the container running, with a published"
              + " port (or -internal), and SERVICE_NAME set if -explicit is on?"
          : "Its sources have not listed everything yet; ask again in a moment.");
      return 1;
    }
    for (JsonNode service : services) {
      out.printf("%s (ID %s), from %s: %s%n", service.path("name").asText(),
          service.path("id").asText(), service.path("source").asText(),
          text(service.path("object"), service.path("origin").asText()));
      attributes(service.path("attributes"), out);
      problems(service.path("problems"), out);
      JsonNode instance = service.path("instance");
      out.printf("  registered as %s:%s (%s)%s%n",
          instance.path("address").asText().isEmpty() ? "<the agent's address>"
              : instance.path("address").asText(), instance.path("port").asText(),
          text(instance.path("protocol"), "protocol not set"),
          instance.path("tags").isEmpty() ? "" : ", tags " + join(instance.path("tags")));
      Iterator<Map.Entry<String, JsonNode>> sinks = service.path("sinks").fields();
      if (!sinks.hasNext()) {
        out.println("  no sink runs here (a standby replica, or the sinks are starting)");
      }
      while (sinks.hasNext()) {
        Map.Entry<String, JsonNode> sink = sinks.next();
        out.printf("  %s: %s%n", sink.getKey(), state(sink.getValue()));
      }
    }
    for (JsonNode object : ignored) {
      out.printf("%s (%s): not registered: %s%n", object.path("object").asText(),
          object.path("source").asText(), object.path("why").asText());
      attributes(object.path("attributes"), out);
    }
    return 0;
  }

  private static String state(JsonNode sink) {
    String state = sink.path("state").asText();
    return switch (state) {
      case "written" -> "written (hash " + sink.path("hash").asText() + ")";
      case "pending" -> "pending: changed, about to be written";
      case "retrying" -> "retrying: " + sink.path("why").asText()
          + (sink.has("nextAttempt") ? "; next attempt at " + sink.path("nextAttempt").asText()
          : "");
      default -> state + ": " + sink.path("why").asText();
    };
  }

  private static void attributes(JsonNode attributes, PrintStream out) {
    if (attributes.isEmpty()) {
      return;
    }
    List<String> pairs = new ArrayList<>();
    attributes.fields().forEachRemaining(e -> pairs.add(e.getKey() + "=" + e.getValue().asText()));
    out.println("  built from " + String.join(", ", pairs));
  }

  private static void problems(JsonNode problems, PrintStream out) {
    for (JsonNode problem : problems) {
      out.println("  problem: " + problem.asText());
    }
  }

  private static String text(JsonNode node, String otherwise) {
    return node.isNull() || node.isMissingNode() ? otherwise : node.asText();
  }

  private static String join(JsonNode array) {
    List<String> items = new ArrayList<>();
    array.forEach(item -> items.add(item.asText()));
    return String.join(",", items);
  }
}
