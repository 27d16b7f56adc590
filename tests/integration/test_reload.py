"""Hot reload (SIGHUP and POST /-/reload): the new config is validated whole, then swapped;
unchanged probes keep running with their windows and counters, changed ones keep their series,
removed ones leave /metrics, an invalid config changes nothing and says where it is wrong."""
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import DaemonTestCase, http, metric, parse_metrics, wait_until  # noqa: E402

TOKEN = "reload-token-5b1e"


class ReloadTest(DaemonTestCase):
    def config(self, tb, probes, nfrs, daemon="windows: [1m]"):
        return f"""daemon: {{ {daemon}, eval_interval: 1s, auth: {{ token: "${{RELOAD_TOKEN}}" }} }}
targets:
  backend: {{ url: "{tb.url}" }}
probes:
{probes}
nfrs:
{nfrs}
"""

    def test_reload_keeps_swaps_removes_and_refuses_bad_configs(self):
        tb = self.start_testbed()
        api = '  - { name: api, kind: http, target: backend, interval: 1s, timeout: 1s, http: { path: /api/agents } }\n'
        old = '  - { name: old, kind: http, target: backend, interval: 1s, timeout: 1s, http: { path: /health } }\n'
        path = self.write_config(self.config(tb, api + old, """\
  - { name: api_p95, probe: api, phase: total, stat: p95, window: 1m, op: "<", threshold: 1s }
  - { name: old_p95, probe: old, phase: total, stat: p95, window: 1m, op: "<", threshold: 1s }"""))
        d = self.start_daemon(path, extra_env={"RELOAD_TOKEN": TOKEN})

        def runs(m, probe):
            return metric(m, "reznet_perf_probe_runs_total", probe=probe, result="success") or 0
        m = wait_until(lambda: (lambda m: m if runs(m, "api") >= 3 and runs(m, "old") >= 1 else None)(
            parse_metrics(self.scrape(d))), 20, "a few runs")
        api_runs = runs(m, "api")

        # SIGHUP: `old` removed, `new` added, `api` unchanged, the api rule's threshold changed.
        new = '  - { name: new, kind: http, target: backend, interval: 1s, timeout: 1s, http: { path: /health } }\n'
        with open(path, "w") as f:
            f.write(self.config(tb, api + new, """\
  - { name: api_p95, probe: api, phase: total, stat: p95, window: 1m, op: "<", threshold: 2s }"""))
        d.proc.send_signal(signal.SIGHUP)
        d.wait_for_line(r"config reloaded from .*: 1 probe\(s\) added, 0 changed, 1 removed, 1 kept")

        def after():
            m = parse_metrics(self.scrape(d))
            return m if runs(m, "new") >= 1 else None
        m = wait_until(after, 20, "the new probe's first run")
        self.assertGreaterEqual(runs(m, "api"), api_runs)  # not reset
        self.assertGreaterEqual(metric(m, "reznet_perf_probe_window_samples", probe="api", phase="total",
                                       window="1m"), api_runs)  # windows kept
        text = self.scrape(d)
        self.assertNotIn('probe="old"', text)
        self.assertNotIn('nfr="old_p95"', text)
        self.assertEqual(metric(m, "reznet_perf_nfr_threshold", nfr="api_p95"), 2)
        self.assertEqual(metric(m, "reznet_perf_config_last_reload_successful"), 1)

        # An invalid config over HTTP: refused with file:line, nothing changes.
        with open(path) as f:
            good = f.read()
        with open(path, "w") as f:
            f.write(good.replace("interval: 1s, timeout: 1s, http: { path: /health }",
                                 "interval: 1s, timeout: 1s, http: { paht: /health }"))
        self.assertEqual(http("POST", d.url + "/-/reload")[0], 401)
        status, body = http("POST", d.url + "/-/reload", headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(status, 400, body)
        errors = json.loads(body)["errors"]
        self.assertIn(f'{path}:6:82: probes[1].http.paht: unknown key "paht"; did you mean "path"?', errors)
        m = parse_metrics(self.scrape(d))
        self.assertEqual(metric(m, "reznet_perf_config_last_reload_successful"), 0)
        before = runs(m, "new")
        time.sleep(1.5)
        self.assertGreater(runs(parse_metrics(self.scrape(d)), "new"), before)  # still running

        # Settings that need a restart are refused by name.
        with open(path, "w") as f:
            f.write(good.replace("windows: [1m]", "windows: [1m, 5m]"))
        status, body = http("POST", d.url + "/-/reload", headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(status, 400)
        self.assertIn("daemon.windows changed: restart the daemon to apply it", body)

        # A changed probe is rebuilt, keeping its series.
        with open(path, "w") as f:
            f.write(good.replace("path: /api/agents", "path: /api/channels"))
        status, body = http("POST", d.url + "/-/reload", headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["changed"], ["api"])
        m = parse_metrics(self.scrape(d))
        self.assertGreaterEqual(runs(m, "api"), api_runs)
        self.assertEqual(metric(m, "reznet_perf_config_last_reload_successful"), 1)
        self.assertNotIn(TOKEN, d.output())


if __name__ == "__main__":
    unittest.main(verbosity=2)
