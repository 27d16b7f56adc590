"""The monitor must not go blind (issue #13, history): with its PostgreSQL history down or hung the
daemon starts, probes and serves /metrics; the history routes answer 503 with the reason; a run
finished meanwhile shows as `error: not stored: …` and is written when the database is back.
Latencies are printed and bounded only generously (this machine is shared and noisy)."""
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (DaemonTestCase, HungServer, http, p99, parse_metrics, psql,  # noqa: E402
                     scrape_latencies, services, services_cmd, wait_until)

PASSWORD_VAR = "HIST_PW"

CONFIG = """\
daemon: {{ windows: [1m], state_dir: "{state}" }}
targets:
  backend: {{ url: "{tb}" }}
probes:
  - {{ name: api, kind: http, target: backend, interval: 1s, timeout: 1s, http: {{ path: /health }} }}
suites:
  quick: {{ probes: [api], samples: 2 }}
history: {{ store: postgres, dsn: "{dsn}", password: "${{{var}}}" }}
"""


class Hammer:
    """Threads asking GET `path` in a loop, recording (status, seconds, body) of each answer."""

    def __init__(self, url, threads=4):
        self.url, self.stop, self.answers = url, threading.Event(), []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            status, body = http("GET", self.url, timeout=30)
            self.answers.append((status, time.monotonic() - t0, body))

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(40)
        return self.answers


class HistoryOutageTest(DaemonTestCase):
    def start_with_history(self, dsn):
        tb = self.start_testbed()
        state = os.path.join(self.tmp.name, "state")
        cfg = self.write_config(CONFIG.format(state=state, tb=tb.url, dsn=dsn, var=PASSWORD_VAR))
        self.password = "hist-canary-" + str(os.getpid())
        return self.start_daemon(cfg, extra_env={PASSWORD_VAR: self.password})

    def post_run(self, d):
        status, body = http("POST", d.url + "/run-suite", '{"profile": "quick"}')
        self.assertEqual(status, 202, body)
        return json.loads(body)["id"]

    def unstored(self, d, run_id):
        """The run once history refused it (it shows as finished while being stored)."""
        def done():
            status, body = http("GET", f"{d.url}/runs/{run_id}")
            run = json.loads(body) if status == 200 else {}
            return run if run.get("state") == "error" else None
        return wait_until(done, 60, f"run {run_id} to be refused by history")

    def probe_runs(self, d):
        return sum(v for (name, labels), v in parse_metrics(self.scrape(d)).items()
                   if name == "reznet_perf_probe_runs_total" and ("probe", "api") in labels)

    def test_starts_probes_and_scrapes_while_history_hangs(self):
        hung = HungServer()
        self.addCleanup(hung.close)
        d = self.start_with_history(f"host=127.0.0.1 port={hung.port} dbname=runs user=perfd")
        before = self.probe_runs(d)
        runs = Hammer(d.url + "/runs")
        answered, lat = scrape_latencies(d.url, 300, pause=0.04)  # ~12 s: the store goes down, backs off, retries
        answers = runs.finish()
        print(f"hung history: /metrics {answered}/300 answered, p50 {lat[150] * 1000:.1f} ms, "
              f"p99 {p99(lat) * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms; GET /runs x{len(answers)}, "
              f"slowest {max(a[1] for a in answers):.1f} s")
        self.assertEqual(answered, 300)
        self.assertLess(p99(lat), 2.0)
        self.assertGreater(self.probe_runs(d), before, "probes keep running")
        self.assertTrue(answers)
        for status, seconds, body in answers:
            self.assertEqual(status, 503, body)
            self.assertRegex(json.loads(body)["error"], r"history store postgres .*(unavailable|busy)")
            self.assertLess(seconds, 20)  # connect deadline 5 s, answer deadline 15 s
        run_id = self.post_run(d)
        run = self.unstored(d, run_id)
        self.assertTrue(run["error"].startswith("not stored: history store postgres"), run["error"])
        self.assertEqual(http("GET", d.url + "/readyz")[0], 503)
        self.assertIn("unavailable", http("GET", d.url + "/")[1])
        self.assertNotIn(self.password, d.output())

    def test_a_run_finished_while_history_is_down_is_written_when_it_returns(self):
        env = services()
        services_cmd("pg-stop")
        try:
            tb = self.start_testbed()
            state = os.path.join(self.tmp.name, "state")
            cfg = self.write_config(CONFIG.format(state=state, tb=tb.url, dsn=env["REZNET_PG_ADMIN_DSN"],
                                                  var=PASSWORD_VAR))
            d = self.start_daemon(cfg, extra_env={PASSWORD_VAR: env["REZNET_PG_ADMIN_PASSWORD"]})
            status, body = http("GET", d.url + "/runs")
            self.assertEqual(status, 503, body)
            self.assertIn("unavailable", json.loads(body)["error"])
            wait_until(lambda: self.probe_runs(d) > 0, 10, "the probe to run")
            run_id = self.post_run(d)
            run = self.unstored(d, run_id)
            self.assertTrue(run["error"].startswith("not stored:"), run["error"])
        finally:
            services_cmd("pg-start")
        # The daemon offers the waiting run again every 15 s (the store backs off up to 30 s).
        stored = wait_until(lambda: json.loads(http("GET", f"{d.url}/runs/{run_id}")[1])["state"] == "passed",
                            90, "the waiting run to be stored")
        self.assertTrue(stored)
        self.assertEqual(psql(f"SELECT state FROM reznet_perfd_runs WHERE id = '{run_id}'").strip(),
                         "passed")
        self.assertEqual(http("GET", d.url + "/readyz")[0], 200)
        self.assertIn(run_id, [r["id"] for r in json.loads(http("GET", d.url + "/runs?limit=100")[1])["runs"]])
        self.assertIn("stored in history after all", d.output())
        self.assertNotIn(env["REZNET_PG_ADMIN_PASSWORD"], d.output())


if __name__ == "__main__":
    unittest.main(verbosity=2)
