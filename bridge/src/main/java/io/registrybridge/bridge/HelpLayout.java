package io.registrybridge.bridge;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --help} in groups (sinks, registration, retry, operations) rather than one flat list of
 * thirty flags, with an example command line and every environment variable the daemon reads.
 * Registrator users look for their flags by what they do.
 */
final class HelpLayout {
  /** Group heading to the flags in it, by their first name; every option must be in one. */
  static final Map<String, List<String>> GROUPS = groups();

  private HelpLayout() {}

  private static Map<String, List<String>> groups() {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    groups.put("Sources:", List.of("-source"));
    groups.put("Kubernetes (as consul-k8s catalog sync):", List.of("-k8s-context",
        "-leader-elect", "-allow-k8s-namespace", "-deny-k8s-namespace", "-k8s-label-selector",
        "-k8s-default-sync", "-sync-clusterip-services", "-sync-lb-services-endpoints",
        "-node-port-sync-type", "-consul-service-prefix", "-add-k8s-namespace-suffix",
        "-consul-k8s-tag", "-k8s-consul-node"));
    groups.put("Registration (what is registered, as Registrator):", List.of("-internal", "-ip",
        "-explicit", "-useIpFromLabel", "-tags", "-network", "-hostname", "-deregister",
        "-cleanup"));
    groups.put("Health checks:", List.of("-docker-health", "-ttl", "-ttl-refresh"));
    groups.put("Retry and repair:", List.of("-retry-attempts", "-retry-interval",
        "-retry-max-interval", "-resync", "-verify-interval"));
    groups.put("Operations:", List.of("-http-listen", "-deregister-on-shutdown", "-h",
        "-version"));
    return groups;
  }

  static final String EXAMPLES =
      "%n" +
      "Examples:%n" +
      "  registry-bridge -internal -retry-attempts=-1 consul://consul:8500%n" +
      "  registry-bridge -tags=prod consul-tls://consul.example.com:8501"
          + " istio-dir:///etc/istio/config%n" +
      "  registry-bridge -source=kubernetes -leader-elect=consul/registry-bridge"
          + " consul://consul-server.consul:8500%n" +
      "  registry-bridge -internal consul://consul:8500 istio-xds://:15010%n" +
      "%n";

  static final String ENVIRONMENT =
      "%n" +
      "Environment:%n" +
      "  DOCKER_HOST            the engine: unix:///var/run/docker.sock (default; then%n" +
      "                         unix:///tmp/docker.sock), tcp://HOST:2376%n" +
      "  DOCKER_TLS_VERIFY, DOCKER_CERT_PATH   TLS to a tcp:// engine%n" +
      "  CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE   Consul ACL token (never a flag)%n" +
      "  CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY   certificates for consul-tls://%n" +
      "  CONSUL_HTTP_SSL_VERIFY=false   skip server certificate checks (tests only)%n" +
      "  KUBECONFIG             the cluster for -source=kubernetes and istio-k8s:// (else%n" +
      "                         ~/.kube/config, else the in-cluster service account)%n" +
      "  HOSTNAME               this replica's name in the Lease (-leader-elect)%n" +
      "  LOG_LEVEL              DEBUG, INFO (default), WARN, ERROR%n" +
      "  LOG_FORMAT             text (default) or json (one object per line)%n" +
      "  JAVA_OPTS              JVM options for bin/registry-bridge (replaces its defaults)%n" +
      "%n" +
      "Exit status: 0 after SIGTERM; 1 when a control plane or the engine never answered within%n" +
      "-retry-attempts; 2 for a wrong flag, URI or environment value.%n" +
      "Reference: docs/configuration.md%n";

  /** Installs the grouped option list in place of picocli's flat one. */
  static CommandLine install(CommandLine commandLine) {
    commandLine.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec
        .SECTION_KEY_OPTION_LIST, HelpLayout::options);
    return commandLine;
  }

  private static String options(Help help) {
    StringBuilder text = new StringBuilder();
    for (Map.Entry<String, List<String>> group : GROUPS.entrySet()) {
      Help.Layout layout = help.createDefaultLayout();
      for (String name : group.getValue()) {
        OptionSpec option = help.commandSpec().findOption(name);
        if (option == null) {
          throw new IllegalStateException("no option " + name + " for the help");
        }
        layout.addOption(option, help.createDefaultParamLabelRenderer());
      }
      text.append(String.format("%n%s%n", group.getKey())).append(layout);
    }
    return text.toString();
  }
}
