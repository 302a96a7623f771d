package io.registrybridge.sink.etcd;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.ControlPlaneUnavailableException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * HTTP to a list of etcd endpoints, tried in turn: the one that answered last goes first. An
 * endpoint that does not answer, or answers 5xx or 429, is skipped for the next; when none
 * answers, the request throws {@link ControlPlaneUnavailableException} (an outage: the reconciler
 * backs off). Every other answer, 4xx included, is the caller's to read: it concerns the request.
 */
final class EtcdHttp {

  /** An answer: status and body. */
  record Reply(int status, String body) {
    boolean ok() {
      return status / 100 == 2;
    }
  }

  /** Adds credentials to requests; {@link #refused} hears a 401. */
  interface Auth {
    /** The {@code Authorization} header's value, if any. */
    Optional<String> header(EtcdHttp http);

    /** Whether a request refused with 401 is worth one more try (a token expired). */
    default boolean refused() {
      return false;
    }
  }

  static final Auth NO_AUTH = http -> Optional.empty();
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final List<URI> bases;
  private final HttpClient client;
  private final Auth auth;
  private volatile int preferred;

  EtcdHttp(List<URI> bases, HttpClient client, Auth auth) {
    this.bases = List.copyOf(bases);
    this.client = requireNonNull(client, "client");
    this.auth = requireNonNull(auth, "auth");
    if (this.bases.isEmpty()) {
      throw new IllegalArgumentException("no endpoint");
    }
  }

  String endpoints() {
    return bases.toString();
  }

  /** A form-encoded request (the v2 keys API). */
  Reply form(String method, String path, String form) {
    return send(method, path, form, "application/x-www-form-urlencoded");
  }

  /** A JSON POST (the v3 gateway). */
  Reply json(String path, String json) {
    return send("POST", path, json, "application/json");
  }

  Reply send(String method, String path, String body, String contentType) {
    Reply reply = sendOnce(method, path, body, contentType, true);
    if (reply.status() == 401 && auth.refused()) {
      reply = sendOnce(method, path, body, contentType, true);
    }
    return reply;
  }

  /** Without credentials: to get a token. */
  Reply sendAnonymous(String path, String json) {
    return sendOnce("POST", path, json, "application/json", false);
  }

  private Reply sendOnce(String method, String path, String body, String contentType,
      boolean withAuth) {
    int start = preferred;
    String lastProblem = "";
    Optional<String> authorization = withAuth ? auth.header(this) : Optional.empty();
    for (int i = 0; i < bases.size(); i++) {
      int index = (start + i) % bases.size();
      URI base = bases.get(index);
      HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
          .timeout(REQUEST_TIMEOUT)
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
      if (body != null) {
        request.header("Content-Type", contentType);
      }
      authorization.ifPresent(value -> request.header("Authorization", value));
      try {
        HttpResponse<String> response = client.send(request.build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        int status = response.statusCode();
        if (status / 100 == 5 || status == 429) {
          lastProblem = base.getAuthority() + " answered HTTP " + status + " "
              + firstLine(response.body());
          continue;
        }
        preferred = index;
        return new Reply(status, response.body());
      } catch (IOException e) {
        lastProblem = base.getAuthority() + ": " + e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ControlPlaneUnavailableException("interrupted while talking to etcd", e);
      }
    }
    throw new ControlPlaneUnavailableException("no etcd endpoint answered (" + bases.size()
        + " tried; last: " + lastProblem + ")");
  }

  private static String firstLine(String body) {
    String line = body == null ? "" : body.lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}
