package io.registrybridge.sink.mesh.xds;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.registrybridge.core.DesiredState;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.sink.mesh.MeshSink;
import io.registrybridge.sink.mesh.MeshSinkConfig;
import io.registrybridge.sink.mesh.MeshSinkListener;
import io.registrybridge.sink.mesh.MeshSinkUri.XdsListen;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An {@code istio-xds} sink on a free local port, and istiod-like clients dialing it; closes all
 * of it.
 */
final class XdsHarness implements AutoCloseable {
  static final String OWNER = "xds-test";

  final SimpleMeterRegistry meters;
  final SteppingClock clock = new SteppingClock();
  final XdsMeshSinks.Started started;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<FakeIstiod> clients = new ArrayList<>();
  private long version;

  XdsHarness() {
    this(XdsServer.Keepalive.ISTIOD);
  }

  XdsHarness(XdsServer.Keepalive keepalive) {
    this(new XdsListen(Optional.of("127.0.0.1"), 0, Optional.empty(), Optional.empty()),
        keepalive);
  }

  /** With {@code meters} for the server's meters, e.g. ones that fail on purpose. */
  XdsHarness(SimpleMeterRegistry meters) {
    this(new XdsListen(Optional.of("127.0.0.1"), 0, Optional.empty(), Optional.empty()),
        XdsServer.Keepalive.ISTIOD, meters);
  }

  XdsHarness(XdsListen listen, XdsServer.Keepalive keepalive) {
    this(listen, keepalive, new SimpleMeterRegistry());
  }

  XdsHarness(XdsListen listen, XdsServer.Keepalive keepalive, SimpleMeterRegistry meters) {
    this.meters = meters;
    started = XdsMeshSinks.start(MeshSinkConfig.builder(OWNER).build(), listen, keepalive,
        MeshSinkListener.NONE, meters, clock);
  }

  MeshSink sink() {
    return started.sink();
  }

  int port() {
    return started.server().port();
  }

  /**
   * A plaintext channel to the sink, as istiod dials an {@code xds://} source: like adsc, it
   * accepts messages up to 2 GiB (grpc-java's default of 4 MiB is about 7,500 services).
   */
  ManagedChannel channel() {
    return track(NettyChannelBuilder.forAddress("127.0.0.1", port()).usePlaintext()
        .maxInboundMessageSize(Integer.MAX_VALUE).build());
  }

  ManagedChannel track(ManagedChannel channel) {
    channels.add(channel);
    return channel;
  }

  FakeIstiod connect(FakeIstiod.Profile profile) {
    return connect(channel(), profile);
  }

  FakeIstiod connect(ManagedChannel channel, FakeIstiod.Profile profile) {
    FakeIstiod client = new FakeIstiod(channel, profile);
    clients.add(client);
    return client;
  }

  /** Syncs {@code instances} into the sink in full, as the reconciler does. */
  void sync(List<ServiceInstance> instances, boolean complete) throws Exception {
    Map<String, ServiceInstance> byId = new LinkedHashMap<>();
    instances.forEach(i -> byId.put(i.id(), i));
    sink().sync(DesiredState.of(byId, complete, ++version));
  }

  static ServiceInstance instance(String id, String name, String address, String... tags) {
    return ServiceInstance.builder(id, name).address(address).port(9080).protocol("http")
        .tags(List.of(tags)).origin("docker:" + id).build();
  }

  /** Bookinfo with -internal: every container on its own address, every service on 9080. */
  static List<ServiceInstance> bookinfo() {
    return List.of(
        instance("productpage-v1", "productpage", "172.18.0.2", "version|v1"),
        instance("details-v1", "details", "172.18.0.3", "version|v1"),
        instance("ratings-v1", "ratings", "172.18.0.4", "version|v1"),
        instance("reviews-v1", "reviews", "172.18.0.5", "version|v1"),
        instance("reviews-v2", "reviews", "172.18.0.6", "version=v2"));
  }

  @Override
  public void close() throws InterruptedException {
    clients.forEach(FakeIstiod::close);
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    sink().close();
  }

  /** A clock the test moves on, so that creation times can be told apart. */
  static final class SteppingClock extends Clock {
    private volatile Instant now = Instant.parse("2026-12-01T10:00:00Z");

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
