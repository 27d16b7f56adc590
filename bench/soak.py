#!/usr/bin/env python3
"""Soak: does the daemon stay flat? (issue #13; prints, asserts nothing; not run in CI)

  python3 bench/soak.py [--build build] [--minutes 75] [--warm 60] [--probes 100] [--csv FILE]

Runs the daemon with --probes http probes at a 1 s interval against the testbed, with windows
of 1m, 5m and 1h (the hour window fills during the first hour), and samples every 10 s: RSS,
open fds, threads and the latency of one /metrics scrape. Beside it, as the peer,
prometheus-blackbox-exporter is driven at the same rate through /probe (as Prometheus would) and
sampled the same way. At the end it prints, for each, the figures at the end of --warm minutes
and at the end, and the least-squares slope of RSS (KiB/h) and fds (/h) after --warm minutes
(flat is ~0), plus the ratio of our RSS to the peer's.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
from harness import Process, http  # noqa: E402
from compare_peers import start_blackbox  # noqa: E402  (same folder)

PAGE = os.sysconf("SC_PAGE_SIZE")


def sample(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return {"rss_kib": int(fields[21]) * PAGE / 1024, "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "threads": int(fields[17])}


def slope_per_hour(points):
    """Least-squares slope of (seconds, value) points, per hour; 0 with fewer than 2 points."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 0.0 if den == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den * 3600


def start_daemon(args, tmp, tb_url):
    probes = "".join(
        f"  - {{ name: p{i:03d}, kind: http, target: t, interval: 1s, timeout: 900ms, "
        f"http: {{ path: {'/health' if i % 2 else '/api/agents'} }} }}\n" for i in range(args.probes))
    cfg = os.path.join(tmp, "soak.yaml")
    with open(cfg, "w") as f:
        f.write(f'daemon: {{ windows: [1m, 5m, 1h], state_dir: "{tmp}/state" }}\n'
                f'targets:\n  t: {{ url: "{tb_url}" }}\nprobes:\n{probes}'
                'nfrs:\n  - { name: p95, probe: p000, phase: total, stat: p95, window: 1h, op: "<", threshold: 1s }\n')
    return Process([os.path.join(args.build, "bin/reznet-perfd"), "serve", "--config", cfg, "--listen",
                    "127.0.0.1:0"])


def drive_blackbox(bb_url, tb_url, rate, stop):
    """`rate` probes per second through /probe, spread over 8 threads."""
    targets = [tb_url + "/health", tb_url + "/api/agents"]

    def worker(k):
        n, t0 = 0, time.monotonic()
        while not stop.is_set():
            at = t0 + n * 8 / rate
            time.sleep(max(0.0, at - time.monotonic()))
            q = urllib.parse.urlencode({"module": "http_2xx", "target": targets[(n + k) % 2]})
            try:
                http("GET", f"{bb_url}/probe?{q}", timeout=5)
            except OSError:
                pass
            n += 1
    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(8)]
    for t in threads:
        t.start()
    return threads


def report(name, rows, warm_s):
    after = [r for r in rows if r["t"] >= warm_s]
    at_warm = after[0] if after else rows[-1]
    end = rows[-1]
    rss_slope = slope_per_hour([(r["t"], r["rss_kib"]) for r in after])
    fd_slope = slope_per_hour([(r["t"], r["fds"]) for r in after])
    print(f"  {name:18s} RSS {at_warm['rss_kib'] / 1024:7.1f} MiB at {warm_s / 60:.1f} min -> "
          f"{end['rss_kib'] / 1024:7.1f} MiB at {end['t'] / 60:.1f} min; slope after warm-up "
          f"{rss_slope:+9.1f} KiB/h; fds {at_warm['fds']} -> {end['fds']} ({fd_slope:+.2f}/h); "
          f"threads {end['threads']}")
    return end["rss_kib"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--minutes", type=float, default=75)
    ap.add_argument("--warm", type=float, default=60, help="minutes before the slope is measured")
    ap.add_argument("--probes", type=int, default=100)
    ap.add_argument("--csv", default="")
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="reznet-soak-") as tmp:
        tb = Process([os.path.join(args.build, "bin/reznet-testbed"), "--listen", "127.0.0.1:0"])
        d = start_daemon(args, tmp, tb.url)
        stop = threading.Event()
        bb = None
        if not args.no_peer and shutil.which("prometheus-blackbox-exporter"):
            bb = start_blackbox(tmp)
            drive_blackbox(bb[1], tb.url, args.probes, stop)
        rows, peer_rows = [], []
        t0 = time.monotonic()
        out = open(args.csv, "w") if args.csv else None
        if out:
            out.write("seconds,rss_kib,fds,threads,scrape_ms,peer_rss_kib,peer_fds\n")
        try:
            while time.monotonic() - t0 < args.minutes * 60:
                time.sleep(10 - (time.monotonic() - t0) % 10)
                t = time.monotonic() - t0
                s0 = time.monotonic()
                status, _ = http("GET", d.url + "/metrics", timeout=10)
                scrape_ms = (time.monotonic() - s0) * 1000 if status == 200 else float("nan")
                row = {"t": t, "scrape_ms": scrape_ms, **sample(d.proc.pid)}
                rows.append(row)
                peer = {"t": t, **sample(bb[0].proc.pid)} if bb else None
                if peer:
                    peer_rows.append(peer)
                if out:
                    out.write(f"{t:.0f},{row['rss_kib']:.0f},{row['fds']},{row['threads']},{scrape_ms:.2f},"
                              f"{peer['rss_kib'] if peer else ''},{peer['fds'] if peer else ''}\n")
                    out.flush()
        finally:
            stop.set()
            if out:
                out.close()
        warm_s = min(args.warm * 60, rows[-1]["t"])
        scrapes = sorted(r["scrape_ms"] for r in rows)
        print(f"\n== soak: {args.probes} probes at 1 s for {rows[-1]['t'] / 60:.1f} min, windows 1m/5m/1h, "
              f"sampled every 10 s ({len(rows)} samples)")
        ours = report("reznet-perfd", rows, warm_s)
        if peer_rows:
            theirs = report("blackbox_exporter", peer_rows, warm_s)
            print(f"  RSS ratio ours/blackbox at the end: {ours / theirs:.2f}")
        print(f"  /metrics scrape: median {scrapes[len(scrapes) // 2]:.1f} ms, max {scrapes[-1]:.1f} ms")
        for p in ([bb[0]] if bb else []) + [d, tb]:
            p.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
