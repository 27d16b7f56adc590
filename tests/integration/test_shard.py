"""Sharding across daemons (issue #17, part 3): two real daemons on one config, --shard 0/2 and
1/2, together run every scheduled probe exactly once and each judges only the NFRs of its own
probes; a suite run on either shard runs the whole suite; a reload applies the same split; the
index comes from the StatefulSet pod ordinal of $HOSTNAME when the config only says `of`; bad
shard settings fail with file:line and what to write instead."""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import DaemonTestCase, http, parse_metrics, wait_until  # noqa: E402

PROBES = 40


def probe_names():
    return [f"p{i:02d}" for i in range(PROBES)]


def series(metrics, name, label):
    """The values of `label` over the series of metric `name`."""
    return {dict(ls)[label] for (n, ls), _ in metrics.items() if n == name and label in dict(ls)}


class ShardTest(DaemonTestCase):
    def config(self, tb, probes=PROBES):
        # One file for every shard; each keeps its suite history apart (STATE_DIR).
        lines = [f"daemon: {{ windows: [1m], eval_interval: 1s, state_dir: \"{self.tmp.name}/${{STATE_DIR:-state}}\" }}",
                 "targets:", f'  tb: {{ url: "{tb.url}" }}', "probes:"]
        lines += [f"  - {{ name: {n}, kind: http, target: tb, interval: 1s, timeout: 1s, http: {{ path: /health }} }}"
                  for n in probe_names()[:probes]]
        lines += ["  - { name: flow, kind: load, target: tb, load: { users: 1, duration: 1s } }", "nfrs:"]
        lines += [f'  - {{ name: {n}_p95, probe: {n}, phase: total, stat: p95, window: 1m, op: "<", threshold: 5s }}'
                  for n in probe_names()[:probes]]
        lines += ["suites:", "  both: { probes: [p00, p01, p02, p03], samples: 1 }"]
        return "\n".join(lines) + "\n"

    def running(self, d):
        """(probes with a successful run, NFRs with a state) on daemon d, from /metrics."""
        m = parse_metrics(self.scrape(d))
        ran = {dict(ls)["probe"] for (n, ls), v in m.items()
               if n == "reznet_perf_probe_runs_total" and dict(ls)["result"] == "success" and v >= 1}
        return ran, series(m, "reznet_perf_nfr_state", "nfr"), m

    def test_two_shards_run_every_probe_exactly_once(self):
        tb = self.start_testbed()
        path = self.write_config(self.config(tb))
        shards = [self.start_daemon(path, {"STATE_DIR": f"state{i}"}, ("--shard", f"{i}/2")) for i in range(2)]
        counts = [int(d.wait_for_line(rf"shard {i} of 2: running (\d+) of {PROBES} scheduled probes").group(1))
                  for i, d in enumerate(shards)]
        self.assertEqual(sum(counts), PROBES)
        self.assertTrue(all(counts), counts)

        wait_until(lambda: sum(len(self.running(d)[0]) for d in shards) == PROBES, 30,
                   "every probe's first run on its shard")
        seen = {}
        for i, d in enumerate(shards):
            ran, nfrs, m = self.running(d)
            declared = series(m, "reznet_perf_probe_runs_total", "probe")
            self.assertEqual(ran, declared, f"shard {i} exports only the probes it runs")
            self.assertEqual(len(declared), counts[i])
            self.assertEqual(nfrs, {f"{p}_p95" for p in declared}, f"shard {i} judges only its own probes' NFRs")
            self.assertEqual([dict(ls) for (n, ls), v in m.items() if n == "reznet_perf_shard_info" and v == 1],
                             [{"index": str(i), "of": "2"}])
            for p in declared:
                self.assertNotIn(p, seen, f"{p} runs on shards {seen.get(p)} and {i}")
                seen[p] = i
        self.assertEqual(set(seen), set(probe_names()))

        # A suite run is not sharded: either shard runs all of its probes.
        status, body = http("POST", shards[1].url + "/run-suite", '{"profile": "both"}')
        self.assertEqual(status, 202, body)
        run_id = json.loads(body)["id"]

        def finished():
            status, body = http("GET", f"{shards[1].url}/runs/{run_id}")
            run = json.loads(body) if status == 200 else {}
            return run if run.get("state") in ("passed", "failed", "error") else None
        run = wait_until(finished, 60, "the suite run")
        self.assertEqual(sorted(p["name"] for p in run["probes"]), ["p00", "p01", "p02", "p03"])

    def test_reload_applies_the_split(self):
        tb = self.start_testbed()
        text = self.config(tb)
        path = self.write_config(text.replace("daemon: {", "daemon: { shard: { index: 0, of: 2 },", 1))
        d = self.start_daemon(path)
        mine = int(d.wait_for_line(rf"shard 0 of 2: running (\d+) of {PROBES}").group(1))
        with open(path, "w") as f:
            f.write(text)  # no shard: this daemon runs everything
        status, body = http("POST", d.url + "/-/reload")
        self.assertEqual(status, 200, body)
        reply = json.loads(body)
        self.assertEqual((len(reply["added"]), reply["kept"], reply["removed"]), (PROBES - mine, mine, []))
        wait_until(lambda: len(self.running(d)[0]) == PROBES, 30, "every probe running after the reload")
        _, nfrs, m = self.running(d)
        self.assertEqual(len(nfrs), PROBES)
        self.assertIn(("reznet_perf_shard_info", frozenset({("index", "0"), ("of", "1")})), m)

    def test_index_from_the_pod_ordinal(self):
        tb = self.start_testbed()
        path = self.write_config(self.config(tb).replace("daemon: {", "daemon: { shard: { of: 3 },", 1))
        d = self.start_daemon(path, {"HOSTNAME": "reznet-perfd-shard-2", "REZNET_SHARD_INDEX": "", "STATE_DIR": "2"})
        d.wait_for_line(rf"shard 2 of 3: running \d+ of {PROBES} scheduled probes")
        d = self.start_daemon(path, {"HOSTNAME": "whatever", "REZNET_SHARD_INDEX": "1", "STATE_DIR": "1"})
        d.wait_for_line(rf"shard 1 of 3: running \d+ of {PROBES} scheduled probes")

    def test_bad_shard_settings_say_what_to_write(self):
        tb = self.start_testbed()
        text = self.config(tb, probes=4)
        path = self.write_config("daemon:\n  shard: { index: 2, of: 2 }\n" + text.split("\n", 1)[1])
        r = self.run_cli("check-config", "--config", path)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{path}:2:19: daemon.shard.index: 2 is not a shard of 2: write index: 0 to 1", r.stderr)

        path = self.write_config(text.replace("daemon: {", "daemon: { shard: { of: 0 },", 1))
        r = self.run_cli("check-config", "--config", path)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, rf"{re.escape(path)}:1:\d+: daemon.shard.of: .* got 0; write of: 1")

        path = self.write_config(text)
        r = self.run_cli("serve", "--config", path, "--shard", "2/2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--shard", r.stderr)
        self.assertIn("shards of 2 are numbered 0 to 1", r.stderr)

        path = self.write_config(text.replace("daemon: {", "daemon: { shard: { of: 3 },", 1))
        r = self.run_cli("serve", "--config", path, env={"HOSTNAME": "laptop", "REZNET_SHARD_INDEX": ""})
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{path}:1: daemon.shard: of 3 without index, and host name \"laptop\" has no "
                      "StatefulSet ordinal (-<n>)", r.stderr)
        r = self.run_cli("serve", "--config", path,
                         env={"HOSTNAME": "reznet-perfd-3", "REZNET_SHARD_INDEX": ""})
        self.assertEqual(r.returncode, 2)
        self.assertIn("pod ordinal 3 (host name \"reznet-perfd-3\") is not below of 3", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
