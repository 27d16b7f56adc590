#!/usr/bin/env python3
"""Timing overhead of the llm probe against scripted delays on loopback (prints, asserts nothing).

  python3 bench/llm_timing.py [--build build] [--runs 30]

The testbed streams with a first token after 100 ms and then one every 20 ms (20 tokens); each
run's ttft minus 100 ms and each inter-chunk gap minus 20 ms is the probe's overhead (plus the
testbed's own scheduling). Target (issue 3): p99 ≤ 1 ms.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
from harness import Process, http  # noqa: E402


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../build"))
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    tb = Process([os.path.join(args.build, "bin/reznet-testbed"), "--listen", "127.0.0.1:0"])
    try:
        http("POST", tb.url + "/testbed/faults",
             json.dumps({"llm": {"ttft_ms": 100, "token_ms": 20, "output_tokens": 20}}))
        with tempfile.TemporaryDirectory() as tmp:
            cfg = os.path.join(tmp, "t.yaml")
            with open(cfg, "w") as f:
                f.write(f'targets:\n  a: {{ url: "{tb.url}", api_key: k }}\n  o: {{ url: "{tb.url}", api_key: k }}\n'
                        "probes:\n"
                        "  - { name: anthropic, kind: llm, target: a, timeout: 10s, interval: 1m,"
                        " llm: { provider: anthropic, model: m, prompt: hi, max_tokens: 64 } }\n"
                        "  - { name: openai, kind: llm, target: o, timeout: 10s, interval: 1m,"
                        " llm: { provider: openai, model: m, prompt: hi, max_tokens: 64 } }\n")
            for name in ("anthropic", "openai"):
                ttft, gaps = [], []
                for _ in range(args.runs):
                    r = subprocess.run([os.path.join(args.build, "bin/reznet-perfd"), "probe", "--config", cfg, name],
                                       capture_output=True, text=True, check=True)
                    ph = json.loads(r.stdout)["phases"]
                    ttft.append((ph["ttft"][0] - 0.100) * 1000)
                    gaps += [(g - 0.020) * 1000 for g in ph["inter_chunk"]]
                print(f"{name:10s} ttft overhead  p50 {statistics.median(ttft):6.3f} ms  p99 {pct(ttft, 0.99):6.3f} ms"
                      f"  ({len(ttft)} runs)")
                print(f"{'':10s} gap overhead   p50 {statistics.median(gaps):6.3f} ms  p99 {pct(gaps, 0.99):6.3f} ms"
                      f"  ({len(gaps)} gaps)")
    finally:
        tb.stop()


if __name__ == "__main__":
    main()
