package io.registrybridge.sink.mesh.xds;

import static java.util.Objects.requireNonNull;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code envoy.service.discovery.v3.AggregatedDiscoveryService}: the gRPC half of the xDS server.
 * State of the world only; the delta variant answers UNIMPLEMENTED (gRPC's default), which
 * istiod's config client never calls.
 */
final class AdsService extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(AdsService.class);
  private static final Context.Key<String> PEER = Context.key("peer");

  private final SnapshotCache cache;
  private final XdsMetrics metrics;
  private final AtomicLong streams = new AtomicLong();

  AdsService(SnapshotCache cache, XdsMetrics metrics) {
    this.cache = requireNonNull(cache, "cache");
    this.metrics = requireNonNull(metrics, "metrics");
  }

  /** The service, with the client's address in each call's context for log lines. */
  ServerServiceDefinition definition() {
    return ServerInterceptors.intercept(this, new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call,
          Metadata headers, ServerCallHandler<Q, R> next) {
        Object address = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        Context context = Context.current().withValue(PEER, String.valueOf(address));
        return Contexts.interceptCall(context, call, headers, next);
      }
    });
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamAggregatedResources(
      StreamObserver<DiscoveryResponse> responses) {
    ServerCallStreamObserver<DiscoveryResponse> call =
        (ServerCallStreamObserver<DiscoveryResponse>) responses;
    String peer = PEER.get() == null ? "unknown" : PEER.get();
    AdsStream stream = new AdsStream(streams.incrementAndGet(), peer, call, cache, metrics);
    call.setOnCancelHandler(stream::cancelled);
    metrics.streamOpened();
    cache.watch(stream);
    log.info("{}: opened", stream);
    return stream;
  }
}
