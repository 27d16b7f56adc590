#!/usr/bin/env python3
"""Verdicts: false alarms and detection delays, old method vs new (issue #26; prints, asserts
nothing; not run in CI).

  python3 bench/verdicts.py [--build build] [--samples 300] [--hours 200] [--trials 100]

1. Measures: starts PostgreSQL and Redis (scripts/services.sh) and the testbed with latency
   jitter (20 ms + uniform 0–20 ms on the backend; LLM first tokens after 150–250 ms), loads both cores with a CPU hog (one busy
   process per core), and runs a suite of the demo's probes (config/examples/demo.yaml) with
   --samples runs each (60 for the LLM and agent probes): the real samples of a jittery service
   on a busy machine.
2. Replays (bench/verdict_replay.cpp): for each latency rule of the demo that the daemon evaluates
   continuously, the samples of its phase are scaled so that their statistic sits at 90 % of the
   rule's threshold — a healthy service running close to its promise, the hard case — and drawn
   at the probe's interval (and samples per run) into the rule's window, evaluated every
   eval_interval, for --hours of simulated time: the false alarms per hour. Then, --trials times,
   a slowdown by 1.2x (the statistic at 108 % of the threshold: a real but small breach) and by
   2x begins after a warm window, and the time until each method's rule is firing is recorded
   (0 when it already was).
   Old method: the rule fires on the window's point estimate beyond the threshold (for `for`, with
   min_samples and clear_threshold as configured): what reznet-perfd did before, and what a
   Prometheus rule on the window gauge does. New: a breach counts only while the whole 95 %
   interval of the statistic lies beyond the threshold (nfr/step.hpp).
"""
import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
from harness import Process, http  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SLOW_KINDS = ("llm", "agent")


def seconds(text):
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    text = str(text)
    for u in ("ms", "s", "m", "h"):
        if text.endswith(u) and text[: -len(u)].replace(".", "", 1).isdigit():
            return float(text[: -len(u)]) * units[u]
    return float(text)


def hog(stop):
    while not stop.is_set():
        pass


def nearest_rank(values, q):
    s = sorted(values)
    k = max(1, min(len(s), int(-(-q * len(s) // 1))))
    return s[k - 1]


def stat_of(values, stat):
    if stat == "mean":
        return sum(values) / len(values)
    return nearest_rank(values, {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}[stat])


def measure(args, tmp, demo):
    run_dir = os.path.join(tmp, "services")
    subprocess.run([os.path.join(ROOT, "scripts/services.sh"), "start", run_dir], check=True,
                   stdout=subprocess.DEVNULL)
    env = {}
    with open(os.path.join(run_dir, "services.env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v.strip('"')
    tb = None
    stop = multiprocessing.Event()
    hogs = [multiprocessing.Process(target=hog, args=(stop,)) for _ in range(os.cpu_count() or 2)]
    try:
        tb = Process([os.path.join(args.build, "bin/reznet-testbed"), "--listen", "127.0.0.1:0",
                      "--pg-dsn", env["REZNET_PG_DSN"], "--redis-url", env["REZNET_REDIS_URL"]],
                     env={"PGPASSWORD": env["REZNET_PG_PASSWORD"]})
        # The backend: 20–40 ms; the LLM providers: a first token after 150–250 ms, then one
        # every 20 ms.
        status, body = http("POST", tb.url + "/testbed/faults", json.dumps(
            {"latency_ms": 20, "jitter_ms": 20, "llm": {"ttft_ms": 150, "jitter_ms": 100, "token_ms": 20}}))
        if status != 200:
            sys.exit("testbed faults refused: " + body)
        probes = {p["name"]: p for p in demo["probes"]}
        rules = [r for r in demo["nfrs"] if r.get("kind") != "regression" and r.get("alert") != "burn_rate"
                 and r.get("stat") in ("p50", "p90", "p95", "p99", "mean")
                 and probes[r["probe"]]["kind"] != "load"]
        entries = []
        for name in sorted({r["probe"] for r in rules}):
            n = 60 if probes[name]["kind"] in SLOW_KINDS else args.samples
            entries.append(f"{{ probe: {name}, samples: {n}, max_samples: {n} }}")
        with open(os.path.join(ROOT, "config/examples/demo.yaml")) as f:
            text = f.read()
        cfg = os.path.join(tmp, "bench.yaml")
        with open(cfg, "w") as f:
            f.write(text + f"\nsuites:\n  bench: {{ probes: [{', '.join(entries)}] }}\n")
        run_env = {**os.environ, **env, "REZNET_BACKEND_URL": tb.url, "REZNET_ANTHROPIC_URL": tb.url,
                   "REZNET_OPENAI_URL": tb.url, "REZNET_STATE_DIR": os.path.join(tmp, "state"),
                   "REZNET_ALERTMANAGER_URL": ""}
        for h in hogs:
            h.start()
        reports = os.path.join(tmp, "reports")
        r = subprocess.run([os.path.join(args.build, "bin/reznet-perfd"), "run", "--config", cfg, "--profile",
                            "bench", "--report-dir", reports], env=run_env, capture_output=True, text=True)
        if r.returncode == 2:
            sys.exit("suite run failed: " + r.stderr)
        (name,) = [n for n in os.listdir(reports) if n.endswith(".json")]
        with open(os.path.join(reports, name)) as f:
            return rules, probes, json.load(f)
    finally:
        stop.set()
        for h in hogs:
            if h.is_alive():
                h.join()
        if tb:
            tb.stop()
        subprocess.run([os.path.join(ROOT, "scripts/services.sh"), "stop", run_dir], stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--hours", type=float, default=200)
    ap.add_argument("--trials", type=int, default=100)
    args = ap.parse_args()
    with open(os.path.join(ROOT, "config/examples/demo.yaml")) as f:
        demo = yaml.safe_load(f)
    eval_interval = seconds(demo.get("daemon", {}).get("eval_interval", "15s"))
    with tempfile.TemporaryDirectory() as tmp:
        rules, probes, report = measure(args, tmp, demo)
    results = {p["name"]: p for p in report["probes"]}
    replay = []
    for r in rules:
        probe = results.get(r["probe"])
        phase = next((ph for ph in (probe or {}).get("phases", []) if ph["name"] == r["phase"]), None)
        if not phase:
            print(f"{r['name']}: no {r['phase']} samples measured; skipped")
            continue
        samples = phase.get("samples") or [v for v, c in phase.get("histogram", []) for _ in range(int(c))]
        threshold = seconds(r["threshold"])
        scale = 0.9 * threshold / stat_of(samples, r["stat"])
        cfg = probes[r["probe"]]
        per_run = max(1, round(phase["count"] / max(1, probe["runs"])))
        if cfg["kind"] == "http":
            per_run = int(cfg.get("http", {}).get("samples", 1))
        rule = {"name": r["name"], "stat": r["stat"], "threshold": threshold,
                "window": seconds(r.get("window", "5m")), "for": seconds(r.get("for", "0s")),
                "min_samples": int(r.get("min_samples", 1)), "interval": seconds(cfg.get("interval", "15s")),
                "per_run": per_run, "samples": [s * scale for s in samples]}
        if "clear_threshold" in r:
            rule["clear_threshold"] = seconds(r["clear_threshold"])
        replay.append(rule)
    inp = {"seed": 26, "healthy_hours": args.hours, "trials": args.trials, "eval_interval": eval_interval,
           "factors": [1.2, 2.0], "rules": replay}
    out = subprocess.run([os.path.join(args.build, "bin/reznet-verdict-replay")], input=json.dumps(inp),
                         capture_output=True, text=True, check=True)
    rows = json.loads(out.stdout)["rules"]

    def delay(d):
        if d["detected"] == 0:
            return "never"
        return f"{d['median_s'] / 60:.1f} min ({d['detected'] * 100:.0f} %)"

    print(f"\nSamples: a suite of the demo's probes against the testbed (20 ms + 0–20 ms jitter) with "
          f"{os.cpu_count()} CPU hogs; each rule's statistic scaled to 90 % of its threshold. "
          f"{args.hours:g} simulated healthy hours; {args.trials} trials per slowdown (median delay to page, "
          f"share of trials paged within 2 h).\n")
    print("| rule | false alarms/h old | new | 1.2x old | 1.2x new | 2x old | 2x new |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        d = {x["factor"]: x for x in row["detection"]}
        print(f"| {row['name']} | {row['false_alarms_per_hour_old']:.3f} | {row['false_alarms_per_hour_new']:.3f} | "
              f"{delay(d[1.2]['old'])} | {delay(d[1.2]['new'])} | {delay(d[2.0]['old'])} | {delay(d[2.0]['new'])} |")
    old = sum(r["false_alarms_per_hour_old"] for r in rows)
    new = sum(r["false_alarms_per_hour_new"] for r in rows)
    print(f"\nAll rules: {old:.3f} false alarms per hour with the old method, {new:.3f} with the new.")


if __name__ == "__main__":
    main()
