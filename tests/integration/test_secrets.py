"""Secrets (issue #13): every configured secret is replaced by *** in everything the daemon writes.

A distinct canary sits in every secret slot (api_key via an env var, a URL's user-info password, a
redis URL's password, a target password, the history password, the auth token, a listed secret
header, a default secret header). Upstream echoes them back: the testbed's provider names the key
it was sent in its 401 (as the real APIs do), and a loopback server answers the http probe with
the secret headers it received. Every output is then searched for every canary: check-config on
a broken config, `probe`, `run` (JSON, Markdown, JUnit reports), `serve` (text and JSON logs,
/metrics, /api/v1/status, /, /runs, runs.jsonl)."""
import glob
import json
import os
import sys
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
from harness import DaemonTestCase, http, services, wait_until  # noqa: E402

CANARIES = {
    "api_key": "canary-apikey-7f3a91d0",
    "url_password": "canary-urlpw-52c1d8e3",
    "redis_url_password": "canary-redisurlpw-a9e044",
    "target_password": "canary-targetpw-61bd2c",
    "history_password": "canary-histpw-3b77e2f1",
    "auth_token": "canary-token-c4d2f0aa",
    "secret_header": "canary-header-e81b5a7c",
    "authorization": "canary-bearer-0d9c4e5b",
}
ENV = {"TEST_SECRETS_KEY": CANARIES["api_key"]}


class EchoHeaders(BaseHTTPRequestHandler):
    """A backend that answers with the credentials it was sent, as a misbehaving one might."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        seen = f"{self.headers.get('X-Session-Secret')} {self.headers.get('Authorization')}"
        body = json.dumps({"seen": seen}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def good_config(llm_url, echo_url, redis_url, state_dir, log_format):
    c = CANARIES
    return f"""daemon:
  windows: [1m]
  state_dir: {state_dir}
  auth: {{ token: "{c['auth_token']}" }}
  log: {{ level: info, format: {log_format} }}
targets:
  anthropic: {{ url: "{llm_url}", api_key: "${{TEST_SECRETS_KEY}}" }}
  echo:
    url: "{echo_url}"
    headers: {{ X-Session-Secret: "{c['secret_header']}", Authorization: "Bearer {c['authorization']}" }}
    secret_headers: [X-Session-Secret]
  cache: {{ url: "{redis_url}", password: "{c['target_password']}" }}
probes:
  - name: claude
    kind: llm
    target: anthropic
    interval: 2s
    timeout: 2s
    llm: {{ provider: anthropic, model: claude-3-5-haiku-latest, prompt: "Reply with ok.", stream: false }}
  - name: echo
    kind: http
    target: echo
    interval: 2s
    timeout: 2s
    http: {{ path: /, expect: {{ json: {{ seen: nothing }} }} }}
  - name: cache
    kind: redis
    target: cache
    interval: 2s
    timeout: 2s
suites:
  secrets: {{ probes: [claude, echo, cache], samples: 1 }}
history:
  store: file
  password: "{c['history_password']}"
"""


def broken_config(redis_url):
    c = CANARIES
    host = redis_url[len("redis://"):]
    return f"""targets:
  web: {{ url: "http://monitor:{c['url_password']}@127.0.0.1:8000" }}
  cache: {{ url: "redis://:{c['redis_url_password']}@{host}" }}
probes:
  - {{ name: web, kind: http, target: web, interval: 10s, timeout: 1s }}
  - {{ name: cache, kind: redis, target: cache, interval: 10s, timeout: 1s }}
"""


class SecretsTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.redis_url = services()["REZNET_REDIS_URL"]
        self.tb = self.start_testbed()
        status, body = http("POST", self.tb.url + "/testbed/faults",
                            json.dumps({"llm": {"status": 401, "echo_key": True}}))
        self.assertEqual(status, 200, body)
        self.echo = ThreadingHTTPServer(("127.0.0.1", 0), EchoHeaders)
        threading.Thread(target=self.echo.serve_forever, daemon=True).start()
        self.addCleanup(self.echo.server_close)
        self.addCleanup(self.echo.shutdown)
        self.state_dir = os.path.join(self.tmp.name, "state")

    def config(self, log_format="text", name="config.yaml"):
        echo_url = f"http://127.0.0.1:{self.echo.server_address[1]}"
        return self.write_config(good_config(self.tb.url, echo_url, self.redis_url, self.state_dir,
                                             log_format), name)

    def assertNoCanary(self, where, text):
        leaked = [slot for slot, canary in CANARIES.items() if canary in text]
        self.assertEqual(leaked, [], f"{where} carries the secrets of {leaked}:\n{text[:3000]}")

    def run_cli_env(self, *args):
        saved = dict(os.environ)
        os.environ.update(ENV)
        try:
            return self.run_cli(*args)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def test_check_config_masks_url_user_info(self):
        r = self.run_cli("check-config", "--config", self.write_config(broken_config(self.redis_url)))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        out = r.stdout + r.stderr
        self.assertIn("monitor:***@127.0.0.1:8000", out)
        self.assertIn("redis://:***@", out)
        self.assertNoCanary("check-config", out)

    def test_probe_and_run_outputs_are_scrubbed(self):
        cfg = self.config()
        for name, kind in (("claude", "http_401"), ("echo", "assertion")):
            r = self.run_cli_env("probe", "--config", cfg, name)
            self.assertNoCanary(f"probe {name}", r.stdout + r.stderr)
            outcome = json.loads(r.stdout)
            self.assertEqual(outcome["error"]["kind"], kind, r.stdout)
            self.assertIn("***", r.stdout)  # the echoed secret was there, and was masked
        report_dir = os.path.join(self.tmp.name, "reports")
        r = self.run_cli_env("run", "--config", cfg, "--profile", "secrets", "--report-dir", report_dir)
        self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
        self.assertNoCanary("run", r.stdout + r.stderr)
        reports = glob.glob(os.path.join(report_dir, "*"))
        self.assertEqual(sorted(os.path.splitext(p)[1] for p in reports), [".json", ".md", ".xml"])
        for path in reports + [os.path.join(self.state_dir, "runs.jsonl")]:
            with open(path) as f:
                text = f.read()
            if not path.endswith(".xml"):  # JUnit carries NFR verdicts, not probe errors
                self.assertIn("***", text, path)
            self.assertNoCanary(path, text)

    def test_serve_outputs_are_scrubbed(self):
        for log_format in ("text", "json"):
            with self.subTest(log_format=log_format):
                self.serve_once(log_format)

    def serve_once(self, log_format):
        d = self.start_daemon(self.config(log_format, f"serve-{log_format}.yaml"), extra_env=ENV)
        wait_until(lambda: 'error="http_401"' in self.scrape(d) and 'error="assertion"' in self.scrape(d),
                   20, "the failing probes to be counted")
        auth = {"Authorization": "Bearer " + CANARIES["auth_token"]}
        status, body = http("POST", d.url + "/run-suite", '{"profile": "secrets"}', auth)
        self.assertEqual(status, 202, body)
        run_id = json.loads(body)["id"]

        def finished():
            run = json.loads(http("GET", f"{d.url}/runs/{run_id}")[1])
            return run["state"] not in ("queued", "running")
        wait_until(finished, 60, "the suite run to finish")
        outputs = {
            "/metrics": self.scrape(d),
            "/api/v1/status": http("GET", d.url + "/api/v1/status")[1],
            "/": http("GET", d.url + "/")[1],
            "/runs": http("GET", d.url + "/runs")[1],
            "/runs/<id>": http("GET", f"{d.url}/runs/{run_id}")[1],
            "/runs/<id>.md": http("GET", f"{d.url}/runs/{run_id}?format=markdown")[1],
            "/runs/<id>.xml": http("GET", f"{d.url}/runs/{run_id}", headers={"Accept": "application/xml"})[1],
        }
        with open(os.path.join(self.state_dir, "runs.jsonl")) as f:
            outputs["runs.jsonl"] = f.read()
        d.stop()
        log = d.output()
        outputs[f"log ({log_format})"] = log
        for where, text in outputs.items():
            self.assertNoCanary(where, text)
        # The echoed secrets were there and were masked, not dropped.
        self.assertIn("invalid x-api-key: ***", outputs["/api/v1/status"])
        self.assertIn("***", outputs["/"])
        self.assertRegex(log, r"probe claude failing: http_401: .*invalid x-api-key: \*\*\*")
        if log_format == "json":
            for line in log.splitlines():
                json.loads(line)


if __name__ == "__main__":
    unittest.main()
