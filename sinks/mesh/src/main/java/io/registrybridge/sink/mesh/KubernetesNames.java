package io.registrybridge.sink.mesh;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The naming rules of Kubernetes and Istio that a ServiceEntry must obey: DNS-1123 labels and
 * subdomains, label keys and values. Each check returns why a value is invalid, or empty when it
 * is fine, so callers can put the reason into a report.
 */
final class KubernetesNames {
  static final int DNS1123_LABEL_MAX = 63;
  static final int DNS1123_SUBDOMAIN_MAX = 253;
  static final int LABEL_VALUE_MAX = 63;
  static final int HOST_MAX = 255;
  static final int LABEL_HASH_DIGITS = 10;
  static final int LABEL_PREFIX = LABEL_VALUE_MAX - 1 - LABEL_HASH_DIGITS;

  private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern QUALIFIED_NAME =
      Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  private static final Pattern NUMERIC = Pattern.compile("[0-9]+");

  private KubernetesNames() {}

  /** A DNS-1123 label: lower-case letters, digits and '-', alphanumeric at both ends, <= 63. */
  static Optional<String> dns1123LabelProblem(String value) {
    if (value.isEmpty()) {
      return Optional.of("must not be empty");
    }
    if (value.length() > DNS1123_LABEL_MAX) {
      return Optional.of("longer than " + DNS1123_LABEL_MAX + " characters");
    }
    if (!DNS1123_LABEL.matcher(value).matches()) {
      return Optional.of("must consist of lower-case letters, digits and '-', and start and end"
          + " with a letter or digit");
    }
    return Optional.empty();
  }

  /** A DNS-1123 subdomain: dot-separated DNS-1123 labels, at most 253 characters. */
  static Optional<String> dns1123SubdomainProblem(String value) {
    if (value.isEmpty()) {
      return Optional.of("must not be empty");
    }
    if (value.length() > DNS1123_SUBDOMAIN_MAX) {
      return Optional.of("longer than " + DNS1123_SUBDOMAIN_MAX + " characters");
    }
    for (String label : value.split("\\.", -1)) {
      Optional<String> problem = dns1123LabelProblem(label);
      if (problem.isPresent()) {
        return Optional.of("label '" + label + "' " + problem.get());
      }
    }
    return Optional.empty();
  }

  /**
   * A host name as Istio's ValidateFQDN accepts it for a ServiceEntry host without wildcard: at
   * most 255 characters, DNS-1123 labels, and a top-level label that is not all digits.
   */
  static Optional<String> hostProblem(String host) {
    if (host.length() > HOST_MAX) {
      return Optional.of("longer than " + HOST_MAX + " characters");
    }
    if (host.isEmpty()) {
      return Optional.of("must not be empty");
    }
    String[] labels = host.split("\\.", -1);
    if (NUMERIC.matcher(labels[labels.length - 1]).matches()) {
      return Optional.of("top-level domain '" + labels[labels.length - 1] + "' is all digits");
    }
    for (String label : labels) {
      Optional<String> problem = dns1123LabelProblem(label);
      if (problem.isPresent()) {
        return Optional.of("label '" + label + "' " + problem.get());
      }
    }
    return Optional.empty();
  }

  /**
   * A Kubernetes label key: an optional DNS-1123 subdomain prefix and '/', then a name of at
   * most 63 characters of letters, digits, '-', '_' and '.', alphanumeric at both ends.
   */
  static Optional<String> labelKeyProblem(String key) {
    String name = key;
    int slash = key.indexOf('/');
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      name = key.substring(slash + 1);
      Optional<String> problem = dns1123SubdomainProblem(prefix);
      if (problem.isPresent()) {
        return Optional.of("prefix '" + prefix + "' is not a DNS subdomain: " + problem.get());
      }
    }
    if (name.isEmpty()) {
      return Optional.of("name part must not be empty");
    }
    if (name.length() > DNS1123_LABEL_MAX) {
      return Optional.of("name part longer than " + DNS1123_LABEL_MAX + " characters");
    }
    if (!QUALIFIED_NAME.matcher(name).matches()) {
      return Optional.of("name part must consist of letters, digits, '-', '_' and '.', and start"
          + " and end with a letter or digit");
    }
    return Optional.empty();
  }

  /** A Kubernetes label value: empty, or like a label key's name part. */
  static Optional<String> labelValueProblem(String value) {
    if (value.length() > LABEL_VALUE_MAX) {
      return Optional.of("longer than " + LABEL_VALUE_MAX + " characters");
    }
    return labelValueCharactersProblem(value);
  }

  /** What {@link #labelValueProblem} says about the characters alone, whatever the length. */
  static Optional<String> labelValueCharactersProblem(String value) {
    if (!value.isEmpty() && !QUALIFIED_NAME.matcher(value).matches()) {
      return Optional.of("must consist of letters, digits, '-', '_' and '.', and start and end"
          + " with a letter or digit");
    }
    return Optional.empty();
  }

  /**
   * A label value standing for {@code value}, which may be longer than a label value may be:
   * {@code value} itself when it fits, else its first {@value #LABEL_PREFIX} characters (without
   * trailing '-', '_' or '.'), '-', and the first 10 hex digits of the SHA-256 of the whole of
   * it. A pure function: every replica and every run derives the same label from the same value,
   * and two values sharing a long prefix still get different labels.
   *
   * @param value letters, digits, '-', '_' and '.', alphanumeric at both ends
   */
  static String labelValueOf(String value) {
    if (value.length() <= LABEL_VALUE_MAX) {
      return value;
    }
    String prefix = value.substring(0, LABEL_PREFIX);
    int end = prefix.length();
    while (end > 0 && "-_.".indexOf(prefix.charAt(end - 1)) >= 0) {
      end--;
    }
    String hash = ContentDigest.of(value).substring(0, LABEL_HASH_DIGITS);
    return end == 0 ? hash : prefix.substring(0, end) + "-" + hash;
  }


  /**
   * The DNS label that stands for a service name in its host: lower case, with '_' and '.'
   * (common in Docker image and Compose names, and not allowed in DNS labels) turned into '-'.
   * Anything else that DNS does not allow is an error, not guessed away, so that two different
   * names are not silently merged into one host.
   *
   * @throws IllegalArgumentException naming the service and the rule it breaks
   */
  static String hostLabelOf(String serviceName) {
    String label = serviceName.toLowerCase(Locale.ROOT).replace('_', '-').replace('.', '-');
    Optional<String> problem = dns1123LabelProblem(label);
    if (problem.isPresent()) {
      throw new IllegalArgumentException("service name '" + serviceName
          + "' cannot be a host name: '" + label + "' " + problem.get());
    }
    return label;
  }
}
