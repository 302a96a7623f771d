package io.registrybridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ColdPathTest {

  @Test
  void theSampleHasEveryKindOfComponentSoThatEachNestedRecordIsLinked() {
    ServiceInstance sample = ColdPath.sample("host-a:");

    assertThat(sample.id()).isEqualTo("host-a:registry-bridge-warm-up:80");
    assertThat(sample.checks()).hasSize(1);
    assertThat(sample.health()).isPresent();
    assertThat(sample.tags()).isNotEmpty();
    assertThat(sample.meta()).isNotEmpty();
    assertThat(sample.weight()).isPresent();
    // A documentation address (RFC 5737): nothing would ever answer there.
    assertThat(sample.address()).isEqualTo("192.0.2.1");
  }
}
