package io.registrybridge.sink.mesh;

import static java.util.Objects.requireNonNull;

import com.google.common.net.InetAddresses;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;

/**
 * A CIDR range that virtual IPs are taken from, IPv4 or IPv6. Offsets count the usable addresses
 * only: an IPv4 network's own and broadcast addresses are skipped (for prefixes up to /30), and
 * so is an IPv6 subnet's anycast address, so no host is ever given one of them.
 */
final class VirtualIpRange {
  private final String cidr;
  private final BigInteger network;
  private final int byteLength;
  private final BigInteger firstUsable;
  private final BigInteger usable;

  private VirtualIpRange(String cidr, BigInteger network, int byteLength, BigInteger firstUsable,
      BigInteger usable) {
    this.cidr = cidr;
    this.network = network;
    this.byteLength = byteLength;
    this.firstUsable = firstUsable;
    this.usable = usable;
  }

  /**
   * Parses {@code 240.241.0.0/16} or {@code fd00:b1d9::/112}.
   *
   * @throws IllegalArgumentException naming the range and what is wrong with it
   */
  static VirtualIpRange parse(String cidr) {
    requireNonNull(cidr, "cidr");
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      throw invalid(cidr, "expected <address>/<prefix length>");
    }
    String address = cidr.substring(0, slash);
    if (!InetAddresses.isInetAddress(address)) {
      throw invalid(cidr, "'" + address + "' is not an IP address");
    }
    byte[] bytes = InetAddresses.forString(address).getAddress();
    int bits = bytes.length * 8;
    int prefix;
    try {
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw invalid(cidr, "the prefix length is not a number");
    }
    if (prefix < 0 || prefix > bits) {
      throw invalid(cidr, "the prefix length must be between 0 and " + bits);
    }
    BigInteger value = new BigInteger(1, bytes);
    BigInteger size = BigInteger.ONE.shiftLeft(bits - prefix);
    if (!value.mod(size).equals(BigInteger.ZERO)) {
      throw invalid(cidr, "address bits are set after the prefix (did you mean "
          + toAddress(value.subtract(value.mod(size)), bytes.length) + "/" + prefix + "?)");
    }
    BigInteger first = BigInteger.ZERO;
    BigInteger usable = size;
    if (bytes.length == 4 && prefix <= 30) {
      first = BigInteger.ONE;
      usable = size.subtract(BigInteger.TWO);
    } else if (bytes.length == 16 && prefix <= 126) {
      first = BigInteger.ONE;
      usable = size.subtract(BigInteger.ONE);
    }
    return new VirtualIpRange(cidr, value, bytes.length, first, usable);
  }

  private static IllegalArgumentException invalid(String cidr, String why) {
    return new IllegalArgumentException("virtual IP range '" + cidr + "' is invalid: " + why);
  }

  /** How many addresses can be handed out. */
  BigInteger size() {
    return usable;
  }

  /** The usable address at {@code offset} (0 <= offset < size), in canonical text form. */
  String addressAt(BigInteger offset) {
    if (offset.signum() < 0 || offset.compareTo(usable) >= 0) {
      throw new IndexOutOfBoundsException(offset + " outside " + cidr);
    }
    return toAddress(network.add(firstUsable).add(offset), byteLength);
  }

  /** The offset of {@code address} when it is a usable address of this range. */
  Optional<BigInteger> offsetOf(String address) {
    if (!InetAddresses.isInetAddress(address)) {
      return Optional.empty();
    }
    byte[] bytes = InetAddresses.forString(address).getAddress();
    if (bytes.length != byteLength) {
      return Optional.empty();
    }
    BigInteger offset = new BigInteger(1, bytes).subtract(network).subtract(firstUsable);
    if (offset.signum() < 0 || offset.compareTo(usable) >= 0) {
      return Optional.empty();
    }
    return Optional.of(offset);
  }

  @Override
  public String toString() {
    return cidr;
  }

  private static String toAddress(BigInteger value, int byteLength) {
    byte[] raw = value.toByteArray();
    byte[] bytes = new byte[byteLength];
    // toByteArray is big-endian and may carry a leading sign byte or be shorter than the address.
    int copy = Math.min(raw.length, byteLength);
    System.arraycopy(raw, raw.length - copy, bytes, byteLength - copy, copy);
    try {
      return InetAddresses.toAddrString(InetAddress.getByAddress(bytes));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("bad address length " + Arrays.toString(bytes), e);
    }
  }
}
