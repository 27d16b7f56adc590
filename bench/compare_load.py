#!/usr/bin/env python3
"""The load generator against its peers, side by side in one run (prints figures, asserts nothing).

  python3 bench/compare_load.py [--build build] [--seconds 10] [--rounds 1] [--pin] [--baseline BINARY]
                                [--skip-co] [--skip-vus] [--skip-tls] [--skip-short-vs-long]
                                [--skip-instructions]
                                [--only-tls | --only-vus | --only-short-vs-long | --only-instructions]
                                [--users 1000] [--vus-seconds 20] [--vus-ramp-up 5]
                                [--short-seconds 5] [--long-seconds 30]

Installs the peers (scripts/install-deps.sh --bench) and starts its own nginx (one worker, a
fixed 3-byte answer, keep-alive) on a free 127.0.0.1 port.

Every generator runs with two threads (ours `threads: 2`, wrk -t2, h2load -t2; ab is one thread),
all on every core. --pin instead puts nginx's worker on CPU 0 and every generator on CPU 1 with one
thread: on two cores an unpinned run measures the scheduler as much as the tools (three busy
threads on two cores; single runs move 10-20 %), while pinned each generator has one core to
itself and is the bottleneck (nginx idles part of the time): requests/s and CPU per request
measure the generator's own efficiency. A shared machine still moves pinned runs by up to 10 %
over minutes: compare tools within one run (--rounds N interleaves them), and a change with
--baseline OTHER_BINARY (the other build in every round).

1. Throughput: 100 keep-alive connections, no think time, --seconds each: requests/s and CPU-µs per
   request (user + system of the generator process, from wait4) for reznet-perfd load, wrk, ab, hey
   and h2load, and each as a ratio to ours.
2. Coordinated omission: nginx frozen with SIGSTOP for 1 s every 10 s for 30 s, 10 connections.
   The true p99 of a constant-rate arrival stream is 900 ms (10 % of arrivals fall in a stall,
   their wait spread evenly over 0–1 s). Ours in the open model (from the intended start, and
   raw), wrk, ab and hey.
3. --users virtual users (1,000) with 1–3 s think time, started over --vus-ramp-up s (5), then
   --vus-seconds s (20) at full load: requests/s against the expected (a user makes a request
   every 2 s on average: 500/s at full load for 1,000 users, 5,000/s for 10,000), the generator's
   CPU share (user + system over the wall time, % of one core) and peak RSS. --only-vus runs only
   this; `--only-vus --users 10000 --vus-seconds 60` is the 10,000-user case (nginx takes 20,000
   connections; the generator raises its open files limit or says which limit to raise).
4. HTTPS (nginx, self-signed certificate, TLS 1.3 only): 100 keep-alive connections, ours vs wrk
   vs h2load --h1; then a new connection (a handshake) per request, ours (keep_alive: false; it
   resumes sessions) vs ab -c 100 (full handshakes). --skip-tls skips it; --only-tls runs only it.
5. Short vs long runs: 100 keep-alive connections, no think time, --short-seconds (5) and
   --long-seconds (30): ours and wrk (-d5s, -d30s), requests/s of each and short/long. What an
   engine does before the first and after the last request should not show (within 3 %).
   --skip-short-vs-long skips it; --only-short-vs-long runs only it.
6. User-space instructions per request, ours (and --baseline) and wrk, plain HTTP and HTTPS, counted
   by valgrind's callgrind: a figure that does not move with the machine's load, for a change's
   effect on the generator's own code (the kernel's share, most of a plain request, is not in it).
   --skip-instructions skips it; --only-instructions runs only it.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
from harness import free_port  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


PIN = []  # --pin: the generator's CPU (taskset prefix)
BASELINE = None  # --baseline: another reznet-perfd binary, measured in the same rounds
THREADS = 2  # each generator's threads (--pin: 1)


def run_measured(args, timeout=600):
    """(stdout, stderr, cpu seconds, peak rss MiB, wall seconds) of one generator process."""
    start = time.monotonic()
    p = subprocess.Popen(PIN + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = [], []
    t1 = threading.Thread(target=lambda: out.append(p.stdout.read()))
    t2 = threading.Thread(target=lambda: err.append(p.stderr.read()))
    t1.start()
    t2.start()
    _, status, ru = os.wait4(p.pid, 0)
    t1.join()
    t2.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    return out[0], err[0], ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, time.monotonic() - start


class Nginx:
    def __init__(self, tmp):
        self.port = free_port()
        self.tls_port = free_port()
        self.cert = os.path.join(tmp, "cert.pem")
        key = os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", self.cert], check=True, capture_output=True)
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1;
daemon off;
error_log {tmp}/error.log;
pid {tmp}/nginx.pid;
worker_rlimit_nofile 45000;
events {{ worker_connections 20000; }}
http {{
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path {tmp};
  proxy_temp_path {tmp};
  fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp};
  scgi_temp_path {tmp};
  server {{
    listen 127.0.0.1:{self.port} backlog=4096;
    listen 127.0.0.1:{self.tls_port} ssl;
    ssl_certificate {self.cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.3;
    location / {{ return 200 "ok\\n"; }}
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-p", tmp, "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                subprocess.run(["curl", "-sf", self.url()], check=True, capture_output=True)
                break
            except subprocess.CalledProcessError:
                time.sleep(0.05)
        self.worker = int(subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                                         text=True).stdout.split()[0])

    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def tls_url(self):
        return f"https://127.0.0.1:{self.tls_port}/"

    def stop(self):
        os.kill(self.worker, signal.SIGCONT)
        self.proc.terminate()
        self.proc.wait()


def load_config(tmp, load):
    """A config of one load probe against nginx: its path and the path of the results it writes."""
    cfg = os.path.join(tmp, "load.yaml")
    out = os.path.join(tmp, "load.json")
    load = dict(load)
    with open(cfg, "w") as f:
        f.write(f"""targets:
  nginx: {{ url: "{load.pop('url')}"{load.pop('target_extra', '')} }}
probes:
  - name: bench
    kind: load
    target: nginx
    load: {json.dumps(load)}
""")
    return cfg, out


def ours(perfd, tmp, load, seconds_cap=600):
    cfg, out = load_config(tmp, load)
    _, err, cpu, rss, wall = run_measured([perfd, "load", "--config", cfg, "--out", out], seconds_cap)
    with open(out) as f:
        return json.load(f), cpu, rss, wall


def parse_wrk(text):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1}
    return rps, float(p99.group(1)) * scale[p99.group(2)] if p99 else None


def parse_ab(text):
    rps = float(re.search(r"Requests per second:\s+([\d.]+)", text).group(1))
    p99 = re.search(r"^\s+99%\s+(\d+)", text, re.M)
    return rps, float(p99.group(1)) * 1e-3 if p99 else None  # ab: whole milliseconds


def parse_hey(text):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p99 = re.search(r"99% in ([\d.]+) secs", text)
    return rps, float(p99.group(1)) if p99 else None


def parse_h2load(text):
    return float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text).group(1)), None


def throughput(perfd, nginx, tmp, seconds, rounds=1):
    print(f"\n1. Throughput: 100 keep-alive connections, no think time, {seconds} s each, nginx 1 worker"
          + (f"; median of {rounds} interleaved rounds" if rounds > 1 else ""))

    def one_round():
        rows = [ours_row(perfd, tmp, {"url": nginx.url(), "users": 100, "duration": f"{seconds}s",
                                      "threads": THREADS, "scenario": [{"name": "get", "path": "/"}]})]
        rows.append(wrk_row(nginx.url(), seconds))
        total = int(rows[1][1] * seconds)
        out, _, cpu, _, _ = run_measured(["ab", "-q", "-k", "-c", "100", "-n", str(total), nginx.url()])
        rps, _ = parse_ab(out)
        rows.append(("ab", rps, cpu / total * 1e6, "ms resolution"))
        out, _, cpu, _, wall = run_measured(["hey", "-c", "100", "-z", f"{seconds}s", nginx.url()])
        rps, _ = parse_hey(out)
        rows.append(("hey", rps, cpu / (rps * wall) * 1e6, ""))
        rows.append(h2load_row(nginx.url(), seconds))
        return rows + baseline_rows(tmp, {"url": nginx.url(), "users": 100, "duration": f"{seconds}s",
                                          "threads": THREADS, "scenario": [{"name": "get", "path": "/"}]})

    print_rows(median_rows([one_round() for _ in range(rounds)]))


def baseline_rows(tmp, load):
    """With --baseline: the same test by the other build (before/after a change, in the same rounds)."""
    return [ours_row(BASELINE, tmp, load, name="baseline build")] if BASELINE else []


def median_rows(runs):
    """Per tool (same order in every round): the median req/s and the median CPU µs/req of the
    rounds, with the note of the round whose req/s is the median. One round: that round."""
    out = []
    for i in range(len(runs[0])):
        tool = [r[i] for r in runs]
        by_rps = sorted(tool, key=lambda row: row[1])
        mid = by_rps[len(by_rps) // 2]
        cpu = sorted(row[2] for row in tool)[len(tool) // 2]
        note = mid[3] + (f" (req/s of the rounds: {', '.join(f'{row[1]:.0f}' for row in tool)})"
                         if len(runs) > 1 else "")
        out.append((mid[0], mid[1], cpu, note))
    return out


def wrk_row(url, seconds):
    out, _, cpu, _, wall = run_measured(["wrk", f"-t{THREADS}", "-c100", f"-d{seconds}s", "--latency", url])
    rps, p99 = parse_wrk(out)
    return ("wrk", rps, cpu / (rps * wall) * 1e6, f"p99 {p99 * 1e6:.0f} µs" if p99 else "")


def h2load_row(url, seconds):
    out, _, cpu, _, _ = run_measured(["h2load", "--h1", "-c", "100", "-t", str(THREADS), "-D", str(seconds), url])
    try:
        rps, _ = parse_h2load(out)
        return ("h2load --h1", rps, cpu / (rps * seconds) * 1e6, "")
    except AttributeError:
        return ("h2load --h1", 0, 0, "no result")


def print_rows(rows):
    """rows[0] is ours; every row as a ratio to it."""
    base_rps, base_cpu = rows[0][1], rows[0][2]
    print(f"  {'tool':<20} {'req/s':>10} {'CPU µs/req':>11} {'ours/peer req/s':>16} {'peer/ours CPU':>14}")
    for name, rps, cpu_us, note in rows:
        ratio = f"{base_rps / rps:.2f}" if rps else "-"
        cratio = f"{cpu_us / base_cpu:.2f}" if base_cpu and cpu_us else "-"
        print(f"  {name:<20} {rps:>10.0f} {cpu_us:>11.1f} {ratio:>16} {cratio:>14}  {note}")


def ours_row(perfd, tmp, load, name="reznet-perfd load"):
    res, cpu, _, _ = ours(perfd, tmp, load)
    n = res["requests"]
    tls = res.get("tls", {})
    note = f"p50 {res['latency']['p50'] * 1e6:.0f} µs, p99 {res['latency']['p99'] * 1e6:.0f} µs"
    if tls.get("handshakes"):
        note += f", {tls['handshakes']} handshakes ({tls['resumed']} resumed)"
    if res["failed"]:
        note += f", {res['failed']} FAILED: {next(iter(res['steps'].values()))['last_error']}"
    return (name, res["throughput_rps"], cpu / n * 1e6 if n else 0, note)


def https(perfd, nginx, tmp, seconds, rounds=1):
    url = nginx.tls_url()
    trust = f', ca_file: "{nginx.cert}"'
    median = f"; median of {rounds} interleaved rounds" if rounds > 1 else ""
    print(f"\n4a. HTTPS (TLS 1.3, nginx 1 worker): 100 keep-alive connections, no think time, {seconds} s each"
          + median)

    def keep_alive_round():
        rows = [ours_row(perfd, tmp, {"url": url, "target_extra": trust, "users": 100, "duration": f"{seconds}s",
                                      "threads": THREADS, "scenario": [{"name": "get", "path": "/"}]})]
        return rows + [wrk_row(url, seconds), h2load_row(url, seconds)] + baseline_rows(
            tmp, {"url": url, "target_extra": trust, "users": 100, "duration": f"{seconds}s",
                  "threads": THREADS, "scenario": [{"name": "get", "path": "/"}]})

    print_rows(median_rows([keep_alive_round() for _ in range(rounds)]))

    print(f"\n4b. HTTPS without keep-alive (a TCP connection and a TLS handshake per request), 100 concurrent, "
          f"{seconds} s" + median)

    def handshake_round():
        rows = [ours_row(perfd, tmp, {"url": url, "target_extra": trust, "users": 100, "duration": f"{seconds}s",
                                      "threads": THREADS, "keep_alive": False,
                                      "scenario": [{"name": "get", "path": "/"}]})]
        total = max(1000, int(rows[0][1] * seconds))
        out, _, cpu, _, _ = run_measured(["ab", "-q", "-c", "100", "-n", str(total), url])
        try:
            rps, _ = parse_ab(out)
            rows.append(("ab (no -k)", rps, cpu / total * 1e6, "full handshakes, no resumption"))
        except AttributeError:
            rows.append(("ab (no -k)", 0, 0, "no result"))
        return rows + baseline_rows(tmp, {"url": url, "target_extra": trust, "users": 100,
                                          "duration": f"{seconds}s", "threads": THREADS, "keep_alive": False,
                                          "scenario": [{"name": "get", "path": "/"}]})

    print_rows(median_rows([handshake_round() for _ in range(rounds)]))


def callgrind(cmd):
    """User-space instructions `cmd` executed (valgrind --tool=callgrind), and its stdout; None when
    the run failed."""
    try:
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
                           capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return None, ""
    found = re.search(r"Collected : (\d+)", r.stderr)
    return (int(found.group(1)) if found and r.returncode == 0 else None), r.stdout


def instructions(perfd, nginx, tmp):
    """6. What the generator executes per request in user space, counted rather than timed."""
    print("\n6. User-space instructions per request (valgrind --tool=callgrind counts them: the same figure on a"
          " busy machine)\n   (instructions of a 5 s run - those of a 2 s run) / (requests of the 5 s run - those"
          " of the 2 s run): start-up and wind-down cancel out. Kernel work (the syscalls) is not counted.\n"
          "   100 connections over plain HTTP; 10 over HTTPS (handshakes under valgrind are slow).")
    tests = (("plain HTTP", nginx.url(), "", 100), ("HTTPS", nginx.tls_url(), f', ca_file: "{nginx.cert}"', 10))

    def per_request(run):
        (i2, r2), (i5, r5) = run(2), run(5)
        ok = None not in (i2, i5, r2, r5) and r5 > r2 > 0
        return (i5 - i2) / (r5 - r2) if ok else None

    def ours_run(binary, url, extra, users):
        def run(seconds):
            cfg, out = load_config(tmp, {"url": url, "target_extra": extra, "users": users, "threads": 1,
                                         "duration": f"{seconds}s", "request_timeout": "30s",
                                         "scenario": [{"name": "get", "path": "/"}]})
            if os.path.exists(out):
                os.remove(out)
            count, _ = callgrind([binary, "load", "--config", cfg, "--out", out])
            if count is None or not os.path.exists(out):
                return None, None
            with open(out) as f:
                return count, json.load(f)["requests"]
        return run

    def wrk_run(url, _extra, users):
        def run(seconds):
            count, text = callgrind(["wrk", "-t1", f"-c{users}", f"-d{seconds}s", url])
            found = re.search(r"(\d+) requests in", text)
            return count, int(found.group(1)) if found else None
        return run

    tools = [("reznet-perfd load", lambda *t: ours_run(perfd, *t))]
    if BASELINE:
        tools.append(("baseline build", lambda *t: ours_run(BASELINE, *t)))
    tools.append(("wrk", wrk_run))
    print(f"  {'tool':<20} " + " ".join(f"{name:>12}" for name, *_ in tests))
    for name, make in tools:
        cells = []
        for _, url, extra, users in tests:
            n = per_request(make(url, extra, users))
            cells.append(f"{n:>12,.0f}" if n else f"{'n/a':>12}")
        print(f"  {name:<20} " + " ".join(cells))


def coordinated_omission(perfd, nginx, tmp):
    print("\n2. Coordinated omission: nginx SIGSTOP 1 s every 10 s, 30 s, 10 connections; true p99 ≈ 900 ms")
    stop = threading.Event()

    def freezer():
        t0 = time.monotonic()
        while not stop.is_set():
            k = int((time.monotonic() - t0) // 10) + 1
            if stop.wait(max(0.0, t0 + k * 10 - 1 - time.monotonic())):
                break
            os.kill(nginx.worker, signal.SIGSTOP)
            time.sleep(1)
            os.kill(nginx.worker, signal.SIGCONT)

    def with_freezer(fn):
        stop.clear()
        t = threading.Thread(target=freezer)
        t.start()
        try:
            return fn()
        finally:
            stop.set()
            t.join()
            os.kill(nginx.worker, signal.SIGCONT)

    res, _, _, _ = with_freezer(lambda: ours(perfd, tmp, {
        "url": nginx.url(), "executor": "constant-arrival-rate", "rate": 2000, "max_vus": 10,
        "duration": "30s", "threads": THREADS, "scenario": [{"name": "get", "path": "/"}]}))
    print(f"  reznet-perfd (open model, 2000/s): p99 {res['latency']['p99'] * 1e3:.0f} ms from the intended start "
          f"({res['latency']['p99'] / 0.9:.3f} × true), raw p99 {res['raw_latency']['p99'] * 1e3:.1f} ms, "
          f"dropped {res['dropped']}")
    out, *_ = with_freezer(lambda: run_measured(["wrk", f"-t{THREADS}", "-c10", "-d30s", "--latency", nginx.url()]))
    print(f"  wrk:  p99 {parse_wrk(out)[1] * 1e3:.1f} ms")
    out, *_ = with_freezer(lambda: run_measured(["ab", "-q", "-k", "-c", "10", "-t", "30", "-n", "100000000",
                                                 nginx.url()]))
    print(f"  ab:   p99 {parse_ab(out)[1] * 1e3:.0f} ms (whole ms)")
    out, *_ = with_freezer(lambda: run_measured(["hey", "-c", "10", "-z", "30s", nginx.url()]))
    print(f"  hey:  p99 {parse_hey(out)[1] * 1e3:.1f} ms")


def many_users(perfd, nginx, tmp, users, seconds, ramp_up):
    print(f"\n3. {users:,} virtual users, think time 1–3 s, ramp-up {ramp_up} s, {seconds} s at full load")
    res, cpu, rss, wall = ours(perfd, tmp, {"url": nginx.url(), "users": users, "ramp_up": f"{ramp_up}s",
                                            "duration": f"{seconds}s", "think_time": "1s..3s", "threads": THREADS,
                                            "limits": {"max_users": users},
                                            "scenario": [{"name": "get", "path": "/"}]})
    # User u starts at ramp_up × u / users and makes a request every 2 s on average (the first at
    # its start) until the end: (seconds + ramp_up / 2) / 2 + ½ requests each on average.
    expected = users * ((seconds + ramp_up / 2) / 2 + 0.5) / res["seconds"]
    full = users / 2
    rps = res["throughput_rps"]
    errors = f", {res['failed']} FAILED: {next(iter(res['steps'].values()))['last_error']}" if res["failed"] else ""
    print(f"  {'requests':>9} {'req/s':>7} {'expected':>8} {'ratio':>6} {'at full load':>12} "
          f"{'CPU % of a core':>15} {'peak RSS MiB':>12} {'p99 ms':>7}")
    print(f"  {res['requests']:>9} {rps:>7.0f} {expected:>8.0f} {rps / expected:>6.3f} "
          f"{rps / expected * full:>12.0f} {cpu / wall * 100:>15.1f} {rss:>12.1f} "
          f"{res['latency']['p99'] * 1e3:>7.2f}{errors}")
    print(f"  (req/s over the {res['seconds']:.1f} s of the run including the ramp-up; at full load: scaled to "
          f"{users:,} users at one request per 2 s = {full:.0f}/s expected; targets < 50 % of a core, < 100 MiB)")


def short_vs_long(perfd, nginx, tmp, short, long):
    print(f"\n5. Short vs long: 100 keep-alive connections, no think time, {short} s and {long} s, nginx 1 worker")
    print(f"  {'tool':<20} {f'{short} s req/s':>11} {f'{long} s req/s':>11} {'short/long':>10}  measured over")
    load = {"url": nginx.url(), "users": 100, "threads": THREADS, "scenario": [{"name": "get", "path": "/"}]}
    res = [ours(perfd, tmp, dict(load, duration=f"{d}s"))[0] for d in (short, long)]
    ours_rps = [r["throughput_rps"] for r in res]
    wrk_rps = [wrk_row(nginx.url(), d)[1] for d in (short, long)]
    window = " and ".join(f"{r['seconds']:.4f} s" for r in res)
    notes = {"reznet-perfd load": f"{window} (first request's start to last response's end)",
             "wrk": "its run time (connects included)"}
    for name, (a, b) in (("reznet-perfd load", ours_rps), ("wrk", wrk_rps)):
        print(f"  {name:<20} {a:>11.0f} {b:>11.0f} {a / b:>10.3f}  {notes[name]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=1,
                    help="sections 1 and 4: run every tool this many times, interleaved, and print the "
                         "medians (a shared machine moves single runs by 10-20 %%)")
    ap.add_argument("--pin", action="store_true",
                    help="nginx on CPU 0, each generator on CPU 1 with one thread (see the top)")
    ap.add_argument("--baseline", metavar="BINARY",
                    help="sections 1 and 4: also run this other reznet-perfd build in every round (a change's "
                         "before and after, measured side by side)")
    ap.add_argument("--skip-co", action="store_true")
    ap.add_argument("--skip-vus", action="store_true")
    ap.add_argument("--skip-tls", action="store_true")
    ap.add_argument("--skip-short-vs-long", action="store_true")
    ap.add_argument("--skip-instructions", action="store_true")
    only = ap.add_mutually_exclusive_group()
    only.add_argument("--only-tls", action="store_true")
    only.add_argument("--only-vus", action="store_true")
    only.add_argument("--only-short-vs-long", action="store_true")
    only.add_argument("--only-instructions", action="store_true")
    ap.add_argument("--users", type=int, default=1000, help="section 3: virtual users")
    ap.add_argument("--vus-seconds", type=int, default=20, help="section 3: seconds at full load")
    ap.add_argument("--vus-ramp-up", type=int, default=5, help="section 3: seconds to start the users")
    ap.add_argument("--short-seconds", type=int, default=5)
    ap.add_argument("--long-seconds", type=int, default=30)
    args = ap.parse_args()
    subprocess.run([os.path.join(ROOT, "scripts/install-deps.sh"), "--bench"], check=True, stdout=subprocess.DEVNULL)
    perfd = os.path.join(args.build, "bin/reznet-perfd")
    only = args.only_tls or args.only_vus or args.only_short_vs_long or args.only_instructions
    with tempfile.TemporaryDirectory(prefix="reznet-bench-") as tmp:
        nginx = Nginx(tmp)
        global BASELINE
        BASELINE = args.baseline
        if args.pin:
            global PIN, THREADS
            PIN, THREADS = ["taskset", "-c", "1"], 1
            os.sched_setaffinity(nginx.worker, {0})
            print("Pinned: nginx's worker on CPU 0; each generator on CPU 1 with one thread.")
        try:
            if not only:
                throughput(perfd, nginx, tmp, args.seconds, args.rounds)
                if not args.skip_co:
                    coordinated_omission(perfd, nginx, tmp)
            if args.only_vus or not (only or args.skip_vus):
                many_users(perfd, nginx, tmp, args.users, args.vus_seconds, args.vus_ramp_up)
            if args.only_tls or not (only or args.skip_tls):
                https(perfd, nginx, tmp, args.seconds, args.rounds)
            if args.only_short_vs_long or not (only or args.skip_short_vs_long):
                short_vs_long(perfd, nginx, tmp, args.short_seconds, args.long_seconds)
            if args.only_instructions or not (only or args.skip_instructions):
                instructions(perfd, nginx, tmp)
        finally:
            nginx.stop()


if __name__ == "__main__":
    main()
