package io.registrybridge.sink.zookeeper;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The address of instances that have none (a port published on every host address, without
 * {@code -ip}): the bridge's host name, resolved as Registrator resolved its own. A name that does
 * not resolve is tried again after a minute, not on every instance.
 */
final class HostAddress implements Supplier<Optional<String>> {
  private static final Logger log = LoggerFactory.getLogger(HostAddress.class);
  private static final Duration RETRY_AFTER = Duration.ofMinutes(1);

  private final String hostName;
  private final Clock clock;
  private String resolved;
  private Instant failedAt;

  HostAddress(String hostName, Clock clock) {
    this.hostName = requireNonNull(hostName, "hostName");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public synchronized Optional<String> get() {
    if (resolved != null) {
      return Optional.of(resolved);
    }
    Instant now = clock.instant();
    if (failedAt != null && now.isBefore(failedAt.plus(RETRY_AFTER))) {
      return Optional.empty();
    }
    try {
      resolved = InetAddress.getByName(hostName).getHostAddress();
      log.info("instances without an address get {}, the address of the host name {}", resolved,
          hostName);
      return Optional.of(resolved);
    } catch (UnknownHostException | SecurityException e) {
      failedAt = now;
      log.warn("the host name {} does not resolve: instances without an address are skipped "
          + "(give -ip)", hostName);
      return Optional.empty();
    }
  }
}
