package io.registrybridge.sink.consul.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class KvOwnershipTest {

  @Test
  void theMarkIsFnv1aOfTheOwnerIdWithTheTopBitCleared() {
    // Pinned (computed apart from this code): a mark written by one version must be recognised
    // by the next, or an upgrade would orphan every key.
    assertThat(KvOwnership.markOf("host-a")).isEqualTo(6077546133451906918L);
    assertThat(KvOwnership.markOf("host-b")).isPositive()
        .isNotEqualTo(KvOwnership.markOf("host-a"));
  }

  @Test
  void registratorsKeysAreManagedOnlyWithCleanupAndOnlyForThisHost() {
    KvOwnership plain = new KvOwnership("host-a", Optional.empty());
    KvOwnership cleanup = new KvOwnership("host-a", Optional.of("host-a:"));
    assertThat(plain.legacy(0, "host-a:web:80")).isFalse();
    assertThat(cleanup.legacy(0, "host-a:web:80")).isTrue();
    assertThat(cleanup.legacy(0, "host-b:web:80")).isFalse();
    assertThat(cleanup.legacy(7, "host-a:web:80")).isFalse();
    assertThat(cleanup.ours(cleanup.mark())).isTrue();
    assertThat(cleanup.ours(0)).isFalse();
  }
}
