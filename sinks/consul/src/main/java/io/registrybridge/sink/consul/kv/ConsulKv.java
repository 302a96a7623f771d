package io.registrybridge.sink.consul.kv;

import java.util.List;
import java.util.Optional;

/**
 * The part of Consul's KV API the sink uses. Every method throws {@link
 * io.registrybridge.core.ControlPlaneUnavailableException} when Consul does not answer or answers
 * that it cannot take requests (5xx, 429), and {@link KvRefusedException} when it refuses this
 * one request.
 */
interface ConsulKv extends AutoCloseable {

  /**
   * Every key under {@code prefix}, in one request ({@code ?recurse}). A refusal (an unknown ACL
   * token) is taken as unavailability: every key would fail alike.
   */
  List<KvPair> list(String prefix);

  /** One key, if it exists. */
  Optional<KvPair> get(String key);

  /**
   * Writes a key.
   *
   * @param createOnly write only if the key does not exist ({@code ?cas=0})
   * @return false when {@code createOnly} and the key exists; nothing was written
   */
  boolean put(String key, String value, long flags, boolean createOnly);

  void delete(String key);

  /** The agent's own address ({@code Member.Addr} of {@code /v1/agent/self}). */
  String nodeAddress();

  /** Releases connections; never throws. */
  @Override
  void close();
}
