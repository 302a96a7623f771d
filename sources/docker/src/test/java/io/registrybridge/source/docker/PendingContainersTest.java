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

  @Test
  void aStartDuringAnInspectThatFoundTheContainerRunningNeedsNoSecondInspect() {
    // docker run: the connect event's inspect waits in the engine until the start, whose event
    // arrives while it runs.
    pending.add("a", PendingContainers.Says.MORE);
    assertThat(pending.take()).isEqualTo("a");
    assertThat(pending.add("a", PendingContainers.Says.RUNNING)).isFalse();

    pending.done("a", true);

    assertThat(pending.hasWaiting()).isFalse();
    assertThat(pending.size()).isZero();
    // The mark is gone with it: the next event is a new one.
    assertThat(pending.add("a", PendingContainers.Says.STOPPED)).isTrue();
  }

  @Test
  void anEventTheInspectDoesNotShowRunsItOnceMore() {
    for (Object[] c : new Object[][] {
        {PendingContainers.Says.RUNNING, false}, // the inspect was answered before the start
        {PendingContainers.Says.STOPPED, true},
        {PendingContainers.Says.MORE, true}, // a network, a health status: the inspect may be older
        {PendingContainers.Says.RUNNING, null}}) { // the inspect failed
      PendingContainers fresh = new PendingContainers();
      fresh.add("a");
      fresh.take();
      fresh.add("a", (PendingContainers.Says) c[0]);

      fresh.done("a", (Boolean) c[1]);

      assertThat(fresh.take()).as("%s, found running %s", c[0], c[1]).isEqualTo("a");
    }
  }

  @Test
  void eventsThatDisagreeDuringOneInspectRunItOnceMore() {
    pending.add("a");
    pending.take();
    pending.add("a", PendingContainers.Says.RUNNING);
    pending.add("a", PendingContainers.Says.STOPPED); // started, then died again

    pending.done("a", true);

    assertThat(pending.take()).isEqualTo("a");
  }

  @Test
  void theSaysOfEachEvent() {
    assertThat(PendingContainers.Says.of("start")).isEqualTo(PendingContainers.Says.RUNNING);
    assertThat(PendingContainers.Says.of("unpause")).isEqualTo(PendingContainers.Says.RUNNING);
    assertThat(PendingContainers.Says.of("die")).isEqualTo(PendingContainers.Says.STOPPED);
    assertThat(PendingContainers.Says.of("stop")).isEqualTo(PendingContainers.Says.STOPPED);
    for (String verb : new String[] {"restart", "kill", "pause", "health_status", "rename", "",
        "connect"}) {
      assertThat(PendingContainers.Says.of(verb)).as(verb).isEqualTo(PendingContainers.Says.MORE);
    }
  }
}
