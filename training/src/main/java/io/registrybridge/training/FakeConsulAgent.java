package io.registrybridge.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * A minimal Consul agent HTTP API on {@code 127.0.0.1}, for the AOT training run only: it keeps
 * what is registered in memory and answers the agent endpoints the daemon's real Consul client
 * (kiwiproject consul-client) calls, with the shapes and headers of Consul 1.8.7:
 *
 * <ul>
 *   <li>{@code GET /v1/agent/self}, {@code GET /v1/status/leader};
 *   <li>{@code GET /v1/agent/services} (query parameters such as {@code filter} are ignored:
 *       this agent only holds what the bridge registered);
 *   <li>{@code GET /v1/agent/service/<id>}: the service with {@code ContentHash} and the
 *       {@code X-Consul-Contenthash} header, or 404. With {@code ?hash=} equal to the current
 *       hash it holds the request until the service changes, for at most a second (a real agent
 *       waits up to {@code wait}; a fake that answered at once would turn a watch into a busy
 *       loop);
 *   <li>{@code PUT /v1/agent/service/register}, {@code PUT /v1/agent/service/deregister/<id>};
 *   <li>{@code GET /v1/agent/checks}, {@code PUT /v1/agent/check/(pass|warn|fail|update|
 *       deregister)/<id>}, {@code PUT /v1/agent/check/register}.
 * </ul>
 *
 * <p>Like Consul 1.8.7, agent endpoints send no {@code X-Consul-Index}, a deregistration of an
 * unknown ID answers 200, and a new check starts {@code critical}. Anything else answers 404 and
 * is remembered in {@link #traffic()} so that a failed training can say what was missing.
 */
public final class FakeConsulAgent implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NODE = "aot-training-consul";
  private static final Duration MAX_HOLD = Duration.ofSeconds(1);

  private final HttpServer server;
  private final ExecutorService executor;
  // Guarded by this.
  private final Map<String, ObjectNode> services = new TreeMap<>();
  private final Map<String, ObjectNode> checks = new TreeMap<>();
  private final FakeTraffic traffic = new FakeTraffic();
  private boolean closed;

  public FakeConsulAgent() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    // Held requests (blocking queries) must not starve the others: a thread per request.
    executor = Executors.newCachedThreadPool(runnable -> {
      Thread thread = new Thread(runnable, "fake-consul");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The bound port on 127.0.0.1. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The registered services, by ID, as {@code GET /v1/agent/services} returns them. */
  public synchronized Map<String, JsonNode> services() {
    return Map.copyOf(services);
  }

  /** What this fake saw. */
  public FakeTraffic traffic() {
    return traffic;
  }

  /** Waits until {@code condition} holds for the registered service IDs, or the time is up. */
  public synchronized boolean await(Predicate<java.util.Set<String>> condition, Duration timeout)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (!condition.test(services.keySet())) {
      long left = Duration.between(Instant.now(), deadline).toMillis();
      if (left <= 0 || closed) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      traffic.request();
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath(); // percent-decoded
      Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      Answer answer = route(method, path, query, body);
      exchange.getResponseHeaders().set("Vary", "Accept-Encoding");
      answer.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
      if (answer.body().isEmpty()) {
        exchange.sendResponseHeaders(answer.status(), -1);
        return;
      }
      byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", answer.type());
      exchange.sendResponseHeaders(answer.status(), bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (RuntimeException e) {
      // A bug in the fake: make it visible in the training's output rather than a bare 500.
      traffic.failed(exchange.getRequestURI() + ": " + e);
      System.err.println("aot-training: fake Consul failed on " + exchange.getRequestURI()
          + ": " + e);
      throw e;
    }
  }

  private record Answer(int status, String type, String body, Map<String, String> headers) {
    static Answer json(Object value) {
      return new Answer(200, "application/json", CannedContainers.json(value), Map.of());
    }

    static Answer empty() {
      return new Answer(200, "", "", Map.of());
    }

    static Answer text(int status, String text) {
      return new Answer(status, "text/plain; charset=utf-8", text, Map.of());
    }
  }

  private Answer route(String method, String path, Map<String, String> query, byte[] body) {
    boolean get = method.equals("GET");
    boolean put = method.equals("PUT") || method.equals("POST");
    if (get && path.equals("/v1/status/leader")) {
      return Answer.json("127.0.0.1:8300");
    }
    if (get && path.equals("/v1/agent/self")) {
      return Answer.json(self());
    }
    if (get && path.equals("/v1/agent/services")) {
      synchronized (this) {
        return Answer.json(services);
      }
    }
    if (get && path.startsWith("/v1/agent/service/")) {
      return service(path.substring("/v1/agent/service/".length()), query);
    }
    if (put && path.equals("/v1/agent/service/register")) {
      return register(read(body));
    }
    if (put && path.startsWith("/v1/agent/service/deregister/")) {
      deregister(path.substring("/v1/agent/service/deregister/".length()));
      return Answer.empty();
    }
    if (get && path.equals("/v1/agent/checks")) {
      synchronized (this) {
        return Answer.json(checks);
      }
    }
    if (put && path.equals("/v1/agent/check/register")) {
      JsonNode check = read(body);
      synchronized (this) {
        String serviceId = text(check, "ServiceID", "");
        ObjectNode service = services.get(serviceId);
        addCheck(check, serviceId, service == null ? "" : text(service, "Service", ""),
            "check:" + text(check, "Name", "check"));
        changed();
      }
      return Answer.empty();
    }
    if (put && path.startsWith("/v1/agent/check/")) {
      return updateCheck(path.substring("/v1/agent/check/".length()), query, body);
    }
    if (get && path.startsWith("/v1/catalog/node/")) {
      // The sink reads its default catalog node once at its first full sync; this agent holds
      // no node of that name, and Consul answers that with 200 and null.
      return Answer.json(null);
    }
    traffic.unhandled(method, path);
    return Answer.text(404, "404 page not found\n"); // what Consul's router answers
  }

  private Answer service(String id, Map<String, String> query) {
    synchronized (this) {
      String wanted = query.get("hash");
      Instant until = Instant.now().plus(MAX_HOLD);
      while (wanted != null && !closed && services.containsKey(id)
          && wanted.equals(contentHash(services.get(id))) && Instant.now().isBefore(until)) {
        try {
          wait(Math.max(1, Duration.between(Instant.now(), until).toMillis()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      ObjectNode service = services.get(id);
      if (service == null) {
        return Answer.text(404, "unknown service ID: " + id);
      }
      String hash = contentHash(service);
      ObjectNode withHash = service.deepCopy();
      withHash.put("ContentHash", hash);
      return new Answer(200, "application/json", CannedContainers.json(withHash),
          Map.of("X-Consul-Contenthash", hash));
    }
  }

  /** Stores a registration in the shape {@code GET /v1/agent/services} returns it. */
  private Answer register(JsonNode registration) {
    String name = text(registration, "Name", "");
    if (name.isEmpty()) {
      return Answer.text(400, "Missing service name");
    }
    String id = text(registration, "ID", name);
    ObjectNode service = JSON.createObjectNode();
    service.put("ID", id);
    service.put("Service", name);
    service.set("Tags", absent(field(registration, "Tags")) ? JSON.createArrayNode()
        : field(registration, "Tags"));
    service.set("Meta", absent(field(registration, "Meta")) ? JSON.createObjectNode()
        : field(registration, "Meta"));
    int port = field(registration, "Port").asInt(0);
    String address = text(registration, "Address", "");
    service.put("Port", port);
    service.put("Address", address);
    if (!address.isEmpty()) {
      String family = address.contains(":") ? "ipv6" : "ipv4";
      ObjectNode tagged = service.putObject("TaggedAddresses");
      for (String scope : new String[] {"lan_", "wan_"}) {
        tagged.putObject(scope + family).put("Address", address).put("Port", port);
      }
    }
    ObjectNode weights = service.putObject("Weights");
    weights.put("Passing", field(field(registration, "Weights"), "Passing").asInt(1));
    weights.put("Warning", field(field(registration, "Weights"), "Warning").asInt(1));
    service.put("EnableTagOverride",
        field(registration, "EnableTagOverride").asBoolean(false));
    synchronized (this) {
      services.put(id, service);
      // Like Consul 1.8, a re-registration keeps checks it no longer lists (the sink removes
      // those itself) and replaces the ones it lists.
      JsonNode single = field(registration, "Check");
      if (!absent(single)) {
        addCheck(single, id, name, "service:" + id);
      }
      JsonNode many = field(registration, "Checks");
      if (many instanceof ArrayNode list) {
        for (int i = 0; i < list.size(); i++) {
          addCheck(list.get(i), id, name,
              "service:" + id + (list.size() > 1 ? ":" + (i + 1) : ""));
        }
      }
      changed();
    }
    return Answer.empty();
  }

  private void deregister(String id) {
    synchronized (this) {
      if (services.remove(id) != null) {
        checks.values().removeIf(check -> id.equals(text(check, "ServiceID", "")));
        changed();
      }
    }
  }

  // Guarded by this.
  private void addCheck(JsonNode definition, String serviceId, String serviceName,
      String defaultId) {
    String checkId = text(definition, "CheckID", text(definition, "ID", defaultId));
    ObjectNode check = JSON.createObjectNode();
    check.put("Node", NODE);
    check.put("CheckID", checkId);
    check.put("Name", text(definition, "Name", "Service '" + serviceName + "' check"));
    check.put("Status", text(definition, "Status", "critical"));
    check.put("Notes", text(definition, "Notes", ""));
    check.put("Output", "");
    check.put("ServiceID", serviceId);
    check.put("ServiceName", serviceName);
    ObjectNode service = services.get(serviceId);
    check.set("ServiceTags", service == null ? JSON.createArrayNode() : service.get("Tags"));
    check.put("Type", !absent(field(definition, "TTL")) ? "ttl"
        : !absent(field(definition, "HTTP")) ? "http"
        : !absent(field(definition, "TCP")) ? "tcp"
        : !absent(field(definition, "GRPC")) ? "grpc"
        : !absent(field(definition, "Args")) ? "script" : "");
    check.putObject("Definition");
    check.put("CreateIndex", 0);
    check.put("ModifyIndex", 0);
    checks.put(checkId, check);
  }

  /** {@code pass|warn|fail|update|deregister/<id>}. */
  private Answer updateCheck(String rest, Map<String, String> query, byte[] body) {
    int slash = rest.indexOf('/');
    if (slash < 0) {
      return Answer.text(404, "404 page not found\n");
    }
    String verb = rest.substring(0, slash);
    String id = rest.substring(slash + 1);
    synchronized (this) {
      ObjectNode check = checks.get(id);
      if (verb.equals("deregister")) {
        checks.remove(id);
        changed();
        return Answer.empty();
      }
      String status = switch (verb) {
        case "pass" -> "passing";
        case "warn" -> "warning";
        case "fail" -> "critical";
        case "update" -> text(read(body), "Status", "");
        default -> null;
      };
      if (status == null) {
        return Answer.text(404, "404 page not found\n");
      }
      if (check == null || !"ttl".equals(text(check, "Type", ""))) {
        return Answer.text(500, "CheckID \"" + id + "\" does not have associated TTL");
      }
      check.put("Status", status);
      check.put("Output", query.getOrDefault("note", ""));
      changed();
      return Answer.empty();
    }
  }

  private static Map<String, Object> self() {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("Datacenter", "dc1");
    config.put("NodeName", NODE);
    config.put("NodeID", "a0770000-0000-4000-8000-000000000001");
    config.put("Revision", "");
    config.put("Server", true);
    config.put("Version", "1.8.7");
    Map<String, Object> member = new LinkedHashMap<>();
    member.put("Name", NODE);
    member.put("Addr", "127.0.0.1");
    member.put("Port", 8301);
    member.put("Tags", Map.of("build", "1.8.7:", "dc", "dc1", "role", "consul", "port", "8300",
        "vsn", "2", "vsn_max", "3", "vsn_min", "2"));
    member.put("Status", 1);
    member.put("ProtocolMin", 1);
    member.put("ProtocolMax", 5);
    member.put("ProtocolCur", 2);
    member.put("DelegateMin", 2);
    member.put("DelegateMax", 5);
    member.put("DelegateCur", 4);
    Map<String, Object> self = new LinkedHashMap<>();
    self.put("Config", config);
    self.put("DebugConfig", Map.of("Datacenter", "dc1", "NodeName", NODE,
        "ACLDefaultPolicy", "allow", "DevMode", true));
    self.put("Coord", Map.of("Vec", List.of(0, 0, 0, 0, 0, 0, 0, 0), "Error", 1.5,
        "Adjustment", 0, "Height", 1.0e-5));
    self.put("Member", member);
    self.put("Stats", Map.of("agent", Map.of("check_monitors", "0", "services", "0")));
    self.put("Meta", Map.of("consul-network-segment", ""));
    return self;
  }

  // Guarded by this.
  private void changed() {
    notifyAll();
  }

  private static String contentHash(JsonNode service) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(CannedContainers.json(service).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode read(byte[] body) {
    try {
      return body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("request body is not JSON", e);
    }
  }

  private static String text(JsonNode node, String name, String fallback) {
    JsonNode value = field(node, name);
    return absent(value) ? fallback : value.asText();
  }

  private static boolean absent(JsonNode node) {
    return node.isMissingNode() || node.isNull();
  }

  /**
   * A field of a request body, its name matched without regard to case as Consul's Go JSON
   * decoder does (kiwi sends {@code "Id"}, the documentation says {@code "ID"}); a missing
   * node when absent.
   */
  private static JsonNode field(JsonNode node, String name) {
    if (node != null && node.isObject()) {
      for (var fields = node.fields(); fields.hasNext(); ) {
        var entry = fields.next();
        if (entry.getKey().equalsIgnoreCase(name)) {
          return entry.getValue();
        }
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> query = new LinkedHashMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        query.put(decode(eq < 0 ? pair : pair.substring(0, eq)),
            eq < 0 ? "" : decode(pair.substring(eq + 1)));
      }
    }
    return query;
  }

  private static String decode(String text) {
    return URLDecoder.decode(text, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    server.stop(0);
    executor.shutdownNow();
  }
}
