"""TLS and basic auth on the daemon's own endpoints (issue #13, "the monitor must not go blind"),
in the Prometheus exporter-toolkit convention: daemon.tls (cert_file, key_file, client_ca_file,
min_version) and daemon.auth.basic_users (bcrypt hashes made by `reznet-perfd hash-password`).

Certificates are made at test time with the openssl CLI: a CA, a server certificate for
127.0.0.1 and a client certificate. The flood figures (latency of /metrics with cached
credentials while wrong passwords arrive in a loop) are printed and asserted only as "every
scrape answered" plus a generous ceiling, since this machine is shared and noisy."""
import base64
import http.client
import json
import multiprocessing
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, DaemonTestCase, Process, free_port, parse_metrics, wait_until  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))

PASSWORD = "correct horse battery"
TOKEN = "trigger-token-1234"
CONFIG = """\
daemon:
  state_dir: "{state}"
  auth:
    token: "{token}"
    basic_users:
      prom: "{hash}"
  tls:
    cert_file: "{dir}/server.pem"
    key_file: "{dir}/server.key"
{tls_extra}targets:
  backend: {{ url: "{backend}" }}
probes:
  - {{ name: api, kind: http, target: backend, interval: 1s, timeout: 1s, http: {{ path: /health }} }}
"""


def openssl(*args, cwd):
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)}: {r.stderr}")


def make_pki(d):
    """ca.pem/ca.key; server.pem/.key for IP 127.0.0.1; client.pem/.key (clientAuth)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=reznet test CA", cwd=d)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext)
        openssl("req", "-new", *ec, "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + ("127.0.0.1" if name == "server" else "prometheus"), cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext",
                cwd=d)


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Client:
    """One keep-alive HTTPS connection (as Prometheus scrapes), reopened after an error."""

    def __init__(self, port, context, timeout=10):
        self.port, self.context, self.timeout, self.conn = port, context, timeout, None

    def get(self, path, auth=None, method="GET", headers=None):
        """(status, headers, body); raises on connection or TLS errors."""
        if self.conn is None:
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context,
                                                    timeout=self.timeout)
        h = dict(headers or {})
        if auth:
            h["Authorization"] = auth
        try:
            self.conn.request(method, path, headers=h)
            r = self.conn.getresponse()
            body = r.read().decode()
        except Exception:
            self.close()
            raise
        if r.getheader("Connection", "").lower() == "close":
            self.close()
        return r.status, r, body

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


ATTACKERS = 12  # from one address, which may have 2 bcrypt checks waiting: the rest are shed


def flood(port, pki_dir, stop, results, n):
    """`n` threads, each sending wrong passwords on one keep-alive connection until `stop`; puts
    the count of answers by status on `results`."""
    counts = {"401": 0, "503": 0, "other": 0}
    lock = threading.Lock()
    ctx = ssl.create_default_context(cafile=os.path.join(pki_dir, "ca.pem"))

    def attacker(i):
        c, k = Client(port, ctx), 0
        while not stop.is_set():
            k += 1
            try:
                status = str(c.get("/metrics", basic("prom", f"guess-{i}-{k}"))[0])
            except Exception:
                status = "other"
            with lock:
                counts[status if status in counts else "other"] += 1
        c.close()

    threads = [threading.Thread(target=attacker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(counts)


def p99(sorted_lat):
    return sorted_lat[min(len(sorted_lat) - 1, int(len(sorted_lat) * 0.99))]


class TlsAuthTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.dir = self.tmp.name
        make_pki(self.dir)
        r = subprocess.run([os.path.join(BIN, "reznet-perfd"), "hash-password"], input=PASSWORD + "\n",
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.hash = r.stdout.strip()
        self.assertRegex(self.hash, r"^\$2b\$10\$[./A-Za-z0-9]{53}$")
        self.tb = self.start_testbed()

    def config(self, tls_extra=""):
        return self.write_config(CONFIG.format(state=self.dir, token=TOKEN, hash=self.hash, dir=self.dir,
                                               tls_extra=tls_extra, backend=self.tb.url))

    def start(self, tls_extra=""):
        d = Process([os.path.join(BIN, "reznet-perfd"), "serve", "--config", self.config(tls_extra),
                     "--listen", "127.0.0.1:0"], ready_pattern=r"listening on (https://[0-9.:]+)")
        self.procs.append(d)
        return d, int(d.url.rsplit(":", 1)[1])

    def context(self, client_cert=False, max_version=None):
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.pem"))
        if client_cert:
            ctx.load_cert_chain(os.path.join(self.dir, "client.pem"), os.path.join(self.dir, "client.key"))
        if max_version:
            ctx.maximum_version = max_version
        return ctx

    def test_https_with_basic_auth_for_reads_and_bearer_for_posts(self):
        d, port = self.start()
        c = Client(port, self.context())
        status, _, body = c.get("/metrics", basic("prom", PASSWORD))
        self.assertEqual(status, 200)
        series = parse_metrics(body)
        self.assertTrue(any(name.startswith("reznet_perf_") for name, _ in series), body[:500])
        for auth in (None, basic("prom", "wrong"), basic("nobody", PASSWORD), "Basic !!!!",
                     "Bearer " + TOKEN):
            for path in ("/metrics", "/healthz", "/readyz", "/api/v1/status", "/", "/runs"):
                status, r, _ = c.get(path, auth)
                self.assertEqual(status, 401, f"{path} with {auth!r}")
                self.assertEqual(r.getheader("WWW-Authenticate"), 'Basic realm="reznet-perfd"')
        for path in ("/healthz", "/readyz", "/api/v1/status", "/", "/runs"):
            self.assertEqual(c.get(path, basic("prom", PASSWORD))[0], 200, path)
        # POST routes keep the bearer token: basic auth alone does not trigger anything.
        self.assertEqual(c.get("/-/reload", basic("prom", PASSWORD), method="POST")[0], 401)
        self.assertEqual(c.get("/-/reload", method="POST",
                               headers={"Authorization": "Bearer " + TOKEN})[0], 200)
        # Plain HTTP to the TLS port gets no HTTP answer.
        with self.assertRaises((http.client.HTTPException, OSError)):
            plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            plain.request("GET", "/healthz")
            plain.getresponse().read()
        c.close()
        # Neither the password nor the Authorization header ever reaches the log.
        out = d.output()
        self.assertNotIn(PASSWORD, out)
        self.assertNotIn(base64.b64encode(f"prom:{PASSWORD}".encode()).decode(), out)

    def test_mutual_tls_requires_a_client_certificate(self):
        _, port = self.start(f'    client_ca_file: "{self.dir}/ca.pem"\n')
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            Client(port, self.context()).get("/metrics", basic("prom", PASSWORD))
        c = Client(port, self.context(client_cert=True))
        self.assertEqual(c.get("/metrics", basic("prom", PASSWORD))[0], 200)
        c.close()

    def test_min_version_tls13_refuses_a_tls12_client(self):
        _, port = self.start("    min_version: TLS13\n")
        with self.assertRaises(ssl.SSLError):
            Client(port, self.context(max_version=ssl.TLSVersion.TLSv1_2)).get("/healthz")
        c = Client(port, self.context())
        self.assertEqual(c.get("/metrics", basic("prom", PASSWORD))[0], 200)
        c.close()

    def test_check_config_loads_the_tls_files(self):
        path = self.config()
        r = self.run_cli("check-config", "--config", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        # A key that does not belong to the certificate: named with the config's file:line.
        os.replace(os.path.join(self.dir, "client.key"), os.path.join(self.dir, "server.key"))
        r = self.run_cli("check-config", "--config", path)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{path}:8: daemon.tls: key_file \"{self.dir}/server.key\" does not match cert_file",
                      r.stderr)
        os.remove(os.path.join(self.dir, "server.pem"))
        r = self.run_cli("check-config", "--config", path)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{path}:8:16: daemon.tls.cert_file: cannot read \"{self.dir}/server.pem\"", r.stderr)

    def test_wrong_password_flood_does_not_stall_cached_scrapes(self):
        d, port = self.start()
        scraper = Client(port, self.context())
        self.assertEqual(scraper.get("/metrics", basic("prom", PASSWORD))[0], 200)  # now cached
        # The attackers run in another process, so their loop does not hold this one's GIL while
        # scrapes are timed.
        mp = multiprocessing.get_context("fork")
        stop, results = mp.Event(), mp.Queue()
        attackers = mp.Process(target=flood, args=(port, self.dir, stop, results, ATTACKERS))
        attackers.start()
        try:
            time.sleep(0.5)
            answered, lat = 0, []
            for _ in range(200):
                t0 = time.monotonic()
                status, _, body = scraper.get("/metrics", basic("prom", PASSWORD))
                lat.append(time.monotonic() - t0)
                answered += status == 200 and "reznet_perf_" in body
        finally:
            stop.set()
            counts = results.get(timeout=30)
            attackers.join(10)
        lat.sort()
        print(f"\nwrong-password flood ({ATTACKERS} connections in a loop: {counts['401']} x 401, "
              f"{counts['503']} x 503, {counts['other']} other): /metrics with cached credentials "
              f"answered {answered}/200, p50 {lat[100] * 1000:.1f} ms, p99 {p99(lat) * 1000:.1f} ms "
              f"(issue bound: 100 ms)")
        self.assertEqual(answered, 200)
        self.assertLess(p99(lat), 1.0)
        self.assertGreater(counts["401"], 0)
        self.assertGreater(counts["503"], 0, "beyond the check queue, wrong passwords get 503 at once")
        scraper.close()
        self.assertNotIn("guess-", d.output())

    def test_silent_tcp_connections_cannot_lock_out_a_scrape(self):
        _, port = self.start()
        socks = []
        try:
            for _ in range(200):  # connect, never send a ClientHello
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                socks.append(s)
            answered, lat = 0, []
            for _ in range(20):
                t0 = time.monotonic()
                c = Client(port, self.context())  # a new connection each time: it must get in
                answered += c.get("/metrics", basic("prom", PASSWORD))[0] == 200
                c.close()
                lat.append(time.monotonic() - t0)
        finally:
            for s in socks:
                s.close()
        lat.sort()
        print(f"\n200 silent TCP connections: /metrics answered {answered}/20, "
              f"max {lat[-1] * 1000:.1f} ms")
        self.assertEqual(answered, 20)

    def test_shipped_prometheus_example_scrapes_the_daemon(self):
        """The commented job in deploy/prometheus/prometheus.yml, uncommented (client certificate
        lines too), passes promtool and lets a real Prometheus scrape the daemon: up == 1."""
        _, port = self.start(f'    client_ca_file: "{self.dir}/ca.pem"\n')
        with open(os.path.join(ROOT, "deploy/prometheus/prometheus.yml")) as f:
            lines = f.read().splitlines()
        start = next(i for i, l in enumerate(lines) if l.startswith("  # - job_name: reznet-perfd"))
        job = []
        for line in lines[start:]:
            if not line.startswith("  #"):
                break
            line = line.replace("  # ", "  ", 1)
            if line.lstrip().startswith(("# cert_file", "# key_file")):  # the mTLS lines
                line = line.replace("# ", "", 1)
            job.append(line)
        job = "\n".join(job)
        with open(os.path.join(self.dir, "pass"), "w") as f:
            f.write(PASSWORD)
        for old, new in (("/etc/prometheus/reznet-perfd-ca.pem", f"{self.dir}/ca.pem"),
                         ("/etc/prometheus/client.pem", f"{self.dir}/client.pem"),
                         ("/etc/prometheus/client.key", f"{self.dir}/client.key"),
                         ("/etc/prometheus/reznet-perfd.pass", f"{self.dir}/pass"),
                         ("username: prometheus", "username: prom"),
                         ("scrape_interval: 15s", "scrape_interval: 1s"),
                         ("perfd:9478", f"127.0.0.1:{port}")):
            self.assertIn(old, job)
            job = job.replace(old, new)
        prom_yml = os.path.join(self.dir, "prometheus.yml")
        with open(prom_yml, "w") as f:
            f.write("global: { scrape_interval: 1s }\nscrape_configs:\n" + job + "\n")
        r = subprocess.run(["promtool", "check", "config", prom_yml], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + job)
        prom_port = free_port()
        self.procs.append(Process(["prometheus", f"--config.file={prom_yml}",
                                   f"--storage.tsdb.path={self.dir}/prom-data",
                                   f"--web.listen-address=127.0.0.1:{prom_port}"], ready_pattern=None))

        def up():
            q = urllib.parse.urlencode({"query": 'up{job="reznet-perfd"}'})
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/api/v1/query?{q}", timeout=5) as resp:
                    result = json.loads(resp.read())["data"]["result"]
            except OSError:
                return None
            return result and result[0]["value"][1] == "1"

        wait_until(up, 30, "Prometheus scraping the daemon over mTLS with basic auth (up == 1)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
