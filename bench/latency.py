#!/usr/bin/env python3
"""Start containers one at a time and time each from its start to its service on the agent.

    bench/latency.py --consul 127.0.0.1:8500 --host HOSTNAME --count 300 --prefix rb-lat \
        --label rbbench-123 [--expose 80]

Start is the engine's State.StartedAt; visible is the first 200 of GET /v1/agent/service/<id>
(with --kv PREFIX: of GET /v1/kv/PREFIX/<name>/<id>, the consulkv:// layout; with
--zookeeper HOST:PORT/BASE: the first child of BASE/<name>, Registrator's ZooKeeper layout, read
with kazoo, Debian's python3-kazoo) from a poller that runs from before `docker run` (a persistent connection, a poll every 0.2 ms),
so a registration that lands before `docker run` returns is not timed late. Prints one latency
in milliseconds per line; the summary goes to stderr.
"""
import argparse
import datetime
import http.client
import subprocess
import sys
import threading
import time
import urllib.parse


def started_ns(container):
    text = subprocess.run(["docker", "inspect", "-f", "{{.State.StartedAt}}", container],
                          check=True, capture_output=True, text=True).stdout.strip()
    # 2026-11-30T23:07:13.123456789Z: datetime keeps microseconds, so split the fraction off.
    base, _, frac = text.rstrip("Z").partition(".")
    seconds = datetime.datetime.fromisoformat(base).replace(tzinfo=datetime.timezone.utc)
    return int(seconds.timestamp()) * 1_000_000_000 + int((frac + "000000000")[:9])


def poll_until_visible(consul, path, seen, stop):
    host, port = consul.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    while not stop.is_set():
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        if response.status == 200:
            seen.append(time.time_ns())
            return
        time.sleep(0.0002)


def poll_zookeeper_until_visible(client, path, seen, stop):
    from kazoo.exceptions import NoNodeError
    while not stop.is_set():
        try:
            if client.get_children(path):
                seen.append(time.time_ns())
                return
        except NoNodeError:
            pass
        time.sleep(0.0002)


def zookeeper_client(connect):
    # Imported here: only this mode needs kazoo. One session for the run, connected before the
    # first `docker run`.
    from kazoo.client import KazooClient
    client = KazooClient(hosts=connect)
    client.start(timeout=10)
    return client


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--consul", help="the agent, HOST:PORT (or --zookeeper)")
    p.add_argument("--zookeeper", help="HOST:PORT/BASE: poll BASE/<name> for a child instead")
    p.add_argument("--host", help="the bridge's -hostname (Consul only: it is part of the ID)")
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--prefix", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--kv", help="poll the consulkv key KV/<name>/<id> instead of the agent")
    a = p.parse_args()
    if bool(a.consul) == bool(a.zookeeper) or (a.consul and not a.host):
        p.error("give --consul and --host, or --zookeeper")
    zookeeper, base = None, None
    if a.zookeeper:
        connect, _, base = a.zookeeper.partition("/")
        zookeeper = zookeeper_client(connect)
    latencies = []
    for i in range(a.count):
        name = f"{a.prefix}-{i}"
        seen, stop = [], threading.Event()
        if zookeeper:
            poller = threading.Thread(target=poll_zookeeper_until_visible,
                                      args=(zookeeper, "/" + base + "/" + name, seen, stop))
        else:
            service_id = f"{a.host}:{name}:{a.port}"
            path = ("/v1/kv/" + a.kv + "/" + name + "/" + urllib.parse.quote(service_id, safe=":")
                    if a.kv else "/v1/agent/service/" + urllib.parse.quote(service_id, safe=""))
            poller = threading.Thread(target=poll_until_visible,
                                      args=(a.consul, path, seen, stop))
        poller.start()
        subprocess.run(["docker", "run", "-d", "--label", a.label, "--name", name,
                        "-e", f"SERVICE_NAME={name}", "--expose", str(a.port), "busybox:1.36",
                        "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"],
                       check=True, stdout=subprocess.DEVNULL)
        poller.join(timeout=30)
        stop.set()
        if not seen:
            print(f"{name}: not visible within 30 s", file=sys.stderr)
            continue
        latency = (seen[0] - started_ns(name)) / 1e6
        latencies.append(latency)
        print(f"{latency:.2f}", flush=True)
    if zookeeper:
        zookeeper.stop()
        zookeeper.close()
    latencies.sort()
    if latencies:
        def pct(q):
            return latencies[min(len(latencies) - 1, max(0, int(len(latencies) * q / 100 + 0.999) - 1))]
        print(f"n={len(latencies)} p50={pct(50):.1f} p90={pct(90):.1f} p99={pct(99):.1f} "
              f"max={latencies[-1]:.1f} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
