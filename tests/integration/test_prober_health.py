"""The prober's own health (issue #26 item 5) end to end: reznet-perfd + reznet-testbed + a real
Alertmanager running the shipped deploy/alertmanager/alertmanager.yml.

The daemon exports its noise (CPU pressure, its self-probe of /healthz, overload), shows it in
/api/v1/status and on the status page; a daemon made to stall (SIGSTOP: every run due meanwhile
starts seconds late) counts itself overloaded, marks its NFR states and alerts suspect and pushes
ReznetProberOverloaded, and the shipped inhibit rule holds its NFR alert meanwhile; after it, the
NFR stays suspect until its window has rolled past the stall. Nothing here
asserts a duration: the machine is noisy.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import DaemonTestCase, Process, free_port, http, metric, parse_metrics, wait_until  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "../..")
SHIPPED_AM = os.path.join(ROOT, "deploy/alertmanager/alertmanager.yml")


def config(state_dir, backend, alertmanager=None):
    alerting = f'alerting:\n  alertmanager: {{ urls: ["{alertmanager}"], resend_interval: 2s }}\n' if alertmanager else ""
    return f"""daemon:
  windows: [1m]
  eval_interval: 1s
  state_dir: {state_dir}
targets:
  backend: {{ url: "{backend}" }}
probes:
  - {{ name: api, kind: http, target: backend, interval: 1s, timeout: 900ms, http: {{ path: /health }} }}
nfrs:
  - {{ name: api_slow, probe: api, phase: total, stat: p50, window: 1m, op: "<", threshold: 100ms, for: 2s,
      min_samples: 2, severity: page }}
""" + alerting


def psi_available():
    """What the daemon reads: /proc/pressure/cpu with a `some avg10=` value."""
    try:
        with open("/proc/pressure/cpu") as f:
            return any(line.startswith("some ") and " avg10=" in line for line in f)
    except OSError:
        return False


class ShippedAlertmanager:
    """prometheus-alertmanager with deploy/alertmanager/alertmanager.yml (its receivers are
    placeholders: notifications fail, which changes nothing here)."""

    def __init__(self, test):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        data = os.path.join(test.tmp.name, "am-data")
        os.makedirs(data)
        self.proc = Process([shutil.which("prometheus-alertmanager"), f"--config.file={SHIPPED_AM}",
                             f"--storage.path={data}", f"--web.listen-address=127.0.0.1:{port}",
                             "--cluster.listen-address="], ready_pattern=r"Listening")
        test.procs.append(self.proc)
        wait_until(lambda: self._ready(), 15, "Alertmanager ready")

    def _ready(self):
        try:
            return http("GET", self.url + "/-/ready", timeout=2)[0] == 200
        except OSError:
            return False

    def alerts(self, **labels):
        q = urllib.parse.urlencode([("filter", f'{k}="{v}"') for k, v in labels.items()])
        status, body = http("GET", f"{self.url}/api/v2/alerts?{q}", timeout=5)
        return json.loads(body) if status == 200 else []

    def post(self, alerts):
        status, body = http("POST", self.url + "/api/v2/alerts", json.dumps(alerts),
                            {"Content-Type": "application/json"})
        if status != 200:
            raise AssertionError(f"Alertmanager refused the alerts: {status} {body}")


class ProberHealthTest(DaemonTestCase):
    def test_exports_its_health_and_probes_itself(self):
        tb = self.start_testbed()
        d = self.start_daemon(self.write_config(config(self.tmp.name, tb.url)))
        m = lambda: parse_metrics(self.scrape(d))  # noqa: E731
        # The self-probe answered at least twice (the first check comes a second after start).
        wait_until(lambda: (metric(m(), "reznet_perf_prober_self_probe_seconds_count") or 0) >= 2, 30,
                   "self-probes")
        text = self.scrape(d)
        got = parse_metrics(text)
        self.assertEqual(metric(got, "reznet_perf_prober_self_probe_errors_total"), 0)
        self.assertGreater(metric(got, "reznet_perf_prober_self_probe_seconds_sum"), 0)
        self.assertIn(metric(got, "reznet_perf_prober_overloaded"), (0, 1))
        pressure = metric(got, "reznet_perf_prober_cpu_pressure_ratio")
        if psi_available():
            self.assertIsNotNone(pressure)
            self.assertTrue(0 <= pressure <= 1, pressure)
        else:
            self.assertIsNone(pressure)
            self.assertIn("prober health: no CPU pressure", d.output())
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        status, body = http("GET", d.url + "/api/v1/status")
        self.assertEqual(status, 200)
        doc = json.loads(body)
        prober = doc["prober"]
        self.assertTrue(prober["checked"])
        self.assertGreater(prober["last_self_probe_seconds"], 0)
        self.assertEqual(prober["self_probe_errors"], 0)
        self.assertEqual(prober["thresholds"], {"cpu_pressure": 0.5, "self_probe_seconds": 0.1,
                                                "lateness_seconds": 1})
        self.assertEqual([n["suspect"] for n in doc["nfrs"]], [prober["overloaded"]])
        status, page = http("GET", d.url + "/")
        self.assertEqual(status, 200)
        self.assertIn('id="prober"', page)

    def test_a_stalled_daemon_is_overloaded_and_the_shipped_inhibit_rule_holds_its_nfr_alert(self):
        am = ShippedAlertmanager(self)
        tb = self.start_testbed(latency_ms=300)
        d = self.start_daemon(self.write_config(config(self.tmp.name, tb.url, am.url)))
        m = lambda: parse_metrics(self.scrape(d))  # noqa: E731
        active = wait_until(lambda: am.alerts(alertname="api_slow"), 30, "api_slow in Alertmanager")
        self.assertEqual(active[0]["status"]["state"], "active")
        self.assertNotIn("suspect", active[0]["annotations"])
        wait_until(lambda: metric(m(), "reznet_perf_prober_overloaded") == 0, 30, "a prober that is not overloaded")

        # Three seconds without a CPU: every run due meanwhile starts seconds late.
        os.kill(d.proc.pid, signal.SIGSTOP)
        time.sleep(3)
        os.kill(d.proc.pid, signal.SIGCONT)
        wait_until(lambda: metric(m(), "reznet_perf_prober_overloaded") == 1, 30, "the prober overloaded")
        doc = json.loads(http("GET", d.url + "/api/v1/status")[1])
        self.assertTrue(doc["prober"]["overloaded"])
        self.assertTrue(any(r.startswith("scheduler lateness ") for r in doc["prober"]["reasons"]),
                        doc["prober"]["reasons"])
        self.assertEqual([(n["name"], n["suspect"]) for n in doc["nfrs"]], [("api_slow", True)])
        self.assertIn("badge suspect", http("GET", d.url + "/")[1])
        self.assertIn("prober overloaded (scheduler lateness", d.output())

        # The daemon pushes its own ReznetProberOverloaded; the shipped inhibit rule holds api_slow
        # behind it, which carries suspect="true" meanwhile.
        own = wait_until(lambda: am.alerts(alertname="ReznetProberOverloaded"), 30, "ReznetProberOverloaded")
        self.assertEqual(own[0]["labels"], {"alertname": "ReznetProberOverloaded", "severity": "warning"})
        held = wait_until(lambda: [a for a in am.alerts(alertname="api_slow")
                                   if a["status"]["state"] == "suppressed"], 30, "api_slow inhibited")
        self.assertEqual(held[0]["status"]["inhibitedBy"], [own[0]["fingerprint"]])
        self.assertEqual(held[0]["annotations"]["suspect"], "true")

        # Recovered (after the 30 s hold): resolved, and api_slow pages again — still suspect while
        # its one-minute window holds samples of the stall, then plainly.
        wait_until(lambda: metric(m(), "reznet_perf_prober_overloaded") == 0, 90, "recovery")
        self.assertIn("prober no longer overloaded", d.output())
        doc = json.loads(http("GET", d.url + "/api/v1/status")[1])
        self.assertFalse(doc["prober"]["overloaded"])
        self.assertIsNotNone(doc["prober"]["overload_ended"])
        self.assertEqual(doc["nfrs"][0]["evidence_seconds"], 60)
        self.assertLess(time.time() - doc["prober"]["overload_ended"], 60)
        self.assertEqual([(n["name"], n["suspect"]) for n in doc["nfrs"]], [("api_slow", True)])
        wait_until(lambda: not am.alerts(alertname="ReznetProberOverloaded"), 30, "the overload resolved")
        again = wait_until(lambda: [a for a in am.alerts(alertname="api_slow")
                                    if a["status"]["state"] == "active"], 30, "api_slow active again")
        self.assertEqual(again[0]["status"]["inhibitedBy"], [])
        wait_until(lambda: [a for a in am.alerts(alertname="api_slow")
                            if a["status"]["state"] == "active" and "suspect" not in a["annotations"]],
                   90, "api_slow no longer suspect once its window has rolled past the stall")
        doc = json.loads(http("GET", d.url + "/api/v1/status")[1])
        self.assertEqual([(n["name"], n["suspect"]) for n in doc["nfrs"]], [("api_slow", False)])


class ShippedInhibitRuleTest(DaemonTestCase):
    """The rule as Prometheus's alerts meet it: per instance."""

    def test_prometheus_overloaded_alert_holds_the_nfr_alerts_of_its_instance_only(self):
        am = ShippedAlertmanager(self)

        def alert(name, **labels):
            return {"labels": {"alertname": name, "job": "reznet-perfd", **labels},
                    "annotations": {"summary": name}, "generatorURL": "http://prometheus/graph"}

        am.post([alert("api_p95", nfr="api_p95", probe="api_agents", severity="page", instance="perfd-0:9478"),
                 alert("api_p95", nfr="api_p95", probe="api_agents", severity="page", instance="perfd-1:9478"),
                 alert("db_query_p95", nfr="db_query_p95", probe="db", severity="warning", instance="perfd-0:9478"),
                 alert("ReznetProbeFailing", probe="db", severity="warning", instance="perfd-0:9478")])
        wait_until(lambda: len(am.alerts()) == 4, 15, "four alerts")
        self.assertEqual({a["status"]["state"] for a in am.alerts()}, {"active"})
        overloaded = alert("ReznetProberOverloaded", severity="warning", instance="perfd-0:9478")
        am.post([overloaded])

        def states():
            return {(a["labels"]["alertname"], a["labels"]["instance"]): a["status"] for a in am.alerts()}

        wait_until(lambda: states()[("api_p95", "perfd-0:9478")]["state"] == "suppressed", 15,
                   "api_p95 of perfd-0 inhibited")
        s = states()
        source = s[("ReznetProberOverloaded", "perfd-0:9478")]
        self.assertEqual(source["state"], "active")
        fingerprint = [a["fingerprint"] for a in am.alerts(alertname="ReznetProberOverloaded")][0]
        self.assertEqual(s[("api_p95", "perfd-0:9478")]["inhibitedBy"], [fingerprint])
        self.assertEqual(s[("db_query_p95", "perfd-0:9478")]["inhibitedBy"], [fingerprint])  # any NFR
        self.assertEqual(s[("api_p95", "perfd-1:9478")]["state"], "active")  # another instance
        self.assertEqual(s[("ReznetProbeFailing", "perfd-0:9478")]["state"], "active")  # not an NFR
        # Resolved: the NFR alerts page again.
        overloaded["endsAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
        am.post([overloaded])
        wait_until(lambda: states()[("api_p95", "perfd-0:9478")]["state"] == "active", 15, "api_p95 released")


if __name__ == "__main__":
    unittest.main(verbosity=2)
