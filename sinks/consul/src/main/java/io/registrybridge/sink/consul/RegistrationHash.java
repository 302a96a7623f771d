package io.registrybridge.sink.consul;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import org.kiwiproject.consul.model.agent.Registration;

/**
 * Fingerprints a registration: the first 16 hex digits (64 bits) of the SHA-256 of its canonical
 * JSON, with properties and map keys sorted.
 *
 * <p>The JSON is produced by Jackson from kiwi's model, so a library upgrade that changes the
 * model changes every hash once; the sink then re-registers each service one time, which is
 * harmless.
 */
final class RegistrationHash {
  // Bump when the canonical form changes on purpose, so old hashes never match by accident.
  private static final String FORMAT = "v1\n";

  private static final ObjectMapper CANONICAL = JsonMapper.builder()
      .addModule(new Jdk8Module())
      .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .build();

  private RegistrationHash() {}

  /** The hash of {@code registration}, which must not yet hold {@value ConsulMeta#HASH}. */
  static String of(Registration registration) {
    if (registration.getMeta().containsKey(ConsulMeta.HASH)) {
      throw new IllegalArgumentException("hash the registration before adding its hash");
    }
    String json;
    try {
      json = CANONICAL.writeValueAsString(registration);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize registration " + registration.getId(), e);
    }
    return Hashing.sha256().hashString(FORMAT + json, StandardCharsets.UTF_8).toString()
        .substring(0, 16);
  }
}
