"""File-based target discovery (targets_from, Prometheus file_sd): one probe per listed target with
the file's labels on reznet_perf_probe_target_info; a rewrite is picked up within `refresh`, an
unchanged target keeps running with its counters and windows; a truncated file keeps its last
good targets and is counted; 10,000 targets are capped at max_targets while /metrics answers."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import DaemonTestCase, metric, parse_metrics, wait_until  # noqa: E402


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


if __name__ == "__main__":
    unittest.main()
