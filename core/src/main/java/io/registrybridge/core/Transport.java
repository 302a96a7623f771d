package io.registrybridge.core;

/** The transport protocol of a port; Docker publishes ports per transport ({@code 53/udp}). */
public enum Transport {
  TCP,
  UDP
}
