package io.registrybridge.sink.consul;

import static org.assertj.core.api.Assertions.assertThat;

import io.registrybridge.core.ControlPlaneUnavailableException;
import org.junit.jupiter.api.Test;

/** Which failures back the whole sink off, and which concern the one request. */
class ConsulAgentExceptionTest {

  private static RuntimeException surfaced(int status, String message) {
    return new ConsulAgentException(status, message, null).surfaced();
  }

  @Test
  void noAnswerTooManyRequestsAndServerErrorsAreUnavailability() {
    assertThat(surfaced(ConsulAgentException.NO_RESPONSE, "Connection refused"))
        .isInstanceOf(ControlPlaneUnavailableException.class)
        .hasMessage("Consul does not answer: Connection refused")
        .hasCauseInstanceOf(ConsulAgentException.class);
    assertThat(surfaced(429, "rate limited")).isInstanceOf(ControlPlaneUnavailableException.class)
        .hasMessage("Consul answered HTTP 429: rate limited");
    assertThat(surfaced(500, "rpc error: No cluster leader"))
        .isInstanceOf(ControlPlaneUnavailableException.class);
    assertThat(surfaced(503, "")).isInstanceOf(ControlPlaneUnavailableException.class);
  }

  @Test
  void refusalsOfOneRequestAreNot() {
    for (int status : new int[] {400, 403, 404, 405, 409, 413}) {
      assertThat(surfaced(status, "no")).isExactlyInstanceOf(ConsulAgentException.class);
    }
    // Consul 1.x answers 500 for these two, though only the one request is at fault.
    assertThat(surfaced(500, "Consul request failed with status [500]: Scripts are disabled on "
        + "this agent from remote calls")).isExactlyInstanceOf(ConsulAgentException.class);
    assertThat(surfaced(500, "CheckID \"service:x:docker-health\" does not have associated TTL"))
        .isExactlyInstanceOf(ConsulAgentException.class);
  }
}
