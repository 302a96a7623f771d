package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.kiwiproject.consul.AgentClient;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.ConsulException;
import org.kiwiproject.consul.NotRegisteredException;
import org.kiwiproject.consul.model.State;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.health.HealthCheck;
import org.kiwiproject.consul.model.health.Service;

/** {@link ConsulAgent} on kiwiproject's consul-client. */
final class KiwiConsulAgent implements ConsulAgent {
  private final Consul consul;
  private final AgentClient agent;

  private KiwiConsulAgent(Consul consul) {
    this.consul = requireNonNull(consul, "consul");
    this.agent = consul.agentClient();
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
        }
      }
      // The host in the default URL is ignored: kiwi's socket factory connects to the path.
      case ConsulEndpoint.UnixSocket unix -> builder.withUnixDomainSocket(unix.path());
    }
    return new KiwiConsulAgent(builder.build());
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
  public Map<String, AgentService> services() {
    Map<String, Service> services = call(agent::getServices);
    Map<String, AgentService> result = new LinkedHashMap<>();
    services.forEach((id, s) -> result.put(id, new AgentService(s.getId(), s.getService(),
        s.getAddress(), s.getPort(), s.getTags(), s.getMeta())));
    return result;
  }

  @Override
  public void register(Registration registration) {
    call(() -> {
      agent.register(registration);
      return null;
    });
  }

  @Override
  public void deregister(String serviceId) {
    call(() -> {
      agent.deregister(serviceId);
      return null;
    });
  }

  @Override
  public Map<String, String> checkServiceIds() {
    Map<String, HealthCheck> checks = call(agent::getChecks);
    Map<String, String> result = new LinkedHashMap<>();
    checks.forEach((id, check) -> result.put(id, check.getServiceId().orElse("")));
    return result;
  }

  @Override
  public String nodeAddress() {
    return call(() -> agent.getAgent().getMember().getAddress());
  }

  @Override
  public void deregisterCheck(String checkId) {
    call(() -> {
      agent.deregisterCheck(checkId);
      return null;
    });
  }

  @Override
  public void passCheck(String checkId, String note) {
    call(() -> {
      try {
        agent.check(checkId, State.PASS, note);
      } catch (NotRegisteredException e) {
        // kiwi wraps every failure of this call, including connection failures.
        if (e.getCause() instanceof ConsulException cause) {
          throw cause;
        }
        throw new ConsulException(e.getMessage(), e);
      }
      return null;
    });
  }

  @Override
  public void close() {
    consul.destroy();
  }

  private static <T> T call(Supplier<T> request) {
    try {
      return request.get();
    } catch (ConsulException e) {
      int status = e.hasCode() ? e.getCode() : ConsulAgentException.NO_RESPONSE;
      // kiwi's message names the URL and Consul's answer; its cause (if any) says why there was
      // no answer, which is what the reconciler's log line should show next to it.
      throw new ConsulAgentException(status, e.getMessage(), e.getCause() != null ? e.getCause()
          : e);
    }
  }
}
