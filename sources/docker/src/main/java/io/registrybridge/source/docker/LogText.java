package io.registrybridge.source.docker;

/** How the source's log lines name containers and errors. */
final class LogText {
  private LogText() {}

  static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }

  static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
