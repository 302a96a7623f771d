package io.registrybridge.sink.mesh;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.net.URLDecoder;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A mesh sink named on the command line.
 *
 * <pre>
 * istio-k8s://?namespace=istio-config&amp;context=prod        ServiceEntry via the Kubernetes API
 * istio-dir:///etc/istio/config?namespace=istio-config       one YAML file per ServiceEntry
 * istio-xds://:15010?namespace=istio-config                  served to istiod over xDS
 * </pre>
 *
 * <p>{@code istio-k8s} reaches the cluster the way kubectl does: {@code KUBECONFIG} or
 * {@code ~/.kube/config} (its current context, or {@code context=}), else the in-cluster service
 * account. It takes no host: the API server comes from that configuration. {@code istio-dir}
 * takes an absolute path ({@code istio-dir:///etc/istio/config}, three slashes, or {@code
 * istio-dir:/etc/istio/config}); the directory is created when missing. {@code istio-xds} takes
 * {@code [HOST]:PORT} to listen on (every interface without a host; an IPv6 host in brackets) and
 * serves plaintext, or TLS with {@code tlsCert} and {@code tlsKey} (PEM files, both or neither),
 * or mutual TLS with {@code tlsClientCa} too; {@code maxStreams} and {@code maxSubscriptions}
 * cap the streams and the type URLs per stream ({@link XdsListen}).
 *
 * <p>Query parameters override the daemon-wide {@link MeshSinkConfig} for this sink: {@code
 * namespace}, {@code domain}, {@code exportTo} (comma-separated), {@code collision} ({@code
 * report} or {@code allocate}), {@code vipRange} (CIDR), {@code apiVersion} ({@code auto}, {@code
 * v1}, {@code v1beta1}, {@code v1alpha3}; not for {@code istio-xds}, which answers in the version
 * istiod asks for); {@code istio-k8s} also takes {@code context}. Values are percent-decoded; '+'
 * is a plus sign.
 *
 * @param uri the text as given, for messages
 * @param transport which transport
 * @param directory the directory, for {@link Transport#DIRECTORY}
 * @param context the kubeconfig context, for {@link Transport#KUBERNETES}
 * @param xds where to listen and how, for {@link Transport#XDS}
 * @param settings the config overrides, by parameter name
 */
public record MeshSinkUri(String uri, Transport transport, Optional<Path> directory,
    Optional<String> context, Optional<XdsListen> xds, SortedMap<String, String> settings) {

  public static final String KUBERNETES_SCHEME = "istio-k8s";
  public static final String DIRECTORY_SCHEME = "istio-dir";
  public static final String XDS_SCHEME = "istio-xds";

  private static final Set<String> CONFIG_KEYS =
      Set.of("namespace", "domain", "exportTo", "collision", "vipRange", "apiVersion");

  /** The ways to reach the mesh. */
  public enum Transport {
    KUBERNETES,
    DIRECTORY,
    XDS
  }

  /**
   * Where an {@code istio-xds} sink listens.
   *
   * @param host the address to bind; empty for every interface
   * @param port 1 to 65535
   * @param tlsCert the server certificate chain (PEM); empty for plaintext
   * @param tlsKey its private key (PEM, PKCS#8); present exactly when {@code tlsCert} is
   * @param tlsClientCa the CA (PEM) that client certificates must be signed by: mutual TLS, a
   *     client without such a certificate is refused; needs {@code tlsCert}
   * @param maxStreams how many xDS streams may be open at once; one more is refused
   * @param maxSubscriptions how many type URLs one stream may subscribe to; one more ends it
   */
  public record XdsListen(Optional<String> host, int port, Optional<Path> tlsCert,
      Optional<Path> tlsKey, Optional<Path> tlsClientCa, int maxStreams, int maxSubscriptions) {
    /**
     * Streams open at once: istiod opens one per replica and config source, mesh-dump one each
     * run; 32 leaves room for a large istiod deployment and bounds what a stranger can hold.
     */
    public static final int DEFAULT_MAX_STREAMS = 32;
    /**
     * Type URLs per stream: istiod asks for about 16 (1.24 to 1.30); each costs a little state,
     * and type URLs are client input, so a client inventing new ones must meet a bound.
     */
    public static final int DEFAULT_MAX_SUBSCRIPTIONS = 64;

    public XdsListen {
      requireNonNull(host, "host");
      requireNonNull(tlsCert, "tlsCert");
      requireNonNull(tlsKey, "tlsKey");
      requireNonNull(tlsClientCa, "tlsClientCa");
      if (tlsCert.isPresent() != tlsKey.isPresent()) {
        throw new IllegalArgumentException("tlsCert and tlsKey go together");
      }
      if (tlsClientCa.isPresent() && tlsCert.isEmpty()) {
        throw new IllegalArgumentException("tlsClientCa needs tlsCert and tlsKey: client"
            + " certificates are asked for only over TLS");
      }
      if (maxStreams < 1) {
        throw new IllegalArgumentException("maxStreams must be at least 1, not " + maxStreams);
      }
      if (maxSubscriptions < 1) {
        throw new IllegalArgumentException("maxSubscriptions must be at least 1, not "
            + maxSubscriptions);
      }
    }

    /** Plaintext or SIMPLE TLS, with the default caps. */
    public XdsListen(Optional<String> host, int port, Optional<Path> tlsCert,
        Optional<Path> tlsKey) {
      this(host, port, tlsCert, tlsKey, Optional.empty(), DEFAULT_MAX_STREAMS,
          DEFAULT_MAX_SUBSCRIPTIONS);
    }

    /** {@code HOST:PORT} or {@code :PORT}, for logs. */
    @Override
    public String toString() {
      return authority() + (tlsClientCa.isPresent() ? " (mutual TLS)"
          : tlsCert.isPresent() ? " (TLS)" : " (plaintext)");
    }

    /** {@code HOST:PORT} or {@code :PORT}; an IPv6 host in brackets. */
    public String authority() {
      return host.map(h -> h.contains(":") ? "[" + h + "]" : h).orElse("") + ":" + port;
    }
  }

  public MeshSinkUri {
    requireNonNull(uri, "uri");
    requireNonNull(transport, "transport");
    requireNonNull(directory, "directory");
    requireNonNull(context, "context");
    requireNonNull(xds, "xds");
    settings = Collections.unmodifiableSortedMap(new TreeMap<>(settings));
  }

  /**
   * Parses a sink URI.
   *
   * @throws IllegalArgumentException naming the URI and what is wrong with it
   */
  public static MeshSinkUri parse(String uri) {
    requireNonNull(uri, "uri");
    int colon = uri.indexOf(':');
    if (colon <= 0) {
      throw invalid(uri, "expected " + KUBERNETES_SCHEME + "://?..., " + DIRECTORY_SCHEME
          + ":///path or " + XDS_SCHEME + "://[host]:port");
    }
    String scheme = uri.substring(0, colon).toLowerCase(Locale.ROOT);
    String rest = uri.substring(colon + 1);
    if (rest.contains("#")) {
      throw invalid(uri, "a fragment ('#') means nothing here");
    }
    int question = rest.indexOf('?');
    String query = question < 0 ? "" : rest.substring(question + 1);
    String hierarchy = question < 0 ? rest : rest.substring(0, question);
    SortedMap<String, String> parameters = parameters(uri, query);

    MeshSinkUri parsed = switch (scheme) {
      case KUBERNETES_SCHEME -> kubernetes(uri, hierarchy, parameters);
      case DIRECTORY_SCHEME -> directory(uri, hierarchy, parameters);
      case XDS_SCHEME -> xds(uri, hierarchy, parameters);
      default -> throw invalid(uri, "unknown scheme '" + scheme + "' (expected "
          + KUBERNETES_SCHEME + ", " + DIRECTORY_SCHEME + " or " + XDS_SCHEME + ")");
    };
    try {
      parsed.applyTo(MeshSinkConfig.builder("uri-check").build());
    } catch (IllegalArgumentException e) {
      throw invalid(uri, e.getMessage());
    }
    return parsed;
  }

  private static MeshSinkUri kubernetes(String uri, String hierarchy,
      SortedMap<String, String> parameters) {
    if (!hierarchy.isEmpty() && !hierarchy.equals("//") && !hierarchy.equals("///")) {
      throw invalid(uri, "istio-k8s takes no host or path: the API server comes from KUBECONFIG"
          + " or the in-cluster configuration (use ?context= to pick a kubeconfig context)");
    }
    String context = parameters.remove("context");
    checkKeys(uri, parameters, "context");
    return new MeshSinkUri(uri, Transport.KUBERNETES, Optional.empty(),
        Optional.ofNullable(context), Optional.empty(), parameters);
  }

  private static MeshSinkUri directory(String uri, String hierarchy,
      SortedMap<String, String> parameters) {
    String path;
    if (hierarchy.startsWith("///")) {
      path = hierarchy.substring(2);
    } else if (hierarchy.startsWith("//")) {
      String host = hierarchy.substring(2).split("/", 2)[0];
      throw invalid(uri, "'" + host + "' would be a host; write istio-dir:///"
          + hierarchy.substring(2) + " (three slashes) for an absolute path");
    } else if (hierarchy.startsWith("/")) {
      path = hierarchy;
    } else {
      throw invalid(uri, "the directory must be an absolute path, like istio-dir:///etc/istio/"
          + "config");
    }
    path = decode(uri, path);
    if (path.equals("/")) {
      throw invalid(uri, "refusing to write into the root directory");
    }
    checkKeys(uri, parameters, null);
    try {
      return new MeshSinkUri(uri, Transport.DIRECTORY, Optional.of(Path.of(path)),
          Optional.empty(), Optional.empty(), parameters);
    } catch (InvalidPathException e) {
      throw invalid(uri, "'" + path + "' is not a valid path: " + e.getReason());
    }
  }

  private static MeshSinkUri xds(String uri, String hierarchy,
      SortedMap<String, String> parameters) {
    if (!hierarchy.startsWith("//")) {
      throw invalid(uri, "expected istio-xds://[HOST]:PORT, like istio-xds://:15010");
    }
    String authority = hierarchy.substring(2);
    if (authority.endsWith("/")) {
      authority = authority.substring(0, authority.length() - 1);
    }
    if (authority.contains("/")) {
      throw invalid(uri, "istio-xds takes no path, only [HOST]:PORT");
    }
    XdsAddress address;
    try {
      address = XdsAddress.parse(authority);
    } catch (IllegalArgumentException e) {
      throw invalid(uri, e.getMessage());
    }
    String host = address.host();
    int port = address.port();
    if (parameters.containsKey("apiVersion")) {
      throw invalid(uri, "apiVersion means nothing for istio-xds: it answers in exactly the"
          + " version istiod asks for (networking.istio.io/v1 from Istio 1.24 on, v1alpha3"
          + " before)");
    }
    String cert = parameters.remove("tlsCert");
    String key = parameters.remove("tlsKey");
    String clientCa = parameters.remove("tlsClientCa");
    if ((cert == null) != (key == null)) {
      throw invalid(uri, "tlsCert and tlsKey go together (the server certificate and its key,"
          + " PEM); give both for TLS, neither for plaintext");
    }
    if (clientCa != null && cert == null) {
      throw invalid(uri, "tlsClientCa (mutual TLS) needs tlsCert and tlsKey: client"
          + " certificates are asked for only over TLS");
    }
    int maxStreams = positive(uri, parameters.remove("maxStreams"), "maxStreams",
        XdsListen.DEFAULT_MAX_STREAMS);
    int maxSubscriptions = positive(uri, parameters.remove("maxSubscriptions"),
        "maxSubscriptions", XdsListen.DEFAULT_MAX_SUBSCRIPTIONS);
    checkKeys(uri, parameters, "tlsCert, tlsKey, tlsClientCa, maxStreams, maxSubscriptions");
    try {
      return new MeshSinkUri(uri, Transport.XDS, Optional.empty(), Optional.empty(),
          Optional.of(new XdsListen(host.isEmpty() ? Optional.empty() : Optional.of(host), port,
              Optional.ofNullable(cert).map(Path::of), Optional.ofNullable(key).map(Path::of),
              Optional.ofNullable(clientCa).map(Path::of), maxStreams, maxSubscriptions)),
          parameters);
    } catch (InvalidPathException e) {
      throw invalid(uri, "'" + e.getInput() + "' is not a valid path: " + e.getReason());
    }
  }

  /** A cap: a whole number from 1 to 100,000, or {@code otherwise} when not given. */
  private static int positive(String uri, String value, String name, int otherwise) {
    if (value == null) {
      return otherwise;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      parsed = -1;
    }
    if (parsed < 1 || parsed > 100_000) {
      throw invalid(uri, name + " '" + value + "' is not a number from 1 to 100000");
    }
    return parsed;
  }

  private static SortedMap<String, String> parameters(String uri, String query) {
    SortedMap<String, String> parameters = new TreeMap<>();
    if (query.isEmpty()) {
      return parameters;
    }
    for (String pair : query.split("&", -1)) {
      int equals = pair.indexOf('=');
      if (equals <= 0) {
        throw invalid(uri, "expected name=value, got '" + pair + "'");
      }
      String key = decode(uri, pair.substring(0, equals));
      String value = decode(uri, pair.substring(equals + 1));
      if (value.isEmpty()) {
        throw invalid(uri, "parameter '" + key + "' has no value");
      }
      if (parameters.put(key, value) != null) {
        throw invalid(uri, "parameter '" + key + "' is given twice");
      }
    }
    return parameters;
  }

  private static void checkKeys(String uri, Map<String, String> parameters, String extra) {
    for (String key : parameters.keySet()) {
      if (!CONFIG_KEYS.contains(key)) {
        List<String> known = new ArrayList<>(new TreeSet<>(CONFIG_KEYS));
        if (extra != null) {
          known.add(extra);
        }
        throw invalid(uri, "unknown parameter '" + key + "' (known: " + String.join(", ", known)
            + ")");
      }
    }
  }

  private static String decode(String uri, String text) {
    try {
      // URLDecoder reads '+' as a space, which is form encoding, not URI encoding.
      return URLDecoder.decode(text.replace("+", "%2B"), UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid(uri, "bad percent-encoding in '" + text + "'");
    }
  }

  private static IllegalArgumentException invalid(String uri, String problem) {
    return new IllegalArgumentException("invalid mesh sink URI '" + uri + "': " + problem);
  }

  /** {@code base} with this URI's settings applied; the owner ID always comes from {@code base}. */
  public MeshSinkConfig applyTo(MeshSinkConfig base) {
    MeshSinkConfig.Builder builder = base.toBuilder();
    settings.forEach((key, value) -> {
      switch (key) {
        case "namespace" -> builder.namespace(value);
        case "domain" -> builder.domain(value);
        case "exportTo" -> builder.exportTo(Arrays.asList(value.split(",", -1)));
        case "collision" -> builder.collisionMode(CollisionMode.parse(value));
        case "vipRange" -> builder.virtualIpRange(value);
        case "apiVersion" -> builder.apiVersion(IstioApiVersion.parse(value));
        default -> throw new IllegalStateException("unchecked parameter " + key);
      }
    });
    return builder.build();
  }

  /**
   * The {@code [HOST]:PORT} of an {@code istio-xds://} URI, as the sink listens on it and as a
   * client ({@code mesh-dump}) dials it: an IPv6 host in brackets, a port from 1 to 65535.
   *
   * @param host without brackets; empty for every interface
   */
  public record XdsAddress(String host, int port) {

    /**
     * @param authority what follows {@code istio-xds://} up to the query; a final {@code /} is
     *     ignored
     * @throws IllegalArgumentException saying what is wrong, without the URI
     */
    public static XdsAddress parse(String authority) {
      if (authority.endsWith("/")) {
        authority = authority.substring(0, authority.length() - 1);
      }
      int colon = authority.lastIndexOf(':');
      if (colon < 0 || authority.endsWith("]")) {
        throw new IllegalArgumentException("a port is required: istio-xds://[HOST]:PORT, like"
            + " istio-xds://:15010");
      }
      String host = authority.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      } else if (host.contains(":")) {
        throw new IllegalArgumentException(
            "an IPv6 address goes in brackets: istio-xds://[::1]:15010");
      }
      int port;
      try {
        port = Integer.parseInt(authority.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port '" + authority.substring(colon + 1)
            + "' is not a number from 1 to 65535");
      }
      return new XdsAddress(host, port);
    }
  }
}
