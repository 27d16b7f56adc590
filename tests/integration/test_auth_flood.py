"""Basic auth that a wrong-password flood cannot starve (issue #24, breaks 4 and 7).

16 flooders, each from its own loopback address (127.0.0.2..127.0.0.17: the whole 127/8 is
local), send wrong passwords in a loop; a scraper from 127.0.0.1 whose credentials are not yet
cached must still get in (200, not 503 or 401). Before the fix its check waited behind the
flood's in one queue of 8 and got 503 on 20 of 20 tries. A repeated wrong password is answered
from memory, without a bcrypt check, so it is never shed either. Hashes above cost 12 are refused
by check-config, serve and hash-password alike.

Timing is asserted only as a generous bound (10 s for a login; the issue's bound is 2 s, which
bench/auth_flood.py measures), since this machine is shared and noisy."""
import base64
import http.client
import multiprocessing
import os
import pty
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, DaemonTestCase, Process  # noqa: E402

FLOODERS = 16
USERS = 3  # each one logs in once, uncached, during the flood
CONFIG = """\
daemon:
  state_dir: "{state}"
  auth:
    basic_users:
{users}"""


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def get(port, auth, source="127.0.0.1", timeout=30):
    """Status of GET /metrics on a new connection from `source`."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        c.request("GET", "/metrics", headers={"Authorization": auth})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def flood(port, stop, results):
    """FLOODERS threads, flooder i on 127.0.0.(2+i), each sending a new wrong password per request
    on one keep-alive connection until `stop`; puts the count of answers by status on `results`."""
    counts, lock = {}, threading.Lock()

    def flooder(i):
        source, k, conn = f"127.0.0.{2 + i}", 0, None
        while not stop.is_set():
            k += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                                      source_address=(source, 0))
                conn.request("GET", "/metrics", headers={"Authorization": basic("prom", f"guess-{i}-{k}")})
                r = conn.getresponse()
                r.read()
                status = str(r.status)
            except (OSError, http.client.HTTPException):
                status = "error"
                conn = None
            with lock:
                counts[status] = counts.get(status, 0) + 1
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=flooder, args=(i,)) for i in range(FLOODERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(counts)


def hash_password(password, cost):
    r = subprocess.run([os.path.join(BIN, "reznet-perfd"), "hash-password", "--cost", str(cost)],
                       input=password + "\n", capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(r.stderr)
    return r.stdout.strip()


class AuthFloodTest(DaemonTestCase):
    def config(self, users):
        lines = "".join(f'      {u}: "{h}"\n' for u, h in users.items())
        return self.write_config(CONFIG.format(state=self.tmp.name, users=lines))

    def start(self, users):
        d = Process([os.path.join(BIN, "reznet-perfd"), "serve", "--config", self.config(users),
                     "--listen", "127.0.0.1:0"])
        self.procs.append(d)
        return d, int(d.url.rsplit(":", 1)[1])

    def test_first_login_gets_in_during_a_flood_from_16_addresses(self):
        # Cost 12, the most the daemon accepts: the slowest checks a flood can ask for.
        users = {"prom": hash_password("prom-pw", 12)}
        users.update({f"scraper{i}": hash_password(f"pw-{i}", 12) for i in range(USERS)})
        d, port = self.start(users)
        mp = multiprocessing.get_context("fork")
        stop, results = mp.Event(), mp.Queue()
        flooders = mp.Process(target=flood, args=(port, stop, results))
        flooders.start()
        logins = []
        try:
            time.sleep(1.5)  # the flood fills the queue of checks
            for i in range(USERS):
                t0 = time.monotonic()
                status = get(port, basic(f"scraper{i}", f"pw-{i}"))
                logins.append((status, time.monotonic() - t0))
        finally:
            stop.set()
            counts = results.get(timeout=60)
            flooders.join(10)
        print(f"\nflood from {FLOODERS} addresses ({counts}): first logins "
              + ", ".join(f"{s} in {t:.2f} s" for s, t in logins))
        for status, took in logins:
            self.assertEqual(status, 200, f"a first login during the flood: {logins}")
            self.assertLess(took, 10.0, f"a first login during the flood: {logins}")
        self.assertGreater(counts.get("401", 0), 0, counts)
        self.assertNotIn("guess-", d.output())

    def test_a_repeated_wrong_password_is_answered_from_memory(self):
        d, port = self.start({"prom": hash_password("prom-pw", 12)})
        wrong = basic("prom", "not-the-password")
        unknown = basic("nobody", "whatever")
        self.assertEqual(get(port, wrong), 401)  # checked once
        self.assertEqual(get(port, unknown), 401)
        # 40 at once, more than any queue of checks holds: none waits for bcrypt, none is shed.
        statuses, lock = [], threading.Lock()

        def one(auth):
            s = get(port, auth)
            with lock:
                statuses.append(s)

        threads = [threading.Thread(target=one, args=(wrong if i % 2 else unknown,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(statuses, [401] * 40)
        self.assertEqual(get(port, basic("prom", "prom-pw")), 200)
        self.assertNotIn("not-the-password", d.output())

    def test_hashes_above_cost_12_are_refused_everywhere(self):
        costly = "$2b$16$" + hash_password("pw", 4)[7:]
        path = self.config({"prom": costly})
        for verb in (["check-config", "--config", path],
                     ["serve", "--config", path, "--listen", "127.0.0.1:0"]):
            r = self.run_cli(*verb, timeout=30)
            self.assertEqual(r.returncode, 2, verb)
            self.assertIn(f"{path}:5:13: daemon.auth.basic_users.prom: bcrypt cost 16 is above 12, "
                          "the most this daemon accepts", r.stderr)
            self.assertIn("make one with `reznet-perfd hash-password --cost 10`", r.stderr)
            self.assertNotIn(costly[7:], r.stderr + r.stdout)
        r = subprocess.run([os.path.join(BIN, "reznet-perfd"), "hash-password", "--cost", "13"],
                           input="pw\n", capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "")
        ok = self.config({"prom": hash_password("pw", 12)})
        self.assertEqual(self.run_cli("check-config", "--config", ok).returncode, 0)

    def test_hash_password_on_a_terminal_asks_twice_without_echo(self):
        def on_tty(*answers):
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(os.path.join(BIN, "reznet-perfd"), ["reznet-perfd", "hash-password", "--cost", "4"])
            out = b""
            for prompt, answer in zip((b"password: ", b"again: "), answers):
                while prompt not in out:
                    out += os.read(fd, 1024)
                os.write(fd, answer.encode() + b"\n")
            while True:
                try:
                    chunk = os.read(fd, 1024)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            _, status = os.waitpid(pid, 0)
            os.close(fd)
            return os.waitstatus_to_exitcode(status), out.decode(errors="replace")
        code, out = on_tty("s3cret-pw", "s3cret-pw")
        self.assertEqual(code, 0, out)
        self.assertNotIn("s3cret-pw", out)  # never echoed
        self.assertRegex(out, r"\$2[aby]\$04\$")
        code, out = on_tty("s3cret-pw", "other-pw")
        self.assertEqual(code, 2, out)
        self.assertIn("the two passwords differ", out)
        self.assertNotIn("s3cret-pw", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
