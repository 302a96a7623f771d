package io.registrybridge.sink.etcd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.registrybridge.core.ControlPlaneUnavailableException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's v3 API through its JSON gateway ({@code /v3/kv/range}, {@code /v3/kv/put}, {@code
 * /v3/kv/deleterange}, {@code /v3/lease/*}): keys and values are base64, 64-bit numbers are
 * strings.
 *
 * <p>With {@code -ttl}, every key is attached to one lease of that TTL, kept alive with one
 * {@code keepalive} every {@code -ttl-refresh} however many keys there are. The lease is the
 * owner mark: a key on it is this bridge's. A restart adopts the lease its keys are on, when
 * that lease is still alive and has the TTL asked for (a marker key names it: {@link #adopt}),
 * so that it writes nothing; otherwise it
 * grants a new one and writes each key again onto it (the old lease runs out with whatever was
 * not written again).
 */
final class V3KeyStore implements KeyStore {
  private static final Logger log = LoggerFactory.getLogger(V3KeyStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PAGE = 1000;
  /** Where each owner's lease is named, outside every prefix that readers list. */
  static final String MARKER_PREFIX = "/registry-bridge/owner/";

  private final EtcdHttp http;
  private final String root;
  private final String markerKey;
  private final Optional<Duration> ttl;
  private final Object leaseLock = new Object();
  private volatile long lease = PERMANENT; // 0: none granted yet, or lost

  V3KeyStore(EtcdHttp http, String root, String ownerId, Optional<Duration> ttl) {
    this.http = requireNonNull(http, "http");
    this.root = requireNonNull(root, "root");
    this.markerKey = MARKER_PREFIX + requireNonNull(ownerId, "ownerId") + root;
    this.ttl = requireNonNull(ttl, "ttl");
  }

  @Override
  public List<StoredKey> readAll() {
    byte[] from = (root + "/").getBytes(StandardCharsets.UTF_8);
    byte[] end = prefixEnd(from);
    List<StoredKey> keys = new ArrayList<>();
    while (true) {
      ObjectNode request = JSON.createObjectNode().put("key", b64(from)).put("range_end", b64(end))
          .put("limit", PAGE);
      JsonNode answer = call("/v3/kv/range", request, "list " + root + "/");
      byte[] last = null;
      for (JsonNode kv : answer.path("kvs")) {
        last = Base64.getDecoder().decode(kv.path("key").asText());
        keys.add(new StoredKey(new String(last, StandardCharsets.UTF_8),
            new String(Base64.getDecoder().decode(kv.path("value").asText("")),
                StandardCharsets.UTF_8),
            kv.path("lease").asLong(PERMANENT)));
      }
      if (!answer.path("more").asBoolean(false) || last == null) {
        return keys;
      }
      from = java.util.Arrays.copyOf(last, last.length + 1); // the next key after the last
    }
  }

  /**
   * Reads this owner's marker ({@code /registry-bridge/owner/<ownerId><root>}, written on its
   * lease when the lease was granted, so it goes with it) and takes that lease over when it is
   * still alive with the TTL asked for.
   */
  @Override
  public void adopt() {
    if (ttl.isEmpty() || lease != PERMANENT) {
      return;
    }
    JsonNode marker = call("/v3/kv/range", JSON.createObjectNode().put("key", b64(markerKey)),
        "read the owner marker " + markerKey);
    long candidate = PERMANENT;
    for (JsonNode kv : marker.path("kvs")) {
      candidate = kv.path("lease").asLong(PERMANENT);
    }
    if (candidate == PERMANENT) {
      return;
    }
    JsonNode live = call("/v3/lease/timetolive",
        JSON.createObjectNode().put("ID", Long.toString(candidate)), "read a lease");
    if (live.path("TTL").asLong(-1) > 0
        && live.path("grantedTTL").asLong(-1) == ttl.get().toSeconds()) {
      synchronized (leaseLock) {
        if (lease == PERMANENT) {
          lease = candidate;
          log.info("{}: adopted lease {} of the earlier run", markerKey, lease);
        }
      }
    }
  }

  @Override
  public long writeMark() {
    if (ttl.isEmpty()) {
      return PERMANENT;
    }
    synchronized (leaseLock) {
      if (lease == PERMANENT) {
        JsonNode granted = call("/v3/lease/grant",
            JSON.createObjectNode().put("TTL", ttl.get().toSeconds()), "grant a lease");
        long id = granted.path("ID").asLong(PERMANENT);
        if (id == PERMANENT) {
          throw new ControlPlaneUnavailableException("etcd granted no lease: " + granted);
        }
        // The marker names this owner's lease for the next run; it goes with the lease.
        call("/v3/kv/put", JSON.createObjectNode().put("key", b64(markerKey))
            .put("value", b64(Long.toString(id))).put("lease", Long.toString(id)),
            "write the owner marker " + markerKey);
        lease = id;
      }
      return lease;
    }
  }

  @Override
  public boolean markedByUs(long mark) {
    return mark != PERMANENT && mark == lease;
  }

  @Override
  public long put(String key, String value, long mark) throws Rejected {
    ObjectNode request = JSON.createObjectNode().put("key", b64(key)).put("value", b64(value));
    if (mark != PERMANENT) {
      request.put("lease", Long.toString(mark));
    }
    EtcdHttp.Reply reply = http.json("/v3/kv/put", request.toString());
    if (reply.status() == 404 && mark != PERMANENT && reply.body().contains("lease not found")) {
      // The lease ran out (an outage longer than the TTL): every key on it is gone. Grant a new
      // one for this write; the refresher's next round asks for a full sync of the rest.
      synchronized (leaseLock) {
        if (lease == mark) {
          lease = PERMANENT;
        }
      }
      return put(key, value, writeMark());
    }
    check(reply);
    return mark;
  }

  @Override
  public void delete(String key) throws Rejected {
    check(http.json("/v3/kv/deleterange", JSON.createObjectNode().put("key", b64(key))
        .toString()));
  }

  @Override
  public boolean refresh(Collection<StoredKey> held) {
    long current = lease;
    boolean stale = held.stream().anyMatch(k -> k.mark() != PERMANENT && k.mark() != current);
    if (current == PERMANENT) {
      return !stale;
    }
    JsonNode answer = call("/v3/lease/keepalive",
        JSON.createObjectNode().put("ID", Long.toString(current)), "keep the lease alive");
    // The gateway streams {"result":{...}}; a lease etcd does not know comes back without TTL.
    if (answer.path("result").path("TTL").asLong(0) <= 0) {
      synchronized (leaseLock) {
        if (lease == current) {
          lease = PERMANENT;
        }
      }
      log.warn("etcd3: lease {} is gone (etcd lost it or it ran out); writing every key again",
          current);
      return false;
    }
    return !stale;
  }

  private JsonNode call(String path, ObjectNode request, String what) {
    EtcdHttp.Reply reply = http.json(path, request.toString());
    if (!reply.ok()) {
      // Reads and lease calls concern every key alike (a 401, a missing token included).
      throw new ControlPlaneUnavailableException("etcd refused to " + what + ": "
          + reason(reply));
    }
    try {
      return JSON.readTree(reply.body());
    } catch (java.io.IOException e) {
      throw new ControlPlaneUnavailableException("etcd answered with JSON that cannot be read",
          e);
    }
  }

  private static void check(EtcdHttp.Reply reply) throws Rejected {
    // With auth on, a request without a token is refused as 400 "user name is empty": about
    // every key alike, so wait like an outage and say why.
    if (reply.status() == 401 || reply.body().contains("etcdserver: user name is empty")) {
      throw new ControlPlaneUnavailableException("etcd refused our credentials: "
          + reason(reply));
    }
    if (!reply.ok()) {
      throw new Rejected(reason(reply));
    }
  }

  static String reason(EtcdHttp.Reply reply) {
    try {
      String message = JSON.readTree(reply.body()).path("message").asText("");
      if (!message.isEmpty()) {
        return "HTTP " + reply.status() + " " + message;
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not JSON: the status says enough
    }
    return "HTTP " + reply.status();
  }

  static String b64(String text) {
    return b64(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  /** etcd's range end for "every key with this prefix": the prefix with its last byte + 1. */
  static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return java.util.Arrays.copyOf(end, i + 1);
      }
    }
    return new byte[] {0}; // every key
  }

  /** Logs in with a user and password ({@code /v3/auth/authenticate}) and keeps the token. */
  static final class TokenAuth implements EtcdHttp.Auth {
    private final EtcdAccess.Credentials credentials;
    private volatile String token;

    TokenAuth(EtcdAccess.Credentials credentials) {
      this.credentials = requireNonNull(credentials, "credentials");
    }

    @Override
    public Optional<String> header(EtcdHttp http) {
      String current = token;
      if (current == null) {
        ObjectNode login = JSON.createObjectNode().put("name", credentials.name())
            .put("password", credentials.password());
        EtcdHttp.Reply reply = http.sendAnonymous("/v3/auth/authenticate", login.toString());
        if (!reply.ok()) {
          // Wrong credentials fail every request alike: wait like an outage, say why.
          throw new ControlPlaneUnavailableException("etcd refused the login of user "
              + credentials.name() + ": " + reason(reply));
        }
        try {
          current = JSON.readTree(reply.body()).path("token").asText("");
        } catch (java.io.IOException e) {
          throw new ControlPlaneUnavailableException("etcd's login answer cannot be read", e);
        }
        token = current;
      }
      return Optional.of(current);
    }

    @Override
    public boolean refused() {
      token = null; // expired (simple tokens last 5 minutes idle): log in again once
      return true;
    }
  }
}
