package io.registrybridge.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.Transport;
import io.registrybridge.source.kubernetes.SliceView.EndpointView;
import io.registrybridge.source.kubernetes.SliceView.SlicePort;
import io.registrybridge.source.kubernetes.SliceView.TargetRef;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Pod → Service index follows the slices: what they no longer name leaves it. */
class ClusterStateTest {
  private static final String WEB = "shop/web";
  private static final String API = "shop/api";

  private final ClusterState state = new ClusterState();

  private static SliceView slice(String name, String... pods) {
    return new SliceView(name, List.of(new SlicePort("http", 8080, Transport.TCP)),
        java.util.Arrays.stream(pods).map(pod -> new EndpointView(List.of("10.1.0.1"), true,
            Optional.empty(), Optional.empty(), Optional.of(new TargetRef("Pod", null, pod))))
            .toList());
  }

  @Test
  void aPodDroppedFromASliceIsNoLongerIndexedToItsService() {
    state.putSlice(WEB, "web-a", slice("web-a", "web-1", "web-2"));
    assertThat(state.servicesOf("shop", "web-1")).containsExactly(WEB);

    state.putSlice(WEB, "web-a", slice("web-a", "web-2"));

    assertThat(state.servicesOf("shop", "web-1")).isEmpty();
    // A label change of the Pod that left touches no Service any more.
    assertThat(state.putPod("shop", "web-1", Map.of("version", "v2"))).isEmpty();
    assertThat(state.putPod("shop", "web-2", Map.of("version", "v2"))).containsExactly(WEB);
    assertThat(state.indexedPods()).isEqualTo(1);
  }

  @Test
  void aDeletedSliceOrServiceLeavesNothingIndexedThoughItsPodsLiveOn() {
    state.putPod("shop", "web-1", Map.of("version", "v1"));
    state.putService(new ServiceView("shop", "web", "ClusterIP", Map.of(), List.of(), List.of(),
        List.of()));
    state.putSlice(WEB, "web-a", slice("web-a", "web-1"));
    state.putSlice(API, "api-a", slice("api-a", "web-1"));
    assertThat(state.servicesOf("shop", "web-1")).containsExactlyInAnyOrder(WEB, API);

    // A deleted Service: Kubernetes deletes its slices with it.
    state.removeService(WEB);
    state.putSlice(WEB, "web-a", null);
    assertThat(state.servicesOf("shop", "web-1")).containsExactly(API);

    state.putSlice(API, "api-a", null);
    assertThat(state.indexedPods()).isZero();
  }

  @Test
  void aPodNamedByTwoSlicesOfOneServiceStaysUntilBothDropIt() {
    state.putSlice(WEB, "web-v4", slice("web-v4", "web-1"));
    state.putSlice(WEB, "web-v6", slice("web-v6", "web-1"));

    state.putSlice(WEB, "web-v4", null);
    assertThat(state.servicesOf("shop", "web-1")).containsExactly(WEB);

    state.putSlice(WEB, "web-v6", null);
    assertThat(state.indexedPods()).isZero();
  }

  @Test
  void v1EndpointsReplacedWholeUnindexWhatTheyNoLongerName() {
    state.putSlices(WEB, List.of(slice("web-0", "web-1"), slice("web-1", "web-2")));
    assertThat(state.indexedPods()).isEqualTo(2);

    state.putSlices(WEB, List.of(slice("web-0", "web-2")));
    assertThat(state.servicesOf("shop", "web-1")).isEmpty();

    state.putSlices(WEB, List.of());
    assertThat(state.indexedPods()).isZero();
  }

  @Test
  void aDeletedPodStaysIndexedUntilItsSliceDropsItThenLeaves() {
    state.putPod("shop", "web-1", Map.of("version", "v1"));
    state.putSlice(WEB, "web-a", slice("web-a", "web-1"));

    // The Pod goes first: its Service is normalized again (it lost its labels).
    assertThat(state.putPod("shop", "web-1", null)).isEqualTo(Set.of(WEB));
    assertThat(state.podLabels("shop", "web-1")).isEmpty();

    state.putSlice(WEB, "web-a", slice("web-a"));
    assertThat(state.indexedPods()).isZero();
  }
}
