package io.registrybridge.sink.mesh;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Gives hosts stable virtual IPs from a range.
 *
 * <p>A host's home address is derived from a SHA-256 of its name, so a restarted bridge, or a
 * second transport, computes the same address. When two hosts hash to the same address, the one
 * whose name sorts first keeps it and the other takes the next free one (linear probing). Because
 * that second address depends on which hosts exist, the caller passes the addresses the hosts
 * already have (read back from the control plane) as hints: a host keeps its current address as
 * long as it is in the range and nobody else holds it, so a host never moves because another
 * host came or went.
 *
 * <p>{@link #allocate} computes a whole allocation at once (a full sync); {@link #assign} and
 * {@link #release} then change it one host at a time (the incremental path), keeping every
 * address that is already given out. Confined to one thread.
 */
final class VirtualIpAllocator {
  private final VirtualIpRange range;
  private final Map<String, BigInteger> byHost = new HashMap<>();
  private final Map<BigInteger, String> byOffset = new HashMap<>();

  VirtualIpAllocator(VirtualIpRange range) {
    this.range = requireNonNull(range, "range");
  }

  /**
   * Forgets every address and allocates one per host: first the current addresses that are
   * usable, in host order, then the home address (or the next free one) of the others, in host
   * order, so the outcome does not depend on the order of {@code hosts}.
   *
   * @param hosts the hosts that need an address
   * @param current the address each host holds now, where it has one; others are ignored
   * @return host to address; a host is missing only when the range is full
   */
  SortedMap<String, String> allocate(Collection<String> hosts, Map<String, String> current) {
    byHost.clear();
    byOffset.clear();
    TreeSet<String> pending = new TreeSet<>(hosts);
    for (String host : new TreeSet<>(hosts)) {
      String address = current.get(host);
      if (address != null && take(host, address)) {
        pending.remove(host);
      }
    }
    for (String host : pending) {
      probe(host);
    }
    SortedMap<String, String> result = new TreeMap<>();
    byHost.forEach((host, offset) -> result.put(host, range.addressAt(offset)));
    return result;
  }

  /**
   * The address of {@code host}: the one it was given, else {@code hint} when usable and free,
   * else its home address or the next free one.
   *
   * @return empty only when the range is full
   */
  Optional<String> assign(String host, Optional<String> hint) {
    BigInteger offset = byHost.get(host);
    if (offset != null) {
      return Optional.of(range.addressAt(offset));
    }
    if (hint.isPresent() && take(host, hint.get())) {
      return addressOf(host);
    }
    probe(host);
    return addressOf(host);
  }

  /** Gives {@code host}'s address back; returns whether it had one. */
  boolean release(String host) {
    BigInteger offset = byHost.remove(host);
    if (offset == null) {
      return false;
    }
    byOffset.remove(offset);
    return true;
  }

  /** The address {@code host} was given, if any. */
  Optional<String> addressOf(String host) {
    return Optional.ofNullable(byHost.get(host)).map(range::addressAt);
  }

  /** Whether every address of the range is given out. */
  boolean full() {
    return BigInteger.valueOf(byOffset.size()).compareTo(range.size()) >= 0;
  }

  private boolean take(String host, String address) {
    Optional<BigInteger> offset = range.offsetOf(address);
    if (offset.isEmpty() || byOffset.containsKey(offset.get())) {
      return false;
    }
    byHost.put(host, offset.get());
    byOffset.put(offset.get(), host);
    return true;
  }

  private void probe(String host) {
    if (full()) {
      return; // the caller reports the host left without an address
    }
    BigInteger size = range.size();
    BigInteger offset = home(host).mod(size);
    // A free offset exists within byOffset.size() + 1 probes, so this loop is bounded.
    while (byOffset.containsKey(offset)) {
      offset = offset.add(BigInteger.ONE).mod(size);
    }
    byHost.put(host, offset);
    byOffset.put(offset, host);
  }

  /** The first 128 bits of the host name's SHA-256, as a non-negative number. */
  static BigInteger home(String host) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(host.getBytes(UTF_8));
      return new BigInteger(1, Arrays.copyOf(digest, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
