package io.registrybridge.sink.consul;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.kiwiproject.consul.model.agent.Registration;

/**
 * What the sink sends to Consul for one desired instance.
 *
 * @param registration the request body, its {@code Meta} already holding owner and hash
 * @param hash the value of {@value ConsulMeta#HASH}
 * @param warnings parts of the instance that Consul will not get, logged when it is written
 */
record PlannedRegistration(Registration registration, String hash, List<String> warnings) {
  PlannedRegistration {
    requireNonNull(registration, "registration");
    requireNonNull(hash, "hash");
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
