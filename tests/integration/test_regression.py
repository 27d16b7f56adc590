"""Regression tracking (issue #15): three suite runs while the testbed gets slower in steps, then
the trend table (CLI, GET /runs/trend, status page), `compare` and the results document."""
import csv
import io
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import DaemonTestCase, http  # noqa: E402


class RegressionTest(DaemonTestCase):
    def config(self, tb_url):
        self.state = os.path.join(self.tmp.name, "state")
        return self.write_config(f"""daemon:
  windows: [1m, 5m]
  state_dir: {self.state}
targets:
  backend: {{ url: "{tb_url}" }}
probes:
  - {{ name: api, kind: http, target: backend, interval: 10m, timeout: 5s, http: {{ path: /api/agents }} }}
  - {{ name: health, kind: http, target: backend, interval: 10m, timeout: 5s, http: {{ path: /health }} }}
nfrs:
  - {{ name: api_p95, probe: api, phase: total, stat: p95, window: 5m, op: "<", threshold: 120ms }}
  - {{ name: health_p50, probe: health, phase: total, stat: p50, window: 5m, op: "<", threshold: 1s }}
suites:
  quick: {{ probes: [api, health], samples: 12, max_samples: 12 }}  # no adaptive sampling: 12 a run
history: {{ tolerance: 10%, significance: 0.05 }}
""")

    def run_suite(self, cfg, commit):
        r = self.run_cli("run", "--config", cfg, "--profile", "quick", "--label", f"commit={commit}",
                         "--report-dir", os.path.join(self.tmp.name, "reports"), timeout=120)
        run_id = next(line.split()[2].rstrip(":") for line in r.stdout.splitlines()
                      if line.startswith("suite quick "))
        return r.returncode, run_id

    def test_slower_in_steps_shows_in_trend_compare_and_report(self):
        tb = self.start_testbed(latency_ms=10)
        cfg = self.config(tb.url)
        runs = {}
        # 10 ms (passes), 50 ms (passes, significantly worse: ⚠), 200 ms (fails: ⚠ ❌).
        for commit, latency, rc in (("c1", 10, 0), ("c2", 50, 0), ("c3", 200, 1)):
            http("POST", tb.url + "/testbed/faults", json.dumps({"latency_ms": latency}))
            code, runs[commit] = self.run_suite(cfg, commit)
            self.assertEqual(code, rc, commit)

        # The history line keeps every sample.
        with open(os.path.join(self.state, "runs.jsonl")) as f:
            first = json.loads(f.readline())
        phase = first["probes"][0]["phases"][-1]
        self.assertEqual(len(phase["samples"]), 12)
        self.assertEqual(phase["count"], 12)

        r = self.run_cli("history", "--config", cfg, "--profile", "quick")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "| Commit | api_p95 | health_p50 |")
        rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:4]]
                for line in lines[2:]}
        self.assertEqual(list(rows), ["`c1`", "`c2`", "`c3`"])  # oldest first
        self.assertNotIn("⚠", rows["`c1`"][0])
        self.assertRegex(rows["`c2`"][0], r"^[0-9.]+ ms ⚠$")
        self.assertRegex(rows["`c3`"][0], r"^[0-9.]+ ms ⚠ ❌$")
        self.assertRegex(rows["`c3`"][1], r"⚠$")  # health got slower too, and still passes

        trend = json.loads(self.run_cli("history", "--config", cfg, "--nfr", "api_p95", "--last", "2",
                                        "--format", "json").stdout)
        self.assertEqual(trend["nfrs"], ["api_p95"])
        self.assertEqual([(r["label"], r["cells"][0]["worse"], r["cells"][0]["failed"])
                          for r in trend["rows"]], [("c2", True, False), ("c3", True, True)])
        table = list(csv.DictReader(io.StringIO(self.run_cli(
            "history", "--config", cfg, "--format", "csv").stdout)))
        self.assertEqual([row["api_p95_flags"] for row in table], ["", "worse", "worse failed"])

        # compare: c1 → c2 regressed (exit 1); c2 → c1 improved (exit 0).
        r = self.run_cli("compare", "--config", cfg, runs["c1"], runs["c2"], "--format", "json")
        self.assertEqual(r.returncode, 1, r.stderr)
        doc = json.loads(r.stdout)
        row = next(n for n in doc["nfrs"] if n["nfr"] == "api_p95")
        self.assertEqual(row["verdict"], "regressed")
        self.assertLess(row["p_value"], 0.05)
        self.assertLessEqual(row["ci_low_pct"], row["change_pct"])
        self.assertGreater(row["ci_low_pct"], 10)
        self.assertEqual({(p["probe"], p["verdict"]) for p in doc["phases"] if p["phase"] == "total"},
                         {("api", "regressed"), ("health", "regressed")})
        r = self.run_cli("compare", "--config", cfg, runs["c2"], runs["c1"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"\| api_p95 \| p95 \| .* \| 12 / 12 \| improved \| ✓ \|")
        self.assertEqual(self.run_cli("compare", "--config", cfg, runs["c1"], "nope").returncode, 2)

        # Run references: commit labels, latest/previous, a unique id prefix; an ambiguous one is
        # refused with its candidates.
        def compared(*refs):
            r = self.run_cli("compare", "--config", cfg, *refs, "--format", "json")
            doc = json.loads(r.stdout)
            return r.returncode, doc["baseline_id"], doc["run_id"]
        self.assertEqual(compared("c1", "c2"), (1, runs["c1"], runs["c2"]))
        self.assertEqual(compared("previous", "latest"), (1, runs["c2"], runs["c3"]))
        self.assertEqual(compared(runs["c2"][:-2], "c1"), (0, runs["c2"], runs["c1"]))
        common = os.path.commonprefix(list(runs.values()))
        r = self.run_cli("compare", "--config", cfg, common, "c3")
        self.assertEqual(r.returncode, 2)
        self.assertIn(f'"{common}" fits 3 runs: {runs["c3"]} (commit c3), {runs["c2"]} (commit c2), '
                      f'{runs["c1"]} (commit c1); give more of the id', r.stderr)
        r = self.run_cli("compare", "--config", cfg, "baseline", "latest")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no baseline set", r.stderr)

        # The results document of the newest run.
        out = os.path.join(self.tmp.name, "PERFORMANCE_TEST_RESULTS.md")
        r = self.run_cli("report", "--config", cfg, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            md = f.read()
        for heading in ("## NFR checklist", "## Results per probe", "## Comparison with the baseline",
                        "## Trend of the last runs", "## Environment"):
            self.assertIn(heading, md)
        self.assertIn("- [ ] ✗ **api_p95**", md)
        self.assertIn(f"Compared with run `{runs['c2']}`", md)  # no baseline set: the run before
        self.assertRegex(md, r"\| api_p95 \| p95 \| .* \| regressed \| ✗ \|")
        self.assertRegex(md, r"\| `c3` \| [0-9.]+ ms ⚠ ❌ \|")
        self.assertIn("| label commit | c3 |", md)
        self.assertRegex(md, r"\| host \(report\) \| \S+ \|")

        r = self.run_cli("baseline", "set", "--config", cfg, "c1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"baseline: {runs['c1']}", r.stdout)
        self.assertEqual(compared("baseline", "c2"), (1, runs["c1"], runs["c2"]))
        r = self.run_cli("report", "--config", cfg, "--run", "c2", "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            self.assertIn(f"Compared with run `{runs['c1']}`", f.read())  # the baseline now

        # The daemon reads the same history: GET /runs/{ref}, GET /runs/trend and the status page.
        d = self.start_daemon(cfg)
        for ref, commit in (("latest", "c3"), ("previous", "c2"), ("c1", "c1"), ("baseline", "c1"),
                            (runs["c2"][:-2], "c2")):
            status, body = http("GET", d.url + "/runs/" + ref)
            self.assertEqual((status, json.loads(body)["id"]), (200, runs[commit]), ref)
        status, body = http("GET", d.url + "/runs/" + common)
        self.assertEqual(status, 400)
        self.assertIn("fits 3 runs", json.loads(body)["error"])
        self.assertEqual(http("GET", d.url + "/runs/nope")[0], 404)
        status, body = http("GET", d.url + "/runs/trend?profile=quick&format=markdown")
        self.assertEqual(status, 200, body)
        self.assertRegex(body, r"\| `c3` \| [0-9.]+ ms ⚠ ❌ \|")
        status, body = http("GET", d.url + "/runs/trend?nfr=health_p50&last=1")
        self.assertEqual(status, 200, body)
        self.assertEqual([r["label"] for r in json.loads(body)["rows"]], ["c3"])
        self.assertEqual(http("GET", d.url + "/runs/trend?format=junit")[0], 400)
        status, page = http("GET", d.url + "/")
        self.assertIn("<h2>Trend (quick)</h2>", page)
        self.assertIn("⚠ ❌</td>", page)


if __name__ == "__main__":
    unittest.main()
