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
}
