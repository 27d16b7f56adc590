"""GET /probe (issue #17): modules run against targets given at run time, the allow list (SSRF
guard), the concurrency bound, Prometheus's scrape timeout, and real Prometheus scraping it
through the shipped relabelling recipe (deploy/prometheus/prometheus.yml)."""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import threading
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import (DaemonTestCase, HungServer, Process, free_port, http, metric,  # noqa: E402
                     parse_metrics, services, wait_until)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


def config(env, state_dir, tb_port, hang_port, canary_port):
    return f"""
daemon:
  state_dir: {state_dir}
  probe_endpoint: {{ max_concurrent: 4 }}
modules:
  http_2xx:
    kind: http
    timeout: 3s
    target: {{ headers: {{ Authorization: "Bearer module-s3cret-token" }} }}
    http: {{ path: /health, expect: {{ status: 200 }} }}
    allow: {{ hosts: [localhost], cidrs: [127.0.0.0/8], ports: [{tb_port}, {hang_port}, {canary_port}] }}
  walled:
    kind: http
    timeout: 2s
    target: {{ headers: {{ Authorization: "Bearer module-s3cret-token" }} }}
    allow: {{ hosts: ["*.example.test"], cidrs: [10.0.0.0/8] }}
  redis_ping:
    kind: redis
    allow: {{ cidrs: [127.0.0.1/32] }}
  pg_query:
    kind: postgres
    target: {{ dsn: "dbname=reznet user=reznet", password: "{env['REZNET_PG_PASSWORD']}" }}
    postgres: {{ queries: [{{ name: one, sql: "SELECT 1" }}] }}
    allow: {{ hosts: [localhost], cidrs: [127.0.0.1/32] }}
  closed:
    kind: http
"""


class ProbeEndpointTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.env = services()
        self.tb = self.start_testbed()
        self.tb_port = int(self.tb.url.rsplit(":", 1)[1])
        self.hang = HungServer()
        self.addCleanup(self.hang.close)
        self.canary = HungServer()  # must never see a connection
        self.addCleanup(self.canary.close)
        path = self.write_config(config(self.env, os.path.join(self.tmp.name, "state"), self.tb_port,
                                        self.hang.port, self.canary.port))
        self.d = self.start_daemon(path)

    def probe(self, module, target, headers=None, timeout=15):
        q = urllib.parse.urlencode({"module": module, "target": target})
        return http("GET", f"{self.d.url}/probe?{q}", headers=headers, timeout=timeout)

    def test_each_kind_of_module_probes_a_real_target(self):
        status, body = self.probe("http_2xx", f"127.0.0.1:{self.tb_port}")
        self.assertEqual(status, 200, body)
        m = parse_metrics(body)
        self.assertEqual(metric(m, "probe_success"), 1, body)
        self.assertGreater(metric(m, "probe_duration_seconds"), 0)
        self.assertGreater(metric(m, "probe_phase_duration_seconds", phase="total"), 0)
        self.assertEqual(metric(m, "probe_http_status_code"), 200)  # blackbox_exporter's name
        self.assertNotIn("s3cret", body)
        # The full-URL form, as blackbox_exporter's http module takes it.
        status, body = self.probe("http_2xx", f"http://localhost:{self.tb_port}")
        self.assertEqual(metric(parse_metrics(body), "probe_success"), 1, body)

        redis_port = urllib.parse.urlparse(self.env["REZNET_REDIS_URL"]).port
        status, body = self.probe("redis_ping", f"127.0.0.1:{redis_port}")
        self.assertEqual((status, metric(parse_metrics(body), "probe_success")), (200, 1), body)
        status, body = self.probe("pg_query", f"127.0.0.1:{self.env['REZNET_PG_PORT']}")
        self.assertEqual((status, metric(parse_metrics(body), "probe_success")), (200, 1), body)
        self.assertNotIn(self.env["REZNET_PG_PASSWORD"], body)

        # A failed run is still a 200 with probe_success 0 and the error kind.
        closed_port = free_port()
        status, body = self.probe("redis_ping", f"127.0.0.1:{closed_port}")
        m = parse_metrics(body)
        self.assertEqual((status, metric(m, "probe_success")), (200, 0), body)
        self.assertEqual(metric(m, "probe_error", kind="connect"), 1, body)

        counts = parse_metrics(self.scrape(self.d))
        self.assertEqual(metric(counts, "reznet_perf_probe_requests_total", module="http_2xx",
                                result="success"), 2)
        self.assertEqual(metric(counts, "reznet_perf_probe_requests_total", module="redis_ping",
                                result="failure"), 1)

    def test_the_allow_list_judges_where_the_client_connects(self):
        # Issue #24, break 1: a zone id made an IPv6 literal look like a name to the host glob,
        # and an IPv4-mapped address reached 127.0.0.1 with the module's credentials. Break 2: a
        # CR LF in the path split the request line. Each is refused before any connection.
        c = self.canary.port
        attacks = [
            ("walled", f"http://[::ffff:127.0.0.1%x.example.test]:{c}/", 400, "zone id"),
            ("walled", f"[::ffff:127.0.0.1%25x.example.test]:{c}", 400, "zone id"),
            ("walled", f"http://[::ffff:127.0.0.1]:{c}/", 403, "not allowed"),
            ("walled", f"[::ffff:7f00:1]:{c}", 403, "not allowed"),
            ("walled", f"[::127.0.0.1]:{c}", 403, "not allowed"),
            ("walled", f"2130706433:{c}", 400, "dotted quad"),
            ("walled", f"0x7f.1:{c}", 400, "dotted quad"),
            ("walled", f"127.1.example.test.:{c}", 400, "empty label"),
            ("http_2xx", f"http://127.0.0.1:{c}/a HTTP/1.1\r\nX-Injected: yes", 400,
             "is not allowed in a URL path"),
            ("http_2xx", f"http://127.0.0.1:{c}/a\u00e9", 400, "byte 0xC3"),
        ]
        for module, target, want_status, want_text in attacks:
            status, body = self.probe(module, target)
            self.assertEqual(status, want_status, (module, target, body))
            self.assertIn(want_text, body, (module, target))
            # The refusal may quote the target: its control characters come back escaped.
            self.assertNotIn("\r", body, (module, target))
            self.assertNotIn("\nX-Injected", body, (module, target))
        self.assertEqual(len(self.canary.conns), 0, "a refused target was connected to")

    def test_bad_requests_get_a_clear_4xx_and_are_counted(self):
        cases = [
            (("nope", "127.0.0.1:80"), 400, "unknown module \"nope\"; this daemon has: closed, http_2xx"),
            (("http_2xx", ""), 400, "target parameter missing"),
            (("http_2xx", "127.0.0.1:99999"), 400, "bad port"),
            (("http_2xx", "user:pw@127.0.0.1"), 400, "credentials"),
            (("http_2xx", "169.254.169.254:80"), 403, "is not allowed by modules.http_2xx.allow"),
            (("http_2xx", f"127.0.0.1:{self.tb_port + 1 if self.tb_port + 1 != self.hang.port else self.tb_port + 2}"),
             403, "not allowed"),
            (("redis_ping", "localhost:6379"), 403, "not allowed"),  # names never match a CIDR
            (("closed", "127.0.0.1:80"), 403, "allows no target yet"),
        ]
        for (module, target), want_status, want_text in cases:
            status, body = self.probe(module, target)
            self.assertEqual(status, want_status, (module, target, body))
            self.assertIn(want_text, body, (module, target))
            self.assertNotIn("pw@", body)
        status, body = self.probe("http_2xx", f"127.0.0.1:{self.tb_port}",
                                  headers={"X-Prometheus-Scrape-Timeout-Seconds": "0.4"})
        self.assertEqual(status, 400, body)
        self.assertIn("raise scrape_timeout", body)
        status, body = self.probe("http_2xx", f"127.0.0.1:{self.tb_port}",
                                  headers={"X-Prometheus-Scrape-Timeout-Seconds": "soon"})
        self.assertEqual(status, 400, body)
        counts = parse_metrics(self.scrape(self.d))
        self.assertEqual(metric(counts, "reznet_perf_probe_requests_total", module="", result="unknown_module"), 1)
        self.assertEqual(metric(counts, "reznet_perf_probe_requests_total", module="http_2xx",
                                result="forbidden"), 2)
        self.assertEqual(metric(counts, "reznet_perf_probe_requests_total", module="http_2xx",
                                result="bad_request"), 5)

    def test_scrape_timeout_bounds_the_run(self):
        status, body = self.probe("http_2xx", f"127.0.0.1:{self.hang.port}",
                                  headers={"X-Prometheus-Scrape-Timeout-Seconds": "1.2"})
        m = parse_metrics(body)
        self.assertEqual((status, metric(m, "probe_success")), (200, 0), body)
        self.assertEqual(metric(m, "probe_error", kind="timeout"), 1, body)
        # 1.2 s - 0.5 s margin: the run ended well before the module's own 3 s timeout.
        self.assertLess(metric(m, "probe_duration_seconds"), 3, body)

    def test_many_concurrent_requests_are_bounded_and_metrics_keep_answering(self):
        # 1,000 requests, 120 at a time (the server allows 128 connections per client address;
        # the scraper needs one).
        n = 1000
        target = f"127.0.0.1:{self.hang.port}"
        stop = threading.Event()
        scrapes = []

        def scrape_loop():
            while not stop.is_set():
                scrapes.append(http("GET", self.d.url + "/metrics", timeout=10)[0])

        scraper = threading.Thread(target=scrape_loop)
        scraper.start()
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=120) as pool:
                results = list(pool.map(lambda _: self.try_probe(target), range(n)))
        finally:
            stop.set()
            scraper.join()
        ran = results.count(200)
        refused = results.count(503)
        self.assertEqual(ran + refused, n, results)
        self.assertGreater(refused, 0, results)
        # The bound: never more than max_concurrent (4) runs reached the target at once.
        self.assertGreaterEqual(self.hang.max_open, 1)
        self.assertLessEqual(self.hang.max_open, 4)
        self.assertTrue(scrapes and all(s == 200 for s in scrapes), scrapes)
        counts = parse_metrics(self.scrape(self.d))
        self.assertEqual(metric(counts, "reznet_perf_probe_requests_total", module="http_2xx", result="refused"),
                         refused)
        self.assertEqual(metric(counts, "reznet_perf_probe_requests_total", module="http_2xx", result="failure"),
                         ran)
        status, body = self.probe("http_2xx", f"127.0.0.1:{self.tb_port}")
        self.assertEqual(metric(parse_metrics(body), "probe_success"), 1, "the endpoint recovers")

    def try_probe(self, target):
        try:
            return self.probe("http_2xx", target, timeout=30)[0]
        except OSError:
            return "closed"


@unittest.skipIf(shutil.which("prometheus") is None, "prometheus missing: run scripts/install-deps.sh")
class PrometheusRelabellingTest(DaemonTestCase):
    def test_prometheus_scrapes_probe_through_the_shipped_relabelling(self):
        env = services()
        tb = self.start_testbed()
        tb_target = tb.url.replace("http://", "")
        d = self.start_daemon(self.write_config(config(env, os.path.join(self.tmp.name, "state"),
                                                       int(tb_target.rsplit(":", 1)[1]), 1, 2)))
        with open(os.path.join(ROOT, "deploy/prometheus/prometheus.yml")) as f:
            lines = f.read().splitlines()
        start = next(i for i, line in enumerate(lines) if "job_name: reznet-perfd-probe" in line)
        job = []
        for line in lines[start:]:
            if job and line.startswith("  - job_name"):
                break
            job.append(line)
        job = "\n".join(job)
        sd_dir = os.path.join(self.tmp.name, "probe-targets")
        os.makedirs(sd_dir)
        for old, new in (("/etc/prometheus/probe-targets", sd_dir), ("perfd:9478", d.url.replace("http://", "")),
                         ("scrape_interval: 15s", "scrape_interval: 1s"), ("scrape_timeout: 10s", "scrape_timeout: 1s")):
            self.assertIn(old, job)
            job = job.replace(old, new)
        prom_yml = os.path.join(self.tmp.name, "prometheus.yml")
        with open(prom_yml, "w") as f:
            f.write("global: { scrape_interval: 1s }\nscrape_configs:\n" + job + "\n")
        r = subprocess.run(["promtool", "check", "config", prom_yml], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + job)
        with open(os.path.join(sd_dir, "targets.json"), "w") as f:
            json.dump([{"targets": [tb_target, "169.254.169.254:80"], "labels": {"team": "api"}}], f)
        prom_port = free_port()
        self.procs.append(Process(["prometheus", f"--config.file={prom_yml}",
                                   f"--storage.tsdb.path={self.tmp.name}/prom-data",
                                   f"--web.listen-address=127.0.0.1:{prom_port}"], ready_pattern=None))

        def query(expr):
            q = urllib.parse.urlencode({"query": expr})
            try:
                status, body = http("GET", f"http://127.0.0.1:{prom_port}/api/v1/query?{q}", timeout=5)
            except OSError:
                return None
            return json.loads(body)["data"]["result"] if status == 200 else None

        ok = wait_until(lambda: query(f'probe_success{{instance="{tb_target}",team="api"}} == 1'), 40,
                        "Prometheus to scrape probe_success 1 for the testbed through /probe")
        self.assertEqual(ok[0]["metric"]["job"], "reznet-perfd-probe")
        wait_until(lambda: query('up{instance="169.254.169.254:80"} == 0'), 40,
                   "the disallowed target's scrape to fail (403)")
        counts = parse_metrics(self.scrape(d))
        self.assertGreaterEqual(metric(counts, "reznet_perf_probe_requests_total", module="http_2xx",
                                       result="forbidden"), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
