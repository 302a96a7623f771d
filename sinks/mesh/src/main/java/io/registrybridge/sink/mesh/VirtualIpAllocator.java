package io.registrybridge.sink.mesh;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Gives hosts stable virtual IPs from a range without keeping any state of its own.
 *
 * <p>A host's home address is derived from a SHA-256 of its name, so a restarted bridge, or a
 * second transport, computes the same address. When two hosts hash to the same address, the one
 * whose name sorts first keeps it and the other takes the next free one (linear probing). Because
 * that second address depends on which hosts exist, the caller passes the addresses the hosts
 * already have (read back from the control plane) as hints: a host keeps its current address as
 * long as it is in the range and nobody else holds it, so a host never moves because another
 * host came or went.
 */
final class VirtualIpAllocator {
  private final VirtualIpRange range;

  VirtualIpAllocator(VirtualIpRange range) {
    this.range = requireNonNull(range, "range");
  }

  /**
   * Allocates one address per host.
   *
   * @param hosts the hosts that need an address
   * @param current the address each host holds now, where it has one; others are ignored
   * @return host to address; a host is missing only when the range is full
   */
  SortedMap<String, String> allocate(Collection<String> hosts, Map<String, String> current) {
    SortedMap<String, String> result = new TreeMap<>();
    Set<BigInteger> taken = new HashSet<>();
    TreeSet<String> pending = new TreeSet<>(hosts);
    // Current addresses first, in host order, so the outcome does not depend on map order.
    for (String host : new TreeSet<>(hosts)) {
      String address = current.get(host);
      if (address == null) {
        continue;
      }
      Optional<BigInteger> offset = range.offsetOf(address);
      if (offset.isPresent() && taken.add(offset.get())) {
        result.put(host, range.addressAt(offset.get()));
        pending.remove(host);
      }
    }
    BigInteger size = range.size();
    for (String host : pending) {
      if (BigInteger.valueOf(taken.size()).compareTo(size) >= 0) {
        break; // the range is full; the caller reports the hosts left without an address
      }
      BigInteger offset = home(host).mod(size);
      // A free offset exists within taken.size() + 1 probes, so this loop is bounded.
      while (taken.contains(offset)) {
        offset = offset.add(BigInteger.ONE).mod(size);
      }
      taken.add(offset);
      result.put(host, range.addressAt(offset));
    }
    return result;
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
