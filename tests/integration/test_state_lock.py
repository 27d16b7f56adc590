"""One daemon per state_dir (issue #24 item 8): a second `serve` on the same state_dir exits 2
naming the pid of the first (a lock file, as Prometheus does with its data directory); once the
first stops, the directory is free again. A SIGHUP storm logs at most a line a second, with a
count of the requests it did not log."""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, DaemonTestCase, Process  # noqa: E402


class StateLockTest(DaemonTestCase):
    def config(self):
        return self.write_config(f"daemon: {{ state_dir: \"{self.tmp.name}/state\" }}\nprobes: []\n")

    def test_second_daemon_on_the_same_state_dir_exits_2_naming_the_first(self):
        path = self.config()
        first = self.start_daemon(path)
        second = Process([os.path.join(BIN, "reznet-perfd"), "serve", "--config", path,
                          "--listen", "127.0.0.1:0"], ready_pattern=None)
        self.procs.append(second)
        self.assertEqual(second.proc.wait(20), 2, second.output())
        second._reader.join(5)
        self.assertIn(f"is in use by another reznet-perfd (pid {first.proc.pid}, holding "
                      f"{self.tmp.name}/state/lock)", second.output())
        with open(os.path.join(self.tmp.name, "state", "lock")) as f:
            self.assertEqual(f.read().strip(), str(first.proc.pid))
        self.assertEqual(first.stop(), 0)
        third = self.start_daemon(path)  # the lock went with the first process
        self.assertIsNotNone(third.url)

    def test_a_sighup_storm_logs_at_most_a_line_a_second_with_a_count(self):
        d = self.start_daemon(self.config())
        started = time.monotonic()
        for _ in range(300):
            d.proc.send_signal(signal.SIGHUP)
            time.sleep(0.01)
        took = time.monotonic() - started
        m = d.wait_for_line(r"SIGHUP: .* \((\d+) more reload request\(s\) since the last line\)", 10)
        self.assertGreater(int(m.group(1)), 0)
        d.wait_for_line(r"config reloaded from .* \(\d+ more unchanged reload\(s\) since the last line\)")
        time.sleep(1.5)
        out = d.output().splitlines()
        # Per kind of line: the first, then at most one per second of the storm.
        for rx in (r"SIGHUP: (reload|refused)", r"config reloaded from"):
            lines = [line for line in out if re.search(rx, line)]
            self.assertLessEqual(len(lines), int(took) + 2, "\n".join(lines))

if __name__ == "__main__":
    unittest.main(verbosity=2)
