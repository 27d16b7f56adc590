"""The daemon end to end: reznet-perfd + reznet-testbed processes, real promtool and Prometheus."""
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, DaemonTestCase, http, metric, parse_metrics, services, wait_until  # noqa: E402


def http_probe_config(url, name="api", path="/health", interval="1s", timeout="900ms", extra="", log=""):
    return f"""daemon:
  windows: [1m, 5m]
  shutdown_grace: 2s
{log}targets:
  backend: {{ url: "{url}" }}
probes:
  - name: {name}
    kind: http
    target: backend
    interval: {interval}
    timeout: {timeout}
    http: {{ path: "{path}" {extra} }}
"""


class DaemonTest(DaemonTestCase):
    def test_window_p50_matches_injected_latency(self):
        tb = self.start_testbed(latency_ms=50)
        d = self.start_daemon(self.write_config(http_probe_config(tb.url, extra=", keep_alive: true")))

        def enough_samples():
            m = parse_metrics(self.scrape(d))
            n = metric(m, "reznet_perf_probe_window_samples", probe="api", phase="total", window="5m")
            return m if n is not None and n >= 5 else None

        m = wait_until(enough_samples, 20, "5 samples of api in the 5m window (the default budget)")
        p50 = metric(m, "reznet_perf_probe_window_seconds", probe="api", phase="total", window="5m", stat="p50")
        self.assertGreaterEqual(p50, 0.050)
        self.assertLessEqual(p50, 0.060)
        ttfb = metric(m, "reznet_perf_probe_window_seconds", probe="api", phase="ttfb", window="5m", stat="p50")
        self.assertGreaterEqual(ttfb, 0.050)
        self.assertGreaterEqual(metric(m, "reznet_perf_probe_runs_total", probe="api", result="success"), 5)
        self.assertEqual(metric(m, "reznet_perf_probe_success", probe="api"), 1)
        self.assertGreater(metric(m, "reznet_perf_probe_duration_seconds_count", probe="api", phase="total"), 0)
        self.assertGreater(metric(m, "process_resident_memory_bytes"), 0)
        self.assertEqual(metric(m, "reznet_perf_build_info"), 1)

    def test_series_per_http_probe_under_the_default_and_the_full_budget(self):
        # The figures docs/metrics.md states: a plain-http probe records 4 phases (connect, ttfb,
        # transfer, total); each has an 18-series histogram and its window gauges.
        tb = self.start_testbed()
        probe = ('probes:\n  - { name: api, kind: http, target: backend, interval: 1s, timeout: 900ms, '
                 'http: { path: /health } }\n')
        full = "  export: { windows: [1m, 5m, 1h], stats: [p50, p90, p95, p99, mean, max] }\n"
        for budget, expected in (("", 94), (full, 162)):
            cfg = self.write_config(f"daemon:\n  state_dir: {self.tmp.name}/state\n{budget}"
                                    f'targets: {{ backend: {{ url: "{tb.url}" }} }}\n{probe}', "budget.yaml")
            d = self.start_daemon(cfg)
            wait_until(lambda: metric(parse_metrics(self.scrape(d)), "reznet_perf_probe_runs_total",
                                      probe="api", result="success"), 10, "a first successful run")
            series = [line for line in self.scrape(d).splitlines()
                      if not line.startswith("#") and 'probe="api"' in line]
            self.assertEqual(len(series), expected, budget or "default budget")
            windows = {line.split('window="')[1].split('"')[0] for line in series if 'window="' in line}
            self.assertEqual(windows, {"5m"} if not budget else {"1m", "5m", "1h"})
            d.stop()

    def test_live_scrape_passes_promtool(self):
        tb = self.start_testbed()
        d = self.start_daemon(self.write_config(http_probe_config(tb.url)))
        wait_until(lambda: metric(parse_metrics(self.scrape(d)), "reznet_perf_probe_runs_total",
                                  probe="api", result="success"), 10, "a first successful run")
        text = self.scrape(d)
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # What promtool does not check: no duplicate series, +Inf on every histogram, sorted le.
        seen = set()
        for line in text.splitlines():
            if line and not line.startswith("#"):
                series = line.rsplit(" ", 1)[0]
                self.assertNotIn(series, seen, "duplicate series")
                seen.add(series)
        buckets = {}
        for (name, labels), value in parse_metrics(text).items():
            if name.endswith("_bucket"):
                rest = frozenset(kv for kv in labels if kv[0] != "le")
                le = dict(labels)["le"]
                buckets.setdefault(rest, []).append((float("inf") if le == "+Inf" else float(le), value))
        self.assertTrue(buckets)
        for series, points in buckets.items():
            points.sort()
            self.assertEqual(points[-1][0], float("inf"), series)
            counts = [c for _, c in points]
            self.assertEqual(counts, sorted(counts), f"bucket counts not cumulative: {series}")
        # Asked with Accept-Encoding: gzip (as Prometheus asks), the same series arrive compressed.
        req = urllib.request.Request(d.url + "/metrics", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.assertEqual(resp.headers["Content-Encoding"], "gzip")
            unzipped = gzip.decompress(resp.read()).decode()
        self.assertEqual({k for k in parse_metrics(unzipped) if not k[0].startswith("process_")},
                         {k for k in parse_metrics(text) if not k[0].startswith("process_")})
        r = subprocess.run(["promtool", "check", "metrics"], input=unzipped, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_unreachable_target_is_connect_error_and_daemon_keeps_running(self):
        tb = self.start_testbed()
        dead_url = tb.url
        tb.stop()  # the port is now closed: connection refused
        d = self.start_daemon(self.write_config(http_probe_config(dead_url)))
        m = wait_until(lambda: (lambda m: m if (metric(m, "reznet_perf_probe_errors_total", probe="api",
                                                        error="connect") or 0) >= 2 else None)(
            parse_metrics(self.scrape(d))), 15, "two connect errors")
        self.assertEqual(metric(m, "reznet_perf_probe_success", probe="api"), 0)
        self.assertEqual(http("GET", d.url + "/healthz")[0], 200)
        self.assertIsNone(d.proc.poll())
        self.assertIn("probe api failing: connect: connect to", d.output())

    def test_slow_target_is_timeout_error(self):
        tb = self.start_testbed(latency_ms=2000)
        d = self.start_daemon(self.write_config(http_probe_config(tb.url, interval="2s", timeout="300ms")))
        wait_until(lambda: metric(parse_metrics(self.scrape(d)), "reznet_perf_probe_errors_total",
                                  probe="api", error="timeout"), 15, "a timeout error")
        self.assertIn("probe api failing: timeout:", d.output())

    def test_recovery_and_failure_are_logged_once_each(self):
        tb = self.start_testbed(error_rate=1, error_status=503)
        d = self.start_daemon(self.write_config(http_probe_config(tb.url)))
        wait_until(lambda: "probe api failing: http_status: status 503, expected 2xx" in d.output(), 10, "failure log")
        http("POST", tb.url + "/testbed/faults", json.dumps({"error_rate": 0}))
        wait_until(lambda: "probe api recovered" in d.output(), 10, "recovery log")
        self.assertEqual(d.output().count("probe api failing"), 1)

    def test_sigterm_exits_zero(self):
        tb = self.start_testbed()
        d = self.start_daemon(self.write_config(http_probe_config(tb.url)))
        self.assertEqual(http("GET", d.url + "/readyz")[0], 200)
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertIn("stopped", d.output())

    def test_json_logs_are_valid_json(self):
        tb = self.start_testbed()
        cfg = http_probe_config(tb.url, log="  log: { format: json }\n")
        d = self.start_daemon(self.write_config(cfg))
        http("POST", tb.url + "/testbed/faults", json.dumps({"error_rate": 1}))
        wait_until(lambda: "failing" in d.output(), 10, "a failure log line")
        d.stop()
        lines = [l for l in d.output().splitlines() if l.strip()]
        self.assertGreaterEqual(len(lines), 3)
        for line in lines:
            record = json.loads(line)
            self.assertIn(record["level"], ("info", "warning", "error"))
            self.assertIn("msg", record)

    def test_bad_config_exits_2_with_line(self):
        path = self.write_config("probes:\n  - name: x\n    kind: http\n    interval: 5\n")
        for cmd in (["check-config", "--config", path], ["serve", "--config", path, "--listen", "127.0.0.1:0"]):
            r = self.run_cli(*cmd)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(f"{path}:4:15: probes[0].interval: expected a duration", r.stderr)
            self.assertIn("an http probe needs a target", r.stderr)

    def test_check_config_accepts_the_shipped_examples(self):
        root = os.path.join(os.path.dirname(__file__), "../..")
        for name, probes in (("demo.yaml", 11), ("llm.yaml", 4)):
            r = self.run_cli("check-config", "--config", os.path.join(root, "config/examples", name))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f"ok ({probes} probes", r.stdout)

    def test_config_defaults_to_the_environment_then_the_installed_one(self):
        root = os.path.join(os.path.dirname(__file__), "../..")
        demo = os.path.abspath(os.path.join(root, "config/examples/demo.yaml"))
        env = {k: v for k, v in os.environ.items() if k != "REZNET_PERFD_CONFIG"}
        r = self.run_cli("check-config", env={"REZNET_PERFD_CONFIG": demo})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{demo}: ok (11 probes", r.stdout)
        # --config still wins over the environment.
        bad = self.write_config("probes: 3\n")
        r = self.run_cli("check-config", "--config", bad, env={"REZNET_PERFD_CONFIG": demo})
        self.assertEqual(r.returncode, 2, r.stdout)
        # Neither: the installed config, where the package put one; else a usage error saying how.
        r = subprocess.run([os.path.join(BIN, "reznet-perfd"), "check-config"], capture_output=True,
                           text=True, env=env, timeout=60)
        if os.path.exists("/etc/reznet-perfd/config.yaml"):
            self.assertIn("/etc/reznet-perfd/config.yaml", r.stdout + r.stderr)
        else:
            self.assertEqual(r.returncode, 2, r.stdout)
            self.assertIn("no config given; write --config FILE, set REZNET_PERFD_CONFIG, or install "
                          "/etc/reznet-perfd/config.yaml", r.stderr)
            # load too (its `merge` needs no config).
            r = subprocess.run([os.path.join(BIN, "reznet-perfd"), "load", "--users", "1"],
                               capture_output=True, text=True, env=env, timeout=60)
            self.assertEqual(r.returncode, 2, r.stdout)
            self.assertIn("write --config FILE, set REZNET_PERFD_CONFIG, or install "
                          "/etc/reznet-perfd/config.yaml", r.stderr)

    def test_every_verbs_help_ends_with_examples_of_that_verb(self):
        perfd = os.path.join(BIN, "reznet-perfd")
        top = subprocess.run([perfd, "--help"], capture_output=True, text=True).stdout
        verbs = re.findall(r"^  ([a-z][a-z-]+) ", top.split("Subcommands:", 1)[1], re.M)
        self.assertGreater(len(verbs), 10)  # the scan found the verbs
        for verb in verbs:
            with self.subTest(verb=verb):
                text = subprocess.run([perfd, verb, "--help"], capture_output=True, text=True).stdout
                self.assertIn("\nExamples:\n", text)
                examples = text.rsplit("Examples:\n", 1)[1].strip().splitlines()
                self.assertTrue(examples)
                for line in examples:
                    self.assertIn(f"reznet-perfd {verb}", line)

    def test_probe_command_exit_codes(self):
        tb = self.start_testbed(latency_ms=5)
        path = self.write_config(http_probe_config(tb.url, extra=", samples: 2"))
        ok = self.run_cli("probe", "--config", path, "api")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        outcome = json.loads(ok.stdout)
        self.assertEqual(outcome["probe"], "api")
        self.assertTrue(outcome["ok"])
        self.assertIsNone(outcome["error"])
        self.assertEqual(len(outcome["phases"]["total"]), 2)
        self.assertGreaterEqual(min(outcome["phases"]["ttfb"]), 0.005)
        self.assertEqual(outcome["counters"]["status"], 200)

        http("POST", tb.url + "/testbed/faults", json.dumps({"error_rate": 1, "error_status": 500}))
        failed = self.run_cli("probe", "--config", path, "api")
        self.assertEqual(failed.returncode, 1)
        self.assertEqual(json.loads(failed.stdout)["error"]["kind"], "http_status")

        missing = self.run_cli("probe", "--config", path, "nope")
        self.assertEqual(missing.returncode, 2)
        self.assertIn('no probe named "nope"', missing.stderr)

    def test_prometheus_scrapes_the_daemon(self):
        env = services()
        tb = self.start_testbed()
        d = self.start_daemon(self.write_config(http_probe_config(tb.url)))
        target = d.url.replace("http://", "")
        sd_file = os.path.join(env["REZNET_PROM_SD_DIR"], f"daemon-{os.getpid()}-{id(self)}.json")
        with open(sd_file + ".tmp", "w") as f:
            json.dump([{"targets": [target], "labels": {"test": "daemon"}}], f)
        os.replace(sd_file + ".tmp", sd_file)
        try:
            query = 'reznet_perf_probe_runs_total{result="success",probe="api",instance="%s"}' % target
            url = env["REZNET_PROMETHEUS_URL"] + "/api/v1/query?" + urllib.parse.urlencode({"query": query})

            def result():
                status, body = http("GET", url)
                data = json.loads(body)
                return data["data"]["result"] if status == 200 and data["data"]["result"] else None

            series = wait_until(result, 30, "Prometheus to scrape reznet_perf_probe_runs_total")
            self.assertEqual(series[0]["metric"]["probe"], "api")
            self.assertGreaterEqual(float(series[0]["value"][1]), 1)
        finally:
            os.remove(sd_file)


if __name__ == "__main__":
    if shutil.which("promtool") is None:
        print("promtool missing: run scripts/install-deps.sh", file=sys.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
