package io.registrybridge.sink.consul;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * What the integration tests use to look at (and prepare) an agent, independent of the code under
 * test: the JDK's HTTP client and plain JSON maps.
 */
final class ConsulHttp {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String base;
  private final Optional<String> token;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  ConsulHttp(String base) {
    this(base, Optional.empty());
  }

  private ConsulHttp(String base, Optional<String> token) {
    this.base = base;
    this.token = token;
  }

  ConsulHttp withToken(String token) {
    return new ConsulHttp(base, Optional.of(token));
  }

  /** {@code GET /v1/agent/services}, by ID. */
  Map<String, Map<String, Object>> services() {
    return JSON.convertValue(get("/v1/agent/services"), new TypeReference<>() {});
  }

  /** {@code GET /v1/agent/checks}, by check ID. */
  Map<String, Map<String, Object>> checks() {
    return JSON.convertValue(get("/v1/agent/checks"), new TypeReference<>() {});
  }

  /** {@code GET /v1/catalog/node/:node}: {@code Node} and {@code Services}; null without node. */
  Map<String, Object> catalogNode(String node) {
    return JSON.convertValue(get("/v1/catalog/node/" + node), new TypeReference<>() {});
  }

  /** The services of a catalog node, by ID; empty when there is no such node. */
  Map<String, Map<String, Object>> nodeServices(String node) {
    Map<String, Object> answer = catalogNode(node);
    return answer == null ? Map.of() : JSON.convertValue(answer.get("Services"),
        new TypeReference<>() {});
  }

  /** {@code GET /v1/health/node/:node}: every check on a node. */
  java.util.List<Object> nodeChecks(String node) {
    return JSON.convertValue(get("/v1/health/node/" + node), new TypeReference<>() {});
  }

  /** Registers directly in the catalog, the way another tool would. */
  void catalogRegister(Map<String, Object> registration) {
    put("/v1/catalog/register", registration);
  }

  /** Removes a whole catalog node with its services. */
  void catalogDeregisterNode(String node) {
    put("/v1/catalog/deregister", Map.of("Node", node));
  }

  /** The leader's address, empty while there is none. */
  String leader() {
    return String.valueOf(get("/v1/status/leader"));
  }

  /** Registers a service directly, the way another tool would. */
  void register(Map<String, Object> registration) {
    put("/v1/agent/service/register", registration);
  }

  void deregister(String id) {
    put("/v1/agent/service/deregister/" + id, null);
  }

  private Object get(String path) {
    return send(request(path).GET().build());
  }

  private void put(String path, Object body) {
    try {
      String json = body == null ? "" : JSON.writeValueAsString(body);
      send(request(path).PUT(HttpRequest.BodyPublishers.ofString(json)).build());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
    token.ifPresent(t -> builder.header("X-Consul-Token", t));
    return builder;
  }

  private Object send(HttpRequest request) {
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(request.method() + " " + request.uri() + " answered "
            + response.statusCode() + ": " + response.body());
      }
      return response.body().isBlank() ? null : JSON.readValue(response.body(), Object.class);
    } catch (IOException e) {
      throw new IllegalStateException(request.method() + " " + request.uri() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
