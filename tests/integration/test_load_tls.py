"""The load engine over HTTPS (issue #14) against the testbed serving TLS (--tls-cert/--tls-key) on
real PostgreSQL + Redis, with a throwaway CA and server certificate made by the openssl command
line: the RezNet flow with ca_file, session resumption, a handshake per request without
keep-alive, an unknown CA, the wrong scheme either way, and SIGINT during a TLS test."""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, DaemonTestCase, Process, interrupted_load, services  # noqa: E402

PERFD = os.path.join(BIN, "reznet-perfd")
HTTPS_READY = r"listening on (https://[0-9.:\[\]]+)"


def make_certs(folder):
    """A CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, server.pem, server.key)."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=reznet test CA", "-keyout", "ca.key", "-out", "ca.pem")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(folder, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days",
            "1", "-extfile", "san.ext", "-out", "server.pem")
    return tuple(os.path.join(folder, n) for n in ("ca.pem", "server.pem", "server.key"))


class LoadTlsTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        env = services()
        self.ca, cert, key = make_certs(self.tmp.name)
        self.tb = Process([os.path.join(BIN, "reznet-testbed"), "--listen", "127.0.0.1:0", "--threads", "64",
                           "--pg-dsn", env["REZNET_PG_DSN"], "--redis-url", env["REZNET_REDIS_URL"],
                           "--tls-cert", cert, "--tls-key", key],
                          env={"PGPASSWORD": env["REZNET_PG_PASSWORD"]}, ready_pattern=HTTPS_READY, timeout=60)
        self.procs.append(self.tb)

    def config(self, url, load, target_extra=""):
        return self.write_config(f"""targets:
  backend: {{ url: "{url}"{target_extra} }}
probes:
  - name: flow
    kind: load
    target: backend
    load: {load}
""", f"load-{time.monotonic_ns()}.yaml")

    def load(self, cfg, timeout=60):
        out = os.path.join(self.tmp.name, f"out-{time.monotonic_ns()}.json")
        r = subprocess.run([PERFD, "load", "--config", cfg, "--out", out], capture_output=True, text=True,
                           timeout=timeout)
        with open(out) as f:
            return r, json.load(f)

    def errors(self, res):
        kinds = {}
        for step in res["steps"].values():
            for k, n in step["errors"].items():
                kinds[k] = kinds.get(k, 0) + n
        return kinds

    def test_reznet_flow_over_tls_with_ca_file(self):
        cfg = self.config(self.tb.url, "{ users: 10, duration: 5s, think_time: 50ms..150ms, seed: 3 }",
                          f', ca_file: "{self.ca}"')
        r, res = self.load(cfg)
        self.assertEqual(res["failed"], 0, res["steps"])
        self.assertEqual(list(res["steps"]), ["list_agents", "list_channels", "send_message", "read_messages"])
        for name, step in res["steps"].items():
            self.assertGreater(step["requests"], 10, name)
        self.assertGreaterEqual(res["tls"]["handshakes"], 10)  # one keep-alive connection per user
        self.assertIn("TLS handshakes:", r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_without_keep_alive_every_request_handshakes_and_resumes(self):
        cfg = self.config(self.tb.url, "{ users: 5, duration: 3s, keep_alive: false,"
                                       " scenario: [{ name: agents, path: /api/agents }] }",
                          f', ca_file: "{self.ca}"')
        _, res = self.load(cfg)
        self.assertEqual(res["failed"], 0, res["steps"])
        self.assertEqual(res["tls"]["handshakes"], res["requests"])
        # Only each user's first connection needs a full handshake.
        self.assertGreaterEqual(res["tls"]["resumed"], res["requests"] - 5)

    def test_unknown_ca_fails_every_request_with_the_reason(self):
        cfg = self.config(self.tb.url, "{ users: 5, duration: 2s, scenario: [{ name: agents, path: /api/agents }] }")
        r, res = self.load(cfg, timeout=30)  # never hangs: the subprocess timeout fails the test
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertGreater(res["requests"], 0)
        self.assertEqual(self.errors(res), {"tls": res["requests"]})
        last = res["steps"]["agents"]["last_error"]
        self.assertIn("TLS handshake with 127.0.0.1: certificate verify failed", last)

    def test_wrong_scheme_either_way_is_one_clear_kind(self):
        plain = self.start_testbed()
        one_step = "{ users: 2, duration: 2s, scenario: [{ name: agents, path: /api/agents }] }"
        _, res = self.load(self.config(plain.url.replace("http://", "https://"), one_step, f', ca_file: "{self.ca}"'))
        self.assertEqual(self.errors(res), {"tls": res["requests"]}, res["steps"])
        self.assertIn("TLS handshake", res["steps"]["agents"]["last_error"])
        _, res = self.load(self.config(self.tb.url.replace("https://", "http://"), one_step))
        kinds = self.errors(res)
        self.assertEqual(len(kinds), 1, kinds)
        self.assertEqual(sum(kinds.values()), res["requests"])
        self.assertIn("https://", res["steps"]["agents"]["last_error"])

    def test_sigint_during_a_tls_test_prints_and_writes_results(self):
        cfg = self.config(self.tb.url, "{ users: 10, duration: 60s, think_time: 100ms..200ms,"
                                       " scenario: [{ name: agents, path: /api/agents }] }", f', ca_file: "{self.ca}"')
        out = os.path.join(self.tmp.name, "partial.json")
        code, stdout, stderr, res, _ = interrupted_load(cfg, out)
        self.assertIn("stopped by signal: results so far", stderr)
        self.assertIn("LOAD TEST RESULTS", stdout)
        self.assertIn("TLS handshakes:", stdout)
        self.assertGreater(res["requests"], 50)
        self.assertEqual(res["failed"], 0)
        self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
