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
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
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
  private final int maxStreams;
  private final int maxSubscriptions;
  private final AtomicLong streams = new AtomicLong();
  // Admitted and not closed yet; counted here, before a stream exists, so that two clients
  // arriving at once cannot both take the last place.
  private final AtomicInteger admitted = new AtomicInteger();
  private final Set<AdsStream> open = ConcurrentHashMap.newKeySet();
  private volatile boolean warnedFull;

  /**
   * @param maxStreams streams open at once; one more is refused with {@code RESOURCE_EXHAUSTED}
   * @param maxSubscriptions type URLs per stream; one more ends that stream the same way
   */
  AdsService(SnapshotCache cache, XdsMetrics metrics, int maxStreams, int maxSubscriptions) {
    this.cache = requireNonNull(cache, "cache");
    this.metrics = requireNonNull(metrics, "metrics");
    this.maxStreams = maxStreams;
    this.maxSubscriptions = maxSubscriptions;
  }

  /** The open streams, for the debug page. */
  List<AdsStream> streams() {
    return open.stream().sorted(Comparator.comparingLong(AdsStream::id)).toList();
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
    if (admitted.incrementAndGet() > maxStreams) {
      admitted.decrementAndGet();
      return refuse(call, peer);
    }
    warnedFull = false;
    AdsStream stream = new AdsStream(streams.incrementAndGet(), peer, call, cache, metrics,
        maxSubscriptions, this::closed);
    call.setOnCancelHandler(stream::cancelled);
    metrics.streamOpened();
    open.add(stream);
    cache.watch(stream);
    log.info("{}: opened", stream);
    return stream;
  }

  private void closed(AdsStream stream) {
    if (open.remove(stream)) {
      admitted.decrementAndGet();
    }
  }

  /** One stream too many: ended at once with a status that says why, the others go on. */
  private StreamObserver<DiscoveryRequest> refuse(
      ServerCallStreamObserver<DiscoveryResponse> call, String peer) {
    metrics.streamRefused();
    String why = "registry-bridge: this xDS server takes at most " + maxStreams
        + " streams at once (maxStreams in the istio-xds URI), and that many are open";
    // Loud once per time the cap is reached, not for every retry of a client that keeps trying.
    if (!warnedFull) {
      warnedFull = true;
      log.warn("xDS: refused a stream from {}: {}", peer, why);
    } else {
      log.debug("xDS: refused a stream from {}: {}", peer, why);
    }
    call.onError(Status.RESOURCE_EXHAUSTED.withDescription(why).asRuntimeException());
    return new StreamObserver<>() {
      @Override
      public void onNext(DiscoveryRequest request) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
