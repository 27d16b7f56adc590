#!/usr/bin/env python3
"""File-based discovery cost against the number of targets (issue #24, break 3): for each size N,
the built daemon (build/bin/reznet-perfd serve) watches one file_sd file, and this script prints
the wall seconds, the daemon's CPU seconds and its resident set (MiB) for

  first    the file goes from [] to N targets (N probes added)
  change   one target of the N replaced (1 added, 1 removed, N-1 kept)
  reload   POST /-/reload after the template's path changed (N probes changed)
  noop     POST /-/reload of the same config (N kept)
  halve    the file keeps half its targets (N/2 probes removed)

  python3 bench/discovery_scale.py [--build build] [--sizes 1000,10000,100000] [--timeout 120]

Prints only (no assertion). Linear discovery keeps cpu_s/N and MiB/N about flat as N grows.
`wall_s` of first and change is from writing the file to the log line saying it was applied (the
daemon watches the directory with inotify, so no wait for the next refresh); cpu_s is what the
daemon spent meanwhile. The probes run hourly against 127.x.y.z:9 (refused at
once), spread over the hour, so they cost little. Stdlib only.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

TICK = os.sysconf("SC_CLK_TCK")


def targets(n, first=0):
    return [f"127.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255 or 1}:{9 + (i & 255 == 0)}"
            for i in range(first, first + n)]


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def config(tmp, sd, n, path, interval="1h"):
    return (f"daemon: {{ state_dir: \"{tmp}/state\", log: {{ level: info }} }}\n"
            "probes:\n"
            f"  - {{ name: bulk, kind: http, interval: {interval}, timeout: 1s, http: {{ path: {path} }},\n"
            f"      targets_from: {{ files: [\"{sd}\"], refresh: 1s, max_targets: {max(n, 1)} }} }}\n")


class Daemon:
    def __init__(self, binary, cfg):
        self.proc = subprocess.Popen([binary, "serve", "--config", cfg, "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines, self.lock = [], threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        m = self.wait(r"listening on (http://[0-9.:]+)", 60)
        self.url = m.group(1) if m else None

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def mark(self):
        with self.lock:
            return len(self.lines)

    def wait(self, pattern, timeout, since=0):
        rx, deadline = re.compile(pattern), time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            with self.lock:
                for line in self.lines[since:]:
                    m = rx.search(line)
                    if m:
                        return m
            time.sleep(0.01)
        return None

    def cpu(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return 0.0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def reload(url, timeout):
    req = urllib.request.Request(url + "/-/reload", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, {}
    except OSError as e:
        return repr(e), {}


def step(d, name, n, action, pattern, timeout):
    since, cpu0, start = d.mark(), d.cpu(), time.monotonic()
    detail = action()
    ok = d.wait(pattern, timeout, since) is not None
    wall = time.monotonic() - start
    shown = f"{wall:8.2f}" if ok else f"{'>' + str(timeout):>8}"
    print(f"{n:>7} {name:>7} {shown} {d.cpu() - cpu0:7.2f} {d.rss_mib():8.1f}  {detail or ''}",
          flush=True)
    return ok


def run_size(binary, n, timeout, interval):
    with tempfile.TemporaryDirectory(prefix="reznet-disc-") as tmp:
        sd, cfg = os.path.join(tmp, "targets.json"), os.path.join(tmp, "config.yaml")
        write_atomic(sd, "[]")
        write_atomic(cfg, config(tmp, sd, n, "/a", interval))
        d = Daemon(binary, cfg)
        try:
            if d.url is None:
                print(f"{n:>7} daemon did not start:\n" + "\n".join(d.lines[-20:]))
                return
            print(f"{n:>7} {'idle':>7} {'':>8} {'':>7} {d.rss_mib():8.1f}", flush=True)
            group = [{"targets": targets(n), "labels": {"pool": "bench"}}]
            if not step(d, "first", n, lambda: write_atomic(sd, json.dumps(group)),
                        rf"discovered targets applied: {n} probe\(s\) added", timeout):
                return
            group[0]["targets"][0] = "127.255.255.254:9"
            if not step(d, "change", n, lambda: write_atomic(sd, json.dumps(group)),
                        r"discovered targets applied: 1 probe\(s\) added, 0 changed, 1 removed",
                        timeout):
                return

            def post():
                status, body = reload(d.url, timeout)
                return f"POST /-/reload -> {status} {body.get('status', '')}"
            write_atomic(cfg, config(tmp, sd, n, "/b", interval))
            if not step(d, "reload", n, post, rf"config reloaded from .*: 0 probe\(s\) added, "
                                              rf"{n} changed", timeout):
                return
            if not step(d, "noop", n, post, rf"config reloaded from .*{n} kept", timeout):
                return
            half = {"targets": group[0]["targets"][:n // 2], "labels": group[0]["labels"]}
            step(d, "halve", n, lambda: write_atomic(sd, json.dumps([half])),
                 rf"discovered targets applied: 0 probe\(s\) added, 0 changed, {n - n // 2} removed",
                 timeout)
        finally:
            d.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../build"))
    ap.add_argument("--binary", help="a reznet-perfd to measure instead of BUILD/bin/reznet-perfd")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--timeout", type=int, default=120, help="seconds to wait for each step")
    ap.add_argument("--interval", default="1h",
                    help="the probes' interval: 1h, they hardly run; shorter, they have run (and "
                         "export phase series) before the later steps")
    args = ap.parse_args()
    binary = args.binary or os.path.join(args.build, "bin/reznet-perfd")
    if not os.path.exists(binary):
        sys.exit(f"{binary}: not built")
    print(f"{'targets':>7} {'step':>7} {'wall_s':>8} {'cpu_s':>7} {'rss_MiB':>8}  (rss after the step)")
    for n in (int(s) for s in args.sizes.split(",")):
        run_size(binary, n, args.timeout, args.interval)


if __name__ == "__main__":
    main()
