"""NFR rules end to end: daemon + testbed + a real Alertmanager (v2 API)."""
import json
import os
import shutil
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import DaemonTestCase, Process, free_port, http, metric, parse_metrics, services, wait_until  # noqa: E402


def alert_config(backend, alertmanager):
    return f"""daemon:
  windows: [1m]
  eval_interval: 1s
targets:
  backend: {{ url: "{backend}" }}
probes:
  - {{ name: api, kind: http, target: backend, interval: 1s, timeout: 900ms, http: {{ path: /health }} }}
nfrs:
  - name: api_slow
    probe: api
    phase: total
    stat: p50
    window: 1m
    op: "<"
    threshold: 100ms
    for: 2s
    min_samples: 2
    severity: page
    labels: {{ team: backend }}
    annotations: {{ summary: "API p50 {{{{value}}}} over {{{{threshold}}}}", runbook_url: "https://runbooks.example/api" }}
alerting:
  alertmanager: {{ urls: ["{alertmanager}"], resend_interval: 2s }}
"""


def burn_config(backend, alertmanager):
    """p95 < 100ms as an SLO (alert: burn_rate): 5 % of the samples may take 100 ms or more."""
    return f"""daemon:
  windows: [1m]
  eval_interval: 1s
targets:
  backend: {{ url: "{backend}" }}
probes:
  - {{ name: api, kind: http, target: backend, interval: 1s, timeout: 900ms, http: {{ path: /health }} }}
nfrs:
  - {{ name: api_burn, alert: burn_rate, probe: api, phase: total, stat: p95, op: "<", threshold: 100ms, min_samples: 5,
      severity: page, labels: {{ team: backend }}, annotations: {{ runbook_url: "https://runbooks.example/api" }} }}
alerting:
  alertmanager: {{ urls: ["{alertmanager}"], resend_interval: 2s }}
"""


class AlertTest(DaemonTestCase):
    def am_alerts(self, am_url, name):
        q = urllib.parse.urlencode({"filter": f'alertname="{name}"'})
        try:
            status, body = http("GET", f"{am_url}/api/v2/alerts?{q}", timeout=2)
        except OSError:
            return []
        return json.loads(body) if status == 200 else []

    def test_fires_in_alertmanager_and_resolves(self):
        am = services()["REZNET_ALERTMANAGER_URL"]
        tb = self.start_testbed()
        d = self.start_daemon(self.write_config(alert_config(tb.url, am)))
        m = lambda: parse_metrics(self.scrape(d))  # noqa: E731
        wait_until(lambda: metric(m(), "reznet_perf_nfr_state", nfr="api_slow", state="ok") == 1, 15, "the rule to be ok")
        http("POST", tb.url + "/testbed/faults", json.dumps({"latency_ms": 300}))
        wait_until(lambda: metric(m(), "reznet_perf_nfr_state", nfr="api_slow", state="firing") == 1, 30, "firing")
        alerts = wait_until(lambda: self.am_alerts(am, "api_slow"), 15, "the alert in Alertmanager")
        a = alerts[0]
        self.assertEqual(a["labels"]["nfr"], "api_slow")
        self.assertEqual(a["labels"]["severity"], "page")
        self.assertEqual(a["labels"]["probe"], "api")
        self.assertEqual(a["labels"]["team"], "backend")
        self.assertRegex(a["annotations"]["summary"], r"^API p50 3\d\dms over 100ms$")
        self.assertEqual(a["annotations"]["runbook_url"], "https://runbooks.example/api")
        self.assertEqual(a["generatorURL"], d.url + "/")
        self.assertEqual(a["status"]["state"], "active")
        self.assertEqual(metric(m(), "reznet_perf_nfr_ok", nfr="api_slow"), 0)
        http("POST", tb.url + "/testbed/faults", json.dumps({"latency_ms": 0}))
        wait_until(lambda: metric(m(), "reznet_perf_nfr_state", nfr="api_slow", state="ok") == 1, 90, "recovery")
        wait_until(lambda: not self.am_alerts(am, "api_slow"), 15, "the alert to resolve in Alertmanager")
        self.assertIn("NFR api_slow: firing -> ok", d.output())

    def test_burn_rate_rule_pages_when_the_budget_burns_and_clears(self):
        am = services()["REZNET_ALERTMANAGER_URL"]
        tb = self.start_testbed()
        d = self.start_daemon(self.write_config(burn_config(tb.url, am)))
        m = lambda: parse_metrics(self.scrape(d))  # noqa: E731
        wait_until(lambda: metric(m(), "reznet_perf_nfr_state", nfr="api_burn", state="ok") == 1, 30, "the rule to be ok")
        self.assertEqual(metric(m(), "reznet_perf_nfr_slo_bad_samples_total", nfr="api_burn"), 0)
        good = metric(m(), "reznet_perf_nfr_slo_samples_total", nfr="api_burn")
        self.assertGreaterEqual(good, 5)
        # Every sample now takes 300 ms: all of them bad, far more than 6 × (or 14.4 ×) the 5 % budget.
        http("POST", tb.url + "/testbed/faults", json.dumps({"latency_ms": 300}))
        wait_until(lambda: metric(m(), "reznet_perf_nfr_state", nfr="api_burn", state="firing") == 1, 60, "firing")
        alerts = wait_until(lambda: self.am_alerts(am, "api_burn"), 30, "the alert in Alertmanager")
        a = alerts[0]
        self.assertEqual(a["labels"]["nfr"], "api_burn")
        self.assertEqual(a["labels"]["severity"], "page")
        self.assertEqual(a["labels"]["team"], "backend")
        self.assertEqual(a["annotations"]["error_budget"], "5%")
        self.assertIn(a["annotations"]["burn_windows"], ("1h/5m", "6h/30m", "1h/5m and 6h/30m"))
        self.assertRegex(a["annotations"]["summary"],
                         r"^api_burn: p95 < 100ms burns its error budget \(5%\) too fast: [\d.]+% of samples bad over (1h|6h)$")
        self.assertEqual(a["annotations"]["runbook_url"], "https://runbooks.example/api")
        text = m()
        self.assertGreater(metric(text, "reznet_perf_nfr_slo_bad_samples_total", nfr="api_burn"), 0)
        self.assertGreater(metric(text, "reznet_perf_nfr_slo_samples_total", nfr="api_burn"), good)
        # Fast again: the short windows (5 m, 30 m) clear long before the long ones forget.
        http("POST", tb.url + "/testbed/faults", json.dumps({"latency_ms": 0}))
        wait_until(lambda: metric(m(), "reznet_perf_nfr_state", nfr="api_burn", state="ok") == 1, 240, "recovery")
        wait_until(lambda: not self.am_alerts(am, "api_burn"), 30, "the alert to resolve in Alertmanager")
        self.assertIn("NFR api_burn: firing -> ok", d.output())

    def test_alertmanager_down_then_up(self):
        port = free_port()
        am_url = f"http://127.0.0.1:{port}"
        tb = self.start_testbed(latency_ms=300)
        d = self.start_daemon(self.write_config(alert_config(tb.url, am_url)))
        m = lambda: parse_metrics(self.scrape(d))  # noqa: E731
        wait_until(lambda: (metric(m(), "reznet_perf_alert_notifications_failed_total", alertmanager=am_url) or 0) >= 2,
                   30, "failed notifications while Alertmanager is down")
        runs = metric(m(), "reznet_perf_probe_runs_total", probe="api", result="success")
        am_dir = os.path.join(self.tmp.name, "am")
        os.makedirs(am_dir)
        with open(os.path.join(am_dir, "am.yml"), "w") as f:
            f.write("route: { receiver: sink }\nreceivers: [{ name: sink }]\n")
        am = Process([shutil.which("prometheus-alertmanager"), f"--config.file={am_dir}/am.yml",
                      f"--storage.path={am_dir}", f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                     ready_pattern=r"Listening")
        self.procs.append(am)
        wait_until(lambda: self.am_alerts(am_url, "api_slow"), 30, "delivery once Alertmanager is up")
        self.assertGreater(metric(m(), "reznet_perf_probe_runs_total", probe="api", result="success"), runs)


class RulesFileTest(DaemonTestCase):
    ROOT = os.path.join(os.path.dirname(__file__), "../..")

    def test_shipped_rules_file_is_current_and_passes_promtool(self):
        import subprocess
        r = self.run_cli("rules", "--config", "config/examples/demo.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.ROOT, "deploy/prometheus/rules.yml")) as f:
            self.assertEqual(r.stdout, f.read(), "deploy/prometheus/rules.yml is stale: regenerate it with "
                             "reznet-perfd rules --config config/examples/demo.yaml")
        check = subprocess.run(["promtool", "check", "rules", "deploy/prometheus/rules.yml"], cwd=self.ROOT,
                               capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn(f"SUCCESS: {r.stdout.count('      - alert: ')} rules found", check.stdout)
        self.assertIn("      - alert: api_p95_burn\n", r.stdout)  # a burn-rate rule (alert: burn_rate)
        test = subprocess.run(["promtool", "test", "rules", "rules_test.yml"],
                              cwd=os.path.join(self.ROOT, "deploy/prometheus"), capture_output=True, text=True)
        self.assertEqual(test.returncode, 0, test.stdout + test.stderr)

    def test_rules_for_a_bad_config_exit_2(self):
        r = self.run_cli("rules", "--config", self.write_config("nfrs: [{ name: x }]\n"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("nfrs[0].probe: missing", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
