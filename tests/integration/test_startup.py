"""check-config runs every check serve runs before it binds (issue #13): a malformed listen
address, a history DSN that carries a password, a state_dir that cannot be created or written,
a runs.jsonl that is a directory. Both commands exit 2 and name the setting; nothing else starts."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, DaemonTestCase  # noqa: E402

BASE = """\
daemon: { listen: "%s", state_dir: "%s" }
targets:
  backend: { url: "http://127.0.0.1:9" }
probes:
  - { name: api, kind: http, target: backend, interval: 1m, timeout: 1s, http: { path: /health } }
"""


class StartupChecksTest(DaemonTestCase):
    def both(self, config_text):
        """(check-config result, serve result) for one config."""
        path = self.write_config(config_text)
        check = self.run_cli("check-config", "--config", path)
        serve = subprocess.run([os.path.join(BIN, "reznet-perfd"), "serve", "--config", path],
                               capture_output=True, text=True, timeout=20)
        return check, serve

    def assert_refused(self, config_text, *needles):
        check, serve = self.both(config_text)
        for name, r in (("check-config", check), ("serve", serve)):
            self.assertEqual(r.returncode, 2, f"{name}: {r.stdout}{r.stderr}")
            for n in needles:
                self.assertIn(n, r.stderr, name)
            self.assertNotIn("listening on", r.stdout + r.stderr)

    def test_malformed_listen(self):
        self.assert_refused(BASE % ("[::1:99999", self.tmp.name), "daemon.listen",
                            "is not an IP address")
        self.assert_refused(BASE % ("127.0.0.1:99999", self.tmp.name), "daemon.listen", "bad port")

    def test_history_dsn_with_password(self):
        text = BASE % ("127.0.0.1:0", self.tmp.name) + \
            'history: { store: postgres, dsn: "host=127.0.0.1 dbname=x user=y password=hunter2" }\n'
        check, serve = self.both(text)
        for r in (check, serve):
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("history", r.stderr)
            self.assertNotIn("hunter2", r.stdout + r.stderr)

    def test_state_dir_that_is_a_file(self):
        blocker = os.path.join(self.tmp.name, "not-a-dir")
        open(blocker, "w").close()
        self.assert_refused(BASE % ("127.0.0.1:0", os.path.join(blocker, "state")),
                            "daemon.state_dir", "cannot create")

    def test_runs_file_that_is_a_directory(self):
        state = os.path.join(self.tmp.name, "state")
        os.makedirs(os.path.join(state, "runs.jsonl"))
        self.assert_refused(BASE % ("127.0.0.1:0", state), "daemon.state_dir",
                            "runs.jsonl is a directory")

    def test_good_config_passes_both(self):
        state = os.path.join(self.tmp.name, "state")
        r = self.run_cli("check-config", "--config", self.write_config(BASE % ("127.0.0.1:0", state)))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(state), "check-config creates nothing")
        os.makedirs(state)
        r = self.run_cli("check-config", "--config", self.write_config(BASE % ("127.0.0.1:0", state)))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.listdir(state), [], "the write check leaves nothing behind")


if __name__ == "__main__":
    unittest.main(verbosity=2)
