package io.registrybridge.sink.consul;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How the consulkv integration tests read and prepare Consul's KV store, apart from the code under
 * test: the JDK's HTTP client and Jackson trees.
 */
final class KvHttp {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A key as Consul holds it; flags as the unsigned decimal Consul prints. */
  record Entry(String value, String flags) {}

  private final String base;
  private final Optional<String> token;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  KvHttp(String base, Optional<String> token) {
    this.base = base;
    this.token = token;
  }

  /** Every key under {@code prefix/}, sorted: {@code GET /v1/kv/<prefix>/?recurse}. */
  Map<String, Entry> under(String prefix) {
    HttpResponse<String> response = send(request("/v1/kv/" + prefix + "/?recurse=true").GET());
    Map<String, Entry> entries = new TreeMap<>();
    if (response.statusCode() == 404) {
      return entries;
    }
    check(response);
    try {
      for (JsonNode entry : JSON.readTree(response.body())) {
        JsonNode value = entry.path("Value");
        entries.put(entry.path("Key").asText(), new Entry(value.isNull() ? ""
            : new String(Base64.getDecoder().decode(value.asText()), StandardCharsets.UTF_8),
            entry.path("Flags").bigIntegerValue().toString()));
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return entries;
  }

  /** The agent's {@code Member.Addr}. */
  String agentAddress() {
    HttpResponse<String> response = send(request("/v1/agent/self").GET());
    check(response);
    try {
      return JSON.readTree(response.body()).path("Member").path("Addr").asText();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes a key the way another tool would. */
  void put(String key, String value, String flags) {
    check(send(request("/v1/kv/" + key + "?flags=" + flags)
        .PUT(HttpRequest.BodyPublishers.ofString(value))));
  }

  /** {@code PUT /v1/acl/...} with a JSON body; the answer's field {@code field}. */
  String aclCreate(String path, String json, String field) {
    HttpResponse<String> response = send(request(path)
        .PUT(HttpRequest.BodyPublishers.ofString(json)));
    check(response);
    try {
      return JSON.readTree(response.body()).path(field).asText();
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

  private static void check(HttpResponse<String> response) {
    if (response.statusCode() != 200) {
      throw new IllegalStateException(response.request().method() + " " + response.request().uri()
          + " answered " + response.statusCode() + ": " + response.body());
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
