package io.registrybridge.sink.consul.kv;

/**
 * Consul answered one KV request with an error about that request (a 4xx: an ACL that does not
 * allow this key, a value too large): the key is skipped, the others go on.
 */
final class KvRefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  KvRefusedException(int status, String message) {
    super(message);
    this.status = status;
  }

  int status() {
    return status;
  }
}
