package io.registrybridge.source.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.registrybridge.core.Transport;
import io.registrybridge.source.docker.ContainerView.NetworkAddress;
import io.registrybridge.source.docker.ContainerView.PortView;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ContainerViewTest {

  @Test
  void keepsOnlyServiceEntriesOfADockerEnvironment() {
    assertThat(ContainerView.serviceEnv("PATH=/usr/bin", "DB_PASSWORD=hunter2",
        "SERVICE_NAME=web", "SERVICE_TAGS=a=b,c", "SERVICE_EMPTY=", "SERVICE_NOVALUE",
        "service_name=lower", "SERVICE_NAME=again"))
        .containsExactly(Map.entry("SERVICE_EMPTY", ""), Map.entry("SERVICE_NAME", "again"),
            Map.entry("SERVICE_TAGS", "a=b,c"));
    assertThat(ContainerView.serviceEnv((String[]) null)).isEmpty();
  }

  @Test
  void dropsNonServiceEnvironmentEvenWhenHandedInDirectly() {
    Map<String, String> env = new TreeMap<>(Map.of("SECRET", "x", "SERVICE_NAME", "web"));
    ContainerView view = new ContainerView("id", "/web", "web", new TreeMap<>(env),
        new TreeMap<>(), "default", new TreeMap<>(), List.of(), true, false, 0,
        Optional.empty());

    assertThat(view.serviceEnv()).containsExactly(Map.entry("SERVICE_NAME", "web"));
    assertThat(view.name()).isEqualTo("web");
  }

  @Test
  void builderDefaultsAndCopies() {
    ContainerView view = ContainerView.builder("c1", "/web-1", "nginx")
        .env("HOME", "/root")
        .env("SERVICE_NAME", "api")
        .label("team", "core")
        .network("bridge", "172.17.0.2", null)
        .exposed(80)
        .published(443, Transport.TCP, "0.0.0.0", 8443)
        .build();

    assertThat(view.id()).isEqualTo("c1");
    assertThat(view.name()).isEqualTo("web-1");
    assertThat(view.serviceEnv()).containsOnlyKeys("SERVICE_NAME");
    assertThat(view.labels()).containsExactly(Map.entry("team", "core"));
    assertThat(view.networkMode()).isEqualTo("default");
    assertThat(view.networks())
        .containsExactly(Map.entry("bridge", new NetworkAddress("172.17.0.2", "")));
    assertThat(view.ports()).containsExactly(
        new PortView(80, Transport.TCP, Optional.empty(), Optional.empty()),
        new PortView(443, Transport.TCP, Optional.of("0.0.0.0"), Optional.of(8443)));
    assertThat(view.running()).isTrue();
    assertThat(view.paused()).isFalse();
    assertThat(view.exitCode()).isZero();
    assertThatThrownBy(() -> view.labels().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void keepsState() {
    ContainerView view = ContainerView.builder("c1", "web", "nginx").state(false, true, 137)
        .build();

    assertThat(view.running()).isFalse();
    assertThat(view.paused()).isTrue();
    assertThat(view.exitCode()).isEqualTo(137);
  }

  @Test
  void rejectsImpossiblePortsAndBlankNames() {
    assertThatThrownBy(() -> PortView.exposed(0, Transport.TCP))
        .hasMessage("container port out of range: 0");
    assertThatThrownBy(() -> PortView.published(80, Transport.TCP, "", 70000))
        .hasMessage("host port out of range: 70000");
    assertThatThrownBy(() -> ContainerView.builder("c1", "/", "nginx").build())
        .hasMessage("container name must not be blank (id c1)");
  }

  @Test
  void networkAddressPrefersIpv4() {
    assertThat(new NetworkAddress("10.0.0.1", "fd00::1").preferred()).contains("10.0.0.1");
    assertThat(new NetworkAddress("", "fd00::1").preferred()).contains("fd00::1");
    assertThat(new NetworkAddress(null, " ").preferred()).isEmpty();
    assertThat(NetworkAddress.NONE.preferred()).isEmpty();
  }
}
