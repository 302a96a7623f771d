package io.registrybridge.core;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where one service ID stands in one sink, for an operator asking why a service is (not) there
 * ({@code /debug/services}). Field names are part of that page's contract.
 *
 * @param state {@code written}, {@code pending} (changed, not written yet), {@code retrying} (a
 *     write failed; another comes at {@code nextAttempt}), {@code rejected} (the control plane or
 *     the sink refused it for good, until it changes) or {@code held} (the sink keeps it back:
 *     incomplete state, a collision, a protocol conflict, unhealthy)
 * @param hash the content hash written, for {@code written}
 * @param why the reason, for every state but {@code written} and {@code pending}
 * @param nextAttempt when a {@code retrying} ID is tried again, when known
 */
public record IdState(String state, OptionalLong hash, Optional<String> why,
    Optional<Instant> nextAttempt) {
  public static final String WRITTEN = "written";
  public static final String PENDING = "pending";
  public static final String RETRYING = "retrying";
  public static final String REJECTED = "rejected";
  public static final String HELD = "held";

  public IdState {
    requireNonNull(state, "state");
    requireNonNull(hash, "hash");
    requireNonNull(why, "why");
    requireNonNull(nextAttempt, "nextAttempt");
  }

  public static IdState written(long hash) {
    return new IdState(WRITTEN, OptionalLong.of(hash), Optional.empty(), Optional.empty());
  }

  public static IdState pending() {
    return new IdState(PENDING, OptionalLong.empty(), Optional.empty(), Optional.empty());
  }

  public static IdState retrying(String why, Instant nextAttempt) {
    return new IdState(RETRYING, OptionalLong.empty(), Optional.of(why),
        Optional.ofNullable(nextAttempt));
  }

  /** A sink's own verdict on an ID: {@link #REJECTED} or {@link #HELD}, with the reason. */
  public static IdState of(String state, String why) {
    if (!state.equals(REJECTED) && !state.equals(HELD)) {
      throw new IllegalArgumentException("a sink says rejected or held, not " + state);
    }
    return new IdState(state, OptionalLong.empty(), Optional.of(why), Optional.empty());
  }
}
