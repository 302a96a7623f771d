package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.registrybridge.core.ControlPlaneUnavailableException;
import io.registrybridge.core.Health;
import io.registrybridge.spi.PlainHttpOnly;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.math.BigInteger;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.kiwiproject.consul.AgentClient;
import org.kiwiproject.consul.CatalogClient;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.ConsulException;
import org.kiwiproject.consul.NotRegisteredException;
import org.kiwiproject.consul.async.ConsulResponseCallback;
import org.kiwiproject.consul.model.ConsulResponse;
import org.kiwiproject.consul.model.State;
import org.kiwiproject.consul.model.agent.FullService;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.catalog.CatalogNode;
import org.kiwiproject.consul.model.catalog.CatalogRegistration;
import org.kiwiproject.consul.model.catalog.ImmutableCatalogDeregistration;
import org.kiwiproject.consul.model.health.HealthCheck;
import org.kiwiproject.consul.model.health.Service;
import org.kiwiproject.consul.option.ImmutableQueryOptions;
import org.kiwiproject.consul.option.QueryOptions;
import org.kiwiproject.consul.util.Jackson;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** {@link ConsulAgent} on kiwiproject's consul-client. */
final class KiwiConsulAgent implements ConsulAgent {
  private static final MediaType JSON = MediaType.get("application/json");

  private final Consul consul;
  private final AgentClient agent;
  private final CatalogClient catalog;
  // kiwi's transactions are KV-only: catalog operations go over a plain client set up alike.
  private final OkHttpClient txnHttp;
  private final HttpUrl txnUrl;

  private KiwiConsulAgent(Consul consul, OkHttpClient txnHttp, HttpUrl txnUrl) {
    this.consul = requireNonNull(consul, "consul");
    this.agent = consul.agentClient();
    this.catalog = consul.catalogClient();
    this.txnHttp = requireNonNull(txnHttp, "txnHttp");
    this.txnUrl = requireNonNull(txnUrl, "txnUrl");
  }

  /**
   * Builds the client; does not contact Consul (the first {@link #services()} call does).
   *
   * @throws IllegalArgumentException when TLS files cannot be read
   */
  static KiwiConsulAgent create(ConsulSinkConfig config) {
    Consul.Builder builder = Consul.builder()
        .withPing(false)
        .withConnectTimeoutMillis(config.timeouts().connect().toMillis())
        .withReadTimeoutMillis(config.timeouts().request().toMillis())
        .withWriteTimeoutMillis(config.timeouts().request().toMillis());
    // withTokenAuth sends X-Consul-Token; withAclToken would put it into the URL.
    config.token().ifPresent(token -> builder.withTokenAuth(token.value()));
    switch (config.endpoint()) {
      case ConsulEndpoint.Tcp tcp -> {
        builder.withUrl(url(tcp));
        if (tcp.tls()) {
          TlsContexts.Material tls = TlsContexts.load(config.tls());
          builder.withSslContext(tls.sslContext()).withTrustManager(tls.trustManager());
          tls.hostnameVerifier().ifPresent(builder::withHostnameVerifier);
        } else {
          plainHttpOnly(builder);
        }
      }
      // The host in the default URL is ignored: kiwi's socket factory connects to the path.
      // kiwi refuses a context beside a Unix socket, so this client still sets TLS up.
      case ConsulEndpoint.UnixSocket unix -> builder.withUnixDomainSocket(unix.path());
    }
    return new KiwiConsulAgent(builder.build(), ConsulOkHttp.client(config.endpoint(),
        config.token(), config.tls(), config.timeouts()),
        ConsulOkHttp.baseUrl(config.endpoint()).newBuilder().addPathSegments("v1/txn").build());
  }

  /** Spares kiwi's OkHttp client from setting TLS up (see {@link PlainHttpOnly}). */
  private static void plainHttpOnly(Consul.Builder builder) {
    builder.withSslContext(PlainHttpOnly.context())
        .withTrustManager(PlainHttpOnly.TRUSTS_NOTHING);
  }

  private static URL url(ConsulEndpoint.Tcp tcp) {
    try {
      // URI adds the brackets an IPv6 literal needs.
      return new URI(tcp.tls() ? "https" : "http", null, tcp.host(), tcp.port(), null, null, null)
          .toURL();
    } catch (URISyntaxException | MalformedURLException e) {
      throw new IllegalArgumentException("cannot build a URL for " + tcp.uri(), e);
    }
  }

  @Override
  public Map<String, AgentService> services(String filter) {
    QueryOptions options = ImmutableQueryOptions.builder().filter(filter).build();
    Map<String, Service> services = call(() -> agent.getServices(options));
    return toAgentServices(services);
  }

  private static Map<String, AgentService> toAgentServices(Map<String, Service> services) {
    Map<String, AgentService> result = new LinkedHashMap<>();
    services.forEach((id, s) -> result.put(id, new AgentService(s.getId(), s.getService(),
        s.getAddress(), s.getPort(), s.getTags(), s.getMeta())));
    return result;
  }

  @Override
  public Map<String, AgentService> nodeServices(String node, String filter) {
    QueryOptions options = ImmutableQueryOptions.builder().filter(filter).build();
    return toAgentServices(servicesOf(call(() -> catalog.getNode(node, options)).getResponse()));
  }

  @Override
  public Optional<String> watchNodeService(String node, String serviceId, String index,
      Duration wait) {
    ImmutableQueryOptions.Builder options = index.isEmpty()
        ? ImmutableQueryOptions.builder()
        : QueryOptions.blockSeconds((int) Math.max(1, wait.toSeconds()), new BigInteger(index));
    // Filtered to the one service, so that each answer is small whatever the node holds.
    QueryOptions query = options.filter("ID == " + ConsulAgent.quote(serviceId)).build();
    ConsulResponse<CatalogNode> response = call(() -> catalog.getNode(node, query));
    return servicesOf(response.getResponse()).containsKey(serviceId)
        ? Optional.of(response.getIndex().toString())
        : Optional.empty();
  }

  /** Consul answers {@code null} for a node it does not know (e.g. after a dev-mode restart). */
  private static Map<String, Service> servicesOf(CatalogNode node) {
    return node == null || node.getServices() == null ? Map.of() : node.getServices();
  }

  @Override
  public void catalogRegister(CatalogRegistration registration) {
    run(() -> catalog.register(registration));
  }

  /**
   * One transaction of Service "set" operations; each carries the fields {@code /v1/catalog/
   * register} stores for our registrations (Consul 1.8's txn endpoint copies ID, Service, Tags,
   * Address, Meta, Port, Weights and EnableTagOverride, and nothing else). A rolled-back
   * transaction (409, with Consul's reason for the first failing operation) is a {@link
   * ConsulAgentException} like any refusal.
   */
  @Override
  public void catalogRegisterAll(List<CatalogRegistration> registrations) {
    if (registrations.size() > MAX_TXN_OPS) {
      throw new IllegalArgumentException(registrations.size() + " operations in one transaction;"
          + " Consul 1.8 takes at most " + MAX_TXN_OPS);
    }
    List<Map<String, Object>> ops = new ArrayList<>(registrations.size());
    for (CatalogRegistration registration : registrations) {
      Map<String, Object> op = new LinkedHashMap<>();
      op.put("Verb", "set");
      op.put("Node", registration.node());
      op.put("Service", registration.service().orElseThrow());
      ops.add(Map.of("Service", op));
    }
    byte[] body;
    try {
      body = mapper().writeValueAsBytes(ops);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot convert a Consul transaction: "
          + e.getOriginalMessage(), e);
    }
    Request request = new Request.Builder().url(txnUrl).put(RequestBody.create(body, JSON))
        .build();
    try (Response response = txnHttp.newCall(request).execute()) {
      if (response.code() != 200) {
        throw new ConsulAgentException(response.code(), "PUT " + txnUrl.encodedPath() + ": "
            + response.body().string().replaceAll("\\s+", " "), null).surfaced();
      }
    } catch (IOException e) {
      throw new ConsulAgentException(ConsulAgentException.NO_RESPONSE, "PUT "
          + txnUrl.encodedPath() + ": " + e, e).surfaced();
    }
  }

  @Override
  public void catalogDeregister(String node, String serviceId) {
    run(() -> catalog.deregister(ImmutableCatalogDeregistration.builder().node(node)
          .serviceId(serviceId).build()));
  }

  @Override
  public boolean answers() {
    try {
      String leader = consul.statusClient().getLeader();
      return leader != null && !leader.isBlank();
    } catch (RuntimeException e) {
      return false; // no answer, or no leader yet: not back
    }
  }

  @Override
  public Optional<AgentService> service(String serviceId) {
    return fetch(serviceId, QueryOptions.BLANK).map(response -> {
      FullService s = response.getResponse();
      return new AgentService(s.getId(), s.getService(), s.getAddress(), s.getPort(),
          s.getTags(), s.getMeta());
    });
  }

  @Override
  public Optional<String> watchService(String serviceId, String hash, Duration wait) {
    QueryOptions options = hash.isEmpty()
        ? QueryOptions.BLANK
        : QueryOptions.blockSeconds((int) Math.max(1, wait.toSeconds()), hash).build();
    return fetch(serviceId, options).map(response -> response.getResponse().getContentHash());
  }

  /**
   * The asynchronous variant, because the synchronous {@code getService} turns every failure,
   * including a refused connection, into a {@code NotRegisteredException} without a cause, and
   * the sink must tell "the agent lost this service" (404) from "the agent is down".
   */
  private Optional<ConsulResponse<FullService>> fetch(String serviceId, QueryOptions options) {
    CompletableFuture<ConsulResponse<FullService>> answer = new CompletableFuture<>();
    agent.getService(serviceId, options, new ConsulResponseCallback<>() {
      @Override
      public void onComplete(ConsulResponse<FullService> response) {
        answer.complete(response);
      }

      @Override
      public void onFailure(Throwable failure) {
        answer.completeExceptionally(failure);
      }
    });
    try {
      return Optional.of(answer.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ControlPlaneUnavailableException("interrupted while waiting for Consul", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ConsulException consul) {
        if (consul.hasCode() && consul.getCode() == 404) {
          return Optional.empty();
        }
        throw failure(consul);
      }
      if (cause instanceof IOException io) {
        throw failure(new ConsulException("Consul request for service " + serviceId
            + " failed: " + io, io));
      }
      // Not about Consul at all: Retrofit refusing this ID in a path ('..'), a bug. It concerns
      // this one service, so it must not look like an outage (which backs the whole sink off).
      if (cause instanceof RuntimeException unexpected) {
        throw unexpected;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException("Consul request for service " + serviceId + " failed",
          cause);
    }
  }

  /**
   * The mapper kiwi's Retrofit converter reads and writes with ({@code Jackson.MAPPER}), set up
   * before the first request: it does not intern field names. The keys of {@code
   * /v1/agent/services}, {@code /v1/agent/checks} and a catalog node's services are IDs, data
   * that grows with the catalog, and Jackson's interning table refuses names past a number of hash
   * collisions ("suspect a DoS attack"). Which key sets collide depends on a seed taken from the
   * clock when the table is made; on 2026-12-05 a restart under 4,000 services of one host drew
   * one that did, and every full read of that process failed (the sink never converged).
   */
  private static final ObjectMapper MAPPER = internNoNames();

  private static ObjectMapper internNoNames() {
    Jackson.MAPPER.getFactory().disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES);
    return Jackson.MAPPER;
  }

  static ObjectMapper mapper() {
    return MAPPER;
  }

  @Override
  public void encode(Registration registration) {
    try {
      mapper().writeValueAsBytes(registration);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void register(Registration registration) {
    run(() -> agent.register(registration));
  }

  @Override
  public void deregister(String serviceId) {
    run(() -> agent.deregister(serviceId));
  }

  @Override
  public Set<String> checksOf(String serviceId) {
    QueryOptions options = ImmutableQueryOptions.builder()
        .filter("ServiceID == " + ConsulAgent.quote(serviceId)).build();
    Map<String, HealthCheck> checks = call(() -> agent.getChecks(options));
    Set<String> ids = new LinkedHashSet<>();
    // Older agents ignore the filter: keep only this service's checks.
    checks.forEach((id, check) -> {
      if (serviceId.equals(check.getServiceId().orElse(""))) {
        ids.add(id);
      }
    });
    return ids;
  }

  @Override
  public String nodeAddress() {
    return call(() -> agent.getAgent().getMember().getAddress());
  }

  @Override
  public void deregisterCheck(String checkId) {
    run(() -> agent.deregisterCheck(checkId));
  }

  @Override
  public void setCheck(String checkId, Health.Status status, String note) {
    State state = switch (status) {
      case PASSING -> State.PASS;
      case WARNING -> State.WARN;
      case CRITICAL -> State.FAIL;
    };
    call(() -> {
      try {
        agent.check(checkId, state, note);
      } catch (NotRegisteredException e) {
        // kiwi wraps every failure of this call, including connection failures, and also a
        // check ID Retrofit refuses in a path, which is about this one check, not an outage.
        if (e.getCause() instanceof ConsulException cause) {
          throw cause;
        }
        if (e.getCause() instanceof RuntimeException unexpected) {
          throw unexpected;
        }
        throw new ConsulException(e.getMessage(), e);
      }
      return null;
    });
  }

  @Override
  public Map<String, Health.Status> checkStatuses(String checkName) {
    QueryOptions options = ImmutableQueryOptions.builder()
        .filter("Name == " + ConsulAgent.quote(checkName)).build();
    Map<String, HealthCheck> checks = call(() -> agent.getChecks(options));
    Map<String, Health.Status> statuses = new HashMap<>();
    checks.forEach((id, check) -> {
      if (checkName.equals(check.getName())) {
        Health.Status.parse(check.getStatus()).ifPresent(status -> statuses.put(id, status));
      }
    });
    return statuses;
  }

  @Override
  public void close() {
    consul.destroy();
    txnHttp.dispatcher().executorService().shutdown();
    txnHttp.connectionPool().evictAll();
  }

  private static void run(Runnable request) {
    call(() -> {
      request.run();
      return null;
    });
  }

  private static <T> T call(Supplier<T> request) {
    try {
      return request.get();
    } catch (ConsulException e) {
      throw failure(e);
    }
  }

  /**
   * What a failed request means for the sink: Consul unavailable as a whole ({@link
   * ControlPlaneUnavailableException}), a refusal of this request ({@link ConsulAgentException}),
   * or a body kiwi could not write or read, which is about this request's data and not an outage
   * (Jackson's errors are IOExceptions, which kiwi reports like a broken connection).
   */
  private static RuntimeException failure(ConsulException e) {
    if (!e.hasCode() && e.getCause() instanceof JsonProcessingException json) {
      return new IllegalStateException("cannot convert a Consul request or answer: "
          + json.getOriginalMessage(), json);
    }
    int status = e.hasCode() ? e.getCode() : ConsulAgentException.NO_RESPONSE;
    // kiwi's message names the URL and Consul's answer; its cause (if any) says why there was
    // no answer, which is what the reconciler's log line should show next to it.
    return new ConsulAgentException(status, e.getMessage(), e.getCause() != null ? e.getCause()
        : e).surfaced();
  }
}
