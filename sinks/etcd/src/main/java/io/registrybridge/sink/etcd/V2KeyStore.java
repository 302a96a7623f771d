package io.registrybridge.sink.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.registrybridge.core.ControlPlaneUnavailableException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * etcd's v2 keys API ({@code /v2/keys}), as Registrator's go-etcd client used it: {@code PUT
 * value=...&ttl=N} to write, {@code DELETE} to remove. A key with a TTL carries the mark {@link
 * #EXPIRING}. The TTL is kept alive with {@code refresh=true&prevExist=true}, which resets it
 * without a new value, so watchers (SkyDNS) are not woken every {@code -ttl-refresh} as they were
 * by Registrator's full re-set.
 */
final class V2KeyStore implements KeyStore {
  /** The mark of a key that has a TTL. */
  static final long EXPIRING = -1;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final EtcdHttp http;
  private final String root;
  private final Optional<Duration> ttl;

  V2KeyStore(EtcdHttp http, String root, Optional<Duration> ttl) {
    this.http = requireNonNull(http, "http");
    this.root = requireNonNull(root, "root");
    this.ttl = requireNonNull(ttl, "ttl");
  }

  @Override
  public List<StoredKey> readAll() {
    EtcdHttp.Reply reply = http.form("GET", path(root) + "?recursive=true", null);
    if (reply.status() == 404) {
      return List.of(); // the root does not exist yet (errorCode 100)
    }
    if (!reply.ok()) {
      // Every key would fail alike (credentials, permissions): an outage, not one item.
      throw new ControlPlaneUnavailableException("etcd refused to list " + display(root)
          + ": " + reason(reply));
    }
    List<StoredKey> keys = new ArrayList<>();
    collect(parse(reply.body()).path("node"), keys);
    return keys;
  }

  private static void collect(JsonNode node, List<StoredKey> into) {
    if (node.path("dir").asBoolean(false)) {
      for (JsonNode child : node.path("nodes")) {
        collect(child, into);
      }
    } else if (node.has("key")) {
      into.add(new StoredKey(node.get("key").asText(), node.path("value").asText(""),
          node.has("ttl") ? EXPIRING : PERMANENT));
    }
  }

  @Override
  public long writeMark() {
    return ttl.isPresent() ? EXPIRING : PERMANENT;
  }

  @Override
  public long put(String key, String value, long mark) throws Rejected {
    String form = "value=" + encode(value)
        + (mark == EXPIRING ? "&ttl=" + ttl.orElseThrow().toSeconds() : "");
    EtcdHttp.Reply reply = http.form("PUT", path(key), form);
    check(reply);
    return mark;
  }

  @Override
  public void delete(String key) throws Rejected {
    EtcdHttp.Reply reply = http.form("DELETE", path(key), null);
    if (reply.status() != 404) {
      check(reply);
    }
  }

  @Override
  public boolean refresh(Collection<StoredKey> held) {
    if (ttl.isEmpty()) {
      return true;
    }
    String form = "ttl=" + ttl.get().toSeconds() + "&refresh=true&prevExist=true";
    boolean all = true;
    for (StoredKey key : held) {
      if (key.mark() != EXPIRING) {
        continue;
      }
      EtcdHttp.Reply reply = http.form("PUT", path(key.key()), form);
      if (reply.status() == 404) {
        all = false; // expired (an outage longer than the TTL): written again by a full sync
      } else if (reply.status() == 401) {
        throw new ControlPlaneUnavailableException("etcd refused our credentials (HTTP 401)");
      }
    }
    return all;
  }

  private static void check(EtcdHttp.Reply reply) throws Rejected {
    if (reply.status() == 401) {
      throw new ControlPlaneUnavailableException("etcd refused our credentials: "
          + reason(reply));
    }
    if (!reply.ok()) {
      throw new Rejected(reason(reply));
    }
  }

  /** etcd's {@code message} and {@code cause}, or the status alone. */
  private static String reason(EtcdHttp.Reply reply) {
    try {
      JsonNode error = JSON.readTree(reply.body());
      String message = error.path("message").asText("");
      if (!message.isEmpty()) {
        return "HTTP " + reply.status() + " " + message + " ("
            + error.path("cause").asText("") + ")";
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not JSON: the status says enough
    }
    return "HTTP " + reply.status();
  }

  private static JsonNode parse(String body) {
    try {
      return JSON.readTree(body);
    } catch (java.io.IOException e) {
      throw new ControlPlaneUnavailableException("etcd answered with JSON that cannot be read: "
          + e.getMessage(), e);
    }
  }

  /** {@code /v2/keys} and the key, each segment percent-encoded. */
  static String path(String key) {
    StringBuilder path = new StringBuilder("/v2/keys");
    for (String segment : key.split("/", -1)) {
      if (!segment.isEmpty()) {
        path.append('/').append(encode(segment));
      }
    }
    return path.length() == "/v2/keys".length() ? "/v2/keys/" : path.toString();
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String display(String root) {
    return root.isEmpty() ? "/" : root;
  }
}
