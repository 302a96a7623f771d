package io.registrybridge.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric that deploy/prometheus/alerts.yaml or deploy/grafana/registry-bridge.json reads
 * exists on a running daemon's /metrics: the runnable jar with a Consul sink (a real agent) and
 * an istio-xds sink (whose meters exist only then), after one container start (the source's
 * event counter appears with its first event). A renamed meter fails here, not in production.
 */
class MetricNamesIT {
  @TempDir Path tmp;
  private final Workloads workloads = new Workloads();
  private DaemonProcesses daemons;
  private ConsulAgent consul;

  @AfterEach
  void tearDown() {
    if (daemons != null) {
      daemons.close();
    }
    workloads.close();
    if (consul != null) {
      consul.close();
    }
  }

  @Test
  void everyMetricAnAlertOrAPanelUsesIsServed() throws Exception {
    consul = ConsulAgent.started();
    daemons = new DaemonProcesses(tmp);
    int http = ConsulAgent.freePort();
    int xds = ConsulAgent.freePort();
    String host = workloads.prefix("metrics");
    var daemon = daemons.jar("-hostname", host, "-internal", "-http-listen",
        "127.0.0.1:" + http, consul.uri(), "istio-xds://127.0.0.1:" + xds);
    HttpClient client = HttpClient.newHttpClient();
    URI metrics = URI.create("http://127.0.0.1:" + http + "/metrics");
    // The event stream opens before the first listing: a container started after it is an event.
    await("the first listing").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().until(() -> client.send(HttpRequest.newBuilder(metrics).build(),
            HttpResponse.BodyHandlers.ofString()).body()
            .contains("registry_bridge_source_listings_total{source=\"docker\"} 1"));
    String name = workloads.prefix("metrics-web");
    workloads.start(new Workloads.Spec(name).expose(80).env("SERVICE_NAME", name));

    Set<String> served = new TreeSet<>();
    await("the container registered and counted as an event").atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
          assertThat(daemon.process().isAlive()).as("daemon log:%n%s", daemon.output()).isTrue();
          served.clear();
          served.addAll(names(client.send(HttpRequest.newBuilder(metrics).build(),
              HttpResponse.BodyHandlers.ofString()).body()));
          assertThat(served).contains("registry_bridge_source_events_total",
              "registry_bridge_xds_streams_behind");
          assertThat(consul.servicesNamed(name)).hasSize(1);
        });

    Map<String, Set<String>> used = new TreeMap<>(); // metric -> where it is used
    for (String[] alert : MonitoringFiles.alerts()) {
      MonitoringFiles.metricNames(alert[1]).forEach(metric ->
          used.computeIfAbsent(metric, m -> new TreeSet<>()).add("alert " + alert[0]));
    }
    for (String query : MonitoringFiles.panelQueries()) {
      MonitoringFiles.metricNames(query).forEach(metric ->
          used.computeIfAbsent(metric, m -> new TreeSet<>()).add("panel: " + query));
    }
    MonitoringFiles.variableMetrics().forEach(metric ->
        used.computeIfAbsent(metric, m -> new TreeSet<>()).add("dashboard variable"));
    assertThat(used).hasSizeGreaterThanOrEqualTo(25);

    Map<String, Set<String>> missing = new TreeMap<>(used);
    missing.keySet().removeAll(served);
    assertThat(missing).as("metrics used but not on /metrics (served: %s)", served).isEmpty();
  }

  /** The metric names of a Prometheus text exposition. */
  private static Set<String> names(String exposition) {
    Set<String> names = new TreeSet<>();
    exposition.lines().filter(line -> !line.isBlank() && !line.startsWith("#"))
        .forEach(line -> names.add(line.split("[{ ]", 2)[0]));
    return names;
  }
}
