package io.registrybridge.source.docker;

import io.registrybridge.core.attributes.Attribute;
import io.registrybridge.core.attributes.AttributeSet;
import io.registrybridge.core.attributes.ServiceGrammar;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The Docker spelling of the attribute grammar ({@link ServiceGrammar}): a container's {@code
 * SERVICE_*} environment entries and labels.
 *
 * <p>{@code SERVICE_<KEY>} is generic; {@code SERVICE_<port>_<KEY>} applies only to that
 * container port (both transports). Keys are the lower-cased rest: {@code SERVICE_CHECK_HTTP} is
 * {@code check_http}. For one port, the value is taken from the first of:
 *
 * <ol>
 *   <li>a port-specific label,
 *   <li>a port-specific environment entry,
 *   <li>a generic label,
 *   <li>a generic environment entry.
 * </ol>
 *
 * <p>Registrator merged labels and environment into one map in which the environment won, and
 * then let whichever key the Go map iteration met last decide between port-specific and generic
 * ones, except that a port-specific key met first stuck. Here port-specific always beats generic,
 * and within the same specificity a label beats an environment entry: a label can be added to
 * a container by an operator without rebuilding the image whose {@code ENV} it overrides.
 *
 * <p>When two keys of the same source lower-case alike ({@code SERVICE_Name}, {@code
 * SERVICE_NAME}), the one that sorts first wins, where Registrator picked one at random.
 */
final class ServiceAttributes {
  /** The Docker source's own key: {@code SERVICE_DOCKER_HEALTH} (see {@link HealthMirror}). */
  static final ServiceGrammar GRAMMAR = new ServiceGrammar(
      key -> ContainerView.SERVICE_PREFIX + key.toUpperCase(Locale.ROOT),
      Set.of(HealthMirror.ATTRIBUTE));

  /** The port of a {@code SERVICE_<port>_} key whose number no port can have (99999, 0). */
  static final int NO_PORT = -1;

  private ServiceAttributes() {}

  /**
   * Every {@code SERVICE_*} key of {@code env} and {@code labels}, by container port; keys for a
   * number no port can have are kept under {@link #NO_PORT}, to be reported.
   */
  static AttributeSet<Integer> of(Map<String, String> env, Map<String, String> labels) {
    AttributeSet.Builder<Integer> builder = AttributeSet.builder();
    // Environment first, labels second, so that a label beats an environment entry.
    for (Map<String, String> source : List.of(env, labels)) {
      source.forEach((key, value) -> add(builder, key, value));
      builder.nextLayer();
    }
    return builder.build();
  }

  private static void add(AttributeSet.Builder<Integer> builder, String sourceKey,
      String value) {
    if (!sourceKey.startsWith(ContainerView.SERVICE_PREFIX)) {
      return;
    }
    String key = sourceKey.substring(ContainerView.SERVICE_PREFIX.length())
        .toLowerCase(Locale.ROOT);
    if (key.isEmpty()) {
      return;
    }
    String v = value == null ? "" : value;
    int underscore = key.indexOf('_');
    // Like Registrator, SERVICE_80_NAME is port-specific but SERVICE_80 is a generic attribute
    // called "80".
    if (underscore > 0 && underscore < key.length() - 1
        && key.substring(0, underscore).chars().allMatch(c -> c >= '0' && c <= '9')) {
      String digits = key.substring(0, underscore);
      int port = digits.length() <= 5 ? Integer.parseInt(digits) : NO_PORT;
      if (port < 1 || port > 65535) {
        port = NO_PORT;
      }
      builder.port(port, new Attribute(key.substring(underscore + 1), v, sourceKey, true));
    } else {
      builder.generic(new Attribute(key, v, sourceKey, false));
    }
  }
}
