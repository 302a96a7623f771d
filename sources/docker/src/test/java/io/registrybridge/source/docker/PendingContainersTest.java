package io.registrybridge.source.docker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PendingContainersTest {
  private final PendingContainers pending = new PendingContainers();

  @Test
  void aContainerAlreadyWaitingIsOnlyMarked() {
    assertThat(pending.add("a")).isTrue();
    for (int i = 0; i < 1000; i++) {
      assertThat(pending.add("a")).isFalse();
    }
    assertThat(pending.add("b")).isTrue();

    assertThat(pending.size()).isEqualTo(2);
    assertThat(pending.take()).isEqualTo("a");
    pending.done("a");
    assertThat(pending.take()).isEqualTo("b");
    pending.done("b");
    assertThat(pending.take()).isNull();
    assertThat(pending.size()).isZero();
  }

  @Test
  void anEventDuringItsInspectRunsItOnceMoreAfterwards() {
    pending.add("a");
    assertThat(pending.take()).isEqualTo("a");

    assertThat(pending.add("a")).isFalse(); // not taken twice at once
    assertThat(pending.add("a")).isFalse();
    assertThat(pending.hasWaiting()).isFalse();
    assertThat(pending.size()).isEqualTo(1);
    pending.done("a");

    assertThat(pending.hasWaiting()).isTrue();
    assertThat(pending.take()).isEqualTo("a");
    pending.done("a");
    assertThat(pending.take()).isNull();
  }

  @Test
  void aStormOfEventsForTwentyContainersHoldsTwentyEntries() {
    int queued = 0;
    for (int i = 0; i < 2000; i++) {
      if (pending.add("c" + i % 20)) {
        queued++;
      }
      assertThat(pending.size()).isLessThanOrEqualTo(20);
    }
    int taken = 0;
    for (String id = pending.take(); id != null; id = pending.take()) {
      pending.done(id);
      taken++;
    }

    assertThat(queued).isEqualTo(20);
    assertThat(taken).isEqualTo(20);
  }
}
