package io.registrybridge.sink.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VirtualIpAllocatorTest {

  @Test
  void rangesSkipNetworkAndBroadcastAddresses() {
    VirtualIpRange range = VirtualIpRange.parse("240.241.0.0/30");
    assertThat(range.size()).isEqualTo(BigInteger.TWO);
    assertThat(range.addressAt(BigInteger.ZERO)).isEqualTo("240.241.0.1");
    assertThat(range.addressAt(BigInteger.ONE)).isEqualTo("240.241.0.2");
    assertThat(range.offsetOf("240.241.0.0")).isEmpty();
    assertThat(range.offsetOf("240.241.0.3")).isEmpty();
    assertThat(range.offsetOf("240.241.0.2")).contains(BigInteger.ONE);
    assertThat(VirtualIpRange.parse("fd00::/120").addressAt(BigInteger.ZERO)).isEqualTo("fd00::1");
    assertThat(VirtualIpRange.parse("fd00::/120").size()).isEqualTo(BigInteger.valueOf(255));
    assertThat(VirtualIpRange.parse("10.0.0.7/32").addressAt(BigInteger.ZERO))
        .isEqualTo("10.0.0.7");
    assertThatThrownBy(() -> VirtualIpRange.parse("240.241.0.0/33"))
        .hasMessage("virtual IP range '240.241.0.0/33' is invalid: the prefix length must be"
            + " between 0 and 32");
    assertThatThrownBy(() -> VirtualIpRange.parse("vip/16"))
        .hasMessage("virtual IP range 'vip/16' is invalid: 'vip' is not an IP address");
  }

  @Test
  void sameHostsGiveSameAddressesWhateverTheOrder() {
    VirtualIpAllocator allocator = new VirtualIpAllocator(VirtualIpRange.parse("240.241.0.0/16"));
    Map<String, String> first = allocator.allocate(List.of("a.consul", "b.consul", "c.consul"),
        Map.of());
    assertThat(allocator.allocate(List.of("c.consul", "a.consul", "b.consul"), Map.of()))
        .isEqualTo(first);
    assertThat(first.values()).doesNotHaveDuplicates();
  }

  @Test
  void collisionsAreProbedAndCurrentAddressesKept() {
    // Two usable addresses: any two hosts collide or not, and probing must find the other one.
    VirtualIpAllocator allocator = new VirtualIpAllocator(VirtualIpRange.parse("240.241.0.0/30"));
    Map<String, String> both = allocator.allocate(List.of("a", "b"), Map.of());
    assertThat(both.values()).containsExactlyInAnyOrder("240.241.0.1", "240.241.0.2");

    // A host keeps the address it has, even when it is another host's home address.
    String homeOfA = allocator.allocate(List.of("a"), Map.of()).get("a");
    String other = homeOfA.equals("240.241.0.1") ? "240.241.0.2" : "240.241.0.1";
    assertThat(allocator.allocate(List.of("a", "b"), Map.of("b", homeOfA)))
        .isEqualTo(Map.of("b", homeOfA, "a", other));

    // The range is full: the third host gets nothing, and the caller reports it.
    assertThat(allocator.allocate(List.of("a", "b", "c"), Map.of())).hasSize(2);
  }

  @Test
  void unusableCurrentAddressesAreIgnored() {
    VirtualIpAllocator allocator = new VirtualIpAllocator(VirtualIpRange.parse("240.241.0.0/16"));
    String derived = allocator.allocate(List.of("a"), Map.of()).get("a");
    assertThat(allocator.allocate(List.of("a"), Map.of("a", "10.0.0.1"))).containsEntry("a",
        derived);
    assertThat(allocator.allocate(List.of("a"), Map.of("a", "240.241.0.0"))).containsEntry("a",
        derived);
    assertThat(allocator.allocate(List.of("a"), Map.of("a", "not-an-ip"))).containsEntry("a",
        derived);
    // Two hosts claiming one address: the first in host order keeps it.
    assertThat(allocator.allocate(List.of("a", "b"), Map.of("a", "240.241.9.9", "b",
        "240.241.9.9"))).containsEntry("a", "240.241.9.9").doesNotContainEntry("b",
        "240.241.9.9");
  }
}
