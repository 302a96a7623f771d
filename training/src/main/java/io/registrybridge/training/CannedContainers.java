package io.registrybridge.training;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The containers the fake engine reports: a Bookinfo-like set of twenty that covers what the
 * daemon reads from an inspect, with the JSON shapes Docker 20.10 (API 1.41) sends.
 *
 * <p>Settings come from {@code SERVICE_*} environment and labels, tags, protocols, an HTTP
 * check, per-port names, a UDP port, published ports, a user-defined network, an ignored
 * container and one without ports. {@link #LATE} is not running at first: the training starts
 * it with an event.
 */
public final class CannedContainers {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One container as the engine describes it. */
  public record Container(String name, String image, Map<String, String> env,
      Map<String, String> labels, List<String> exposed, Map<String, Integer> published,
      String network, String ip, boolean running, long exitCode) {

    /** A 64-hex-digit ID that stays the same from run to run. */
    public String id() {
      try {
        byte[] digest = MessageDigest.getInstance("SHA-256")
            .digest(("registry-bridge-aot/" + name).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    public Container stopped(long code) {
      return new Container(name, image, env, labels, exposed, published, network, ip, false,
          code);
    }

    public Container started() {
      return new Container(name, image, env, labels, exposed, published, network, ip, true, 0);
    }

    /**
     * The service IDs the daemon registers for this container with {@code -internal}: one per
     * exposed port, {@code <host>:<container>:<port>[:udp]} as Registrator names them.
     */
    public List<String> serviceIds(String host) {
      boolean ignored = "true".equals(env.get("SERVICE_IGNORE"))
          || "true".equals(labels.get("SERVICE_IGNORE"));
      if (!running || ignored) {
        return List.of();
      }
      List<String> ids = new ArrayList<>();
      for (String port : exposed) {
        String[] parts = port.split("/");
        ids.add(host + ":" + name + ":" + parts[0] + (parts[1].equals("udp") ? ":udp" : ""));
      }
      return ids;
    }
  }

  /** Started by an event during the training, after the first listing. */
  public static final Container LATE = bookinfo("ratings-v2", "ratings", "v2").stopped(0);

  private CannedContainers() {}

  /** The twenty containers that run when the training starts. */
  public static List<Container> initial() {
    List<Container> all = new ArrayList<>();
    Container productpage = bookinfo("productpage", "productpage", "v1");
    Map<String, String> checked = new LinkedHashMap<>(productpage.env());
    checked.put("SERVICE_CHECK_HTTP", "/health");
    checked.put("SERVICE_CHECK_INTERVAL", "15s");
    all.add(new Container(productpage.name(), productpage.image(), checked, Map.of(),
        productpage.exposed(), Map.of(), "bridge", productpage.ip(), true, 0));
    all.add(bookinfo("details", "details", "v1"));
    all.add(bookinfo("ratings", "ratings", "v1"));
    all.add(bookinfo("reviews-v1", "reviews", "v1"));
    all.add(bookinfo("reviews-v2", "reviews", "v2"));
    all.add(bookinfo("reviews-v3", "reviews", "v3"));
    for (int i = 1; i <= 4; i++) { // configured through labels, published on the host
      all.add(new Container("web-" + i, "nginx:1.27",
          Map.of("NGINX_VERSION", "1.27.3"),
          Map.of("SERVICE_NAME", "web", "SERVICE_TAGS", "frontend,zone-a",
              "SERVICE_PROTOCOL", "http", "com.example.team", "web"),
          List.of("80/tcp"), Map.of("80/tcp", 8080 + i), "bridge", ip(20 + i), true, 0));
    }
    all.add(new Container("api-gateway", "envoyproxy/envoy:v1.31",
        env("SERVICE_NAME", "gateway", "SERVICE_8080_PROTOCOL", "http",
            "SERVICE_8443_NAME", "gateway-tls", "SERVICE_8443_PROTOCOL", "https"),
        Map.of(), List.of("8080/tcp", "8443/tcp"), Map.of("8080/tcp", 80, "8443/tcp", 443),
        "bridge", ip(30), true, 0));
    all.add(simple("users-grpc", "example/users:2.4", 50051,
        env("SERVICE_NAME", "users", "SERVICE_PROTOCOL", "grpc", "SERVICE_TAGS", "v2"), 31));
    all.add(simple("orders-grpc", "example/orders:1.9", 50051,
        env("SERVICE_NAME", "orders", "SERVICE_PROTOCOL", "grpc", "SERVICE_TAGS", "v1"), 32));
    all.add(simple("redis", "redis:7.4", 6379,
        env("SERVICE_NAME", "redis", "SERVICE_PROTOCOL", "redis"), 33));
    all.add(new Container("postgres", "postgres:16", env("SERVICE_NAME", "db",
        "SERVICE_PROTOCOL", "tcp", "SERVICE_TAGS", "primary", "SERVICE_OWNER", "team-data",
        "POSTGRES_PASSWORD", "not-a-secret-in-a-canned-container"), Map.of(),
        List.of("5432/tcp"), Map.of(), "backend", "172.20.0.5", true, 0));
    all.add(new Container("coredns", "coredns/coredns:1.11", env("SERVICE_NAME", "dns"),
        Map.of(), List.of("53/tcp", "53/udp"), Map.of(), "bridge", ip(34), true, 0));
    all.add(simple("kafka", "apache/kafka:3.8", 9092,
        env("SERVICE_NAME", "kafka", "SERVICE_TAGS", "broker,zone-a", "SERVICE_PROTOCOL",
            "tcp"), 35));
    all.add(simple("memcached", "memcached:1.6", 11211, env("SERVICE_NAME", "cache"), 36));
    all.add(simple("node-exporter", "prom/node-exporter:1.8", 9100,
        env("SERVICE_IGNORE", "true"), 37));
    all.add(new Container("batch-worker", "example/worker:5", env("QUEUE", "jobs"), Map.of(),
        List.of(), Map.of(), "bridge", ip(38), true, 0));
    return List.copyOf(all);
  }

  private static Container bookinfo(String name, String service, String version) {
    return simple(name, "example/bookinfo-" + service + ":1.20", 9080,
        env("SERVICE_NAME", service, "SERVICE_TAGS", "version|" + version, "SERVICE_PROTOCOL",
            "http", "VERSION", version), 10 + Math.abs(name.hashCode() % 9));
  }

  private static Container simple(String name, String image, int port, Map<String, String> env,
      int host) {
    return new Container(name, image, env, Map.of(), List.of(port + "/tcp"), Map.of(), "bridge",
        ip(host), true, 0);
  }

  private static String ip(int host) {
    return "172.17.0." + host;
  }

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  // --- JSON as the engine writes it ------------------------------------------------------------

  /** {@code GET /containers/{id}/json}. */
  static String inspect(Container c) {
    List<String> env = new ArrayList<>();
    c.env().forEach((k, v) -> env.add(k + "=" + v));
    env.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    Map<String, Object> exposed = new LinkedHashMap<>();
    c.exposed().forEach(p -> exposed.put(p, Map.of()));
    Map<String, Object> portBindings = new LinkedHashMap<>();
    Map<String, Object> ports = new LinkedHashMap<>();
    for (String port : c.exposed()) {
      Integer hostPort = c.published().get(port);
      if (hostPort != null) {
        portBindings.put(port, List.of(Map.of("HostIp", "", "HostPort", hostPort.toString())));
      }
      if (c.running()) {
        ports.put(port, hostPort == null ? null : List.of(
            Map.of("HostIp", "0.0.0.0", "HostPort", hostPort.toString()),
            Map.of("HostIp", "::", "HostPort", hostPort.toString())));
      }
    }
    String networkMode = c.network().equals("bridge") ? "default" : c.network();
    String ipAddress = c.running() && c.network().equals("bridge") ? c.ip() : "";
    String gateway = c.ip().substring(0, c.ip().lastIndexOf('.')) + ".1";
    String id = c.id();
    return """
        {"Id":"%s","Created":"2026-11-30T08:00:00.123456789Z","Path":"/docker-entrypoint.sh",\
        "Args":["serve"],"State":{"Status":"%s","Running":%s,"Paused":false,"Restarting":false,\
        "OOMKilled":false,"Dead":false,"Pid":%d,"ExitCode":%d,"Error":"",\
        "StartedAt":"2026-11-30T08:00:01.234567891Z","FinishedAt":"%s"},\
        "Image":"sha256:%s","ResolvConfPath":"/var/lib/docker/containers/%s/resolv.conf",\
        "HostnamePath":"/var/lib/docker/containers/%s/hostname",\
        "HostsPath":"/var/lib/docker/containers/%s/hosts",\
        "LogPath":"/var/lib/docker/containers/%s/%s-json.log","Name":"/%s","RestartCount":0,\
        "Driver":"overlay2","Platform":"linux","MountLabel":"","ProcessLabel":"",\
        "AppArmorProfile":"","ExecIDs":null,"HostConfig":{"Binds":null,"ContainerIDFile":"",\
        "LogConfig":{"Type":"json-file","Config":{}},"NetworkMode":"%s","PortBindings":%s,\
        "RestartPolicy":{"Name":"unless-stopped","MaximumRetryCount":0},"AutoRemove":false,\
        "VolumeDriver":"","VolumesFrom":null,"CapAdd":null,"CapDrop":null,\
        "CgroupnsMode":"host","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,\
        "GroupAdd":null,"IpcMode":"private","Cgroup":"","Links":null,"OomScoreAdj":0,\
        "PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,\
        "SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":67108864,"Runtime":"runc",\
        "ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,\
        "CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],\
        "BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],\
        "CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,\
        "CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,\
        "DeviceRequests":null,"KernelMemory":0,"KernelMemoryTCP":0,"MemoryReservation":0,\
        "MemorySwap":0,"MemorySwappiness":null,"OomKillDisable":false,"PidsLimit":null,\
        "Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,\
        "MaskedPaths":["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys"],\
        "ReadonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys"]},\
        "GraphDriver":{"Data":{"MergedDir":"/var/lib/docker/overlay2/%s/merged",\
        "UpperDir":"/var/lib/docker/overlay2/%s/diff",\
        "WorkDir":"/var/lib/docker/overlay2/%s/work"},\
        "Name":"overlay2"},"Mounts":[],"Config":{"Hostname":"%s","Domainname":"","User":"",\
        "AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"ExposedPorts":%s,\
        "Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":%s,"Cmd":["serve"],\
        "Image":"%s","Volumes":null,"WorkingDir":"","Entrypoint":["/docker-entrypoint.sh"],\
        "OnBuild":null,"Labels":%s,"StopSignal":"SIGTERM"},\
        "NetworkSettings":{"Bridge":"","SandboxID":"%s","HairpinMode":false,\
        "LinkLocalIPv6Address":"","LinkLocalIPv6PrefixLen":0,"Ports":%s,\
        "SandboxKey":"/var/run/docker/netns/%s","SecondaryIPAddresses":null,\
        "SecondaryIPv6Addresses":null,"EndpointID":"%s","Gateway":"%s","GlobalIPv6Address":"",\
        "GlobalIPv6PrefixLen":0,"IPAddress":"%s","IPPrefixLen":16,"IPv6Gateway":"",\
        "MacAddress":"02:42:ac:11:00:02","Networks":%s}}"""
        .formatted(id, c.running() ? "running" : "exited", c.running(), c.running() ? 4242 : 0,
            c.exitCode(), c.running() ? "0001-01-01T00:00:00Z" : "2026-11-30T09:00:00.5Z",
            digest(c.image()), id, id, id, id, id, c.name(), networkMode, json(portBindings),
            id, id, id, id.substring(0, 12), json(exposed), json(env), c.image(),
            json(c.labels()), digest(id), json(ports), id.substring(0, 12),
            c.running() ? digest(c.name()) : "",
            c.running() ? gateway : "", ipAddress, json(networks(c, gateway)));
  }

  /** One entry of {@code GET /containers/json}. */
  static Map<String, Object> summary(Container c) {
    List<Object> ports = new ArrayList<>();
    for (String port : c.exposed()) {
      String[] parts = port.split("/");
      Integer hostPort = c.published().get(port);
      Map<String, Object> entry = new LinkedHashMap<>();
      if (hostPort != null) {
        entry.put("IP", "0.0.0.0");
        entry.put("PrivatePort", Integer.parseInt(parts[0]));
        entry.put("PublicPort", hostPort);
      } else {
        entry.put("PrivatePort", Integer.parseInt(parts[0]));
      }
      entry.put("Type", parts[1]);
      ports.add(entry);
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("Id", c.id());
    summary.put("Names", List.of("/" + c.name()));
    summary.put("Image", c.image());
    summary.put("ImageID", "sha256:" + digest(c.image()));
    summary.put("Command", "/docker-entrypoint.sh serve");
    summary.put("Created", 1796025600L);
    summary.put("Ports", ports);
    summary.put("Labels", c.labels());
    summary.put("State", c.running() ? "running" : "exited");
    summary.put("Status",
        c.running() ? "Up 2 hours" : "Exited (" + c.exitCode() + ") 1 second ago");
    summary.put("HostConfig", Map.of("NetworkMode", c.network().equals("bridge") ? "default"
        : c.network()));
    summary.put("NetworkSettings", Map.of("Networks", networks(c,
        c.ip().substring(0, c.ip().lastIndexOf('.')) + ".1")));
    summary.put("Mounts", List.of());
    return summary;
  }

  /** One line of the {@code GET /events} stream. */
  public static String event(Container c, String action, Instant at) {
    Map<String, Object> attributes = new LinkedHashMap<>(c.labels());
    attributes.put("image", c.image());
    attributes.put("name", c.name());
    if (action.equals("die")) {
      attributes.put("exitCode", Long.toString(c.exitCode()));
    }
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("status", action);
    event.put("id", c.id());
    event.put("from", c.image());
    event.put("Type", "container");
    event.put("Action", action);
    event.put("Actor", Map.of("ID", c.id(), "Attributes", attributes));
    event.put("scope", "local");
    event.put("time", at.getEpochSecond());
    event.put("timeNano", at.getEpochSecond() * 1_000_000_000L + at.getNano());
    return json(event);
  }

  private static Map<String, Object> networks(Container c, String gateway) {
    Map<String, Object> network = new LinkedHashMap<>();
    network.put("IPAMConfig", null);
    network.put("Links", null);
    network.put("Aliases", c.network().equals("bridge") ? null : List.of(c.name()));
    network.put("NetworkID", digest("network/" + c.network()));
    network.put("EndpointID", c.running() ? digest(c.name()) : "");
    network.put("Gateway", c.running() ? gateway : "");
    network.put("IPAddress", c.running() ? c.ip() : "");
    network.put("IPPrefixLen", c.running() ? 16 : 0);
    network.put("IPv6Gateway", "");
    network.put("GlobalIPv6Address", "");
    network.put("GlobalIPv6PrefixLen", 0);
    network.put("MacAddress", c.running() ? "02:42:ac:11:00:02" : "");
    network.put("DriverOpts", null);
    return Map.of(c.network(), network);
  }

  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String digest(String text) {
    return new Container(text, "", Map.of(), Map.of(), List.of(), Map.of(), "", "", false, 0)
        .id();
  }
}
