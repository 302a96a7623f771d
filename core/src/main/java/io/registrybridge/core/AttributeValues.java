package io.registrybridge.core;

import java.util.Locale;

/** Small rules about attribute values shared by the parsers. */
public final class AttributeValues {
  private static final int QUOTE_LIMIT = 40;

  private AttributeValues() {}

  /**
   * Whether a switch-like attribute ({@code SERVICE_IGNORE}, {@code SERVICE_CHECK_TCP}) is on:
   * any non-blank value except {@code false} and {@code 0}, in any case.
   *
   * <p>Registrator treated every non-empty value as on, so {@code SERVICE_IGNORE=false} ignored
   * the container. Here {@code false} and {@code 0} are off, which also lets {@code
   * SERVICE_80_IGNORE=false} take one port back from a generic {@code SERVICE_IGNORE=true}.
   */
  public static boolean isOn(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    return !v.isEmpty() && !v.equals("false") && !v.equals("0");
  }

  /**
   * A short, single-line rendering of a {@code SERVICE_*} value for a log message: control
   * characters are escaped (a value must not be able to forge log lines) and long values are cut.
   * Only for values of keys we know: values of other keys may be secrets and are never quoted.
   */
  public static String quote(String value) {
    StringBuilder out = new StringBuilder("'");
    int limit = Math.min(value.length(), QUOTE_LIMIT);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (c == '\t') {
        out.append("\\t");
      } else if (Character.isISOControl(c)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (value.length() > QUOTE_LIMIT) {
      out.append("...");
    }
    return out.append('\'').toString();
  }
}
