package io.registrybridge.sink.mesh;

import com.google.common.net.InetAddresses;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The last gate before anything is written: Istio's ValidateServiceEntry
 * ({@code pkg/config/validation/validation.go}) for the subset of ServiceEntry the bridge writes,
 * plus the Kubernetes rules for the object name. The converter already builds entries that pass;
 * this check makes sure that a bug there turns into a report instead of an object the webhook
 * rejects or, worse, a file istiod cannot load.
 */
final class ServiceEntryValidator {
  private ServiceEntryValidator() {}

  /** Everything Istio or Kubernetes would reject about {@code entry}; empty when valid. */
  static List<String> problems(ServiceEntryModel entry) {
    List<String> problems = new ArrayList<>();
    KubernetesNames.dns1123SubdomainProblem(entry.name())
        .ifPresent(p -> problems.add("object name '" + entry.name() + "': " + p));
    KubernetesNames.hostProblem(entry.host())
        .ifPresent(p -> problems.add("host '" + entry.host() + "': " + p));
    for (String address : entry.addresses()) {
      if (!isIpOrCidr(address)) {
        problems.add("address '" + address + "' is not an IP address or CIDR");
      }
    }
    if (entry.ports().isEmpty()) {
      problems.add("no ports");
    }
    Set<String> names = new HashSet<>();
    Set<Integer> numbers = new HashSet<>();
    for (ServiceEntryModel.Port port : entry.ports()) {
      if (!names.add(port.name())) {
        problems.add("port name '" + port.name() + "' is defined twice");
      }
      if (!numbers.add(port.number())) {
        problems.add("port " + port.number() + " is defined twice");
      }
      KubernetesNames.dns1123LabelProblem(port.name())
          .ifPresent(p -> problems.add("port name '" + port.name() + "': " + p));
      portRange(port.number(), "port " + port.name(), problems);
    }
    for (ServiceEntryModel.Endpoint endpoint : entry.endpoints()) {
      // STATIC resolution: Istio checks endpoints with allowFQDNAddresses=false.
      if (!isIp(endpoint.address())) {
        problems.add("endpoint address '" + endpoint.address() + "' is not an IP address");
      }
      for (Map.Entry<String, Integer> port : endpoint.ports().entrySet()) {
        if (!names.contains(port.getKey())) {
          problems.add("endpoint " + endpoint.address() + " maps port '" + port.getKey()
              + "' that the entry does not define");
        }
        portRange(port.getValue(), "endpoint " + endpoint.address() + " port " + port.getKey(),
            problems);
      }
      for (Map.Entry<String, String> label : endpoint.labels().entrySet()) {
        KubernetesNames.labelKeyProblem(label.getKey()).ifPresent(
            p -> problems.add("endpoint label key '" + label.getKey() + "': " + p));
        KubernetesNames.labelValueProblem(label.getValue()).ifPresent(
            p -> problems.add("endpoint label value '" + label.getValue() + "': " + p));
      }
    }
    MeshSinkConfig.exportToProblem(entry.exportTo())
        .ifPresent(p -> problems.add("exportTo: " + p));
    return problems;
  }

  /** An IPv4 or IPv6 literal, without a zone (Istio's net.ParseIP accepts none). */
  static boolean isIp(String address) {
    return !address.contains("%") && InetAddresses.isInetAddress(address);
  }

  /** Istio's ValidateIPSubnet: an IP, or an IP and a prefix length that fits it. */
  static boolean isIpOrCidr(String address) {
    int slash = address.indexOf('/');
    if (slash < 0) {
      return isIp(address);
    }
    String ip = address.substring(0, slash);
    if (!isIp(ip)) {
      return false;
    }
    int bits = ip.contains(":") ? 128 : 32;
    try {
      int prefix = Integer.parseInt(address.substring(slash + 1));
      return prefix >= 0 && prefix <= bits;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static void portRange(int number, String what, List<String> problems) {
    if (number < 1 || number > 65535) {
      problems.add(what + ": " + number + " is not in 1..65535");
    }
  }
}
