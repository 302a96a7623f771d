package io.registrybridge.core;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/** Splits {@code SERVICE_TAGS} values, and {@code -tags} with the same rules. */
public final class TagParser {
  private TagParser() {}

  /**
   * Splits on commas; {@code \,} is a literal comma and every other backslash is kept as it is.
   * Tags are trimmed and empty ones dropped.
   *
   * <p>Registrator returned the tags in reverse order ({@code a,b} became {@code [b, a]}) and
   * kept surrounding spaces; here they keep the order the user wrote.
   */
  public static List<String> parse(String value) {
    List<String> tags = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\\' && i + 1 < value.length() && value.charAt(i + 1) == ',') {
        current.append(',');
        i++;
      } else if (c == ',') {
        add(tags, current);
      } else {
        current.append(c);
      }
    }
    add(tags, current);
    return tags;
  }

  /**
   * The tags of one service: its own, then the forced ones, then {@code extra} (the {@code udp}
   * tag); the first occurrence of a duplicate is kept.
   */
  public static List<String> combine(List<String> own, List<String> forced, List<String> extra) {
    LinkedHashSet<String> all = new LinkedHashSet<>(own);
    all.addAll(forced);
    all.addAll(extra);
    return List.copyOf(all);
  }

  private static void add(List<String> tags, StringBuilder current) {
    String tag = current.toString().trim();
    if (!tag.isEmpty()) {
      tags.add(tag);
    }
    current.setLength(0);
  }
}
