package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import io.registrybridge.core.Health;
import java.util.List;
import java.util.Optional;
import org.kiwiproject.consul.model.agent.Registration;

/**
 * What the sink sends to Consul for one desired instance.
 *
 * @param registration the request body, its {@code Meta} already holding owner and hash
 * @param hash the value of {@value ConsulMeta#HASH}
 * @param warnings parts of the instance that Consul will not get, logged when it is written
 * @param health the status the mirrored health check must show (see {@link
 *     RegistrationMapper#healthCheckId}); not part of {@code hash}, because Consul keeps a
 *     check's status across re-registrations and the sink sets it with a check update instead
 */
record PlannedRegistration(Registration registration, String hash, List<String> warnings,
    Optional<Health> health) {
  PlannedRegistration {
    requireNonNull(registration, "registration");
    requireNonNull(hash, "hash");
    requireNonNull(health, "health");
    warnings = List.copyOf(warnings);
  }

  String id() {
    return registration.getId();
  }

  /** The IDs of the checks this registration carries. */
  java.util.Set<String> checkIds() {
    java.util.Set<String> ids = new java.util.LinkedHashSet<>();
    registration.getChecks().forEach(check -> check.getId().ifPresent(ids::add));
    return ids;
  }

  /** {@code web 10.0.0.5:8080}, or {@code web :8080} when Consul fills in the node address. */
  String describe() {
    return registration.getName() + " " + registration.getAddress().orElse("") + ":"
        + registration.getPort().map(String::valueOf).orElse("");
  }
}
