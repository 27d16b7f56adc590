#!/usr/bin/env python3
"""Data-tier probe overhead against the servers' own benchmark tools, same run (prints only).

  python3 bench/compare_data.py [--build build] [--runs 200]

Needs scripts/services.sh started ($REZNET_SERVICES_ENV). Compares
  - our postgres `query` phase for  SELECT id, name FROM agents ORDER BY name
    with pgbench's per-statement latency for the same statement (one client, prepared mode);
  - our redis `get` phase with redis-benchmark's GET latency (one client, no pipelining).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/integration"))
from harness import services  # noqa: E402

SQL = "SELECT id, name FROM agents ORDER BY name"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "../build"))
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    env = services()
    pg_env = {**os.environ, "PGPASSWORD": env["REZNET_PG_PASSWORD"]}
    subprocess.run(["psql", env["REZNET_PG_DSN"], "-qc",
                    "CREATE TABLE IF NOT EXISTS agents (id serial PRIMARY KEY, name text NOT NULL, model text NOT NULL DEFAULT '');"
                    "INSERT INTO agents (name) SELECT 'bench' WHERE NOT EXISTS (SELECT 1 FROM agents)"],
                   env=pg_env, check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "b.yaml")
        with open(cfg, "w") as f:
            f.write(f'targets:\n  db: {{ dsn: "{env["REZNET_PG_DSN"]}", password: "${{PGPASSWORD}}" }}\n'
                    f'  kv: {{ url: "{env["REZNET_REDIS_URL"]}" }}\n'
                    'probes:\n'
                    f'  - {{ name: db, kind: postgres, target: db, postgres: {{ queries: '
                    + "[" + ", ".join(f'{{ name: q{i}, sql: "{SQL}" }}' for i in range(args.runs)) + "] } }\n"
                    '  - { name: kv, kind: redis, target: kv }\n')
        out = json.loads(subprocess.run([os.path.join(args.build, "bin/reznet-perfd"), "probe", "--config", cfg, "db"],
                                        capture_output=True, text=True, env=pg_env, check=True).stdout)
        ours_pg = statistics.median(out["phases"]["query"]) * 1000
        script = os.path.join(tmp, "q.sql")
        with open(script, "w") as f:
            f.write(SQL + ";\n")
        r = subprocess.run(["/usr/lib/postgresql/15/bin/pgbench", "-n", "-M", "prepared", "-c", "1", "-t",
                            str(args.runs), "-r", "-f", script, env["REZNET_PG_DSN"]],
                           capture_output=True, text=True, env=pg_env, check=True)
        m = re.search(r"^\s*([0-9.]+)\s+\d+\s+SELECT", r.stdout, re.M) or re.search(r"^\s*([0-9.]+)\s+SELECT", r.stdout, re.M)
        pgbench = float(m.group(1))
        gets = []
        for _ in range(max(1, args.runs // 10)):
            o = json.loads(subprocess.run([os.path.join(args.build, "bin/reznet-perfd"), "probe", "--config", cfg, "kv"],
                                          capture_output=True, text=True, env=pg_env, check=True).stdout)
            gets += o["phases"]["get"]
        ours_get = statistics.median(gets) * 1000
        rb = subprocess.run(["redis-benchmark", "-p", env["REZNET_REDIS_PORT"], "-c", "1", "-n", str(args.runs * 10),
                             "-t", "get", "-q", "--csv"], capture_output=True, text=True, check=True).stdout
        # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...
        row = [l for l in rb.splitlines() if l.startswith('"GET"')][0].replace('"', "").split(",")
        rb_p50 = float(row[4])
    print(f"postgres  ours query median {ours_pg:7.3f} ms   pgbench (prepared, 1 client) mean {pgbench:7.3f} ms"
          f"   ratio {ours_pg / pgbench:.2f}")
    print(f"redis     ours get median   {ours_get:7.3f} ms   redis-benchmark GET p50 {rb_p50:7.3f} ms"
          f"   ratio {ours_get / rb_p50:.2f}")


if __name__ == "__main__":
    main()
