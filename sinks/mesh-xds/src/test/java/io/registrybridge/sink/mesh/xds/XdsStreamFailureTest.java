package io.registrybridge.sink.mesh.xds;

import static io.registrybridge.sink.mesh.xds.XdsHarness.bookinfo;
import static io.registrybridge.sink.mesh.xds.XdsHarness.instance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.registrybridge.core.ServiceInstance;
import io.registrybridge.sink.mesh.xds.FakeIstiod.Profile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** An unexpected exception on one ADS stream ends that stream, and nothing else. */
class XdsStreamFailureTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /**
   * Makes the next {@code count} ServiceEntry pushes of {@code xds} throw: a stand-in for any
   * bug on a stream's path, on the sink's thread (a publish) as on gRPC's (a request).
   */
  private static AtomicInteger failingPushes(XdsHarness xds) {
    AtomicInteger failing = new AtomicInteger();
    xds.started.server().metrics().beforeServiceEntryPush = () -> {
      if (failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new IllegalStateException("injected");
      }
    };
    return failing;
  }

  @Test
  void aPublishThatFailsOnOneStreamEndsItAndReachesTheOthers() throws Exception {
    try (XdsHarness xds = new XdsHarness()) {
      AtomicInteger failingPushes = failingPushes(xds);
      xds.sync(bookinfo(), true);
      FakeIstiod first = xds.connect(Profile.ISTIO_1_24);
      FakeIstiod second = xds.connect(Profile.ISTIO_1_24);
      await().atMost(WAIT).until(() -> first.synced() && second.synced()
          && xds.sink().notReady().isEmpty());

      failingPushes.set(1);
      List<ServiceInstance> more = new ArrayList<>(bookinfo());
      more.add(instance("mongo-1", "mongo", "172.18.0.9"));
      xds.sync(more, true); // publishes on this thread, to both streams in turn

      await().atMost(WAIT).until(() -> first.closedWith() != null || second.closedWith() != null);
      FakeIstiod failed = first.closedWith() != null ? first : second;
      FakeIstiod other = failed == first ? second : first;
      assertThat(Status.fromThrowable(failed.closedWith()).getCode())
          .isEqualTo(Status.Code.INTERNAL);
      await().atMost(WAIT).until(() -> other.serviceEntries().size() == 5);
      assertThat(other.closedWith()).isNull();

      // The client reconnects, as istiod does, and gets the current state.
      FakeIstiod again = xds.connect(Profile.ISTIO_1_24);
      await().atMost(WAIT).until(() -> again.synced() && again.serviceEntries().size() == 5);
      assertThat(xds.meters.get("registry.bridge.xds.streams").gauge().value()).isEqualTo(2);
    }
  }

  @Test
  void aRequestThatFailsEndsOnlyItsStream() throws Exception {
    try (XdsHarness xds = new XdsHarness()) {
      AtomicInteger failingPushes = failingPushes(xds);
      xds.sync(bookinfo(), true);
      FakeIstiod healthy = xds.connect(Profile.ISTIO_1_24);
      await().atMost(WAIT).until(healthy::synced);

      // The first ServiceEntry answer to a new stream fails while handling its request.
      failingPushes.set(1);
      FakeIstiod failing = xds.connect(Profile.ISTIO_1_24);
      await().atMost(WAIT).until(() -> failing.closedWith() != null);
      assertThat(Status.fromThrowable(failing.closedWith()).getCode())
          .isEqualTo(Status.Code.INTERNAL);

      List<ServiceInstance> more = new ArrayList<>(bookinfo());
      more.add(instance("mongo-1", "mongo", "172.18.0.9"));
      xds.sync(more, true);
      await().atMost(WAIT).until(() -> healthy.serviceEntries().size() == 5);
      assertThat(healthy.closedWith()).isNull();
    }
  }
}
