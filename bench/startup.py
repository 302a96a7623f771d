#!/usr/bin/env python3
"""Start-up benchmark of bin/registry-bridge (or the image) against the real Docker engine and a
real Consul agent: time from launch until every test container's service is on the agent, the
daemon's RSS and CPU time once registered.

  bench/startup.py --consul http://127.0.0.1:8500 [--containers 20] [--ports 1] [--runs 5]
                   [--image registry-bridge:local] [--label NAME] [--settle 3] [--keep]

The launcher's environment is this script's: set JAVA_OPTS, REGISTRY_BRIDGE_AOT=off,
MALLOC_ARENA_MAX... to compare configurations. Containers are busybox:1.36 named
rbstart-<ports>p-<i>, each with SERVICE_NAME and --expose of PORTS ports, so containers x ports services
(-internal); they are created when missing and removed at the end unless --keep. Consul must be
a dev agent of your own: every service on it is deregistered before each run. Prints one line
per run and min/median, all in milliseconds and MB.
"""
import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "rbstart-host"


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True).stdout.strip()


class Consul:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)

    def call(self, method, path):
        for attempt in range(2):
            try:
                self.conn.request(method, path)
                r = self.conn.getresponse()
                body = r.read()
                return json.loads(body) if body else None
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                if attempt:
                    raise

    def services(self):
        return self.call("GET", "/v1/agent/services")

    def clear(self):
        for sid in self.services():
            if sid != "consul":
                self.call("PUT", "/v1/agent/service/deregister/" + urllib.parse.quote(sid, safe=""))


def containers(n, ports, keep_existing=True):
    names = [f"rbstart-{ports}p-{i}" for i in range(1, n + 1)]
    running = set(sh("docker", "ps", "--format", "{{.Names}}").split())
    expose = "80" if ports == 1 else f"8000-{8000 + ports - 1}"
    for name in names:
        if name not in running:
            sh("docker", "rm", "-f", name, check=False)
            sh("docker", "run", "-d", "--name", name, "-e", "SERVICE_NAME=rbstart",
               "--expose", expose, "busybox:1.36", "sh", "-c",
               "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done")
    port_list = [80] if ports == 1 else list(range(8000, 8000 + ports))
    return names, {f"{HOST}:{name}:{p}" for name in names for p in port_list}


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(args, consul, expected):
    consul.clear()
    sink = f"consul://127.0.0.1:{urllib.parse.urlparse(args.consul).port}"
    flags = ["-hostname", HOST, "-internal", sink]
    name = None
    t0 = time.monotonic()
    if args.image:
        name = f"rbstart-bridge-{os.getpid()}"
        gid = os.stat("/var/run/docker.sock").st_gid
        env = [x for k in ("JAVA_OPTS", "REGISTRY_BRIDGE_AOT") if k in os.environ
               for x in ("-e", f"{k}={os.environ[k]}")]
        proc = subprocess.Popen(["docker", "run", "-d", "--name", name, "--network", "host",
                                 "-v", "/var/run/docker.sock:/var/run/docker.sock",
                                 "--group-add", str(gid), *env, args.image,
                                 *flags, "-http-listen=127.0.0.1:0"],
                                stdout=subprocess.DEVNULL)
    else:
        log = open(os.path.join(args.logdir, "daemon.log"), "w")
        proc = subprocess.Popen([os.path.join(ROOT, "bin", "registry-bridge"), *flags],
                                stdout=log, stderr=subprocess.STDOUT)
    status = None
    try:
        seen = set()
        deadline = t0 + 120
        while not expected <= seen:
            if time.monotonic() > deadline:
                raise SystemExit(f"not all services registered after 120 s: {len(seen)}")
            seen = set(consul.services())
            time.sleep(0.005)
        took = (time.monotonic() - t0) * 1000
        pid = proc.pid
        if args.image:
            proc.wait()
            pid = int(sh("docker", "inspect", "-f", "{{.State.Pid}}", name))
        cpu = cpu_s(pid)
        time.sleep(args.settle)
        rss = rss_mb(pid)
    finally:  # never leave a daemon behind: a second bridge would spoil the next runs
        if args.image:
            sh("docker", "stop", "-t", "10", name, check=False)
            status = sh("docker", "inspect", "-f", "{{.State.ExitCode}}", name, check=False)
            sh("docker", "rm", "-f", name, check=False)
        else:
            proc.send_signal(signal.SIGTERM)
            try:
                status = proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                status = proc.wait()
    return took, rss, cpu, status


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--consul", required=True)
    p.add_argument("--containers", type=int, default=20)
    p.add_argument("--ports", type=int, default=1)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--image")
    p.add_argument("--label", default="")
    p.add_argument("--settle", type=float, default=3.0, help="seconds before reading RSS")
    p.add_argument("--keep", action="store_true", help="keep the containers")
    p.add_argument("--logdir", default="/tmp")
    args = p.parse_args()
    names, expected = containers(args.containers, args.ports)
    consul = Consul(args.consul)
    results = []
    try:
        for i in range(args.runs):
            took, rss, cpu, status = run_once(args, consul, expected)
            results.append((took, rss, cpu))
            print(f"{args.label} run {i + 1}: registered {len(expected)} in {took:.0f} ms, "
                  f"CPU {cpu:.2f} s, RSS {rss:.1f} MB after {args.settle:.0f} s, exit {status}",
                  flush=True)
    finally:
        if not args.keep:
            sh("docker", "rm", "-f", *names, check=False)
    for i, what in enumerate(("ms to registered", "RSS MB", "CPU s")):
        values = [r[i] for r in results]
        print(f"{args.label} {what}: min {min(values):.2f} median {statistics.median(values):.2f}"
              f" max {max(values):.2f}")


if __name__ == "__main__":
    sys.exit(main())
