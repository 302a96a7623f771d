package io.registrybridge.sink.mesh.xds;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One state-of-the-world ADS stream, as istiod's config client ({@code pkg/adsc}) drives it.
 *
 * <ul>
 *   <li>istiod opens with one request per type, each carrying a nonce this server never issued
 *       (a timestamp). A request for a type that has no subscription on this stream is a new
 *       subscription, whatever its nonce, and is answered at once: ServiceEntry with the
 *       current snapshot (or, before the first one, not yet), every other type, known or not,
 *       with an empty list, because istiod is not synced until each type was answered once.
 *   <li>Every response echoes the request's type URL exactly: istiod files a response under the
 *       type URL it carries and drops one for a version it did not ask for.
 *   <li>A request carrying the nonce of our last response for its type ends that exchange: an
 *       ACK, or a NACK when it has {@code error_detail}. A NACK is logged and its version is not
 *       sent again; the next change is. Any other request for a subscribed type is stale and
 *       ignored.
 *   <li>At most one response per type is unanswered: a snapshot published meanwhile goes out
 *       when the client answers, so a slow istiod gets the newest state, not every state.
 * </ul>
 *
 * <p>Requests arrive on gRPC's threads, snapshots on the sink's: both hold this object's lock,
 * which also keeps {@code onNext} of the response stream to one thread at a time.
 *
 * <p>An unexpected exception while handling a request or a snapshot is this stream's alone: it
 * is logged, the stream ends with {@code INTERNAL} (istiod reconnects and subscribes afresh),
 * and neither the other streams nor the sink's thread, which publishes to every stream in turn,
 * see it.
 */
final class AdsStream implements StreamObserver<DiscoveryRequest>, SnapshotCache.Watcher {
  private static final Logger log = LoggerFactory.getLogger(AdsStream.class);
  /** The version of an empty answer to a type this server does not serve. */
  static final String EMPTY_VERSION = "empty";

  private final long id;
  private final String peer;
  private final ServerCallStreamObserver<DiscoveryResponse> responses;
  private final SnapshotCache cache;
  private final XdsMetrics metrics;
  private final int maxSubscriptions;
  private final Consumer<AdsStream> onClose;
  // Guarded by this.
  private final Map<String, Subscription> subscriptions = new LinkedHashMap<>();
  private String node;
  private long nonces;
  private boolean closed;

  /** What this stream knows about one type URL. */
  private static final class Subscription {
    final String typeUrl;
    final String kind;
    String sentVersion;
    String sentNonce;
    boolean awaitingAnswer;
    String ackedVersion;
    int nacks;
    String lastNack;

    Subscription(String typeUrl) {
      this.typeUrl = typeUrl;
      this.kind = XdsTypes.kind(typeUrl);
    }

    boolean serviceEntry() {
      return kind.equals(XdsTypes.SERVICE_ENTRY);
    }
  }

  /**
   * @param maxSubscriptions type URLs this stream may subscribe to; one more ends it with
   *     {@code RESOURCE_EXHAUSTED}
   * @param onClose told once when the stream closes, whoever closes it
   */
  AdsStream(long id, String peer, ServerCallStreamObserver<DiscoveryResponse> responses,
      SnapshotCache cache, XdsMetrics metrics, int maxSubscriptions,
      Consumer<AdsStream> onClose) {
    this.id = id;
    this.peer = requireNonNull(peer, "peer");
    this.responses = requireNonNull(responses, "responses");
    this.cache = requireNonNull(cache, "cache");
    this.metrics = requireNonNull(metrics, "metrics");
    this.maxSubscriptions = maxSubscriptions;
    this.onClose = requireNonNull(onClose, "onClose");
  }

  long id() {
    return id;
  }

  /**
   * This client for {@code GET /debug/mesh}: its node, and per type URL what was sent, what it
   * acknowledged last and its NACKs.
   */
  synchronized Map<String, Object> debug() {
    Map<String, Object> client = new LinkedHashMap<>();
    client.put("stream", id);
    client.put("peer", peer);
    client.put("node", node == null ? "" : node);
    List<Map<String, Object>> types = new ArrayList<>();
    for (Subscription subscription : subscriptions.values()) {
      Map<String, Object> type = new LinkedHashMap<>();
      type.put("typeUrl", subscription.typeUrl);
      type.put("sentVersion", subscription.sentVersion == null ? "" : subscription.sentVersion);
      type.put("ackedVersion",
          subscription.ackedVersion == null ? "" : subscription.ackedVersion);
      type.put("awaitingAnswer", subscription.awaitingAnswer);
      type.put("nacks", subscription.nacks);
      if (subscription.lastNack != null) {
        type.put("lastNack", subscription.lastNack);
      }
      types.add(type);
    }
    client.put("subscriptions", types);
    return client;
  }

  @Override
  public synchronized void onNext(DiscoveryRequest request) {
    if (closed) {
      return;
    }
    try {
      handle(request);
    } catch (RuntimeException e) {
      fail("handling a request for '" + request.getTypeUrl() + "'", e);
    }
  }

  private void handle(DiscoveryRequest request) {
    if (node == null && request.hasNode()) {
      node = request.getNode().getId();
      log.info("{}: first request", this);
    }
    String typeUrl = request.getTypeUrl();
    if (typeUrl.isEmpty()) {
      log.warn("{}: ignoring a request without a type URL", this);
      return;
    }
    Subscription subscription = subscriptions.get(typeUrl);
    if (subscription == null && subscriptions.size() >= maxSubscriptions) {
      refuse(typeUrl);
      return;
    }
    if (subscription == null) {
      subscription = new Subscription(typeUrl);
      subscriptions.put(typeUrl, subscription);
      log.debug("{}: subscribed to {}", this, typeUrl);
      respondIfDue(subscription);
      return;
    }
    if (!subscription.awaitingAnswer
        || !request.getResponseNonce().equals(subscription.sentNonce)) {
      log.debug("{}: ignoring a stale request for {} (nonce '{}', ours '{}')", this, typeUrl,
          request.getResponseNonce(), subscription.sentNonce);
      return;
    }
    subscription.awaitingAnswer = false;
    if (request.hasErrorDetail()) {
      metrics.rejected(subscription.kind);
      subscription.nacks++;
      subscription.lastNack = "version " + subscription.sentVersion + ": "
          + shorten(request.getErrorDetail().getMessage());
      log.warn("{}: the client rejected version {} of {} ({}); it is not sent again, the next"
              + " change is", this, subscription.sentVersion, typeUrl,
          request.getErrorDetail().getMessage());
    } else {
      subscription.ackedVersion = subscription.sentVersion;
      metrics.acknowledged(subscription.kind);
    }
    respondIfDue(subscription);
  }

  @Override
  public synchronized void published(ServiceEntrySnapshot snapshot) {
    if (closed) {
      return;
    }
    try {
      for (Subscription subscription : subscriptions.values()) {
        if (subscription.serviceEntry()) {
          respondIfDue(subscription);
        }
      }
    } catch (RuntimeException e) {
      fail("sending version " + snapshot.version(), e);
    }
  }

  /**
   * One type URL too many: the stream ends with {@code RESOURCE_EXHAUSTED}. Type URLs are client
   * input, and each subscription is state this server keeps, so a client inventing them meets a
   * bound instead of growing the server.
   */
  private void refuse(String typeUrl) {
    metrics.streamRefused();
    String why = "registry-bridge: at most " + maxSubscriptions + " type URLs per xDS stream"
        + " (maxSubscriptions in the istio-xds URI); this stream asked for one more: "
        + shorten(typeUrl);
    log.warn("{}: {}; ending the stream", this, why);
    if (close()) {
      try {
        responses.onError(Status.RESOURCE_EXHAUSTED.withDescription(why).asRuntimeException());
      } catch (RuntimeException closing) {
        log.debug("{}: could not end the call: {}", this, closing.toString());
      }
    }
  }

  /** Client text for a log line or a status: at most 200 characters. */
  private static String shorten(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  /** Ends this stream after an unexpected exception; the client reconnects. */
  private void fail(String what, RuntimeException e) {
    log.error("{}: {} failed unexpectedly; ending this stream, the others go on", this, what, e);
    if (close()) {
      try {
        responses.onError(Status.INTERNAL.withDescription("registry-bridge: " + what
            + " failed unexpectedly").asRuntimeException());
      } catch (RuntimeException closing) {
        log.debug("{}: could not end the call: {}", this, closing.toString());
      }
    }
  }

  @Override
  public synchronized boolean acknowledged(String version) {
    return subscriptions.values().stream().filter(Subscription::serviceEntry)
        .allMatch(s -> version.equals(s.ackedVersion));
  }

  /** Sends what the client does not have yet, unless it has not answered our last response. */
  private void respondIfDue(Subscription subscription) {
    if (subscription.awaitingAnswer) {
      return;
    }
    if (!subscription.serviceEntry()) {
      if (subscription.sentVersion == null) {
        send(subscription, EMPTY_VERSION, List.of());
      }
      return;
    }
    Optional<ServiceEntrySnapshot> snapshot = cache.current();
    if (snapshot.isPresent() && !snapshot.get().version().equals(subscription.sentVersion)) {
      send(subscription, snapshot.get().version(), snapshot.get().resources());
    }
  }

  private void send(Subscription subscription, String version, List<Any> resources) {
    String nonce = Long.toString(++nonces);
    DiscoveryResponse response = DiscoveryResponse.newBuilder()
        .setTypeUrl(subscription.typeUrl).setVersionInfo(version).setNonce(nonce)
        .addAllResources(resources).build();
    try {
      responses.onNext(response);
    } catch (RuntimeException e) {
      // The call went away between the client's last message and this one.
      log.debug("{}: could not send {}: {}", this, subscription.typeUrl, e.toString());
      close();
      return;
    }
    subscription.sentVersion = version;
    subscription.sentNonce = nonce;
    subscription.awaitingAnswer = true;
    metrics.pushed(subscription.kind, response.getSerializedSize());
    log.debug("{}: sent {} version {} ({} resources, nonce {})", this, subscription.typeUrl,
        version, resources.size(), nonce);
  }

  @Override
  public void onError(Throwable t) {
    log.info("{}: closed by the client ({})", this, Status.fromThrowable(t));
    close();
  }

  @Override
  public void onCompleted() {
    log.info("{}: closed by the client", this);
    if (close()) {
      responses.onCompleted();
    }
  }

  /** The call was cancelled (client gone, server stopping). */
  void cancelled() {
    close();
  }

  /** Returns whether this call closed it (and not an earlier one). */
  private boolean close() {
    synchronized (this) {
      if (closed) {
        return false;
      }
      closed = true;
    }
    cache.unwatch(this);
    metrics.streamClosed();
    onClose.accept(this);
    return true;
  }

  @Override
  public synchronized String toString() {
    return "xDS stream " + id + " from " + peer + (node == null ? "" : " (" + node + ")");
  }
}
