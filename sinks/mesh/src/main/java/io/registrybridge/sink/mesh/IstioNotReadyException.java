package io.registrybridge.sink.mesh;

/**
 * The API server does not serve ServiceEntry (yet): Istio's CRDs are not installed, or the
 * configured version is not served. The sink's reconciler backs off and tries again, so the bridge
 * can start before Istio does.
 */
public final class IstioNotReadyException extends Exception {
  private static final long serialVersionUID = 1L;

  public IstioNotReadyException(String message) {
    super(message);
  }
}
