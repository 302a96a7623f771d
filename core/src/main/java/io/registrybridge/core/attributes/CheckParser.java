package io.registrybridge.core.attributes;

import io.registrybridge.core.AttributeValues;
import io.registrybridge.core.ServiceCheck;
import io.registrybridge.core.ServiceCheck.InitialStatus;
import io.registrybridge.core.ServiceCheck.Type;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Builds the health check of one service from its {@code check_*} attributes.
 *
 * <p>A service gets at most one check, as in Registrator. When several kinds are set, a
 * port-specific one beats generic ones (Registrator looked only at the kind, so a generic {@code
 * SERVICE_CHECK_HTTP} beat a {@code SERVICE_80_CHECK_TCP}); among equally specific ones the order
 * is Registrator's: http, https, script, ttl, tcp, grpc. Registrator had no grpc check; its
 * {@code check_cmd} ran a {@code check-cmd} helper that only existed in its own image, so it is
 * reported as unsupported here.
 *
 * <p>Options: {@code check_interval} (default {@code 10s}, not for ttl), {@code check_timeout}
 * (not for ttl), {@code check_initial_status} ({@code passing}, {@code warning}, {@code
 * critical}), {@code check_deregister_after}, {@code check_http_method} (http and https), {@code
 * check_tls_skip_verify} ({@code true}/{@code false}; http, https and grpc). Options that do not
 * apply to the chosen kind are ignored. Registrator copied every value to Consul unchecked, so a
 * typo made Consul refuse the whole service; here a malformed value of the chosen check or of
 * an option it uses is reported and drops the check, and the service is still registered.
 */
public final class CheckParser {
  /** Registrator's default interval for every check except ttl. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  private static final Pattern HTTP_METHOD = Pattern.compile("[A-Za-z]+");

  /** The kinds of check, in Registrator's order of precedence. */
  enum Kind {
    HTTP("check_http"),
    HTTPS("check_https"),
    SCRIPT("check_script"),
    TTL("check_ttl"),
    TCP("check_tcp"),
    GRPC("check_grpc");

    final String key;

    Kind(String key) {
      this.key = key;
    }

    /** Whether the attribute asks for this kind; tcp and grpc are switches (see Values). */
    boolean isRequestedBy(Attribute attribute) {
      return this == TCP || this == GRPC
          ? AttributeValues.isOn(attribute.value())
          : attribute.text().isPresent();
    }
  }

  private CheckParser() {}

  /**
   * The check of one service, or empty when none is asked for or it cannot be built.
   *
   * @param attributes the attributes of the service's port (see {@link AttributeSet})
   * @param address the service's final address; empty means the sink's default, which a check
   *     cannot name
   * @param port the service's final port
   * @param spelling how the source writes a generic key, for hints
   * @param findings receives each problem under the key as written on the container or object
   */
  static Optional<ServiceCheck> parse(Map<String, Attribute> attributes, String address,
      int port, UnaryOperator<String> spelling, Findings findings) {
    Attribute cmd = attributes.get("check_cmd");
    if (cmd != null && cmd.text().isPresent()) {
      findings.problem(cmd.sourceKey(), "check_cmd is not supported (it needed Registrator's "
          + "check-cmd helper); use " + spelling.apply(Kind.SCRIPT.key));
    }
    List<Attribute> requested = new ArrayList<>();
    Kind chosen = null;
    for (Kind kind : Kind.values()) {
      Attribute a = attributes.get(kind.key);
      if (a != null && kind.isRequestedBy(a)) {
        requested.add(a);
        if (chosen == null || a.portSpecific() && !attributes.get(chosen.key).portSpecific()) {
          chosen = kind;
        }
      }
    }
    if (chosen == null) {
      return Optional.empty();
    }
    Attribute main = attributes.get(chosen.key);
    for (Attribute other : requested) {
      // A generic check overridden by a port-specific one is layering, not a mistake.
      if (other != main && other.portSpecific() == main.portSpecific()) {
        findings.problem(other.sourceKey(), "ignored: a service has one check and "
            + main.sourceKey() + " takes precedence");
      }
    }
    try {
      return Optional.of(build(chosen, main, attributes, address, port));
    } catch (BadValue e) {
      findings.problem(e.key, e.getMessage() + "; no check registered");
      return Optional.empty();
    }
  }

  private static ServiceCheck build(Kind kind, Attribute main, Map<String, Attribute> attrs,
      String address, int port) {
    String value = main.value().trim();
    Type type = switch (kind) {
      case HTTP, HTTPS -> Type.HTTP;
      case SCRIPT -> Type.SCRIPT;
      case TTL -> Type.TTL;
      case TCP -> Type.TCP;
      case GRPC -> Type.GRPC;
    };
    String target = switch (kind) {
      case HTTP, HTTPS -> url(kind == Kind.HTTP ? "http" : "https", main, address, port);
      // Registrator substituted the host binding here in some versions and the service
      // address in others; the final address and port are what the check must reach.
      case SCRIPT -> value.replace("$SERVICE_IP", checkHost(address))
          .replace("$SERVICE_PORT", "" + port);
      case TTL -> "";
      case TCP -> hostPort(main, address, port);
      // Consul's grpc check is host:port, or host:port/service for one gRPC service.
      case GRPC -> hostPort(main, address, port)
          + (value.equalsIgnoreCase("true") || value.equals("1") ? "" : "/" + value);
    };
    Optional<Duration> ttl = kind == Kind.TTL
        ? Optional.of(positiveDuration(main))
        : Optional.empty();
    Optional<Duration> interval = Optional.empty();
    Optional<Duration> timeout = Optional.empty();
    if (kind != Kind.TTL) {
      interval = Optional.of(option(attrs, "check_interval").map(CheckParser::positiveDuration)
          .orElse(DEFAULT_INTERVAL));
      timeout = option(attrs, "check_timeout").map(CheckParser::positiveDuration);
    }
    Optional<Duration> deregister =
        option(attrs, "check_deregister_after").map(CheckParser::positiveDuration);
    Optional<InitialStatus> status =
        option(attrs, "check_initial_status").map(CheckParser::initialStatus);
    Optional<String> method = Optional.empty();
    boolean skipVerify = false;
    if (type == Type.HTTP) {
      method = option(attrs, "check_http_method").map(CheckParser::httpMethod);
    }
    if (type == Type.HTTP || type == Type.GRPC) {
      skipVerify = option(attrs, "check_tls_skip_verify").map(CheckParser::bool).orElse(false);
    }
    return new ServiceCheck(type, target, interval, timeout, ttl, deregister, method, skipVerify,
        status);
  }

  private static String url(String scheme, Attribute main, String address, int port) {
    String path = main.value().trim();
    // Registrator glued the value to the port, so "health" made http://ip:80health.
    if (!path.startsWith("/")) {
      path = "/" + path;
    }
    String url = scheme + "://" + host(address) + ":" + port + path;
    try {
      // Validated with a stand-in host: the node-address placeholder is not a URI authority.
      new URI(url.replace(ServiceCheck.NODE_ADDRESS, "node.invalid")).parseServerAuthority();
    } catch (URISyntaxException e) {
      throw new BadValue(main.sourceKey(),
          AttributeValues.quote(main.value()) + " is not a URL path");
    }
    return url;
  }

  private static String hostPort(Attribute main, String address, int port) {
    return host(address) + ":" + port;
  }

  // Registrator wrote IPv6 addresses without brackets, which no check can reach.
  private static String host(String address) {
    String host = checkHost(address);
    return host.contains(":") ? "[" + host + "]" : host;
  }

  /**
   * A service without an address of its own (published on every host address, no {@code -ip})
   * is reached at the node's address, which only the sink knows: the placeholder stands for it.
   */
  private static String checkHost(String address) {
    return address.isEmpty() ? ServiceCheck.NODE_ADDRESS : address;
  }

  private static Optional<Attribute> option(Map<String, Attribute> attrs, String key) {
    Attribute a = attrs.get(key);
    return a == null || a.text().isEmpty() ? Optional.empty() : Optional.of(a);
  }

  private static Duration positiveDuration(Attribute a) {
    Duration d;
    try {
      d = GoDuration.parse(a.value());
    } catch (IllegalArgumentException e) {
      throw new BadValue(a.sourceKey(), AttributeValues.quote(a.value()) + " is " + e.getMessage());
    }
    if (d.isZero() || d.isNegative()) {
      throw new BadValue(a.sourceKey(),
          AttributeValues.quote(a.value()) + " is not a positive duration");
    }
    return d;
  }

  private static InitialStatus initialStatus(Attribute a) {
    return switch (a.value().trim().toLowerCase(Locale.ROOT)) {
      case "passing" -> InitialStatus.PASSING;
      case "warning" -> InitialStatus.WARNING;
      case "critical" -> InitialStatus.CRITICAL;
      default -> throw new BadValue(a.sourceKey(), AttributeValues.quote(a.value())
          + " is not a check status (passing, warning, critical)");
    };
  }

  private static String httpMethod(Attribute a) {
    String method = a.value().trim();
    if (!HTTP_METHOD.matcher(method).matches()) {
      throw new BadValue(a.sourceKey(),
          AttributeValues.quote(a.value()) + " is not an HTTP method");
    }
    return method.toUpperCase(Locale.ROOT);
  }

  private static boolean bool(Attribute a) {
    return switch (a.value().trim().toLowerCase(Locale.ROOT)) {
      case "true", "1" -> true;
      case "false", "0" -> false;
      default -> throw new BadValue(a.sourceKey(), AttributeValues.quote(a.value())
          + " is not true or false");
    };
  }

  /** A malformed value; carries the key it was written under. */
  private static final class BadValue extends RuntimeException {
    final String key;

    BadValue(String key, String message) {
      super(message, null, false, false);
      this.key = key;
    }
  }
}
