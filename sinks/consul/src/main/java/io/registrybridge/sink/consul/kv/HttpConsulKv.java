package io.registrybridge.sink.consul.kv;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.registrybridge.core.ControlPlaneUnavailableException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * {@link ConsulKv} over plain HTTP with OkHttp. Not kiwi's {@code KeyValueClient}: its {@code
 * Value} reads {@code Flags} as a signed long, so one foreign key with flags of 2^63 or more
 * ({@code consul lock}'s semaphores write {@code 0xe0f69a2baa414de0}) would fail every read of
 * the prefix. Here flags are read as the unsigned number they are.
 */
final class HttpConsulKv implements ConsulKv {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType OCTETS = MediaType.get("application/octet-stream");
  private static final int NOT_FOUND = 404;
  private static final int TOO_MANY_REQUESTS = 429;
  private static final int MAX_MESSAGE = 200;

  private final OkHttpClient http;
  private final HttpUrl base;

  HttpConsulKv(OkHttpClient http, HttpUrl base) {
    this.http = requireNonNull(http, "http");
    this.base = requireNonNull(base, "base");
  }

  @Override
  public List<KvPair> list(String prefix) {
    HttpUrl url = kvUrl(prefix).newBuilder().addQueryParameter("recurse", "true").build();
    try {
      return pairs(call(new Request.Builder().url(url).get().build(), true));
    } catch (KvRefusedException e) {
      throw new ControlPlaneUnavailableException("Consul refused to list " + prefix + " (HTTP "
          + e.status() + "): " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<KvPair> get(String key) {
    List<KvPair> pairs = pairs(call(new Request.Builder().url(kvUrl(key)).get().build(), true));
    return pairs.stream().filter(pair -> pair.key().equals(key)).findFirst();
  }

  @Override
  public boolean put(String key, String value, long flags, boolean createOnly) {
    HttpUrl.Builder url = kvUrl(key).newBuilder()
        .addQueryParameter("flags", Long.toUnsignedString(flags));
    if (createOnly) {
      url.addQueryParameter("cas", "0");
    }
    String answer = call(new Request.Builder().url(url.build())
        .put(RequestBody.create(value.getBytes(StandardCharsets.UTF_8), OCTETS)).build(), false);
    return answer.strip().equals("true");
  }

  @Override
  public void delete(String key) {
    call(new Request.Builder().url(kvUrl(key)).delete().build(), false);
  }

  @Override
  public String nodeAddress() {
    HttpUrl url = base.newBuilder().addPathSegments("v1/agent/self").build();
    String body = call(new Request.Builder().url(url).get().build(), false);
    try {
      String address = JSON.readTree(body).path("Member").path("Addr").asText("");
      if (address.isEmpty()) {
        throw new KvRefusedException(200, "/v1/agent/self names no Member.Addr");
      }
      return address;
    } catch (IOException e) {
      throw new KvRefusedException(200, "cannot read /v1/agent/self: " + e.getMessage());
    }
  }

  /** {@code /v1/kv/<key>}, each segment encoded on its own, so that {@code ?#%\} stay data. */
  private HttpUrl kvUrl(String key) {
    HttpUrl.Builder url = base.newBuilder().addPathSegments("v1/kv");
    for (String segment : key.split("/", -1)) {
      url.addPathSegment(segment);
    }
    return url.build();
  }

  /**
   * Sends one request.
   *
   * @param emptyOn404 a 404 answers "no such key" with an empty body instead of a refusal
   */
  private String call(Request request, boolean emptyOn404) {
    try (Response response = http.newCall(request).execute()) {
      String body = response.body().string();
      int status = response.code();
      if (response.isSuccessful()) {
        return body;
      }
      if (status == NOT_FOUND && emptyOn404) {
        return "";
      }
      String message = body.length() > MAX_MESSAGE ? body.substring(0, MAX_MESSAGE) : body;
      if (status >= 500 || status == TOO_MANY_REQUESTS) {
        throw new ControlPlaneUnavailableException("Consul answered HTTP " + status + " to "
            + request.method() + " " + request.url().encodedPath() + ": " + message.strip());
      }
      throw new KvRefusedException(status, message.strip());
    } catch (IOException e) {
      throw new ControlPlaneUnavailableException("Consul does not answer ("
          + request.method() + " " + request.url().encodedPath() + "): " + e, e);
    }
  }

  private static List<KvPair> pairs(String body) {
    if (body.isBlank()) {
      return List.of();
    }
    JsonNode array;
    try {
      array = JSON.readTree(body);
    } catch (IOException e) {
      // Consul answered, but not with JSON: a proxy in between, not this key's fault.
      throw new ControlPlaneUnavailableException("Consul's KV answer is not JSON", e);
    }
    List<KvPair> pairs = new ArrayList<>();
    for (JsonNode entry : array) {
      String key = entry.path("Key").asText("");
      if (key.isEmpty()) {
        continue;
      }
      // Flags are a uint64: the low 64 bits keep every value apart, 2^63 and up included.
      long flags = entry.path("Flags").bigIntegerValue().longValue();
      JsonNode value = entry.path("Value");
      String text = value.isTextual()
          ? new String(Base64.getDecoder().decode(value.asText()), StandardCharsets.UTF_8)
          : "";
      pairs.add(new KvPair(key, text, flags));
    }
    return pairs;
  }

  @Override
  public void close() {
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }
}
