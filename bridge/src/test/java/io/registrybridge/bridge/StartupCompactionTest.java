package io.registrybridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StartupCompactionTest {
  private final AtomicInteger collections = new AtomicInteger();

  @Test
  void collectsOnceWhenTheLastSinkConvergesForTheFirstTime() {
    StartupCompaction compaction = new StartupCompaction(2, collections::incrementAndGet);

    compaction.converged();
    assertThat(collections).hasValue(0);
    compaction.converged();
    assertThat(collections).hasValue(1);
  }

  @Test
  void neverAgainAfterwards() {
    StartupCompaction compaction = new StartupCompaction(1, collections::incrementAndGet);

    compaction.converged();
    compaction.converged();
    compaction.converged();
    assertThat(collections).hasValue(1);
  }
}
