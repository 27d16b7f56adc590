#!/usr/bin/env python3
"""Config loading cost against config size (issue #13): wall time and peak RSS of
`reznet-perfd check-config` on generated configs of P probes x T targets (prints only).

  python3 bench/config_load.py [--build build] [--sizes 250x500,750x500,3000x2000] [--runs 1]

Each config has T http targets (url, a header) and P http probes, probe i on target i % T, one
threshold NFR per probe and a suite profile listing every probe, so the probe, target, NFR and
suite sections all grow with the size. time/size should stay about flat when loading is linear
(size = probes + targets). The largest size is the issue's: 3000 probes x 2000 targets must load
in < 2 s and < 200 MB. Also usable by tests/integration/test_reload_scale.py (generate_config).
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time


def generate_config(probes, targets, interval="1h", target_url="http://127.0.0.1:9",
                    nfrs=True, suite=True, extra_probes="", listen="127.0.0.1:0",
                    state_dir="./state", tag="", log_level="warn"):
    """YAML text of a config with `probes` http probes over `targets` http targets.

    `tag` changes every target's header value (a reload then changes every probe)."""
    out = ["daemon:", f"  listen: \"{listen}\"", f"  state_dir: \"{state_dir}\"",
           f"  log: {{ level: {log_level} }}", "targets:"]
    for t in range(targets):
        out.append(f"  t{t}: {{ url: \"{target_url}/t{t}\", headers: {{ X-Bench: \"v{tag}{t}\" }} }}")
    out.append("probes:")
    for p in range(probes):
        out.append(f"  - {{ name: p{p}, kind: http, target: t{p % targets}, interval: {interval}, "
                   f"timeout: 2s, http: {{ method: GET, path: /p{p}, expect: {{ status: 200 }} }} }}")
    out.append(extra_probes)
    if nfrs:
        out.append("nfrs:")
        for p in range(probes):
            out.append(f"  - {{ name: p{p}_p95, probe: p{p}, phase: total, stat: p95, op: \"<\", "
                       f"threshold: 1s, window: 5m }}")
    if suite and probes:
        out.append("suites:")
        out.append("  everything:")
        out.append("    probes: [" + ", ".join(f"p{p}" for p in range(probes)) + "]")
    return "\n".join(out) + "\n"


def measure(binary, path):
    """(wall seconds, peak RSS in MiB, exit code) of one check-config run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    r = subprocess.run([binary, "check-config", "--config", path], capture_output=True, text=True)
    wall = time.monotonic() - start
    # ru_maxrss of children is the largest child so far (KiB on Linux): sizes run smallest first.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
    return wall, max(peak, before) / 1024.0, r.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../build"))
    ap.add_argument("--sizes", default="250x500,750x500,1500x1000,3000x2000",
                    help="comma-separated PROBESxTARGETS, run in this order (smallest first)")
    ap.add_argument("--runs", type=int, default=1, help="runs per size; the best is printed")
    args = ap.parse_args()
    binary = os.path.join(args.build, "bin/reznet-perfd")
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]
    print(f"{'probes':>7} {'targets':>7} {'yaml_kB':>8} {'wall_s':>8} {'peak_MiB':>9} "
          f"{'us/item':>8}  (item = probe + target; flat = linear)")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for probes, targets in sizes:
            path = os.path.join(tmp, f"c{probes}x{targets}.yaml")
            text = generate_config(probes, targets, state_dir=tmp)
            with open(path, "w") as f:
                f.write(text)
            best = None
            for _ in range(args.runs):
                wall, peak, rc = measure(binary, path)
                failed = failed or rc != 0
                best = wall if best is None else min(best, wall)
            print(f"{probes:>7} {targets:>7} {len(text) / 1024:>8.0f} {best:>8.2f} {peak:>9.1f} "
                  f"{best / (probes + targets) * 1e6:>8.1f}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
