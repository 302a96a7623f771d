package io.registrybridge.sink.consul;

import io.registrybridge.core.MetaKeys;

/** The {@code Meta} keys the Consul sink writes next to a service's own attributes. */
public final class ConsulMeta {

  /** The {@link ConsulSinkConfig#ownerId()} of the bridge that registered the service. */
  public static final String OWNER = MetaKeys.BRIDGE_PREFIX + "owner";

  /**
   * A short SHA-256 of everything the bridge sent for the service (checks included), so one read
   * of {@code /v1/agent/services}, which does not return checks, tells whether it is up to date.
   */
  public static final String HASH = MetaKeys.BRIDGE_PREFIX + "hash";

  /**
   * The source that reported the service ({@code docker}, {@code kubernetes}): the sink deletes
   * what one source reported as soon as that source has listed once, whatever the others do.
   */
  public static final String SOURCE = MetaKeys.BRIDGE_PREFIX + "source";

  /** The application protocol, from {@code ServiceInstance#protocol()}. */
  public static final String PROTOCOL = MetaKeys.PROTOCOL;

  private ConsulMeta() {}
}
