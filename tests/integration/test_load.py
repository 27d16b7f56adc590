"""The load engine (issue #7) against the testbed on real PostgreSQL + Redis: the RezNet user flow,
injected errors and latency, coordinated omission, dropped starts, segments merged exactly,
graceful stop on SIGINT, and the load suite profile."""
import json
import os
import resource
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BIN, DaemonTestCase, Process, http, interrupted_load, metric, parse_metrics,  # noqa: E402
                     services, wait_until)

PERFD = os.path.join(BIN, "reznet-perfd")


class LoadTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        env = services()
        self.tb = Process([os.path.join(BIN, "reznet-testbed"), "--listen", "127.0.0.1:0", "--threads", "160",
                           "--pg-dsn", env["REZNET_PG_DSN"], "--redis-url", env["REZNET_REDIS_URL"]],
                          env={"PGPASSWORD": env["REZNET_PG_PASSWORD"]}, timeout=60)
        self.procs.append(self.tb)

    def faults(self, **f):
        status, body = http("POST", self.tb.url + "/testbed/faults", json.dumps(f))
        self.assertEqual(status, 200, body)

    def config(self, load, nfrs="", extra_probes=""):
        return self.write_config(f"""targets:
  backend: {{ url: "{self.tb.url}" }}
probes:
  - name: flow
    kind: load
    target: backend
    load: {load}
{extra_probes}
{nfrs}
""")

    def load(self, cfg, *args, timeout=120, nofile=None):
        """nofile: (soft, hard) open files limit for the child."""
        out = os.path.join(self.tmp.name, f"out-{time.monotonic_ns()}.json")
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, nofile)) if nofile else None
        r = subprocess.run([PERFD, "load", "--config", cfg, "--out", out, *args], capture_output=True, text=True,
                           timeout=timeout, preexec_fn=limit)
        result = None
        if os.path.exists(out):
            with open(out) as f:
                result = json.load(f)
        return r, result

    def test_reznet_flow_at_50_users(self):
        cfg = self.config("{ users: 50, ramp_up: 5s, duration: 15s, think_time: 1s..3s, seed: 7 }")
        r, res = self.load(cfg)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("LOAD TEST RESULTS", r.stdout)
        self.assertIn("✓ load_p95", r.stdout)  # the RezNet defaults judge when no rule is configured
        self.assertEqual(res["failed"], 0, res["steps"])
        self.assertEqual(list(res["steps"]), ["list_agents", "list_channels", "send_message", "read_messages"])
        for name, step in res["steps"].items():
            self.assertGreater(step["requests"], 20, name)
            lat = step["latency"]
            self.assertTrue(0 < lat["min"] <= lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"], (name, lat))
        # 50 users, one request per 1–3 s of think time: about 25 requests/s at full load.
        self.assertGreater(res["throughput_rps"], 10)
        self.assertLess(res["throughput_rps"], 50)
        self.assertEqual(res["requests"], sum(s["requests"] for s in res["steps"].values()))

    def test_injected_errors_and_latency_are_reported(self):
        cfg = self.config("{ users: 20, duration: 6s, scenario: [{ name: agents, path: /api/agents }] }")
        self.faults(error_rate=0.1, error_status=503)
        r, res = self.load(cfg)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # error rate > 5 %
        self.assertIn("✗ load_error_rate", r.stdout)
        self.assertGreater(res["requests"], 2000)
        self.assertAlmostEqual(res["error_rate"], 0.10, delta=0.02)
        self.assertEqual(res["steps"]["agents"]["errors"], {"http_5xx": res["failed"]})

        self.faults(error_rate=0, latency_ms=0)
        _, fast = self.load(cfg)
        self.faults(latency_ms=40)
        _, slow = self.load(cfg)
        self.faults(latency_ms=0)
        shift = slow["latency"]["p50"] - fast["latency"]["p50"]
        self.assertGreater(shift, 0.038, (fast["latency"], slow["latency"]))
        self.assertLess(shift, 0.060, (fast["latency"], slow["latency"]))

    def test_coordinated_omission_corrected_p99(self):
        # 200 iterations/s; the server stalls 500 ms every 1000 requests (every 5 s): 10 % of the
        # iterations are due during a stall, their latency from the intended start spread evenly
        # over 0–500 ms, so the corrected p99 is 500 ms × (1 − 0.01 / 0.10) = 450 ms. Only the few
        # requests in flight when a stall begins see it from their actual start: raw p99 stays low.
        cfg = self.config("{ executor: constant-arrival-rate, rate: 200, max_vus: 5, duration: 15s,"
                          " scenario: [{ name: agents, path: /api/agents }] }")
        self.faults(stall_every=1000, stall_ms=500)
        r, res = self.load(cfg)
        self.faults(stall_every=0, stall_ms=0)
        self.assertIn("Raw latency (from actual start, not corrected)", r.stdout)
        self.assertEqual(res["dropped"], 0)
        self.assertAlmostEqual(res["requests"], 3000, delta=3)
        self.assertAlmostEqual(res["latency"]["p99"], 0.450, delta=0.450 * 0.15, msg=res["latency"])
        self.assertLess(res["raw_latency"]["p99"], 0.1, res["raw_latency"])
        self.assertGreater(res["late_start"]["max"], 0.4)

    def test_dropped_starts_when_max_vus_is_too_small(self):
        cfg = self.config("{ executor: constant-arrival-rate, rate: 100, max_vus: 2, max_lateness: 300ms,"
                          " duration: 4s, scenario: [{ name: agents, path: /api/agents }] }")
        self.faults(latency_ms=100)
        r, res = self.load(cfg)
        self.faults(latency_ms=0)
        # Two users at ~100 ms each serve ~20 of the 100 iterations due per second.
        self.assertGreater(res["dropped"], 200, res)
        self.assertLess(res["iterations"], 150, res)
        self.assertIn("dropped (no free user within max_lateness)", r.stdout)

    def test_segments_merge_to_the_single_run(self):
        cfg = self.config("{ executor: constant-arrival-rate, rate: 100, max_vus: 20, duration: 5s,"
                          " scenario: [{ name: agents, path: /api/agents }] }")
        self.faults(latency_ms=10)
        _, whole = self.load(cfg)
        outs = [os.path.join(self.tmp.name, f"seg{i}.json") for i in (1, 2)]
        procs = [subprocess.Popen([PERFD, "load", "--config", cfg, "--segment", f"{i}/2", "--out", outs[i - 1]],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (1, 2)]
        for p in procs:
            p.communicate(timeout=60)
        self.faults(latency_ms=0)
        halves = []
        for o in outs:
            with open(o) as f:
                halves.append(json.load(f))
        self.assertEqual([h["rate"] for h in halves], [50, 50])
        merged_out = os.path.join(self.tmp.name, "merged.json")
        r = subprocess.run([PERFD, "load", "merge", *outs, "--out", merged_out], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(merged_out) as f:
            merged = json.load(f)
        self.assertEqual(merged["requests"], halves[0]["requests"] + halves[1]["requests"])
        self.assertEqual(merged["requests"], whole["requests"])
        self.assertEqual(whole["requests"], 500)
        # What merging must do, independent of how fast this (shared, noisy) machine ran each
        # process: counts add, extremes are the extremes of the halves, the mean is the weighted mean,
        # and each quantile of the union lies between the halves' quantiles (a property of any equal
        # mixture; 2 % allows for the histogram's bucket width).
        lat = [h["latency"] for h in halves]
        self.assertEqual(merged["latency"]["count"], lat[0]["count"] + lat[1]["count"])
        self.assertEqual(merged["latency"]["min"], min(x["min"] for x in lat))
        self.assertEqual(merged["latency"]["max"], max(x["max"] for x in lat))
        mean = sum(x["mean"] * x["count"] for x in lat) / merged["latency"]["count"]
        self.assertAlmostEqual(merged["latency"]["mean"], mean, delta=mean * 1e-6)
        for q in ("p50", "p90", "p95", "p99"):
            lo, hi = min(x[q] for x in lat), max(x[q] for x in lat)
            self.assertTrue(lo * 0.98 <= merged["latency"][q] <= hi * 1.02, (q, merged["latency"], lat))
        bad = os.path.join(self.tmp.name, "bad.json")
        with open(bad, "w") as f:
            f.write("{}")
        r = subprocess.run([PERFD, "load", "merge", outs[0], bad], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a load result", r.stderr)

    def test_sigint_stops_gracefully_with_results(self):
        cfg = self.config("{ users: 10, duration: 60s, think_time: 100ms..200ms,"
                          " scenario: [{ name: agents, path: /api/agents }] }")
        out = os.path.join(self.tmp.name, "partial.json")
        code, stdout, stderr, res, stopped = interrupted_load(cfg, out)
        self.assertLess(stopped, 10)
        self.assertIn("stopped by signal: results so far", stderr)
        self.assertIn("LOAD TEST RESULTS", stdout)
        self.assertGreater(res["requests"], 50)
        self.assertEqual(res["failed"], 0)
        self.assertEqual(code, 0)

    def test_limits_and_usage(self):
        cfg = self.config("{ users: 600, duration: 5s, limits: { max_users: 1000 } }")
        r, _ = self.load(cfg, "--stress")
        self.assertEqual(r.returncode, 2)
        self.assertIn("1200 users exceed limits.max_users 1000", r.stderr)
        r, _ = self.load(cfg, "--segment", "3/2")
        self.assertEqual(r.returncode, 2)
        bad = self.write_config(f"""targets:
  backend: {{ url: "{self.tb.url}" }}
probes:
  - {{ name: flow, kind: load, target: backend, load: {{ scenario: [{{ name: s, path: "/x/{{{{id}}}}" }}] }} }}
""", "bad.yaml")
        r = subprocess.run([PERFD, "check-config", "--config", bad], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("{{id}} is not extracted by an earlier step", r.stderr)

    def test_an_inconclusive_verdict_passes_with_a_warning_or_fails_when_asked(self):
        # A few requests cannot bound their p99 from above (that takes 299): inconclusive, never
        # breached (every request is far under 5 s).
        cfg = self.config("{ users: 1, duration: 2s, think_time: 200ms..300ms,"
                          " scenario: [{ name: agents, path: /api/agents }] }",
                          nfrs='nfrs:\n  - { name: flow_p99, probe: flow, phase: request, stat: p99, '
                               'window: 5m, op: "<", threshold: 5s }')
        r, _ = self.load(cfg)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("? flow_p99", r.stdout)
        self.assertIn("warning: 1 verdict is inconclusive (a longer test would settle it); "
                      "--on-inconclusive pass: the test passes", r.stdout)
        r, _ = self.load(cfg, "--on-inconclusive", "fail")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("--on-inconclusive fail: the test fails", r.stdout)
        r, _ = self.load(cfg, "--on-inconclusive", "maybe")
        self.assertEqual(r.returncode, 2)

    def test_max_users_flag_raises_the_limit_for_the_run(self):
        cfg = self.config("{ users: 10, duration: 1s, think_time: 200ms..300ms,"
                          " scenario: [{ name: agents, path: /api/agents }] }")
        r, _ = self.load(cfg, "--users", "1500")
        self.assertEqual(r.returncode, 2)
        self.assertIn("1500 users exceed limits.max_users 1000", r.stderr)
        self.assertIn("--max-users", r.stderr)
        # Accepted and honoured: the run gets as far as the open files check (1500 users cannot
        # have their connections under 1024 descriptors), which comes after the limits.
        r, _ = self.load(cfg, "--users", "1500", "--max-users", "1500", nofile=(1024, 1024))
        self.assertEqual(r.returncode, 2)
        self.assertNotIn("limits.max_users", r.stderr)
        self.assertIn("1500 users need", r.stderr)
        r, _ = self.load(cfg, "--users", "1500", "--max-users", "1200")
        self.assertIn("1500 users exceed limits.max_users 1200", r.stderr)

    def test_open_files_limit_is_raised_or_named(self):
        cfg = self.config("{ users: 50, ramp_up: 1s, duration: 2s, think_time: 200ms..300ms,"
                          " scenario: [{ name: agents, path: /api/agents }] }")
        # Soft limit short of 50 connections, hard limit enough: raised at start, every request made
        # (the verdicts are the testbed's business: exit 0 or 1).
        r, res = self.load(cfg, nofile=(32, 1024))
        self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
        self.assertEqual(res["failed"], 0, res["steps"])
        self.assertGreater(res["requests"], 100)
        # Hard limit short: no storm of connect errors, the error names the limit and how to raise it.
        r, res = self.load(cfg, nofile=(32, 64))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIsNone(res)
        self.assertRegex(r.stderr, r"reznet-perfd: 50 users need (\d+) open files \(a connection each\), "
                                   r"but the open files limit \(RLIMIT_NOFILE\) is 64 \(hard limit 64\): "
                                   r"raise the hard limit \(`ulimit -n \1` as root")
        self.assertIn("LimitNOFILE=", r.stderr)
        self.assertNotIn("LOAD TEST RESULTS", r.stdout)

    def test_load_profile_judges_load_nfrs(self):
        state = os.path.join(self.tmp.name, "state")
        cfg = self.write_config(f"""daemon: {{ state_dir: {state} }}
targets:
  backend: {{ url: "{self.tb.url}" }}
probes:
  - name: flow
    kind: load
    target: backend
    load: {{ users: 20, duration: 4s, think_time: 100ms..300ms }}
nfrs:
  - {{ name: load_p95, probe: flow, phase: request, stat: p95, window: 5m, op: "<", threshold: 5s }}
  - {{ name: load_p50, probe: flow, phase: request, stat: p50, window: 5m, op: "<", threshold: 200ms }}
  - {{ name: load_errors, probe: flow, phase: error_rate, stat: ratio, window: 5m, op: "<", threshold: 5% }}
""")
        report_dir = os.path.join(self.tmp.name, "reports")
        # A 4 s test makes ~330 requests: its p95 is met only when the 95 % interval is under the
        # threshold, and a busy CI machine puts a few percent of them past 1 s (its upper bound
        # was 1.03 s once): 5 s keeps this a test of the profile, not of the machine.
        r = subprocess.run([PERFD, "run", "--config", cfg, "--profile", "load", "--report-dir", report_dir],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for nfr in ("load_p95", "load_p50", "load_errors"):
            self.assertIn(f"✓ {nfr}", r.stdout)
        report = json.load(open(os.path.join(report_dir, os.listdir(report_dir)[0].split(".")[0] + ".json")))
        flow = report["probes"][0]
        request = next(p for p in flow["phases"] if p["name"] == "request")
        self.assertGreater(request["count"], 100)
        self.assertIn("step:send_message", [p["name"] for p in flow["phases"]])

    def test_load_inside_the_daemon_is_live_on_metrics(self):
        cfg = self.write_config(f"""daemon: {{ state_dir: {os.path.join(self.tmp.name, "state")} }}
targets:
  backend: {{ url: "{self.tb.url}" }}
probes:
  - {{ name: health, kind: http, target: backend, interval: 1m, http: {{ path: /health }} }}
  - name: flow
    kind: load
    target: backend
    load: {{ users: 10, duration: 4s, think_time: 50ms..100ms }}
nfrs:
  - {{ name: load_p95, probe: flow, phase: request, stat: p95, window: 5m, op: "<", threshold: 1s }}
""")
        d = self.start_daemon(cfg)
        d.wait_for_line(r"NFR load_p95 judges load test flow: checked by suite runs")
        status, body = http("POST", d.url + "/run-suite", '{"profile": "load"}')
        self.assertEqual(status, 202, body)
        run_id = json.loads(body)["id"]

        def live():
            m = parse_metrics(self.scrape(d))
            return m if metric(m, "reznet_perf_load_running", test="flow") == 1 and (
                metric(m, "reznet_perf_load_requests_total", test="flow") or 0) > 0 else None
        m = wait_until(live, 10, "live load metrics")
        self.assertGreater(metric(m, "reznet_perf_load_active_users", test="flow"), 0)
        self.assertIsNone(metric(m, "reznet_perf_nfr_state", nfr="load_p95", state="no_data"))

        def finished():
            run = json.loads(http("GET", f"{d.url}/runs/{run_id}")[1])
            return run if run["state"] in ("passed", "failed", "error") else None
        run = wait_until(finished, 30, "the load run")
        self.assertEqual(run["state"], "passed", run)
        flow = run["probes"][0]
        self.assertEqual(run["nfrs"][0]["verdict"], "passed")
        m = parse_metrics(self.scrape(d))
        self.assertEqual(metric(m, "reznet_perf_load_running", test="flow"), 0)
        self.assertEqual(metric(m, "reznet_perf_load_requests_total", test="flow"), flow["counters"]["requests"])
        # The scheduler never runs a load probe on its own.
        self.assertIsNone(metric(m, "reznet_perf_probe_runs_total", probe="flow", result="success"))

    def test_kubernetes_indexed_job_commands_split_and_merge(self):
        import yaml
        root = os.path.join(os.path.dirname(__file__), "../..")
        with open(os.path.join(root, "deploy/k8s/load/load-job.yaml")) as f:
            docs = list(yaml.safe_load_all(f))
        job = next(d for d in docs if d["kind"] == "Job")
        n = job["spec"]["completions"]
        self.assertEqual((job["spec"]["completionMode"], job["spec"]["parallelism"]), ("Indexed", n))
        container = job["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e["value"] for e in container["env"]}
        self.assertEqual(env["SEGMENTS"], str(n))
        with open(os.path.join(root, "deploy/k8s/load/load-merge-job.yaml")) as f:
            merge_job = yaml.safe_load(f)
        merge_cmd = merge_job["spec"]["template"]["spec"]["containers"][0]["args"][0]

        # Run each pod's command as Kubernetes would (JOB_COMPLETION_INDEX 0..n-1), then the merge.
        cfg = self.write_config(f"""targets:
  backend: {{ url: "{self.tb.url}" }}
probes:
  - name: load_flow
    kind: load
    target: backend
    load: {{ executor: constant-arrival-rate, rate: 40, max_vus: 8, duration: 3s,
            scenario: [{{ name: agents, path: /api/agents }}] }}
""", "k8s.yaml")
        results = os.path.join(self.tmp.name, "results")
        os.makedirs(results)

        def local(cmd):
            return (cmd.replace("exec reznet-perfd", "exec " + PERFD)
                    .replace("/etc/reznet-perfd/config.yaml", cfg).replace("/results", results))
        start = str(int(time.time()) + 2)
        pods = [subprocess.Popen(["/bin/sh", "-c", local(container["args"][0])],
                                 env={**os.environ, "JOB_COMPLETION_INDEX": str(i), "SEGMENTS": str(n),
                                      "START_AT": start},
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(n)]
        for p in pods:
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, out + err)
        self.assertEqual(sorted(os.listdir(results)), [f"segment-{i}.json" for i in range(n)])
        r = subprocess.run(["/bin/sh", "-c", local(merge_cmd)], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("LOAD TEST RESULTS", r.stdout)
        with open(os.path.join(results, "merged.json")) as f:
            merged = json.load(f)
        self.assertEqual(merged["requests"], 120)  # 40/s for 3 s, in n equal shares
        self.assertEqual(merged["rate"], 40)


if __name__ == "__main__":
    unittest.main(verbosity=2)
