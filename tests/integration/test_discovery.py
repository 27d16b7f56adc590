"""File-based target discovery (targets_from, Prometheus file_sd): one probe per listed target with
the file's labels on reznet_perf_probe_target_info; a rewrite is picked up at once (inotify) or
within `refresh`, an
unchanged target keeps running with its counters and windows; a truncated file keeps its last
good targets and is counted; 10,000 targets are capped at max_targets while /metrics answers; 20,000 are applied, changed and
reloaded (bench/discovery_scale.py times 100,000); a FIFO or an oversized file in the glob is
refused without blocking discovery or reload (issue #24)."""
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import DaemonTestCase, http, metric, parse_metrics, wait_until  # noqa: E402


def address(tb):
    return tb.url.split("://", 1)[1].rstrip("/")


class DiscoveryTest(DaemonTestCase):
    def write_targets(self, name, groups):
        path = os.path.join(self.tmp.name, "targets", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(groups if isinstance(groups, str) else json.dumps(groups))
        os.replace(tmp, path)  # atomic, as file_sd writers do

    def test_file_sd_change_picked_up_broken_file_kept_and_capped(self):
        one, two, three = self.start_testbed(), self.start_testbed(), self.start_testbed()
        self.write_targets("web.json", [{"targets": [address(one), address(two)],
                                         "labels": {"team": "pay", "__meta_x": "dropped"}}])
        targets = os.path.join(self.tmp.name, "targets")
        probe = ("  - {{ name: {}, kind: http, interval: {}, timeout: 1s, http: {{ path: /health }},\n"
                 "      targets_from: {{ files: [\"{}\"], refresh: 1s, max_targets: {} }} }}\n")
        path = self.write_config("daemon: { windows: [1m] }\nprobes:\n" +
                                 probe.format("web", "1s", targets + "/web*.json", 10) +
                                 probe.format("bulk", "1m", targets + "/bulk.json", 50))
        d = self.start_daemon(path)
        name = {tb: "web/" + address(tb) for tb in (one, two, three)}

        def runs(m, tb):
            return metric(m, "reznet_perf_probe_runs_total", probe=name[tb], result="success") or 0

        m = wait_until(lambda: (lambda m: m if runs(m, one) >= 2 and runs(m, two) >= 1 else None)(
            parse_metrics(self.scrape(d))), 20, "both discovered targets probed")
        self.assertEqual(metric(m, "reznet_perf_probe_target_info", probe=name[one],
                                target=address(one), team="pay"), 1)
        self.assertNotIn("__meta_x", self.scrape(d))
        self.assertEqual(metric(m, "reznet_perf_discovery_targets", probe="web"), 2)
        self.assertEqual(metric(m, "reznet_perf_discovery_errors_total", probe="web"), 0)
        one_runs = runs(m, one)

        # Rewritten: `two` goes, `three` comes, `one` stays (new label value) and keeps its counters.
        self.write_targets("web.json", [{"targets": [address(one), address(three)],
                                         "labels": {"team": "payments"}}])
        m = wait_until(lambda: (lambda m: m if runs(m, three) >= 1 and metric(
            m, "reznet_perf_probe_runs_total", probe=name[two], result="success") is None else None)(
            parse_metrics(self.scrape(d))), 10, "the rewrite picked up")
        self.assertGreaterEqual(runs(m, one), one_runs)  # not reset: kept running
        self.assertGreaterEqual(metric(m, "reznet_perf_probe_window_samples", probe=name[one],
                                       phase="total", window="1m"), one_runs)  # windows kept
        self.assertEqual(metric(m, "reznet_perf_probe_target_info", probe=name[one], team="payments"), 1)
        self.assertNotIn(f'probe="{name[two]}"', self.scrape(d))
        d.wait_for_line(r"discovered targets applied: 1 probe\(s\) added, 0 changed, 1 removed, 1 kept")

        # Truncated mid-write: the last good set keeps running; the failure is counted and logged.
        with open(os.path.join(targets, "web.json"), "w") as f:
            f.write('[{"targets": ["' + address(one) + '", "')
        m = wait_until(lambda: (lambda m: m if metric(m, "reznet_perf_discovery_errors_total",
                                                      probe="web") == 1 else None)(
            parse_metrics(self.scrape(d))), 10, "the broken file counted")
        d.wait_for_line(r"web\.json:1:\d+: .*its last good 2 target\(s\) are kept")
        before = runs(m, three)
        time.sleep(2.5)
        m = parse_metrics(self.scrape(d))
        self.assertGreater(runs(m, three), before)
        self.assertEqual(metric(m, "reznet_perf_discovery_targets", probe="web"), 2)
        self.assertEqual(metric(m, "reznet_perf_discovery_errors_total", probe="web"), 1)  # once

        # 10,000 targets: capped at max_targets, the rest reported; /metrics keeps answering.
        self.write_targets("bulk.json", [{"targets": [f"127.0.0.1:{20000 + i}" for i in range(10000)],
                                          "labels": {"pool": "big"}}])
        slowest = 0.0

        def capped():
            nonlocal slowest
            started = time.monotonic()
            m = parse_metrics(self.scrape(d))
            slowest = max(slowest, time.monotonic() - started)
            return m if metric(m, "reznet_perf_discovery_targets", probe="bulk") == 50 else None
        m = wait_until(capped, 20, "the bulk file capped")
        self.assertEqual(metric(m, "reznet_perf_discovery_skipped_targets", probe="bulk",
                                reason="over_limit"), 9950)
        self.assertEqual(len([k for k in m if k[0] == "reznet_perf_probe_target_info"
                              and ("pool", "big") in k[1]]), 50)
        self.assertLess(slowest, 2.0)
        d.wait_for_line(r"probe bulk: targets_from: 50 target\(s\) probed, 9950 skipped")
        self.assertGreater(runs(parse_metrics(self.scrape(d)), three), before)

    def test_a_rewrite_is_applied_at_once_not_at_the_next_refresh(self):
        # refresh: 10m, so only the file watch (inotify) can pick the rewrite up within the wait.
        one, two = self.start_testbed(), self.start_testbed()
        targets = os.path.join(self.tmp.name, "targets")
        self.write_targets("web.json", [{"targets": [address(one)]}])
        path = self.write_config(
            f"daemon: {{ state_dir: \"{self.tmp.name}/state\" }}\nprobes:\n"
            "  - { name: web, kind: http, interval: 1s, timeout: 1s, http: { path: /health },\n"
            f"      targets_from: {{ files: [\"{targets}/web*.json\"], refresh: 10m }} }}\n")
        d = self.start_daemon(path)
        wait_until(lambda: metric(parse_metrics(self.scrape(d)), "reznet_perf_discovery_targets",
                                  probe="web") == 1, 20, "the first target")
        started = time.monotonic()
        self.write_targets("web.json", [{"targets": [address(one), address(two)]}])
        d.wait_for_line(r"discovered targets applied: 1 probe\(s\) added, 0 changed, 0 removed, "
                        r"1 kept", 20)
        self.assertLess(time.monotonic() - started, 60)  # not the 10m refresh
        wait_until(lambda: metric(parse_metrics(self.scrape(d)), "reznet_perf_probe_runs_total",
                                  probe="web/" + address(two), result="success"), 20,
                   "the added target probed")
        # A file the pattern does not match changes nothing; removing the file drops its targets.
        self.write_targets("other.txt", "not targets")
        os.remove(os.path.join(targets, "web.json"))
        wait_until(lambda: metric(parse_metrics(self.scrape(d)), "reznet_perf_discovery_targets",
                                  probe="web") == 0, 20, "the targets of the removed file dropped")

    def test_fifo_and_oversized_file_are_refused_without_blocking(self):
        tb = self.start_testbed()
        targets = os.path.join(self.tmp.name, "targets")
        self.write_targets("a.json", [{"targets": [address(tb)]}])
        fifo = os.path.join(targets, "pipe.json")
        os.mkfifo(fifo)  # a blocking open waits for a writer forever: discovery and reload with it
        with open(os.path.join(targets, "big.json"), "w") as f:
            f.write("[" + " " * (16 * 1024 * 1024) + "]")
        path = self.write_config(
            f"daemon: {{ state_dir: \"{self.tmp.name}/state\" }}\nprobes:\n"
            "  - { name: web, kind: http, interval: 1s, timeout: 1s, http: { path: /health },\n"
            f"      targets_from: {{ files: [\"{targets}/*.json\"], refresh: 1s }} }}\n")
        d = self.start_daemon(path)  # on the old code never listening: Expand blocked at start
        d.wait_for_line(re.escape(fifo) + r": not a regular file \(a FIFO\); refused")
        d.wait_for_line(r"big\.json: larger than the 16 MiB limit \(16777218 bytes\)")
        m = wait_until(lambda: (lambda m: m if metric(m, "reznet_perf_probe_runs_total",
                                                      probe="web/" + address(tb),
                                                      result="success") else None)(
            parse_metrics(self.scrape(d))), 20, "the regular file's target probed")
        self.assertEqual(metric(m, "reznet_perf_discovery_targets", probe="web"), 1)
        self.assertEqual(metric(m, "reznet_perf_discovery_errors_total", probe="web"), 2)

        # A file added later is picked up: the FIFO holds nothing.
        other = self.start_testbed()
        self.write_targets("b.json", [{"targets": [address(other)]}])
        wait_until(lambda: metric(parse_metrics(self.scrape(d)), "reznet_perf_discovery_targets",
                                  probe="web") == 2, 20, "the new file's target")
        status, body = http("POST", d.url + "/-/reload", timeout=15)
        self.assertEqual(status, 200, body)  # done, not 202 "still running" after 20 s
        self.assertEqual(json.loads(body)["status"], "reloaded")
        self.assertEqual(json.loads(body)["kept"], 2)

    def test_twenty_thousand_targets_applied_changed_and_reloaded(self):
        n = 20000
        group = [{"targets": [f"127.0.{i >> 8}.{i & 255}:9" for i in range(n)], "labels": {"pool": "big"}}]
        self.write_targets("bulk.json", "[]")
        targets = os.path.join(self.tmp.name, "targets", "bulk.json")
        config = (f"daemon: {{ state_dir: \"{self.tmp.name}/state\" }}\nprobes:\n"
                  "  - { name: bulk, kind: http, interval: 1h, timeout: 1s, http: { path: /%s },\n"
                  f"      targets_from: {{ files: [\"{targets}\"], refresh: 1s, max_targets: {n} }} }}\n")
        path = self.write_config(config % "a")
        d = self.start_daemon(path)
        self.write_targets("bulk.json", group)
        d.wait_for_line(rf"discovered targets applied: {n} probe\(s\) added, 0 changed, 0 removed", 120)
        group[0]["targets"][0] = "127.255.0.1:9"
        self.write_targets("bulk.json", group)
        d.wait_for_line(rf"discovered targets applied: 1 probe\(s\) added, 0 changed, 1 removed, "
                        rf"{n - 1} kept", 120)
        self.write_config(config % "b")
        status, body = http("POST", d.url + "/-/reload", timeout=120)
        self.assertEqual(status, 200, body)
        self.assertEqual(len(json.loads(body)["changed"]), n)
        m = parse_metrics(self.scrape(d))
        self.assertEqual(metric(m, "reznet_perf_discovery_targets", probe="bulk"), n)
        self.assertEqual(len([k for k in m if k[0] == "reznet_perf_probe_target_info"]), n)


if __name__ == "__main__":
    unittest.main()
