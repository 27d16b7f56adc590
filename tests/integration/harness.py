"""Shared helpers for the integration tests: real binaries, real services, loopback only.

Binaries come from $REZNET_BUILD_DIR/bin; service addresses from the env file that
scripts/services.sh writes ($REZNET_SERVICES_ENV). Every process started here is stopped at the
end of its test. No timing is asserted beyond what an issue names as the measured behaviour.
"""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

BUILD_DIR = os.environ.get("REZNET_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
BIN = os.path.join(BUILD_DIR, "bin")


def services():
    """The env file of scripts/services.sh as a dict; fails the test when services are required."""
    path = os.environ.get("REZNET_SERVICES_ENV", "")
    if not path or not os.path.exists(path):
        raise unittest.SkipTest("services not started (run scripts/test.sh, or scripts/services.sh start "
                                "and set REZNET_SERVICES_ENV)")
    out = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                out[k] = v[1:-1] if len(v) >= 2 and v[0] == v[-1] == '"' else v
    return out


class Process:
    """A child process whose output is collected by a thread; waits for a 'listening on URL' line."""

    def __init__(self, args, env=None, ready_pattern=r"listening on (http://[0-9.:\[\]]+)", timeout=10,
                 preexec_fn=None):
        self.args = args
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=full_env, preexec_fn=preexec_fn)
        self.lines = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = None
        if ready_pattern:
            m = self.wait_for_line(ready_pattern, timeout)
            self.url = m.group(1) if m.groups() else None

    def _read(self):
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def output(self):
        with self._lock:
            return "\n".join(self.lines)

    def wait_for_line(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            with self._lock:
                for line in self.lines:
                    m = rx.search(line)
                    if m:
                        return m
            if self.proc.poll() is not None:
                time.sleep(0.1)
                break
            time.sleep(0.02)
        raise AssertionError(f"{self.args[0]}: no line matching {pattern!r} within {timeout}s; "
                             f"exit={self.proc.poll()}; output:\n{self.output()}")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=2)
        if self.proc.stdout and not self._reader.is_alive():
            self.proc.stdout.close()
        return self.proc.returncode


class HungServer:
    """Accepts TCP connections and never says a word: a target (or a PostgreSQL) that is frozen.
    Counts the connections open at once (until the client closes its end) in max_open."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.lock = threading.Lock()
        self.open = 0
        self.max_open = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            with self.lock:
                self.open += 1
                self.max_open = max(self.max_open, self.open)
            threading.Thread(target=self._hold, args=(c,), daemon=True).start()

    def _hold(self, c):
        try:
            while c.recv(4096):
                pass
        except OSError:
            pass
        with self.lock:
            self.open -= 1

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def free_port():
    """A TCP port free on 127.0.0.1 right now (for servers that cannot bind port 0 themselves)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None, headers=None, timeout=10):
    """(status, body text) of one request; HTTP errors are returned, not raised."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} from exposition text."""
    out = {}
    line_rx = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    label_rx = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_rx.match(line)
        if not m:
            raise AssertionError(f"unparseable metrics line: {line!r}")
        labels = frozenset(label_rx.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def metric(metrics, name, **labels):
    """The value of the one series of `name` carrying at least `labels`, or None."""
    want = set(labels.items())
    found = [v for (n, ls), v in metrics.items() if n == name and want <= set(ls)]
    if len(found) > 1:
        raise AssertionError(f"{name}{labels} matches {len(found)} series")
    return found[0] if found else None


def scrape_latencies(url, n, pause=0.0):
    """(answered, latencies in seconds) of n sequential /metrics requests, `pause` s apart."""
    answered, lat = 0, []
    for _ in range(n):
        time.sleep(pause)
        t0 = time.monotonic()
        status, _ = http("GET", url + "/metrics", timeout=10)
        lat.append(time.monotonic() - t0)
        answered += status == 200
    return answered, sorted(lat)


def p99(sorted_lat):
    return sorted_lat[min(len(sorted_lat) - 1, int(len(sorted_lat) * 0.99))]


def interrupted_load(config_path, out, after=3.0):
    """`reznet-perfd load` stopped by SIGINT after `after` s: (returncode, stdout, stderr, --out JSON,
    seconds from the signal to the exit)."""
    p = subprocess.Popen([os.path.join(BIN, "reznet-perfd"), "load", "--config", config_path, "--out", out],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    started = time.monotonic()
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=20)
    stopped = time.monotonic() - started
    with open(out) as f:
        return p.returncode, stdout, stderr, json.load(f), stopped


def services_cmd(cmd):
    """scripts/services.sh CMD on the test services (pg-stop, pg-start, redis-stop, …)."""
    root = os.path.join(os.path.dirname(__file__), "../..")
    subprocess.run([os.path.join(root, "scripts/services.sh"), cmd, services()["REZNET_SERVICES_RUN_DIR"]],
                   check=True, capture_output=True)


def psql(sql):
    """Output of one SQL statement on the test PostgreSQL, as its superuser (-tA)."""
    env = services()
    return subprocess.run(["psql", env["REZNET_PG_ADMIN_DSN"], "-tAc", sql], capture_output=True, text=True,
                          check=True, env={**os.environ, "PGPASSWORD": env["REZNET_PG_ADMIN_PASSWORD"]}).stdout


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class DaemonTestCase(unittest.TestCase):
    """Starts processes and writes configs in a per-test temp dir; stops everything afterwards."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="reznet-it-")
        self.procs = []

    def tearDown(self):
        for p in reversed(self.procs):
            p.stop()
        self.tmp.cleanup()

    def start_testbed(self, **faults):
        tb = Process([os.path.join(BIN, "reznet-testbed"), "--listen", "127.0.0.1:0"])
        self.procs.append(tb)
        if faults:
            status, body = http("POST", tb.url + "/testbed/faults", json.dumps(faults))
            self.assertEqual(status, 200, body)
        return tb

    def write_config(self, text, name="config.yaml"):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start_daemon(self, config_path, extra_env=None, args=()):
        d = Process([os.path.join(BIN, "reznet-perfd"), "serve", "--config", config_path,
                     "--listen", "127.0.0.1:0", *args], env=extra_env)
        self.procs.append(d)
        return d

    def run_cli(self, *args, timeout=60, env=None):
        return subprocess.run([os.path.join(BIN, "reznet-perfd"), *args], capture_output=True, text=True,
                              timeout=timeout, cwd=os.path.join(os.path.dirname(__file__), "../.."),
                              env={**os.environ, **env} if env else None)

    def scrape(self, daemon):
        status, text = http("GET", daemon.url + "/metrics")
        self.assertEqual(status, 200)
        return text
