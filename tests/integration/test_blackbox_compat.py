"""GET /probe speaks blackbox_exporter (issue #27 item 4): the real prometheus-blackbox-exporter and
our daemon probe the same testbed (over http, and over https with a throwaway CA made by the
openssl command line), and their answers have the same metric families, types and label names,
family by family, apart from the differences listed below (docs/http-api.md says the same). Also
debug=true, and the certificate expiry a scheduled https probe exports with the rule that warns
14 days ahead (promtool test rules on the rules file reznet-perfd writes)."""
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BIN, DaemonTestCase, Process, free_port, http, metric,  # noqa: E402
                     parse_metrics, wait_until)
from test_load_tls import HTTPS_READY, make_certs  # noqa: E402

BLACKBOX = shutil.which("prometheus-blackbox-exporter")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
SECRET = "Bearer module-s3cret-token"

# Families blackbox answers that we do not, and why (docs/http-api.md, "GET /probe").
ONLY_BLACKBOX = {
    # Its labels are the leaf's subject, issuer and SANs in Go's pkix formatting and its SHA-256
    # fingerprint: not reproduced.
    "probe_ssl_last_chain_info",
}
# Ours beside blackbox's, clashing with none of its names.
ONLY_OURS = {
    "probe_phase_duration_seconds",  # our phase names, as every kind answers them
    "probe_error",                   # the error kind, on failure only
}
# Series whose values must agree too (same server, same certificate).
SAME_VALUES = ["probe_success", "probe_http_status_code", "probe_http_version", "probe_http_ssl",
               "probe_http_content_length", "probe_http_uncompressed_body_length", "probe_http_redirects",
               "probe_failed_due_to_regex", "probe_ip_protocol", "probe_ip_addr_hash",
               "probe_ssl_earliest_cert_expiry", "probe_ssl_last_chain_expiry_timestamp_seconds"]


def families(text):
    """{family: (type, sorted label names, sorted label sets)} of exposition text."""
    types, labels = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
            names = tuple(sorted(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', line.split("{", 1)[1]))) \
                if "{" in line.split(" ")[0] else ()
            labels.setdefault(name, set()).add(names)
    return {n: (t, sorted(labels.get(n, set()))) for n, t in types.items()}


def table(theirs, ours):
    rows = ["| family | blackbox_exporter | reznet-perfd |", "|---|---|---|"]
    for name in sorted(set(theirs) | set(ours)):
        def cell(f):
            if name not in f:
                return "—"
            kind, label_sets = f[name]
            names = sorted({n for s in label_sets for n in s})
            return kind + (" {" + ",".join(names) + "}" if names else "")
        rows.append(f"| `{name}` | {cell(theirs)} | {cell(ours)} |")
    return "\n".join(rows)


@unittest.skipIf(BLACKBOX is None, "prometheus-blackbox-exporter missing: run scripts/install-deps.sh")
class BlackboxCompatTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        try:
            self.start_all()
        except BaseException:
            self.tearDown()  # unittest skips tearDown when setUp fails: stop what did start
            raise

    def start_all(self):
        self.ca, cert, key = make_certs(self.tmp.name)
        self.plain = self.start_testbed()
        self.tls = Process([os.path.join(BIN, "reznet-testbed"), "--listen", "127.0.0.1:0",
                            "--tls-cert", cert, "--tls-key", key], ready_pattern=HTTPS_READY, timeout=30)
        self.procs.append(self.tls)
        self.not_after = self.cert_not_after(cert)
        ports = [int(u.rsplit(":", 1)[1]) for u in (self.plain.url, self.tls.url)]
        self.closed_port = free_port()
        bb_config = self.write_config(f"""modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
      tls_config: {{ ca_file: "{self.ca}" }}
""", "blackbox.yml")
        self.bb_addr = f"127.0.0.1:{free_port()}"
        self.bb = Process([BLACKBOX, f"--config.file={bb_config}", f"--web.listen-address={self.bb_addr}"],
                          ready_pattern=r"Listening on", timeout=20)
        self.procs.append(self.bb)
        path = self.write_config(f"""daemon: {{ state_dir: {os.path.join(self.tmp.name, "state")} }}
modules:
  http_2xx:
    kind: http
    timeout: 5s
    target: {{ ca_file: "{self.ca}", headers: {{ Authorization: "{SECRET}" }} }}
    http: {{ path: /health }}
    allow: {{ cidrs: [127.0.0.0/8], ports: [{ports[0]}, {ports[1]}, {self.closed_port}] }}
targets:
  tls_api: {{ url: "{self.tls.url}", ca_file: "{self.ca}" }}
  plain_api: {{ url: "{self.plain.url}" }}
probes:
  - {{ name: tls_health, kind: http, target: tls_api, interval: 1s, timeout: 900ms, http: {{ path: /health }} }}
  - {{ name: plain_health, kind: http, target: plain_api, interval: 1s, timeout: 900ms, http: {{ path: /health }} }}
""")
        self.d = self.start_daemon(path)
        self.config_path = path

    @staticmethod
    def cert_not_after(cert):
        out = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", cert], check=True,
                             capture_output=True, text=True).stdout.strip()
        stamp = out.split("=", 1)[1]
        return int(time.mktime(time.strptime(stamp, "%b %d %H:%M:%S %Y GMT")) - time.timezone)

    def blackbox(self, target, debug=False):
        q = urllib.parse.urlencode({"module": "http_2xx", "target": target, **({"debug": "true"} if debug else {})})
        return http("GET", f"http://{self.bb_addr}/probe?{q}")

    def ours(self, target, debug=False):
        q = urllib.parse.urlencode({"module": "http_2xx", "target": target, **({"debug": "true"} if debug else {})})
        return http("GET", f"{self.d.url}/probe?{q}")

    def compare(self, theirs_text, ours_text, what):
        theirs, ours = families(theirs_text), families(ours_text)
        print(f"\n{what}\n{table(theirs, ours)}", file=sys.stderr)
        for name, (kind, label_sets) in theirs.items():
            if name in ONLY_BLACKBOX:
                continue
            self.assertIn(name, ours, f"{what}: blackbox has {name}, we do not\n{ours_text}")
            self.assertEqual(ours[name], (kind, label_sets), f"{what}: {name} differs")
        with open(os.path.join(ROOT, "docs/http-api.md")) as f:
            doc = f.read()
        for name in ours:
            self.assertTrue(name in theirs or name in ONLY_OURS, f"{what}: {name} is ours alone, undocumented")
            self.assertIn(f"`{name}", doc, f"docs/http-api.md does not name {name}")
        return theirs, ours

    def test_http_and_https_answers_match_blackbox_family_by_family(self):
        for base in (self.plain.url, self.tls.url):
            target = base + "/health"
            status, theirs_text = self.blackbox(target)
            self.assertEqual(status, 200, theirs_text)
            status, ours_text = self.ours(base)
            self.assertEqual(status, 200, ours_text)
            self.compare(theirs_text, ours_text, f"GET /probe of {target}")
            theirs, ours = parse_metrics(theirs_text), parse_metrics(ours_text)
            for name in SAME_VALUES:
                self.assertEqual(metric(ours, name), metric(theirs, name), f"{target}: {name}")
            phases = {dict(ls)["phase"] for (n, ls) in ours if n == "probe_http_duration_seconds"}
            self.assertEqual(phases, {"resolve", "connect", "tls", "processing", "transfer"})
            self.assertGreater(metric(ours, "probe_http_duration_seconds", phase="processing"), 0)
            self.assertNotIn("s3cret", ours_text)
        self.assertEqual(metric(ours, "probe_ssl_earliest_cert_expiry"), self.not_after)
        self.assertEqual(metric(ours, "probe_tls_version_info", version="TLS 1.3"),
                         metric(theirs, "probe_tls_version_info", version="TLS 1.3"))
        self.assertGreater(metric(ours, "probe_http_duration_seconds", phase="tls"), 0)

    def test_a_failed_probe_matches_too(self):
        target = f"http://127.0.0.1:{self.closed_port}"
        _, theirs_text = self.blackbox(target + "/health")
        _, ours_text = self.ours(target)
        theirs, ours = self.compare(theirs_text, ours_text, f"GET /probe of {target} (closed port)")
        self.assertEqual(metric(parse_metrics(ours_text), "probe_success"), 0)
        self.assertEqual(metric(parse_metrics(ours_text), "probe_error", kind="connect"), 1)
        for name in ("probe_ip_protocol", "probe_ip_addr_hash"):  # the address it tried
            self.assertEqual(metric(parse_metrics(ours_text), name), metric(parse_metrics(theirs_text), name))

    def test_debug_says_what_the_probe_did_without_secrets(self):
        req = urllib.request.Request(f"{self.d.url}/probe?module=http_2xx&target="
                                     + urllib.parse.quote(self.tls.url, safe="") + "&debug=true")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
            page = r.read().decode()
        self.assertTrue(page.startswith("Logs for the probe:\n"), page)
        for want in ["module=http_2xx msg=\"Beginning probe\" probe=http target=" + self.tls.url,
                     "msg=\"Target as parsed\" target=" + self.tls.url,
                     "msg=\"Resolved target address\" ip=127.0.0.1",
                     "msg=Phase phase=tls blackbox_phase=tls seconds=",
                     "msg=Phase phase=ttfb blackbox_phase=processing seconds=",
                     "msg=\"Received HTTP response\" status_code=200 http_version=1.1",
                     "msg=\"TLS handshake\" version=\"TLS 1.3\" earliest_cert_expiry="
                     + time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.not_after)),
                     "msg=\"Probe succeeded\" duration_seconds=",
                     "\n\n\nMetrics that would have been returned:\n",
                     "\nprobe_success 1\n"]:
            self.assertIn(want, page)
        self.assertNotIn("s3cret", page)
        status, page = self.ours(f"http://127.0.0.1:{self.closed_port}", debug=True)
        self.assertEqual(status, 200, page)
        self.assertIn("level=error module=http_2xx msg=\"Probe failed\" error_kind=connect error=", page)
        # blackbox answers debug=true with the same two headings
        status, theirs = self.blackbox(self.tls.url + "/health", debug=True)
        self.assertTrue(theirs.startswith("Logs for the probe:\n"))
        self.assertIn("\n\n\nMetrics that would have been returned:\n", theirs)

    def test_scheduled_https_probe_exports_certificate_expiry_and_the_rule_warns(self):
        name = "reznet_perf_http_cert_expiry_timestamp_seconds"
        wait_until(lambda: metric(parse_metrics(self.scrape(self.d)), name, probe="tls_health") is not None,
                   15, name)
        m = parse_metrics(self.scrape(self.d))
        self.assertEqual(metric(m, name, probe="tls_health"), self.not_after)
        self.assertIsNone(metric(m, name, probe="plain_health"))  # no series without TLS
        with open(os.path.join(ROOT, "docs/metrics.md")) as f:
            self.assertIn(f"`{name}`", f.read())
        if shutil.which("promtool") is None:
            self.skipTest("promtool missing: run scripts/install-deps.sh")
        rules = self.run_cli("rules", "--config", self.config_path)
        self.assertEqual(rules.returncode, 0, rules.stderr)
        self.write_config(rules.stdout, "rules.yml")
        # promtool's time() starts at 0: the series holds the seconds our certificate has left (1 day).
        left = self.not_after - int(time.time())
        at = left - 11 * 60  # humanizeDuration of the value at eval_time 11m
        d, h, mi, sec = at // 86400, at % 86400 // 3600, at % 3600 // 60, at % 60
        human = (f"{d}d " if d else "") + f"{h}h {mi}m {sec}s"
        self.write_config(f"""rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: '{name}{{job="reznet-perfd",instance="perfd:9478",probe="tls_health"}}'
        values: "{left}x30"
    alert_rule_test:
      - alertname: ReznetCertificateExpiresSoon
        eval_time: 5m
        exp_alerts: []
      - alertname: ReznetCertificateExpiresSoon
        eval_time: 11m
        exp_alerts:
          - exp_labels: {{ severity: warning, job: reznet-perfd, instance: "perfd:9478", probe: tls_health }}
            exp_annotations: {{ summary: "the TLS certificate of probe tls_health's target expires in {human}" }}
""", "rules_test.yml")
        r = subprocess.run(["promtool", "test", "rules", "rules_test.yml"], cwd=self.tmp.name,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
