package io.registrybridge.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpLiteralsTest {
  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1", "0.0.0.0", "127.0.0.1", "255.255.255.255", "192.168.100.99",
      "1.20.199.249"})
  void acceptsIpv4DottedQuads(String ip) {
    assertThat(IpLiterals.isIpLiteral(ip)).isTrue();
    assertThat(IpLiterals.isIpv4(ip)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"256.0.0.1", "1.2.3.256", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.",
      ".1.2.3", "01.2.3.4", "1.2.3.04", "00.0.0.0", "1.2.3.-4", "+1.2.3.4", "0x1.2.3.4",
      "167772161", "1.2.3.4/24", "1.2.3.4:80"})
  void rejectsWhatIsNotAnIpv4DottedQuad(String text) {
    assertThat(IpLiterals.isIpLiteral(text)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"::", "::1", "1::", "fe80::1", "FE80::ABCD:12", "2001:db8::8a2e:370:7334",
      "2001:0db8:0000:0000:0000:ff00:0042:8329", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
      "::2:3:4:5:6:7:8", "1::8", "1:2:3::6:7:8", "::ffff:10.0.0.1", "::10.0.0.1",
      "64:ff9b::192.0.2.33", "1:2:3:4:5:6:10.0.0.1", "1:2:3:4:5::10.0.0.1",
      "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"})
  void acceptsIpv6TextForms(String ip) {
    assertThat(IpLiterals.isIpLiteral(ip)).isTrue();
    assertThat(IpLiterals.isIpv6(ip)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {":", ":::", "1:::2", "1::2::3", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:",
      "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::",
      "12345::1", "g::1", "1:2:3:4:5:6:7:10.0.0.1", "1:2:3:4:5:6::10.0.0.1", "::ffff:10.0.0",
      "::ffff:010.0.0.1", "10.0.0.1::", ":10.0.0.1", "::10.0.0.1:1", "[::1]", "fe80::1%eth0",
      "fe80::1%1", "::1 "})
  void rejectsWhatIsNotAnIpv6Literal(String text) {
    assertThat(IpLiterals.isIpLiteral(text)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "localhost", "example.com", "consul", "host-1", "1.2.3.4.nip.io",
      "not-an-ip", " 10.0.0.1", "10.0.0.1 ", "\u0661.\u0661.\u0661.\u0661", "\uff11.2.3.4"})
  void rejectsNamesAndOtherText(String text) {
    assertThat(IpLiterals.isIpLiteral(text)).isFalse();
  }

  @Test
  void rejectsNull() {
    assertThat(IpLiterals.isIpLiteral(null)).isFalse();
  }

  /** Every address the JDK prints, in its full IPv6 form and the compressed form of RFC 5952. */
  @Test
  void acceptsWhatTheJdkPrints() throws UnknownHostException {
    Random random = new Random(42);
    for (int i = 0; i < 2_000; i++) {
      byte[] v4 = new byte[4];
      random.nextBytes(v4);
      assertThat(IpLiterals.isIpLiteral(InetAddress.getByAddress(v4).getHostAddress())).isTrue();
      byte[] v6 = new byte[16];
      random.nextBytes(v6);
      for (int zero = random.nextInt(16); zero < 16 && random.nextBoolean(); zero++) {
        v6[zero] = 0; // runs of zero groups, for "::"
      }
      v6[0] = (byte) (v6[0] | 0x20); // not IPv4-mapped: the JDK would print those as IPv4
      String full = InetAddress.getByAddress(v6).getHostAddress();
      assertThat(IpLiterals.isIpLiteral(full)).as(full).isTrue();
      assertThat(IpLiterals.isIpLiteral(compress(full))).as(compress(full)).isTrue();
    }
  }

  /** RFC 5952: the longest run of two or more zero groups becomes "::". */
  private static String compress(String full) {
    String[] groups = full.split(":");
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < groups.length; ) {
      int j = i;
      while (j < groups.length && groups[j].equals("0")) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    if (bestStart < 0) {
      return full;
    }
    return String.join(":", Arrays.copyOfRange(groups, 0, bestStart)) + "::"
        + String.join(":", Arrays.copyOfRange(groups, bestStart + bestLength,
            groups.length));
  }
}
