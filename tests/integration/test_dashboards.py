"""The Grafana dashboard against a real Prometheus (scripts/services.sh) scraping a running daemon
and testbed: every PromQL expression in dashboards/reznet-perfd.json parses and returns data, and
the template variables find the daemon (its job and instance) and its probes; every panel filters on
the `job` and `instance` variables (#27 item 5) rather than a hard-coded job name."""
import json
import os
import re
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, DaemonTestCase, Process, http, services, wait_until  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "../..")
# The services' Prometheus (scripts/services.sh) scrapes daemons listed in its file_sd folder as
# this job; the dashboard's job variable must find it.
SCRAPE_JOB = "reznet-perfd"
# Panels about the targets probed through GET /probe: their series carry the probe job's labels
# (instance is the probed target), not the daemon's, so they do not filter on $job and $instance.
PROBE_JOB_PANELS = re.compile(r"\bprobe_(?:success|duration_seconds)\{")


def expressions(dashboard):
    out = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            out.append((panel["title"], target["expr"]))
    return out


class DashboardTest(DaemonTestCase):
    def test_every_panel_query_returns_data_from_a_live_daemon(self):
        env = services()
        with open(os.path.join(ROOT, "dashboards/reznet-perfd.json")) as f:
            dashboard = json.load(f)
        exprs = expressions(dashboard)
        self.assertGreater(len(exprs), 20)
        names = {v["name"] for v in dashboard["templating"]["list"]}
        self.assertTrue({"job", "instance"} <= names, names)
        for title, expr in exprs:
            with self.subTest(panel=title):
                self.assertNotRegex(expr, r'job\s*=\s*"', f"{title}: a hard-coded job: filter on $job")
                if not PROBE_JOB_PANELS.search(expr):
                    for sel in re.findall(r"\b[a-z_:]+\{([^}]*)\}", expr):
                        self.assertIn('job=~"$job"', sel, f"{title}: {expr}")
                        self.assertIn('instance=~"$instance"', sel, f"{title}: {expr}")

        tb = Process([os.path.join(BIN, "reznet-testbed"), "--listen", "127.0.0.1:0", "--pg-dsn",
                      env["REZNET_PG_DSN"], "--redis-url", env["REZNET_REDIS_URL"]],
                     env={"PGPASSWORD": env["REZNET_PG_PASSWORD"]}, timeout=60)
        self.procs.append(tb)
        cfg = self.write_config(f"""daemon: {{ windows: [1m, 5m], eval_interval: 1s, state_dir: {self.tmp.name}/state }}
targets:
  backend: {{ url: "{tb.url}" }}
  anthropic: {{ url: "{tb.url}", api_key: testbed-key }}
  nowhere: {{ url: "http://127.0.0.1:9" }}
  db_stats: {{ dsn: "{env['REZNET_PG_ADMIN_DSN']}", password: "${{DB_ADMIN_PASSWORD}}" }}
  cache: {{ url: "{env['REZNET_REDIS_URL']}" }}
probes:
  - {{ name: api, kind: http, target: backend, interval: 1s, timeout: 1s, http: {{ path: /api/agents }} }}
  - {{ name: broken, kind: http, target: nowhere, interval: 1s, timeout: 500ms }}
  - {{ name: claude, kind: llm, target: anthropic, interval: 2s, timeout: 2s, llm: {{ provider: anthropic, model: m, prompt: hi, max_tokens: 8 }} }}
  - {{ name: agents_cache, kind: cache, target: backend, interval: 2s, timeout: 2s, cache: {{ request: {{ path: /api/agents }}, requests: 20, db_target: db_stats, redis_target: cache, query_pattern: "FROM agents" }} }}
  - {{ name: flow, kind: load, target: backend, load: {{ users: 5, duration: 2s, think_time: 50ms..100ms }} }}
nfrs:
  - {{ name: api_p95, probe: api, phase: total, stat: p95, window: 1m, op: "<", threshold: 1s }}
  - {{ name: broken_errors, probe: broken, stat: error_rate, window: 1m, op: "<", threshold: 5% }}
  - {{ name: ttfb_mean, probe: claude, phase: ttfb, stat: mean, window: 1m, op: "<", threshold: 500ms }}
alerting:
  alertmanager: {{ urls: ["{env['REZNET_ALERTMANAGER_URL']}"], resend_interval: 1s }}
suites:
  full: {{ probes: [api, flow], samples: 2 }}
modules:
  http_2xx: {{ kind: http, http: {{ path: /health }}, allow: {{ cidrs: [127.0.0.1/32] }} }}
""")
        d = self.start_daemon(cfg, extra_env={"DB_ADMIN_PASSWORD": env["REZNET_PG_ADMIN_PASSWORD"]})
        instance = d.url.replace("http://", "")
        sd_file = os.path.join(env["REZNET_PROM_SD_DIR"], f"dash-{os.getpid()}-{id(self)}.json")
        with open(sd_file + ".tmp", "w") as f:
            json.dump([{"targets": [instance]}], f)
        os.replace(sd_file + ".tmp", sd_file)
        # And through GET /probe, as the services' reznet-perfd-probe job scrapes it.
        probe_sd = os.path.join(env["REZNET_PROBE_SD_DIR"], os.path.basename(sd_file))
        with open(probe_sd + ".tmp", "w") as f:
            json.dump([{"targets": [instance], "labels": {"__param_target": tb.url.replace("http://", ""),
                                                           "__param_module": "http_2xx"}}], f)
        os.replace(probe_sd + ".tmp", probe_sd)
        self.addCleanup(os.remove, probe_sd)
        try:
            status, body = http("POST", d.url + "/run-suite", '{"profile": "full"}')
            self.assertEqual(status, 202, body)

            def query(expr):
                url = env["REZNET_PROMETHEUS_URL"] + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
                status, body = http("GET", url)
                return status, json.loads(body)

            def substitute(expr):
                # As Grafana formats a regex variable: escaped, and the backslash doubled for PromQL;
                # job and instance those of this daemon, as a user picks them.
                def regex(value):
                    return re.escape(value).replace("\\", "\\\\")
                return (expr.replace("$instance", regex(instance)).replace("$job", regex(SCRAPE_JOB))
                        .replace("$probe", ".*").replace("$__rate_interval", "1m"))

            missing = {}

            def all_have_data():
                missing.clear()
                for title, expr in exprs:
                    status, data = query(substitute(expr))
                    self.assertEqual(status, 200, f"{title}: {expr}: {data}")  # a parse error fails here
                    self.assertEqual(data["status"], "success", f"{title}: {expr}")
                    if not data["data"]["result"]:
                        missing[title] = expr
                return not missing
            try:
                wait_until(all_have_data, 120, "every dashboard query to return data")
            except AssertionError as e:
                if "timed out" not in str(e):
                    raise
                self.fail(f"queries without data: {json.dumps(missing, indent=1)}")

            # The template variables: label_values(metric, label) finds this daemon and its probes.
            for var in dashboard["templating"]["list"]:
                if var["type"] != "query":
                    continue
                m = re.fullmatch(r"label_values\((.*), (\w+)\)", var["definition"])
                self.assertIsNotNone(m, var["definition"])
                _, data = query(substitute(m.group(1)))
                values = {s["metric"].get(m.group(2)) for s in data["data"]["result"]}
                wanted = {"instance": instance, "job": SCRAPE_JOB}.get(var["name"], "api")
                self.assertIn(wanted, values, var["name"])
        finally:
            os.remove(sd_file)


if __name__ == "__main__":
    unittest.main(verbosity=2)
