"""What users write reaches every output format escaped (issue #24, break 10): run labels with
markup, pipes, line breaks and formulas in the Markdown report, PERFORMANCE_TEST_RESULTS.md, the
JUnit XML (read back by real XML parsers), the history CSV and the status page; labels with
control characters are refused at the door (CLI and POST /run-suite)."""
import csv
import io
import json
import os
import re
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from harness import DaemonTestCase, http, wait_until  # noqa: E402

LABELS = {
    "commit": "=HYPERLINK(\"http://t.test\",\"x\")",
    "<script>alert(1)</script>": "a|b ]]> `tick` & <b>bold</b>",
    "pipe": "x | injected | row |",
    "image": "![i](http://t.test/p.png)",
}


def table_shapes_ok(test, md):
    """Every Markdown table row has its header's count of cell separators and ends the line."""
    header = None
    for line in md.split("\n"):
        if not line.startswith("|"):
            header = None
            continue
        test.assertTrue(line.endswith("|"), line)
        seps = len(re.findall(r"(?<!\\)(?:\\\\)*\|", line))
        if header is None:
            header = seps
        else:
            test.assertEqual(seps, header, line)
    test.assertNotIn("\r", md)
    test.assertNotIn("<script", md)
    test.assertIsNone(re.search(r"<[A-Za-z/!?]", md), "an HTML tag in the Markdown")


class EscapingTest(DaemonTestCase):
    def config(self, tb_url):
        self.state = os.path.join(self.tmp.name, "state")
        return self.write_config(f"""daemon:
  windows: [1m]
  state_dir: {self.state}
targets:
  backend: {{ url: "{tb_url}" }}
probes:
  - {{ name: api, kind: http, target: backend, interval: 10m, timeout: 5s, http: {{ path: /api/agents }} }}
nfrs:
  - {{ name: api_p95, probe: api, phase: total, stat: p95, window: 1m, op: "<", threshold: 2s }}
suites:
  quick: {{ probes: [api], samples: 3 }}
""")

    def test_cli_reports_history_and_results_document(self):
        cfg = self.config(self.start_testbed().url)
        report_dir = os.path.join(self.tmp.name, "reports")
        args = [a for k, v in LABELS.items() for a in ("--label", f"{k}={v}")]
        r = self.run_cli("run", "--config", cfg, "--profile", "quick", "--report-dir", report_dir, *args,
                         timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        run_id = next(line.split()[2].rstrip(":") for line in r.stdout.splitlines()
                      if line.startswith("suite quick "))
        base = os.path.join(report_dir, run_id)

        with open(base + ".md", encoding="utf-8") as f:
            md = f.read()
        table_shapes_ok(self, md)
        self.assertIn("| pipe | x \\| injected \\| row \\| |", md)

        # Real XML parsers read the JUnit file, and give back exactly the labels written.
        self.assertEqual(subprocess.run(["xmllint", "--noout", base + ".xml"]).returncode, 0)
        props = {p.get("name"): p.get("value") for p in ET.parse(base + ".xml").getroot().iter("property")}
        for k, v in LABELS.items():
            self.assertEqual(props.get(k), v)

        out = os.path.join(self.tmp.name, "PERFORMANCE_TEST_RESULTS.md")
        r = self.run_cli("report", "--config", cfg, "--out", out)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(out, encoding="utf-8") as f:
            doc = f.read()
        table_shapes_ok(self, doc)
        self.assertIn("| label &lt;script&gt;alert(1)&lt;/script&gt; |", doc)

        # The CSV: one row per run, the right number of fields, no formula for a spreadsheet.
        r = self.run_cli("history", "--config", cfg, "--format", "csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = list(csv.reader(io.StringIO(r.stdout)))
        self.assertEqual(len(rows), 2, r.stdout)
        self.assertEqual(len(rows[1]), len(rows[0]))
        self.assertEqual(rows[1][0], "'" + LABELS["commit"])
        for field in (f for row in rows for f in row):
            self.assertFalse(field[:1] in ("=", "+", "-", "@"), field)

    def test_cli_refuses_a_label_with_a_control_character(self):
        cfg = self.config("http://127.0.0.1:9")
        r = self.run_cli("run", "--config", cfg, "--profile", "quick", "--label", "commit=abc\r\nforged")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("control character or invalid UTF-8 at byte 10", r.stderr)
        self.assertNotIn("\r", r.stderr)

    def test_daemon_reports_and_status_page(self):
        cfg = self.config(self.start_testbed().url)
        d = self.start_daemon(cfg)
        auth = {"Content-Type": "application/json"}  # on loopback without a token: allowed
        status, body = http("POST", d.url + "/run-suite",
                            json.dumps({"profile": "quick", "labels": {"commit": "a\r\n| forged |"}}), auth)
        self.assertEqual(status, 400, body)
        self.assertIn("control character or invalid UTF-8 in the value at byte 1", json.loads(body)["error"])

        status, body = http("POST", d.url + "/run-suite",
                            json.dumps({"profile": "quick", "labels": {"commit": "<script>alert(1)</script>",
                                                                       "note": "]]> a|b"}}), auth)
        self.assertEqual(status, 202, body)
        run_id = json.loads(body)["id"]

        def finished():
            s, b = http("GET", f"{d.url}/runs/{run_id}")
            return s == 200 and json.loads(b).get("state") in ("passed", "failed", "error")
        wait_until(finished, 60, f"run {run_id} to finish")

        status, md = http("GET", f"{d.url}/runs/{run_id}?format=markdown")
        self.assertEqual(status, 200)
        table_shapes_ok(self, md)
        self.assertIn("| commit | &lt;script&gt;alert(1)&lt;/script&gt; |", md)
        status, xml = http("GET", f"{d.url}/runs/{run_id}?format=junit")
        self.assertEqual(status, 200)
        props = {p.get("name"): p.get("value") for p in ET.fromstring(xml.encode()).iter("property")}
        self.assertEqual(props["commit"], "<script>alert(1)</script>")
        self.assertEqual(props["note"], "]]> a|b")
        status, trend = http("GET", f"{d.url}/runs/trend?format=markdown&profile=quick")
        self.assertEqual(status, 200)
        table_shapes_ok(self, trend)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", trend)

        status, html = http("GET", d.url + "/")
        self.assertEqual(status, 200)
        self.assertNotIn("<script", html)
        self.assertIn("<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>", html)


if __name__ == "__main__":
    unittest.main()
