package io.registrybridge.source.docker;

import picocli.CommandLine.Option;

/**
 * The Docker source's flags, Registrator's names and meanings: one dash or two, {@code
 * -flag=value} or {@code -flag value}. Filled by picocli; {@link DockerSourceProvider#plan}
 * validates them.
 */
public final class DockerOptions {

  @Option(names = {"-internal", "--internal"}, arity = "0..1", fallbackValue = "true",
      paramLabel = "BOOL",
      description = "Register the container's own address and exposed ports instead of the"
          + " published host ports. Default: false.")
  boolean internal;

  @Option(names = {"-ip", "--ip"}, paramLabel = "IP",
      description = "Address to register for published ports; overrides the binding's host"
          + " address. Default: the binding's address when it is specific, else empty (Consul"
          + " then uses the agent's node address).")
  String hostIp;

  @Option(names = {"-explicit", "--explicit"}, arity = "0..1", fallbackValue = "true",
      paramLabel = "BOOL",
      description = "Only register containers that set SERVICE_NAME (or SERVICE_<port>_NAME)."
          + " Default: false.")
  boolean explicit;

  @Option(names = {"-useIpFromLabel", "--useIpFromLabel"}, paramLabel = "LABEL",
      description = "Take the service address from this container label (a /prefix is"
          + " stripped). Default: none.")
  String useIpFromLabel;

  @Option(names = {"-network", "--network"}, paramLabel = "NAME",
      description = "With -internal, the Docker network whose address is registered when a"
          + " container is on several; the container label registry-bridge.network wins over"
          + " it. Default: Docker's bridge network, then the network mode's, then the first by"
          + " name.")
  String network;

  @Option(names = {"-deregister", "--deregister"}, paramLabel = "WHEN", defaultValue = "always",
      description = "When a stopped container's services leave the registry: always,"
          + " on-success (only after exit code 0), never (only when the container is removed)."
          + " Default: ${DEFAULT-VALUE}.")
  String deregister = "always";

  @Option(names = {"-docker-health", "--docker-health"}, arity = "0..1", fallbackValue = "true",
      defaultValue = "true", paramLabel = "BOOL",
      description = "Mirror a container's Docker HEALTHCHECK into its services (a Consul check"
          + " set on every health_status event; critical endpoints leave the mesh) unless it"
          + " has SERVICE_CHECK_* or SERVICE_DOCKER_HEALTH=false. Default: true.")
  boolean dockerHealth = true;
}
