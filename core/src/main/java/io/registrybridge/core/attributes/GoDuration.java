package io.registrybridge.core.attributes;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Map;

/**
 * Go's duration syntax ({@code time.ParseDuration}), which Registrator users write in {@code
 * SERVICE_CHECK_INTERVAL} and which Consul itself accepts: {@code 10s}, {@code 1m30s}, {@code
 * 1.5h}, {@code 500ms}, {@code 0}.
 *
 * <p>Registrator passed these strings to Consul unchecked, so one typo made Consul reject the
 * whole registration. They are parsed here instead, and a bad one only costs its check.
 */
final class GoDuration {
  private static final Map<String, Long> NANOS_PER_UNIT = Map.of(
      "ns", 1L,
      "us", 1_000L,
      "\u00b5s", 1_000L, // micro sign
      "\u03bcs", 1_000L, // Greek mu
      "ms", 1_000_000L,
      "s", 1_000_000_000L,
      "m", 60_000_000_000L,
      "h", 3_600_000_000_000L);
  private static final BigInteger MAX_NANOS = BigInteger.valueOf(Long.MAX_VALUE);
  private static final String NOT_A_DURATION = "not a duration (use e.g. 10s, 1m30s, 500ms)";

  private GoDuration() {}

  /**
   * Parses {@code text}: an optional sign, then one or more decimal numbers (with an optional
   * fraction), each followed by a unit ({@code ns us µs ms s m h}); {@code 0} alone needs no
   * unit. Like Go, the total must fit in 64-bit nanoseconds.
   *
   * @throws IllegalArgumentException when {@code text} is not a Go duration
   */
  static Duration parse(String text) {
    String s = text.trim();
    boolean negative = false;
    if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
      negative = s.charAt(0) == '-';
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (s.isEmpty()) {
      throw new IllegalArgumentException(NOT_A_DURATION);
    }
    BigDecimal total = BigDecimal.ZERO;
    int i = 0;
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      String number = s.substring(start, i);
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      String unit = s.substring(unitStart, i);
      Long factor = NANOS_PER_UNIT.get(unit);
      if (!isNumber(number) || factor == null) {
        throw new IllegalArgumentException(NOT_A_DURATION);
      }
      total = total.add(new BigDecimal(number).multiply(BigDecimal.valueOf(factor)));
    }
    // Go truncates fractions of a nanosecond.
    BigInteger nanos = total.toBigInteger();
    if (nanos.compareTo(MAX_NANOS) > 0) {
      throw new IllegalArgumentException("too long a duration");
    }
    long value = nanos.longValueExact();
    return Duration.ofNanos(negative ? -value : value);
  }

  // ASCII digits with at most one dot and at least one digit: "1", "1.5", ".5", "5."
  private static boolean isNumber(String s) {
    int dots = 0;
    int digits = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '.') {
        dots++;
      } else if (c >= '0' && c <= '9') {
        digits++;
      } else {
        return false;
      }
    }
    return dots <= 1 && digits > 0;
  }
}
