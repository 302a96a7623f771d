/**
 * The Consul sink: keeps one Consul agent's services, and the services of a synthetic catalog
 * node for instances from elsewhere, equal to the bridge's desired state.
 *
 * <p>Public API, for the daemon's wiring: {@link io.registrybridge.sink.consul.ConsulSinkConfig}
 * (built from a sink URI and the environment), {@link
 * io.registrybridge.sink.consul.ConsulSinkFactory}, {@link io.registrybridge.sink.consul.ConsulSink}
 * and {@link io.registrybridge.sink.consul.TtlHeartbeat}; the value types {@link
 * io.registrybridge.sink.consul.ConsulEndpoint}, {@link io.registrybridge.sink.consul.CatalogNode},
 * {@link io.registrybridge.sink.consul.ConsulToken}, {@link io.registrybridge.sink.consul.ConsulTls}
 * and the meta keys in {@link io.registrybridge.sink.consul.ConsulMeta}. Everything else is
 * package-private: the mapping ({@code RegistrationMapper}, {@code RegistrationHash}), the
 * ownership rules ({@code Ownership}), the mirror and diff per target ({@code TargetSync} over
 * {@code AgentTarget} and {@code CatalogTarget}) and the HTTP seam ({@code ConsulAgent},
 * implemented on kiwiproject consul-client by {@code KiwiConsulAgent}).
 */
package io.registrybridge.sink.consul;
