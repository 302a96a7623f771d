package io.registrybridge.sink.consul;

import picocli.CommandLine.Option;

/** The Consul sink's own flags. Filled by picocli; {@link ConsulSinkProvider} validates them. */
public final class ConsulOptions {

  @Option(names = {"-k8s-consul-node", "--k8s-consul-node"}, paramLabel = "NAME",
      defaultValue = CatalogNode.DEFAULT_NAME,
      description = "The Consul node that holds instances which do not run on this host"
          + " (Kubernetes endpoints), registered through the catalog API, without checks, as"
          + " consul-k8s's -consul-node-name. Created with address 127.0.0.1 and node meta"
          + " external-source=kubernetes. Default: ${DEFAULT-VALUE}, consul-k8s's.")
  String catalogNode = CatalogNode.DEFAULT_NAME;
}
