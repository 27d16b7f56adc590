"""systemd integration without a running systemd: the shipped unit passes systemd-analyze verify
and scores ≤ 2.0 in systemd-analyze security --offline; the daemon speaks the notify protocol
(READY, WATCHDOG at half of WATCHDOG_USEC, STOPPING) to a NOTIFY_SOCKET we hold, and takes its
state directory from STATE_DIRECTORY."""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, DaemonTestCase  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "../..")
UNIT = os.path.join(ROOT, "systemd/reznet-perfd.service")


@unittest.skipIf(shutil.which("systemd-analyze") is None, "systemd-analyze missing: run scripts/install-deps.sh")
class SystemdTest(DaemonTestCase):
    def local_unit(self):
        with open(UNIT) as f:
            text = f.read()
        self.assertIn("ExecStart=/usr/local/bin/reznet-perfd serve", text)
        path = os.path.join(self.tmp.name, "reznet-perfd.service")
        with open(path, "w") as f:
            f.write(text.replace("/usr/local/bin/reznet-perfd", os.path.abspath(os.path.join(BIN, "reznet-perfd"))))
        return path

    def test_unit_verifies_and_is_sandboxed(self):
        unit = self.local_unit()
        r = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "", r.stderr)
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", unit], capture_output=True, text=True)
        m = re.search(r"Overall exposure level for reznet-perfd.service: ([\d.]+)", r.stdout)
        self.assertIsNotNone(m, r.stdout[-2000:] + r.stderr)
        self.assertLessEqual(float(m.group(1)), 2.0, r.stdout)
        with open(UNIT) as f:
            text = f.read()
        for line in ("Type=notify", "WatchdogSec=", "DynamicUser=yes", "StateDirectory=reznet-perfd",
                     "EnvironmentFile=", "ExecReload=/bin/kill -HUP $MAINPID"):
            self.assertIn(line, text)

    def test_notify_protocol_and_state_directory(self):
        sock_path = os.path.join(self.tmp.name, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        sock.settimeout(5)
        state = os.path.join(self.tmp.name, "state-from-systemd")
        cfg = self.write_config("daemon: { windows: [1m] }\nprobes: []\n")
        d = self.start_daemon(cfg, extra_env={"NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "400000",
                                              "STATE_DIRECTORY": state})
        messages = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                break
        self.assertTrue(messages[0].startswith("READY=1\nSTATUS=probing 0 probes"), messages[:2])
        # 3 s at one ping per 200 ms: ten or more.
        self.assertGreaterEqual(sum(m == "WATCHDOG=1" for m in messages), 8, messages)
        self.assertIn(f"run history in {state}/runs.jsonl", d.output())
        self.assertEqual(d.stop(), 0)
        sock.settimeout(1)
        rest = []
        while True:
            try:
                rest.append(sock.recv(4096).decode())
            except socket.timeout:
                break
        self.assertIn("STOPPING=1", rest)
        sock.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
