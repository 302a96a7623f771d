package io.registrybridge.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shipped alerting rules and Grafana dashboard, and the metric names their PromQL uses.
 */
final class MonitoringFiles {
  /** The repository root (the tests run in tests/). */
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path ALERTS = ROOT.resolve("deploy/prometheus/alerts.yaml");
  static final Path ALERTS_TEST = ROOT.resolve("deploy/prometheus/alerts-test.yaml");
  static final Path DASHBOARD = ROOT.resolve("deploy/grafana/registry-bridge.json");

  private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring",
      "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan");
  private static final Pattern IDENTIFIER =
      Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(?=\\s*(\\()?)");

  private MonitoringFiles() {}

  /** {@code alert name -> expr} of every rule in alerts.yaml. */
  static List<String[]> alerts() throws IOException {
    List<String[]> alerts = new ArrayList<>();
    for (JsonNode group : new YAMLMapper().readTree(ALERTS.toFile()).path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        alerts.add(new String[] {rule.path("alert").asText(), rule.path("expr").asText()});
      }
    }
    return alerts;
  }

  /** Every PromQL query of the dashboard's panels (rows included), Grafana variables kept. */
  static List<String> panelQueries() throws IOException {
    List<String> queries = new ArrayList<>();
    collectTargets(new ObjectMapper().readTree(DASHBOARD.toFile()), queries);
    return queries;
  }

  private static void collectTargets(JsonNode node, List<String> queries) {
    if (node.isObject()) {
      node.path("targets").forEach(target -> {
        if (target.hasNonNull("expr")) {
          queries.add(target.get("expr").asText());
        }
      });
      node.forEach(child -> collectTargets(child, queries));
    } else if (node.isArray()) {
      node.forEach(child -> collectTargets(child, queries));
    }
  }

  /** The metrics the dashboard's variables read: {@code label_values(METRIC, label)}. */
  static Set<String> variableMetrics() throws IOException {
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)")
        .matcher(new ObjectMapper().readTree(DASHBOARD.toFile()).path("templating").toString());
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** A Grafana query as plain PromQL: its variables replaced by values Prometheus accepts. */
  static String asPromql(String query) {
    return query.replace("$__rate_interval", "5m").replace("$__interval", "1m")
        .replaceAll("\\$\\{?[a-zA-Z_]+}?", ".*");
  }

  /**
   * The metric names one PromQL expression reads: identifiers that are not functions (followed
   * by "("), keywords, label names in braces or grouping lists, strings, durations or numbers.
   */
  static Set<String> metricNames(String promql) {
    String text = asPromql(promql)
        .replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"") // strings (label values)
        .replaceAll("\\{[^}]*}", " ") // label matchers
        .replaceAll("\\[[^]]*]", " ") // ranges and subqueries
        .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
        .replaceAll("\\boffset\\s+\\S+", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(text);
    while (m.find()) {
      String word = m.group();
      boolean function = m.group(1) != null;
      int start = m.start();
      boolean partOfNumber = start > 0 && (Character.isDigit(text.charAt(start - 1))
          || text.charAt(start - 1) == '.');
      if (!function && !partOfNumber && !KEYWORDS.contains(word.toLowerCase())) {
        names.add(word);
      }
    }
    return names;
  }
}
