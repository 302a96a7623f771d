package io.registrybridge.sink.mesh.xds;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.StreamObserver;
import io.registrybridge.spi.Tool;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code registry-bridge mesh-dump istio-xds://HOST:PORT}: connects to a running bridge's xDS
 * port as istiod does (one ADS stream, MeshConfig and ServiceEntry asked for, each answer
 * acknowledged), prints the ServiceEntry objects it receives as YAML, the way istiod turns them
 * into config, and exits. For debugging a feed without an istiod.
 *
 * <p>Parameters: {@code tlsCa=PEM} speaks TLS and verifies the server against that CA; {@code
 * tlsCert=PEM&tlsKey=PEM} add a client certificate (a server with {@code tlsClientCa}); {@code
 * timeout=SECONDS} (default 10) bounds each wait: for the first answer, then for ServiceEntry. Exit status 0 when printed, 1 when the server
 * cannot be reached, refuses, or serves no ServiceEntry yet, 2 for wrong arguments.
 */
public final class MeshDumpTool implements Tool {
  private static final String MESH_CONFIG = "core/v1alpha1/MeshConfig";
  /** The type istiod 1.24 on asks for; the bridge answers every version alike. */
  private static final String SERVICE_ENTRY = XdsTypes.GROUP + "/v1/" + XdsTypes.SERVICE_ENTRY;
  private static final YAMLMapper YAML = YAMLMapper.builder()
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build();

  @Override
  public String name() {
    return "mesh-dump";
  }

  @Override
  public String usage() {
    return "mesh-dump istio-xds://HOST:PORT[?tlsCa=PEM&tlsCert=PEM&tlsKey=PEM&timeout=S]"
        + "   print the ServiceEntries a running bridge serves, as istiod receives them";
  }

  /** What the command line asks for. */
  record Target(String host, int port, Optional<Path> tlsCa, Optional<Path> tlsCert,
      Optional<Path> tlsKey, Duration timeout) {
    String authority() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  @Override
  public int run(List<String> args, PrintStream out, PrintStream err) {
    Target target;
    try {
      if (args.size() != 1) {
        throw new IllegalArgumentException("expected one argument, istio-xds://HOST:PORT");
      }
      target = parse(args.get(0));
    } catch (IllegalArgumentException e) {
      err.println("mesh-dump: " + e.getMessage());
      err.println("usage: registry-bridge " + usage());
      return 2;
    }
    ManagedChannel channel;
    try {
      channel = channel(target);
    } catch (IOException | RuntimeException e) {
      err.println("mesh-dump: the TLS files cannot be used: " + e.getMessage());
      return 2;
    }
    try {
      return dump(channel, target, out, err);
    } finally {
      channel.shutdownNow();
    }
  }

  static Target parse(String uri) {
    String prefix = "istio-xds://";
    if (!uri.regionMatches(true, 0, prefix, 0, prefix.length())) {
      throw new IllegalArgumentException("'" + uri + "' is not istio-xds://HOST:PORT");
    }
    String rest = uri.substring(prefix.length());
    int question = rest.indexOf('?');
    String authority = question < 0 ? rest : rest.substring(0, question);
    Map<String, String> query = new TreeMap<>();
    if (question >= 0) {
      for (String pair : rest.substring(question + 1).split("&", -1)) {
        int equals = pair.indexOf('=');
        if (equals <= 0 || equals == pair.length() - 1) {
          throw new IllegalArgumentException("expected name=value, got '" + pair + "'");
        }
        query.put(pair.substring(0, equals),
            URLDecoder.decode(pair.substring(equals + 1).replace("+", "%2B"), UTF_8));
      }
    }
    for (String key : query.keySet()) {
      if (!List.of("tlsCa", "tlsCert", "tlsKey", "timeout").contains(key)) {
        throw new IllegalArgumentException("unknown parameter '" + key + "' (known: tlsCa,"
            + " tlsCert, tlsKey, timeout)");
      }
    }
    // The sink's own reading of [HOST]:PORT, so that what it listens on can be dialled.
    io.registrybridge.sink.mesh.MeshSinkUri.XdsAddress address =
        io.registrybridge.sink.mesh.MeshSinkUri.XdsAddress.parse(authority);
    String host = address.host();
    int port = address.port();
    if (query.containsKey("tlsCert") != query.containsKey("tlsKey")) {
      throw new IllegalArgumentException("tlsCert and tlsKey go together");
    }
    if (query.containsKey("tlsCert") && !query.containsKey("tlsCa")) {
      throw new IllegalArgumentException("a client certificate needs TLS: give tlsCa too");
    }
    long seconds;
    try {
      seconds = Long.parseLong(query.getOrDefault("timeout", "10"));
    } catch (NumberFormatException e) {
      seconds = -1;
    }
    if (seconds < 1 || seconds > 3600) {
      throw new IllegalArgumentException("timeout '" + query.get("timeout")
          + "' is not a number of seconds from 1 to 3600");
    }
    return new Target(host.isEmpty() ? "localhost" : host, port,
        Optional.ofNullable(query.get("tlsCa")).map(Path::of),
        Optional.ofNullable(query.get("tlsCert")).map(Path::of),
        Optional.ofNullable(query.get("tlsKey")).map(Path::of), Duration.ofSeconds(seconds));
  }

  private static ManagedChannel channel(Target target) throws IOException {
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(target.host(), target.port())
        .maxInboundMessageSize(Integer.MAX_VALUE); // as istiod's client: large feeds
    if (target.tlsCa().isEmpty()) {
      return builder.usePlaintext().build();
    }
    SslContextBuilder tls = GrpcSslContexts.forClient().trustManager(target.tlsCa().get()
        .toFile());
    if (target.tlsCert().isPresent()) {
      tls.keyManager(target.tlsCert().get().toFile(), target.tlsKey().orElseThrow().toFile());
    }
    return builder.sslContext(tls.build()).build();
  }

  private static int dump(ManagedChannel channel, Target target, PrintStream out,
      PrintStream err) {
    CompletableFuture<Void> connected = new CompletableFuture<>();
    CompletableFuture<DiscoveryResponse> entries = new CompletableFuture<>();
    StreamObserver<DiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
        .streamAggregatedResources(new StreamObserver<>() {
          @Override
          public void onNext(DiscoveryResponse response) {
            connected.complete(null);
            if (response.getTypeUrl().equals(SERVICE_ENTRY)) {
              entries.complete(response);
            }
          }

          @Override
          public void onError(Throwable t) {
            connected.completeExceptionally(t);
            entries.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            IllegalStateException ended = new IllegalStateException("the server ended the"
                + " stream");
            connected.completeExceptionally(ended);
            entries.completeExceptionally(ended);
          }
        });
    try {
      // As istiod: the node on the first request, then one request per type.
      requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(MESH_CONFIG)
          .setNode(Node.newBuilder().setId("registry-bridge-mesh-dump")).build());
      requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(SERVICE_ENTRY).build());
      try {
        connected.get(target.timeout().toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        err.println("mesh-dump: no answer from " + target.authority() + " within "
            + target.timeout().toSeconds() + " s");
        return 1;
      }
      DiscoveryResponse response;
      try {
        response = entries.get(target.timeout().toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        err.println("mesh-dump: " + target.authority() + " answers, but serves no ServiceEntry"
            + " yet (waited " + target.timeout().toSeconds() + " s): the bridge serves them once"
            + " every source has listed once (see its /readyz and GET /debug/mesh)");
        return 1;
      }
      requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(SERVICE_ENTRY)
          .setVersionInfo(response.getVersionInfo()).setResponseNonce(response.getNonce())
          .build());
      List<Map<String, Object>> configs = ServiceEntryViews.configs(response.getResourcesList(),
          XdsTypes.GROUP + "/v1");
      for (Map<String, Object> config : configs) {
        out.print(YAML.writeValueAsString(config));
      }
      out.flush();
      err.println("mesh-dump: " + configs.size() + " ServiceEntries from " + target.authority()
          + ", version " + response.getVersionInfo());
      return 0;
    } catch (ExecutionException e) {
      Status status = Status.fromThrowable(e.getCause());
      err.println("mesh-dump: cannot read the feed of " + target.authority() + ": "
          + status.getCode() + (status.getDescription() == null ? ""
              : " (" + status.getDescription() + ")")
          + (status.getCause() == null ? "" : ": " + status.getCause().getMessage()));
      return 1;
    } catch (InvalidProtocolBufferException | JsonProcessingException e) {
      err.println("mesh-dump: " + target.authority() + " sent what is not a ServiceEntry: "
          + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } finally {
      try {
        requests.onCompleted();
      } catch (RuntimeException closing) {
        // the stream is gone already
      }
    }
  }
}
