#!/usr/bin/env python3
"""Side-by-side figures against peer tools, from one run on this machine (prints, asserts nothing).

  python3 bench/compare_peers.py [--build build] [--seconds 30] [--samples 60]

1. Timing honesty: a reznet-testbed endpoint with a known 50 ms delay, measured by
   reznet-perfd (http probe, new connection per sample), curl (time_total) and
   prometheus-blackbox-exporter (probe_duration_seconds): median overhead above 50 ms.
2. Footprint: RSS idle, RSS and CPU per probe run at 10 probes/s for --seconds, ours vs
   blackbox_exporter (driven at the same rate through its /probe endpoint, as Prometheus would).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
from harness import Process, free_port, http  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def proc_stats(pid):
    """(cpu seconds user+system, rss bytes); also remembers the user share in proc_stats.user."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    proc_stats.user = int(fields[11]) / TICKS
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    rss = int(fields[21]) * PAGE
    return cpu, rss


def mib(b):
    return b / (1024 * 1024)


def start_blackbox(tmp):
    cfg = os.path.join(tmp, "blackbox.yml")
    with open(cfg, "w") as f:
        f.write("modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n"
                "    http: { preferred_ip_protocol: ip4 }\n")
    port = free_port()
    p = Process([shutil.which("prometheus-blackbox-exporter"), f"--config.file={cfg}",
                 f"--web.listen-address=127.0.0.1:{port}"], ready_pattern=None)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if http("GET", url + "/metrics")[0] == 200:
                break
        except OSError:
            time.sleep(0.05)
    return p, url


def blackbox_probe(bb_url, target):
    q = urllib.parse.urlencode({"module": "http_2xx", "target": target})
    status, body = http("GET", f"{bb_url}/probe?{q}")
    for line in body.splitlines():
        if line.startswith("probe_duration_seconds "):
            return float(line.split()[1])
    raise RuntimeError("blackbox gave no probe_duration_seconds")


def timing_honesty(args, tmp, tb_url, bb_url):
    http("POST", tb_url + "/testbed/faults", json.dumps({"latency_ms": 50}))
    cfg = os.path.join(tmp, "honesty.yaml")
    with open(cfg, "w") as f:
        f.write(f'targets:\n  t: {{ url: "{tb_url}" }}\nprobes:\n  - name: h\n    kind: http\n    target: t\n'
                f'    interval: 1m\n    timeout: 30s\n    http: {{ path: /health, samples: {args.samples} }}\n')
    out = subprocess.run([os.path.join(args.build, "bin/reznet-perfd"), "probe", "--config", cfg, "h"],
                         capture_output=True, text=True, check=True)
    ours = statistics.median(json.loads(out.stdout)["phases"]["total"])
    curl = statistics.median(
        float(subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", tb_url + "/health"],
                             capture_output=True, text=True, check=True).stdout)
        for _ in range(args.samples))
    bb = statistics.median(blackbox_probe(bb_url, tb_url + "/health") for _ in range(args.samples))
    print(f"\n== timing honesty: median total against a 50 ms delay ({args.samples} samples each)")
    for name, v in (("reznet-perfd", ours), ("curl", curl), ("blackbox_exporter", bb)):
        print(f"  {name:18s} {v * 1000:8.3f} ms   overhead {(v - 0.050) * 1000:6.3f} ms")
    print(f"  overhead ratio ours/curl {(ours - 0.05) / (curl - 0.05):.2f}, "
          f"ours/blackbox {(ours - 0.05) / (bb - 0.05):.2f}")
    http("POST", tb_url + "/testbed/faults", json.dumps({"latency_ms": 0}))


def footprint(args, tmp, tb_url, bb):
    bb_proc, bb_url = bb
    # Ours, idle: the daemon with no probes.
    idle_cfg = os.path.join(tmp, "idle.yaml")
    with open(idle_cfg, "w") as f:
        f.write("daemon: { log: { level: warn } }\n")
    d = Process([os.path.join(args.build, "bin/reznet-perfd"), "serve", "--config", idle_cfg, "--listen",
                 "127.0.0.1:0"], ready_pattern=None)
    time.sleep(2)
    _, ours_idle = proc_stats(d.proc.pid)
    d.stop()
    # Ours, 10 probes/s: ten http probes at a 1 s interval.
    probes = "".join(f"  - {{ name: p{i}, kind: http, target: t, interval: 1s, timeout: 900ms, http: {{ path: /health }} }}\n"
                     for i in range(10))
    cfg = os.path.join(tmp, "load.yaml")
    with open(cfg, "w") as f:
        f.write(f'daemon: {{ log: {{ level: warn }} }}\ntargets:\n  t: {{ url: "{tb_url}" }}\nprobes:\n{probes}')
    d = Process([os.path.join(args.build, "bin/reznet-perfd"), "serve", "--config", cfg, "--listen", "127.0.0.1:0"],
                ready_pattern=None)
    time.sleep(1.5)
    cpu0, _ = proc_stats(d.proc.pid)
    user0 = proc_stats.user
    t0 = time.monotonic()
    time.sleep(args.seconds)
    cpu1, ours_rss = proc_stats(d.proc.pid)
    ours_user = proc_stats.user - user0
    ours_runs = 10 * (time.monotonic() - t0)  # 10 probes at 1 s interval (± jitter)
    d.stop()
    ours_cpu = (cpu1 - cpu0) / ours_runs

    _, bb_idle = proc_stats(bb_proc.proc.pid)
    cpu0, _ = proc_stats(bb_proc.proc.pid)
    user0 = proc_stats.user
    n = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < args.seconds:
        next_at = t0 + n / 10.0
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        blackbox_probe(bb_url, tb_url + "/health")
        n += 1
    cpu1, bb_rss = proc_stats(bb_proc.proc.pid)
    bb_user = proc_stats.user - user0
    bb_cpu = (cpu1 - cpu0) / n
    print(f"\n== footprint at 10 probes/s for {args.seconds}s (RSS from /proc, CPU = utime+stime)")
    print(f"  {'':18s} {'RSS idle':>10s} {'RSS busy':>10s} {'CPU/probe':>12s} {'of it user':>11s}")
    print(f"  {'reznet-perfd':18s} {mib(ours_idle):7.1f} MiB {mib(ours_rss):7.1f} MiB {ours_cpu * 1000:9.3f} ms "
          f"{ours_user / ours_runs * 1000:8.3f} ms")
    print(f"  {'blackbox_exporter':18s} {mib(bb_idle):7.1f} MiB {mib(bb_rss):7.1f} MiB {bb_cpu * 1000:9.3f} ms "
          f"{bb_user / n * 1000:8.3f} ms")
    print(f"  ratio ours/blackbox: RSS idle {ours_idle / bb_idle:.2f}, RSS busy {ours_rss / bb_rss:.2f}, "
          f"CPU/probe {ours_cpu / bb_cpu:.2f}")
    print("  (CPU per run is measured over whole ticks of 10 ms: use --seconds 60 or more for a steadier figure)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../build"))
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--samples", type=int, default=60)
    args = ap.parse_args()
    if not shutil.which("prometheus-blackbox-exporter"):
        sys.exit("prometheus-blackbox-exporter missing: run scripts/install-deps.sh")
    with tempfile.TemporaryDirectory() as tmp:
        tb = Process([os.path.join(args.build, "bin/reznet-testbed"), "--listen", "127.0.0.1:0"])
        bb = start_blackbox(tmp)
        try:
            timing_honesty(args, tmp, tb.url, bb[1])
            footprint(args, tmp, tb.url, bb)
        finally:
            bb[0].stop()
            tb.stop()


if __name__ == "__main__":
    import urllib.parse  # noqa: F401  (used by blackbox_probe)
    main()
