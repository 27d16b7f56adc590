#!/usr/bin/env python3
"""Demo green: does the demo stay green on a healthy RezNet, and does a slowdown page? (issue #26
item 7; prints, asserts nothing; not run in CI: it takes --minutes + --slowdown-minutes)

  python3 bench/demo_green.py [--minutes 30] [--slowdown 2] [--slowdown-minutes 10]

Starts scripts/demo.sh on free 127.0.0.1 ports from a temporary tree of symlinks to this
repository: demo.sh keeps its services and state under its own root (.run/) and stops the
services there when it starts, so a demo run from the repository itself is left alone.
1. Healthy phase (--minutes from start): GET /api/v1/status every 15 s (the eval_interval); per
   NFR the polls not ok (collecting / no_data too after the first 90 s); the alerts active in the
   demo's Alertmanager and the firing notifications it received; the CPU pressure (PSI `some`).
2. Slowdown phase (--slowdown x; 0 skips it): the testbed's latency faults (those demo.sh sets)
   times x; every 5 s, per NFR the time until pending, firing and its alert in Alertmanager,
   beside its window + `for` (config/examples/demo.yaml): a page rule's promise.
The demo is stopped on every exit (SIGINT to its process group, as Ctrl-C); whatever it started
that still runs after that is named and killed. Exit 1 only when the demo did not start or died.
"""
import argparse
import collections
import contextlib
import fcntl
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
from harness import free_port, http  # noqa: E402

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
BUILD_LOCK = "/tmp/reznet-build.lock"  # held by the project's builds; demo.sh runs cmake --build
LATENCY = {"latency_ms": None, "jitter_ms": None, "llm": ("ttft_ms", "jitter_ms")}  # demo.sh's faults
GRACE = 90  # seconds after start in which collecting / no_data is expected


def get(url, timeout=10):
    """(status, body) or (None, error) when nothing answers."""
    try:
        return http("GET", url, timeout=timeout)
    except OSError as e:
        return None, str(e)


def seconds(text):
    """Seconds from "5m", "200ms", "1h"; a ratio from "60%"."""
    m = re.fullmatch(r"([\d.]+)(ms|s|m|h|%)?", str(text))
    return float(m[1]) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "%": 0.01, None: 1}[m[2]]


def mss(t):
    return "—" if t is None else f"{int(t // 60)}:{int(t % 60):02d}"


def fmt(rule, v):
    """A rule's value as its threshold reads: a share in %, a latency in ms (a burn rate: bad share)."""
    if v is None:
        return "—"
    pct = str(rule.get("threshold", "")).endswith("%") or rule.get("alert") == "burn_rate"
    return f"{100 * v:.1f} %" if pct else f"{1000 * v:.0f} ms"


def cpu_stall():
    """Seconds some task waited for a CPU since boot (PSI), None without PSI."""
    try:
        with open("/proc/pressure/cpu") as f:
            return int(re.search(r"^some .*total=(\d+)", f.read(), re.M)[1]) / 1e6
    except (OSError, TypeError):
        return None


def ours(pgid, marks, pids):
    """Live processes of the demo: its process group, the services (their own sessions: named by
    pid file, or by a path of ours in their command line) and all their children."""
    procs = {}
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if st[0] != "Z":
            procs[int(d)] = (int(st[1]), int(st[2]), cmd)
    found = {p for p, (_, g, c) in procs.items() if g == pgid or p in pids or any(m in c for m in marks)}
    while more := {p for p, (pp, _, _) in procs.items() if pp in found} - found:
        found |= more
    return {p: procs[p][2][:80] for p in found}


class Demo:
    def __init__(self, log):
        self.lock = open(BUILD_LOCK, "a")
        fcntl.flock(self.lock, fcntl.LOCK_EX)  # waits for a running build; demo.sh's build runs alone
        self.tmp = tempfile.mkdtemp(prefix="demo_green.")
        os.mkdir(os.path.join(self.tmp, "scripts"))
        for name in os.listdir(os.path.join(ROOT, "scripts")):
            os.symlink(os.path.join(ROOT, "scripts", name), os.path.join(self.tmp, "scripts", name))
        for name in ("build", "config"):
            os.symlink(os.path.join(ROOT, name), os.path.join(self.tmp, name))
        self.run_dir = os.path.join(self.tmp, ".run/demo-services")
        self.perfd, self.tb = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
        env = {**os.environ, "REZNET_PERFD_LISTEN": self.perfd[7:], "REZNET_TESTBED_LISTEN": self.tb[7:]}
        self.proc = subprocess.Popen([os.path.join(self.tmp, "scripts/demo.sh")], cwd=self.tmp, env=env,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.marks, self.pids = {self.tmp}, set()

    def wait_ready(self, timeout):
        env_file, deadline = os.path.join(self.run_dir, "services.env"), time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if not self.lock.closed and get(self.tb + "/health", 2)[0] == 200:
                self.lock.close()  # the testbed runs: demo.sh's build is done
            if get(self.perfd + "/readyz", 2)[0] == 200 and os.path.exists(env_file):
                self.services()
                with open(env_file) as f:
                    return dict(re.findall(r'^(\w+)="?(.*?)"?$', f.read(), re.M))
            time.sleep(0.5)
        return None

    def services(self):
        """Remembers the services' pids and PostgreSQL's directory (stopping removes their files)."""
        for path in glob.glob(os.path.join(self.run_dir, "*.pid")) + [os.path.join(self.run_dir, "pg_dir")]:
            with contextlib.suppress(OSError, ValueError), open(path) as f:
                v = f.read().strip()
                if path.endswith(".pid"):
                    self.pids.add(int(v))
                else:
                    self.marks.add(v)

    def stop(self):
        if not self.lock.closed:
            self.lock.close()
        self.services()
        try:
            os.killpg(self.proc.pid, signal.SIGINT)
            self.proc.wait(90)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        deadline = time.monotonic() + 30
        while (left := ours(self.proc.pid, self.marks, self.pids)) and time.monotonic() < deadline:
            time.sleep(0.5)
        if left:
            print(f"demo: still running after Ctrl-C, stopped now: {left}", file=sys.stderr)
            subprocess.run([os.path.join(ROOT, "scripts/services.sh"), "stop", self.run_dir], capture_output=True)
            for pid in ours(self.proc.pid, self.marks, self.pids):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(1)
        for path in self.marks:
            shutil.rmtree(path, ignore_errors=True)
        print("demo: stopped; " + ("everything it started is gone" if not ours(self.proc.pid, self.marks, self.pids)
                                   else "some processes survived SIGKILL"))


def status(demo):
    """The NFRs by name, the prober's health, and the probes whose last run failed: {name: error}."""
    s, body = get(demo.perfd + "/api/v1/status")
    if s != 200:
        return None, {}, {}
    doc = json.loads(body)
    lasts = {p["name"]: p.get("last") or {} for p in doc.get("probes", [])}  # null before a first run
    failed = {name: last.get("error") for name, last in lasts.items() if not last.get("ok", True)}
    return {n["name"]: n for n in doc["nfrs"]}, doc.get("prober", {}), failed


def alerts(am):
    """Alertmanager's active alerts by alertname: their severity."""
    s, body = get(am + "/api/v2/alerts")
    labels = [a["labels"] for a in json.loads(body)] if s == 200 else []
    return {a.get("alertname", "?"): a.get("severity", "") for a in labels}


def received(am):
    """Firing notifications Alertmanager received so far (resends count): none slips between polls."""
    counts = re.findall(r'^alertmanager_alerts_received_total\{[^}]*status="firing"[^}]*\} (\S+)',
                        get(am + "/metrics")[1], re.M)
    return sum(map(float, counts)) if counts else None


def ticks(start, every, until, demo):
    """Yields at start, start + every, … until `until` (monotonic); stops if the demo died."""
    n = 0
    while (t := start + n * every) <= until:
        time.sleep(max(0.0, t - time.monotonic()))
        if demo.proc.poll() is not None:
            raise RuntimeError(f"the demo exited (status {demo.proc.returncode}) during the measurement")
        yield
        n += 1


def healthy(args, demo, am, start, rules):
    rows = collections.defaultdict(lambda: {"polls": 0, "bad": 0, "states": collections.Counter(), "first": None})
    seen, failed, overloaded, polls, green_at, shown = {}, 0, 0, 0, None, None
    probe_fails = {}  # probes whose last run had failed at a poll: no NFR may watch them
    stall0, recv0, wall0 = cpu_stall(), received(am), time.monotonic()
    for _ in ticks(start, 15, start + args.minutes * 60, demo):
        now, (nfrs, prober, probes) = time.monotonic() - start, status(demo)
        polls += 1
        if nfrs is None:
            failed += 1
            continue
        overloaded += bool(prober.get("overloaded"))
        for name, error in probes.items():
            f = probe_fails.setdefault(name, {"polls": 0, "first": now, "error": error})
            f["polls"], f["last"] = f["polls"] + 1, now
        states = {k: "collecting" if n.get("collecting") else n["state"] for k, n in nfrs.items()}
        for name, state in states.items():
            r = rows[name]
            r["polls"] += 1
            if state != "ok" and (now >= GRACE or state not in ("collecting", "no_data")):
                r["bad"], r["last"] = r["bad"] + 1, now
                r["states"][state] += 1
                r["first"] = now if r["first"] is None else r["first"]
        if green_at is None and set(states.values()) == {"ok"}:
            green_at = now
        if (bad := {k: v for k, v in states.items() if v != "ok"}) != shown:  # a line when that changes
            by_state = collections.defaultdict(list)
            for k, v in bad.items():  # values where they judge something
                judged = v not in ("collecting", "no_data")
                by_state[v].append(f"{k} {fmt(rules.get(k, {}), nfrs[k].get('value'))}" if judged else k)
            print(f"  {mss(now)}  " + ("; ".join(f"{v}: {', '.join(ks)}" for v, ks in by_state.items()) or "all ok"),
                  flush=True)
            shown = bad
        for name, sev in alerts(am).items():
            a = seen.setdefault(name, {"severity": sev, "polls": 0, "first": now})
            a["polls"], a["last"] = a["polls"] + 1, now
    wall, stall1, recv1 = time.monotonic() - wall0, cpu_stall(), received(am)
    print(f"\nHealthy phase: {args.minutes:g} min, {polls} polls every 15 s ({failed} unanswered); every NFR "
          f"ok {mss(green_at)} after start; prober overloaded in {overloaded} polls; times m:ss since start\n")
    print(f"{'NFR':<26}{'severity':<9}{'polls':>6}{'not ok':>7}  {'first':>6}{'last':>6}  states")
    for name, r in rows.items():
        states = ", ".join(f"{k} ×{c}" for k, c in r["states"].items())
        print(f"{name:<26}{rules.get(name, {}).get('severity', '?'):<9}{r['polls']:>6}{r['bad']:>7}  "
              f"{mss(r['first']):>6}{mss(r.get('last')):>6}  {states}")
    print(f"\nAlertmanager: {len(seen)} alert(s) active at some poll; firing notifications received during "
          f"the phase: {'?' if None in (recv0, recv1) else f'{recv1 - recv0:g}'}")
    for name, a in seen.items():
        print(f"  {name} ({a['severity']}): active in {a['polls']} polls, {mss(a['first'])} to {mss(a['last'])}")
    print(f"Probes whose last run had failed, at a poll: {len(probe_fails) or 'none'}")
    for name, f in probe_fails.items():
        print(f"  {name}: last run failed at {f['polls']} polls, {mss(f['first'])} to {mss(f['last'])} "
              f"(first error: {str(f['error'])[:70]})")
    if None not in (stall0, stall1):
        print(f"CPU pressure: some task waited for a CPU {100 * (stall1 - stall0) / wall:.0f} % of the phase's "
              f"wall time ({stall1 - stall0:.0f} s of {wall:.0f} s); {os.cpu_count()} cores, load average "
              + " ".join(f"{x:.2f}" for x in os.getloadavg()))


def slowdown(args, demo, am, start, rules):
    _, body = get(demo.tb + "/testbed/faults")
    now_f, slow = json.loads(body), {}
    for key, sub in LATENCY.items():
        slow[key] = {k: now_f[key][k] * args.slowdown for k in sub} if sub else now_f[key] * args.slowdown
    s, body = http("POST", demo.tb + "/testbed/faults", json.dumps(slow))
    if s != 200:
        raise RuntimeError(f"the testbed refused the faults {slow}: {body}")
    t0, before = time.monotonic(), set(alerts(am))
    pending, fired, paged, last = {}, {}, {}, {}
    print(f"\nSlowdown phase: {args.slowdown:g}x from {mss(t0 - start)} after start, "
          f"{args.slowdown_minutes:g} min, polls every 5 s; faults {json.dumps(slow)}", flush=True)
    for _ in ticks(t0, 5, t0 + args.slowdown_minutes * 60, demo):
        now, (nfrs, _, _) = time.monotonic() - t0, status(demo)
        for name, n in (nfrs or {}).items():
            last[name] = n
            for state, when in (("pending", pending), ("firing", fired)):
                if n["state"] == state and name not in when:
                    when[name] = now
                    print(f"  {mss(now)}  {name} {state} ({fmt(rules.get(name, {}), n.get('value'))})", flush=True)
        for name in alerts(am):
            paged.setdefault(name, None if name in before else now)
    print(f"\n{'NFR':<26}{'severity':<9}{'window+for':>11}{'pending':>8}{'firing':>8}{'alert':>8}  {'value':>9}  "
          f"{'promise':<11}verdict   (times m:ss since injection)")
    by_verdict = collections.defaultdict(list)
    for name, n in last.items():
        r = rules.get(name, {})
        limit = seconds(r.get("window", n.get("evidence_seconds", 0))) + seconds(r.get("for", 0))
        v, kept, page = n.get("value"), None, r.get("severity") == "page"
        if v is not None and r.get("alert") == "burn_rate":  # the bad share against the error budget
            kept = v < 1 - float(r["stat"][1:]) / 100
        elif v is not None and "threshold" in r:
            kept = v < seconds(r["threshold"]) if r.get("op") == "<" else v > seconds(r["threshold"])
        if name in paged and paged[name] is None:
            verdict = "alert active before the slowdown"
        elif name in paged:
            verdict = ("paged" if page else "alerted") + (" in time" if paged[name] <= limit else " LATE")
        else:
            verdict = "not paged" if page else "no alert"
            verdict += {True: ": value keeps the promise", False: ", VALUE BREAKS THE PROMISE"}.get(kept, "")
        if page:
            by_verdict[verdict].append(name)
        print(f"{name:<26}{r.get('severity', '?'):<9}{mss(limit):>11}{mss(pending.get(name)):>8}"
              f"{mss(fired.get(name)):>8}{mss(paged.get(name)):>8}  {fmt(r, v):>9}  {n.get('promise', ''):<11}{verdict}")
    print("\nPage rules: " + "; ".join(f"{v}: {', '.join(names)}" for v, names in by_verdict.items()))
    if other := [f"{k} ({'active before' if t is None else mss(t)})" for k, t in paged.items() if k not in last]:
        print("Other alerts in Alertmanager: " + ", ".join(other))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30, help="healthy phase, from the demo's start")
    ap.add_argument("--slowdown", type=float, default=2, help="latency factor; 0 skips the phase")
    ap.add_argument("--slowdown-minutes", type=float, default=10)
    ap.add_argument("--start-timeout", type=float, default=1200, help="seconds for demo.sh to build and start")
    args = ap.parse_args()
    with open(os.path.join(ROOT, "config/examples/demo.yaml")) as f:
        rules = {r["name"]: r for r in yaml.safe_load(f)["nfrs"]}
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:  # nohup ignores it: keep that
        signal.signal(signal.SIGHUP, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    log = tempfile.NamedTemporaryFile(prefix="demo_green-", suffix=".log", delete=False)
    rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True, text=True)
    print(f"demo_green: tree {rev.stdout.strip()}, {time.strftime('%H:%M:%S %Z')}; demo.sh's output in {log.name}; "
          f"waiting for the build lock {BUILD_LOCK}", flush=True)
    demo = Demo(log)
    try:
        env = demo.wait_ready(args.start_timeout)
        if env is None:
            print(f"demo_green: the demo did not start; the end of {log.name}:", file=sys.stderr)
            subprocess.run(["tail", "-n", "30", log.name])
            return 1
        start = time.monotonic()  # the daemon answers: the demo's start
        am = env["REZNET_ALERTMANAGER_URL"]
        built = time.ctime(os.path.getmtime(os.path.join(ROOT, "build/bin/reznet-perfd")))
        print(f"demo_green: daemon {demo.perfd} (built {built}), testbed {demo.tb}, Alertmanager {am}; "
              f"a line when the NFRs not ok change (m:ss since start):", flush=True)
        healthy(args, demo, am, start, rules)
        if args.slowdown > 0:
            slowdown(args, demo, am, start, rules)
        return 0
    except RuntimeError as e:
        print(f"demo_green: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("demo_green: interrupted", file=sys.stderr)
        return 130
    finally:
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
