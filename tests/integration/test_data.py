"""Data-tier probes against real PostgreSQL 15 and Redis 7 (scripts/services.sh), and the testbed
on the same services."""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, DaemonTestCase, Process, free_port, http, metric, parse_metrics, services, wait_until  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "../..")


class DataTest(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.env = services()
        self.secrets = {"DB_PASSWORD": self.env["REZNET_PG_PASSWORD"],
                        "DB_ADMIN_PASSWORD": self.env["REZNET_PG_ADMIN_PASSWORD"]}
        self.tb = Process([os.path.join(BIN, "reznet-testbed"), "--listen", "127.0.0.1:0", "--pg-dsn",
                           self.env["REZNET_PG_DSN"], "--redis-url", self.env["REZNET_REDIS_URL"]],
                          env={"PGPASSWORD": self.env["REZNET_PG_PASSWORD"]}, timeout=30)
        self.procs.append(self.tb)

    def config(self, probes, interval="1m", timeout="2s"):
        e = self.env
        return self.write_config(f"""daemon:
  windows: [1m]
targets:
  backend: {{ url: "{self.tb.url}" }}
  db: {{ dsn: "{e['REZNET_PG_DSN']}", password: "${{DB_PASSWORD}}" }}
  db_stats: {{ dsn: "{e['REZNET_PG_ADMIN_DSN']}", password: "${{DB_ADMIN_PASSWORD}}" }}
  db_wrong: {{ dsn: "{e['REZNET_PG_DSN']}", password: "not-the-password" }}
  db_closed: {{ dsn: "host=127.0.0.1 port={free_port()} dbname=reznet user=reznet" }}
  db_no_statements: {{ dsn: "{e['REZNET_PG_ADMIN_DSN'].replace('dbname=reznet', 'dbname=postgres')}", password: "${{DB_ADMIN_PASSWORD}}" }}
  cache: {{ url: "{e['REZNET_REDIS_URL']}" }}
probes:
""" + "".join(f"  - {p}\n" for p in probes).replace("INTERVAL", interval).replace("TIMEOUT", timeout))

    def probe(self, cfg, name):
        r = subprocess.run([os.path.join(BIN, "reznet-perfd"), "probe", "--config", cfg, name], capture_output=True,
                           text=True, timeout=60, env={**os.environ, **self.secrets})
        self.assertNotIn(self.env["REZNET_PG_PASSWORD"], r.stdout + r.stderr)
        return r.returncode, json.loads(r.stdout) if r.stdout.strip() else None

    def pg_query(self, sql):
        r = subprocess.run(["psql", self.env["REZNET_PG_ADMIN_DSN"], "-tAc", sql], capture_output=True, text=True,
                           env={**os.environ, "PGPASSWORD": self.env["REZNET_PG_ADMIN_PASSWORD"]}, check=True)
        return r.stdout.strip()

    def services_cmd(self, cmd):
        subprocess.run([os.path.join(ROOT, "scripts/services.sh"), cmd, self.env["REZNET_SERVICES_RUN_DIR"]],
                       check=True, capture_output=True)

    PG_PROBE = ('{ name: db, kind: postgres, target: db, interval: INTERVAL, timeout: TIMEOUT, postgres: { queries: ['
                '{ name: agent_list, sql: "SELECT id, name FROM agents ORDER BY name" }, '
                '{ name: message_page, sql: "SELECT id, body FROM messages WHERE channel_id = $1 ORDER BY id DESC '
                'LIMIT 50 OFFSET $2", params: ["1", "0"] } ] } }')
    REDIS_PROBE = '{ name: kv, kind: redis, target: cache, interval: INTERVAL, timeout: TIMEOUT }'

    def test_postgres_phases_and_error_kinds(self):
        cfg = self.config([
            self.PG_PROBE,
            '{ name: fresh, kind: postgres, target: db, postgres: { fresh_connection: true, queries: [{ name: q, sql: "SELECT 1" }] } }',
            '{ name: wrong_password, kind: postgres, target: db_wrong, postgres: { queries: [{ name: q, sql: "SELECT 1" }] } }',
            '{ name: no_table, kind: postgres, target: db, postgres: { queries: [{ name: q, sql: "SELECT * FROM no_such_table" }] } }',
            '{ name: slow, kind: postgres, target: db, timeout: 300ms, postgres: { queries: [{ name: q, sql: "SELECT pg_sleep(3)" }] } }',
            '{ name: closed, kind: postgres, target: db_closed, postgres: { queries: [{ name: q, sql: "SELECT 1" }] } }',
            '{ name: too_many, kind: postgres, target: db, postgres: { max_rows: 10, queries: [{ name: q, sql: "SELECT id FROM messages LIMIT 20" }] } }',
        ])
        rc, out = self.probe(cfg, "db")
        self.assertEqual(rc, 0, out)
        ph = out["phases"]
        self.assertEqual(len(ph["connect"]), 1)
        self.assertEqual(len(ph["query"]), 2)
        self.assertEqual(ph["query:agent_list"][0], ph["query"][0])
        self.assertEqual(out["counters"]["rows"], 8 + 50)
        self.assertEqual(self.probe(cfg, "fresh")[1]["phases"]["connect"].__len__(), 1)
        cases = {"wrong_password": ("auth", "password authentication failed"),
                 "no_table": ("sql", "SQLSTATE 42P01"),
                 "slow": ("timeout", "SQLSTATE 57014"),
                 "closed": ("connect", "Connection refused"),
                 "too_many": ("rows", "returned 20 rows, more than max_rows (10)")}
        for name, (kind, detail) in cases.items():
            with self.subTest(probe=name):
                rc, out = self.probe(cfg, name)
                self.assertEqual(rc, 1)
                self.assertEqual(out["error"]["kind"], kind, out)
                self.assertIn(detail, out["error"]["detail"])

    def test_redis_set_get_and_auth_errors(self):
        cfg = self.config([self.REDIS_PROBE])
        rc, out = self.probe(cfg, "kv")
        self.assertEqual(rc, 0, out)
        self.assertEqual(set(out["phases"]), {"connect", "set", "get"})
        # A private Redis that requires a password: wrong and missing passwords are auth errors.
        port = free_port()
        red = Process(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                       "no", "--requirepass", "s3cret"], ready_pattern="Ready to accept connections")
        self.procs.append(red)
        cfg2 = self.write_config(f"""targets:
  locked: {{ url: "redis://127.0.0.1:{port}/0", password: "wrong" }}
  open: {{ url: "redis://127.0.0.1:{port}/0" }}
  right: {{ url: "redis://127.0.0.1:{port}/1", password: "s3cret" }}
probes:
  - {{ name: wrong, kind: redis, target: locked }}
  - {{ name: none, kind: redis, target: open }}
  - {{ name: ok, kind: redis, target: right }}
""", "redis.yaml")
        self.assertEqual(self.probe(cfg2, "wrong")[1]["error"]["kind"], "auth")
        self.assertEqual(self.probe(cfg2, "none")[1]["error"]["kind"], "auth")
        self.assertEqual(self.probe(cfg2, "ok")[0], 0)

    def test_redis_command_timeout_then_reconnect(self):
        d = self.start_daemon(self.config([self.REDIS_PROBE], interval="1s", timeout="400ms"), extra_env=self.secrets)
        m = lambda: parse_metrics(self.scrape(d))  # noqa: E731
        wait_until(lambda: metric(m(), "reznet_perf_probe_runs_total", probe="kv", result="success"), 10, "a first run")
        # Freeze the server (DEBUG SLEEP is disabled in Redis 7): commands hang until the timeout.
        with open(os.path.join(self.env["REZNET_SERVICES_RUN_DIR"], "redis.pid")) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGSTOP)
        try:
            wait_until(lambda: metric(m(), "reznet_perf_probe_errors_total", probe="kv", error="timeout"), 10,
                       "a command timeout")
        finally:
            os.kill(pid, signal.SIGCONT)
        ok_before = metric(m(), "reznet_perf_probe_runs_total", probe="kv", result="success")
        wait_until(lambda: metric(m(), "reznet_perf_probe_runs_total", probe="kv", result="success") > ok_before + 1,
                   15, "recovery after the timeout")

    def test_restarts_of_postgres_and_redis(self):
        d = self.start_daemon(self.config([self.PG_PROBE, self.REDIS_PROBE], interval="1s", timeout="900ms"),
                              extra_env=self.secrets)
        m = lambda: parse_metrics(self.scrape(d))  # noqa: E731
        runs = lambda probe, result: metric(m(), "reznet_perf_probe_runs_total", probe=probe, result=result) or 0  # noqa: E731
        wait_until(lambda: runs("db", "success") >= 2 and runs("kv", "success") >= 2, 15, "both probes working")
        fds_before = len(os.listdir(f"/proc/{d.proc.pid}/fd"))
        try:
            self.services_cmd("pg-stop")
            self.services_cmd("redis-stop")
            wait_until(lambda: (metric(m(), "reznet_perf_probe_errors_total", probe="db", error="connect") or 0) >= 2
                       and (metric(m(), "reznet_perf_probe_errors_total", probe="kv", error="connect") or 0) >= 2,
                       20, "connect errors while the services are down")
        finally:
            self.services_cmd("pg-start")
            self.services_cmd("redis-start")
        ok_db, ok_kv = runs("db", "success"), runs("kv", "success")
        wait_until(lambda: runs("db", "success") > ok_db + 1 and runs("kv", "success") > ok_kv + 1, 20,
                   "recovery after the restart")
        self.assertIsNone(d.proc.poll())
        self.assertLessEqual(len(os.listdir(f"/proc/{d.proc.pid}/fd")), fds_before + 1, "fd leak")
        self.assertIn("probe db failing: connect", d.output())

    def test_cache_query_reduction_follows_the_switch(self):
        cfg = self.config(['{ name: agents_cache, kind: cache, target: backend, timeout: 10s, interval: 1m, cache: { '
                           'request: { path: /api/agents }, requests: 50, db_target: db_stats, redis_target: cache, '
                           'query_pattern: "FROM agents" } }'])
        http("POST", self.tb.url + "/testbed/faults", json.dumps({"db": {"cache": True}}))
        rc, on = self.probe(cfg, "agents_cache")
        self.assertEqual(rc, 0, on)
        self.assertEqual(on["notes"]["db_source"], "pg_stat_statements")
        self.assertGreaterEqual(on["counters"]["query_reduction"], 0.95)
        self.assertGreaterEqual(on["counters"]["hit_ratio"], 0.95)
        self.assertEqual(len(on["phases"]["total"]), 50)
        http("POST", self.tb.url + "/testbed/faults", json.dumps({"db": {"cache": False}}))
        rc, off = self.probe(cfg, "agents_cache")
        self.assertEqual(rc, 0, off)
        self.assertLessEqual(off["counters"]["query_reduction"], 0.05)
        self.assertEqual(off["counters"]["db_queries"], 50)
        http("POST", self.tb.url + "/testbed/faults", json.dumps({"db": {"cache": True}}))

    def test_cache_probe_falls_back_to_xact_commit_and_says_so(self):
        # The postgres database has no pg_stat_statements extension: the probe counts commits.
        cfg = self.config(['{ name: coarse, kind: cache, target: backend, timeout: 10s, interval: 1m, cache: { '
                           'request: { path: /api/agents }, requests: 5, db_target: db_no_statements, '
                           'query_pattern: "FROM agents" } }'])
        rc, out = self.probe(cfg, "coarse")
        self.assertEqual(rc, 0, out)
        self.assertEqual(out["notes"]["db_source"], "pg_stat_database.xact_commit")
        self.assertEqual(out["counters"]["requests"], 5)
        self.assertIn("query_reduction", out["counters"])

    def test_probes_modify_no_application_data(self):
        snapshot = lambda: (self.pg_query("SELECT (SELECT count(*) FROM agents) || '/' || (SELECT count(*) FROM channels)"  # noqa: E731
                                          " || '/' || (SELECT count(*) FROM messages) || '/' || (SELECT max(id) FROM messages)"),
                            sorted(k for k in subprocess.run(["redis-cli", "-p", self.env["REZNET_REDIS_PORT"], "--scan"],
                                                             capture_output=True, text=True).stdout.split()
                                   if not k.startswith("reznet-perfd:probe:") and k != "reznet:cache:agents"))
        before = snapshot()
        cfg = self.config([self.PG_PROBE, self.REDIS_PROBE])
        for name in ("db", "kv"):
            self.assertEqual(self.probe(cfg, name)[0], 0)
        self.assertEqual(snapshot(), before)
        ttl = subprocess.run(["redis-cli", "-p", self.env["REZNET_REDIS_PORT"], "TTL", "reznet-perfd:probe:kv"],
                             capture_output=True, text=True).stdout.strip()
        self.assertGreater(int(ttl), 0)  # the probe key expires by itself

    def test_testbed_faults_slow_query_and_index(self):
        cfg = self.config([self.PG_PROBE])
        http("POST", self.tb.url + "/testbed/faults", json.dumps({"db": {"slow_query_ms": 80}}))
        t0 = time.monotonic()
        status, _ = http("GET", self.tb.url + "/api/channels/1/messages?limit=5")
        self.assertEqual(status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.080)
        http("POST", self.tb.url + "/testbed/faults", json.dumps({"db": {"slow_query_ms": 0, "index": False}}))
        self.assertEqual(self.pg_query("SELECT count(*) FROM pg_indexes WHERE indexname = 'messages_channel_page_idx'"), "0")
        http("POST", self.tb.url + "/testbed/faults", json.dumps({"db": {"index": True}}))
        self.assertEqual(self.pg_query("SELECT count(*) FROM pg_indexes WHERE indexname = 'messages_channel_page_idx'"), "1")
        status, body = http("GET", self.tb.url + "/api/channels/1/messages?limit=3&before_id=1000")
        self.assertTrue(all(m["id"] < 1000 for m in json.loads(body)))
        self.assertEqual(self.probe(cfg, "db")[0], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
