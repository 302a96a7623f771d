package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/prometheus/alerts.yaml and the Grafana dashboard, checked with Prometheus's own
 * {@code promtool}: the rules load, their unit tests pass (each alert fires on its failure and
 * stays quiet when healthy), and every panel's query parses. promtool must be installed
 * (tests/infra/install-promtool.sh); a machine without it fails here, loudly, rather than skip.
 */
class PromtoolRulesTest {
  @TempDir Path tmp;

  @Test
  void theAlertingRulesLoad() throws Exception {
    Result check = promtool("check", "rules", MonitoringFiles.ALERTS.toString());
    assertThat(check.exit).as("promtool check rules:%n%s", check.output).isZero();
    assertThat(check.output).contains("SUCCESS: " + MonitoringFiles.alerts().size() + " rules");
  }

  @Test
  void eachAlertFiresOnItsFailureAndStaysQuietWhenHealthy() throws Exception {
    // promtool resolves rule_files against the test file's directory.
    Result test = promtool("test", "rules", MonitoringFiles.ALERTS_TEST.toString());
    assertThat(test.exit).as("promtool test rules:%n%s", test.output).isZero();
    assertThat(test.output).contains("SUCCESS");

    // ...and the test file exercises both ways for every alert the rules define.
    Set<String> fired = new TreeSet<>();
    Set<String> quiet = new TreeSet<>();
    for (JsonNode test1 : new YAMLMapper().readTree(MonitoringFiles.ALERTS_TEST.toFile())
        .path("tests")) {
      for (JsonNode expectation : test1.path("alert_rule_test")) {
        String name = expectation.path("alertname").asText();
        (expectation.path("exp_alerts").isEmpty() ? quiet : fired).add(name);
      }
    }
    Set<String> defined = new TreeSet<>();
    MonitoringFiles.alerts().forEach(alert -> defined.add(alert[0]));
    assertThat(defined).hasSizeGreaterThanOrEqualTo(10);
    assertThat(fired).as("alerts with a test where they fire").isEqualTo(defined);
    assertThat(quiet).as("alerts with a test where they stay quiet").isEqualTo(defined);
  }

  @Test
  void everyPanelQueryOfTheDashboardParses() throws Exception {
    List<String> queries = MonitoringFiles.panelQueries();
    assertThat(queries).hasSizeGreaterThanOrEqualTo(20);
    // Each query as a recording rule: promtool parses it as Prometheus would.
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    for (int i = 0; i < queries.size(); i++) {
      rules.append("      - record: panel_query_").append(i).append("\n        expr: '")
          .append(MonitoringFiles.asPromql(queries.get(i)).replace("'", "''")).append("'\n");
    }
    Path file = tmp.resolve("dashboard-queries.yaml");
    Files.writeString(file, rules);
    Result check = promtool("check", "rules", file.toString());
    assertThat(check.exit).as("promtool check rules (the dashboard's queries):%n%s%n%s",
        check.output, rules).isZero();
  }

  @Test
  void metricNamesAreReadOutOfPromql() {
    assertThat(MonitoringFiles.metricNames("sum by (instance, sink, op) (rate("
        + "registry_bridge_sink_writes_total{instance=~\"$instance\", op!=\"x_y\"}"
        + "[$__rate_interval])) / on (instance) group_left jvm_memory_used_bytes offset 5m"
        + " > 1e3 and registry_bridge_sink_backlog > bool 0"))
        .containsExactly("jvm_memory_used_bytes", "registry_bridge_sink_backlog",
            "registry_bridge_sink_writes_total");
  }

  record Result(int exit, String output) { }

  private Result promtool(String... args) throws Exception {
    String promtool = onPath("promtool");
    if (promtool == null) {
      fail("promtool is not installed: run tests/infra/install-promtool.sh (Debian's "
          + "`prometheus` package: apt-get install -y --no-install-recommends prometheus)");
    }
    List<String> command = new ArrayList<>(List.of(promtool));
    command.addAll(List.of(args));
    Path output = tmp.resolve("promtool-" + System.nanoTime() + ".log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(output.toFile()).start();
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      fail("promtool %s did not finish within 2 minutes", String.join(" ", args));
    }
    return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
  }

  private static String onPath(String tool) throws IOException {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, tool);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return null;
  }
}
