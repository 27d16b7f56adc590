#!/usr/bin/env python3
"""Cost at scale, from one run on this machine (prints, asserts nothing).

  python3 bench/scale.py [--build build] [--counts 100,1000,5000] [--seconds 30]

For each count N: N http probes, one run each every 10 s (N/10 runs/s), against reznet-testbed,
with the default cardinality budget. After a warm-up (every probe has run), over --seconds:
CPU per probe run (utime+stime / runs counted by reznet_perf_probe_runs_total), RSS, and p99 of
reznet_perf_scheduler_lateness_seconds (upper bound of its bucket). Then /metrics: size, the time
to fetch it right after a change (a render) and again at once (the cached text). Then
our own GET /probe (a module) and prometheus-blackbox-exporter are each driven at the same N/10
probes/s, as Prometheus would scrape N targets through them, for their RSS and CPU per probe. The machine is shared: figures move from run to run.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
from compare_peers import blackbox_probe, mib, proc_stats, start_blackbox  # noqa: E402
from harness import Process, http  # noqa: E402

INTERVAL = 10.0


def config(tb_url, n):
    probes = "".join(f"  - {{ name: p{i}, kind: http, target: t, interval: 10s, timeout: 5s, "
                     f"http: {{ path: /health }} }}\n" for i in range(n))
    return f'daemon: {{ log: {{ level: info }} }}\ntargets:\n  t: {{ url: "{tb_url}" }}\nprobes:\n{probes}'


def runs_and_lateness(text):
    """(runs finished, {le: cumulative count} of the lateness histogram)."""
    runs, buckets = 0.0, {}
    for line in text.splitlines():
        if line.startswith("reznet_perf_probe_runs_total{") and (
                'result="success"' in line or 'result="failure"' in line):
            runs += float(line.rsplit(" ", 1)[1])
        elif line.startswith("reznet_perf_scheduler_lateness_seconds_bucket{"):
            le = line.split('le="')[1].split('"')[0]
            buckets[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
    return runs, buckets


def p99_bound(before, after):
    deltas = sorted((le, after[le] - before.get(le, 0)) for le in after)
    total = deltas[-1][1] if deltas else 0
    for le, count in deltas:
        if total and count >= 0.99 * total:
            return le
    return float("nan")


def render_seconds(text):
    """The daemon's own figure for the render this scrape caused (reznet_perf_metrics_render_seconds)."""
    for line in text.splitlines():
        if line.startswith("reznet_perf_metrics_render_seconds "):
            return float(line.split()[1])
    raise RuntimeError("no reznet_perf_metrics_render_seconds in /metrics")


def timed_scrape(url):
    t0 = time.monotonic()
    _, text = http("GET", url + "/metrics", timeout=60)
    return time.monotonic() - t0, text


def ours(args, tmp, tb_url, n):
    cfg = os.path.join(tmp, f"scale{n}.yaml")
    with open(cfg, "w") as f:
        f.write(config(tb_url, n))
    d = Process([os.path.join(args.build, "bin/reznet-perfd"), "serve", "--config", cfg, "--listen",
                 "127.0.0.1:0"], timeout=60)
    try:
        time.sleep(INTERVAL + 3)  # every probe has run once: its series exist
        runs0, late0 = runs_and_lateness(timed_scrape(d.url)[1])
        cpu0, _ = proc_stats(d.proc.pid)
        time.sleep(args.seconds)
        cpu1, rss = proc_stats(d.proc.pid)
        runs1, late1 = runs_and_lateness(timed_scrape(d.url)[1])
        runs = max(runs1 - runs0, 1)
        fresh, rendered, zipped = [], [], []
        for _ in range(args.scrapes):
            time.sleep(0.3)  # runs finish meanwhile (N/10 per second): the next scrape renders
            t, text = timed_scrape(d.url)
            fresh.append(t)
            rendered.append(render_seconds(text))
        for _ in range(args.scrapes):
            time.sleep(0.3)
            t0 = time.monotonic()
            req = urllib.request.Request(d.url + "/metrics", headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(req, timeout=60) as resp:
                body = resp.read()
            zipped.append((time.monotonic() - t0, len(body)))
        return {"n": n, "rate": runs / args.seconds, "cpu_ms": (cpu1 - cpu0) / runs * 1000, "rss": rss,
                "p99_late": p99_bound(late0, late1), "bytes": len(text.encode()), "gzip": statistics.median(b for _, b in zipped),
                "gzip_time": statistics.median(t for t, _ in zipped),
                "lines": text.count("\n"), "fetch": statistics.median(fresh),
                "render": statistics.median(rendered), "render_max": max(rendered)}
    finally:
        d.stop()


def drive(args, pid, n, probe_once):
    """Calls probe_once() at n/10 per second for --seconds, as Prometheus scraping n targets every
    10 s through a /probe endpoint would; the endpoint process's runs/s, RSS and CPU per run."""
    rate = n / INTERVAL
    threads = max(1, min(32, int(rate // 20) + 1))
    stop = time.monotonic() + args.seconds
    done = [0] * threads

    def loop(k):
        i, t0 = 0, time.monotonic()
        while True:
            at = t0 + (i * threads + k) / rate
            if at >= stop:
                return
            if at > time.monotonic():
                time.sleep(at - time.monotonic())
            probe_once()
            done[k] += 1
            i += 1

    cpu0, _ = proc_stats(pid)
    workers = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    cpu1, rss = proc_stats(pid)
    runs = max(sum(done), 1)
    return {"rate": runs / args.seconds, "cpu_ms": (cpu1 - cpu0) / runs * 1000, "rss": rss}


def blackbox(args, bb, tb_url, n):
    proc, url = bb
    return drive(args, proc.proc.pid, n, lambda: blackbox_probe(url, tb_url + "/health"))


def ours_probe_endpoint(args, tmp, tb_url, n):
    """The same load through our own GET /probe (a module, no scheduled probes)."""
    cfg = os.path.join(tmp, "probe-endpoint.yaml")
    with open(cfg, "w") as f:
        f.write("daemon: { probe_endpoint: { max_concurrent: 64 } }\nprobes: []\nmodules:\n"
                "  http_2xx: { kind: http, timeout: 5s, http: { path: /health }, "
                "allow: { cidrs: [127.0.0.1/32] } }\n")
    d = Process([os.path.join(args.build, "bin/reznet-perfd"), "serve", "--config", cfg, "--listen",
                 "127.0.0.1:0"], timeout=60)
    target = urllib.parse.urlencode({"module": "http_2xx", "target": tb_url.replace("http://", "")})

    def probe_once():
        status, body = http("GET", f"{d.url}/probe?{target}")
        if status != 200 or "probe_success 1" not in body:
            raise RuntimeError(f"/probe answered {status}: {body[:200]}")

    try:
        return drive(args, d.proc.pid, n, probe_once)
    finally:
        d.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../build"))
    ap.add_argument("--counts", default="100,1000,5000")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--scrapes", type=int, default=5)
    args = ap.parse_args()
    if not shutil.which("prometheus-blackbox-exporter"):
        sys.exit("prometheus-blackbox-exporter missing: run scripts/install-deps.sh")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tb = Process([os.path.join(args.build, "bin/reznet-testbed"), "--listen", "127.0.0.1:0"])
        bb = start_blackbox(tmp)
        try:
            for n in (int(c) for c in args.counts.split(",")):
                rows.append((ours(args, tmp, tb.url, n), ours_probe_endpoint(args, tmp, tb.url, n),
                             blackbox(args, bb, tb.url, n)))
                print(f"  done: {n} probes", file=sys.stderr)
        finally:
            bb[0].stop()
            tb.stop()
    print(f"\n== {args.seconds}s per size, one run per probe every 10 s, default budget "
          "(targets at 1,000: /metrics <= 2 MB and <= 50 ms, RSS <= 96 MiB, CPU <= 0.3 ms/run, "
          "p99 lateness <= 10 ms)")
    print(f"  {'probes':>7s} {'runs/s':>7s} {'/metrics':>9s} {'lines':>8s} {'render':>9s} {'max':>9s} "
          f"{'fetch':>9s} {'gzip':>9s} {'gz fetch':>9s} {'RSS':>9s} {'CPU/run':>9s} {'p99 late':>9s}")
    for o, _, _ in rows:
        print(f"  {o['n']:7d} {o['rate']:7.1f} {o['bytes'] / 1e6:6.2f} MB {o['lines']:8d} "
              f"{o['render'] * 1000:6.1f} ms {o['render_max'] * 1000:6.1f} ms {o['fetch'] * 1000:6.1f} ms "
              f"{o['gzip'] / 1e6:6.2f} MB "
              f"{o['gzip_time'] * 1000:6.1f} ms {mib(o['rss']):5.1f} MiB "
              f"{o['cpu_ms']:6.3f} ms {o['p99_late'] * 1000:6.2f} ms")
    print("  render/max = the daemon's own reznet_perf_metrics_render_seconds (median/max of the scrapes, "
          "each right after runs finished); fetch = the whole request from this Python client; gzip = the body served to Accept-Encoding: gzip (as Prometheus asks), gz fetch its "
          "time; p99 late = upper bound of its histogram bucket; CPU in whole 10 ms ticks")
    print(f"\n== the same probes/s through a /probe endpoint (Prometheus multi-target): ours vs "
          "blackbox_exporter, same run")
    print(f"  {'probes':>7s} {'ours runs/s':>11s} {'RSS':>9s} {'CPU/run':>9s} | {'bb runs/s':>9s} "
          f"{'RSS':>9s} {'CPU/run':>9s} | {'CPU ratio':>9s}")
    for o, e, b in rows:
        ratio = b["cpu_ms"] / e["cpu_ms"] if e["cpu_ms"] else float("nan")
        print(f"  {o['n']:7d} {e['rate']:11.1f} {mib(e['rss']):5.1f} MiB {e['cpu_ms']:6.3f} ms | "
              f"{b['rate']:9.1f} {mib(b['rss']):5.1f} MiB {b['cpu_ms']:6.3f} ms | {ratio:8.2f}x")
    print("  CPU ratio = blackbox_exporter's CPU per probe / ours (above 1: ours is cheaper)")

if __name__ == "__main__":
    main()
