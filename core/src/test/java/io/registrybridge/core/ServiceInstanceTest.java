package io.registrybridge.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ServiceInstanceTest {

  private static ServiceInstance.Builder web() {
    return ServiceInstance.builder("h:web:80", "web").address("10.0.0.1").port(80);
  }

  @Test
  void aWeightIsOptionalCarriedByToBuilderAndPartOfTheContent() {
    ServiceInstance plain = web().build();
    ServiceInstance weighted = web().weight(22).build();

    assertThat(plain.weight()).isEmpty();
    assertThat(weighted.weight()).hasValue(22);
    assertThat(weighted.toBuilder().build()).isEqualTo(weighted);
    assertThat(weighted.toBuilder().weight(OptionalInt.empty()).build()).isEqualTo(plain);
    // Sinks cache on the content hash: a new weight must be a new content.
    assertThat(DesiredEntry.of(weighted).contentHash())
        .isNotEqualTo(DesiredEntry.of(plain).contentHash())
        .isNotEqualTo(DesiredEntry.of(web().weight(23).build()).contentHash());
  }

  @Test
  void aWeightIsFromOneToTheLargestSrvWeight() {
    assertThat(web().weight(1).build().weight()).hasValue(1);
    assertThat(web().weight(65535).build().weight()).hasValue(65535);
    assertThatIllegalArgumentException().isThrownBy(() -> web().weight(0).build())
        .withMessage("weight out of range for h:web:80: 0 (1 to 65535)");
    assertThatIllegalArgumentException().isThrownBy(() -> web().weight(65536).build());
  }

  private static ServiceInstance.Builder endpoint() {
    return web().placement(Placement.ELSEWHERE);
  }

  @Test
  void aNodeIsOptionalCarriedByToBuilderAndPartOfTheContent() {
    ServiceInstance plain = endpoint().build();
    ServiceInstance east = endpoint().node("k8s-east").build();

    assertThat(plain.node()).isEmpty();
    assertThat(east.node()).contains("k8s-east");
    assertThat(east.toBuilder().build()).isEqualTo(east).hasSameHashCodeAs(east);
    assertThat(east.toBuilder().node(null).build()).isEqualTo(plain);
    assertThat(east).isNotEqualTo(endpoint().node("k8s-west").build());
    // Sinks cache on the content hash: a new node must be a new content.
    assertThat(DesiredEntry.of(east).contentHash())
        .isNotEqualTo(DesiredEntry.of(plain).contentHash())
        .isNotEqualTo(DesiredEntry.of(endpoint().node("k8s-west").build()).contentHash());
  }

  @Test
  void aNodeIsAValidConsulNodeNameAndOnlyForInstancesFromElsewhere() {
    assertThat(endpoint().node("k8s-sync.dc_1").build().node()).contains("k8s-sync.dc_1");
    assertThat(endpoint().node("a".repeat(128)).build().node()).isPresent();
    assertThatIllegalArgumentException().isThrownBy(() -> endpoint().node("a/b").build())
        .withMessage("invalid Consul node name 'a/b': use letters, digits, '-', '_' and '.',"
            + " at most 128 characters, starting with a letter or digit (id h:web:80)");
    for (String bad : new String[] {"", " ", "-lead", ".", "a b", "a".repeat(129), "n\u00e9"}) {
      assertThatIllegalArgumentException().as(bad)
          .isThrownBy(() -> endpoint().node(bad).build());
    }
    assertThatIllegalArgumentException().isThrownBy(() -> web().node("k8s-sync").build())
        .withMessage("a catalog node is only for instances from elsewhere (id h:web:80, node"
            + " k8s-sync)");
  }
}
