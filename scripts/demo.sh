#!/usr/bin/env bash
# The demo: installs, builds, starts PostgreSQL + Redis (for the data-tier probes), the testbed
# (stand-in RezNet backend and LLM providers) and the daemon on config/examples/demo.yaml with its
# addresses written in (.run/demo-config.yaml: export REZNET_PERFD_CONFIG=… and every CLI verb
# uses it), prints where to look, and stops everything on Ctrl-C, SIGINT or SIGTERM.
#
#   scripts/demo.sh            daemon on 127.0.0.1:9478, testbed on 127.0.0.1:8000
#   REZNET_PERFD_LISTEN=127.0.0.1:9999 REZNET_TESTBED_LISTEN=127.0.0.1:8001 scripts/demo.sh
set -euo pipefail

# A script started in the background by a non-interactive shell has SIGINT ignored, and bash can
# neither trap nor reset a signal ignored at entry: run again, once, with SIGINT at its default,
# so `kill -INT` stops the demo as Ctrl-C does (a machine without python3 yet, before
# install-deps.sh, skips this: Ctrl-C and TERM still work).
if [ -z "${REZNET_DEMO_REEXEC:-}" ] && command -v python3 >/dev/null 2>&1; then
  export REZNET_DEMO_REEXEC=1
  exec python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp("bash", ["bash", *sys.argv[1:]])' "${BASH_SOURCE[0]}" "$@"
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export REZNET_PERFD_LISTEN="${REZNET_PERFD_LISTEN:-127.0.0.1:9478}"
TESTBED_LISTEN="${REZNET_TESTBED_LISTEN:-127.0.0.1:8000}"
export REZNET_BACKEND_URL="http://$TESTBED_LISTEN"
# The testbed stands in for the LLM providers too.
export REZNET_ANTHROPIC_URL="${REZNET_ANTHROPIC_URL:-$REZNET_BACKEND_URL}"
export REZNET_OPENAI_URL="${REZNET_OPENAI_URL:-$REZNET_BACKEND_URL}"

"$ROOT/scripts/install-deps.sh"
# One build directory for the demo and the tests: configured here only when nothing configured it.
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
fi
cmake --build build -j "$(nproc)" --target reznet-perfd reznet-testbed

RUN_DIR="$ROOT/.run/demo-services"
"$ROOT/scripts/services.sh" stop "$RUN_DIR" >/dev/null 2>&1 || true
PIDS=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$ROOT/scripts/services.sh" stop "$RUN_DIR" >/dev/null 2>&1 || true
}
trap cleanup INT TERM EXIT
"$ROOT/scripts/services.sh" start "$RUN_DIR" >/dev/null
set -a; . "$RUN_DIR/services.env"; set +a
export REZNET_STATE_DIR="$ROOT/.run/demo-state"
# Everything the demo config reads, for CLI commands in another terminal (see below).
DEMO_ENV="$ROOT/.run/demo.env"
{
  cat "$RUN_DIR/services.env"
  printf 'REZNET_BACKEND_URL="%s"\nREZNET_PERFD_LISTEN="%s"\nREZNET_STATE_DIR="%s"\n' \
    "$REZNET_BACKEND_URL" "$REZNET_PERFD_LISTEN" "$REZNET_STATE_DIR"
} > "$DEMO_ENV"

# 160 server threads: the testbed holds one per open connection, and the demo's load test keeps
# 100 users connected. Each thread keeps its own PostgreSQL connection once it served a database
# request: 160 of them, the daemon's probes and history stay under max_connections (200,
# scripts/services.sh), so the db probe still connects during and after the load test.
PGPASSWORD="$REZNET_PG_PASSWORD" build/bin/reznet-testbed --listen "$TESTBED_LISTEN" --threads 160 \
  --pg-dsn "$REZNET_PG_DSN" --redis-url "$REZNET_REDIS_URL" &
PIDS+=($!)
# The daemon starts probing at once: the testbed listens first, or the first status page shows
# failures the demo caused itself.
for _ in $(seq 100); do
  curl -sf "$REZNET_BACKEND_URL/health" >/dev/null 2>&1 && break
  sleep 0.1
done
if ! curl -sf "$REZNET_BACKEND_URL/health" >/dev/null 2>&1; then
  echo "demo: the testbed did not come up on $TESTBED_LISTEN (port in use? set REZNET_TESTBED_LISTEN)" >&2
  exit 1
fi
# A healthy RezNet, as it answers in production rather than on loopback: the API in 80–140 ms,
# LLM first tokens after 280–320 ms. Doubling them (the "2x slowdown" line below) breaks the API
# promises, and the daemon pages within the rules' window plus `for`.
curl -sf -X POST "$REZNET_BACKEND_URL/testbed/faults" \
  -d '{"latency_ms": 80, "jitter_ms": 60, "llm": {"ttft_ms": 280, "jitter_ms": 40}}' >/dev/null
# The demo config with this demo's addresses written in (its ${VAR:-default}s resolved), so the
# CLI lines below work as printed: every verb reads $REZNET_PERFD_CONFIG.
DEMO_CONFIG="$ROOT/.run/demo-config.yaml"
(umask 077 && python3 - config/examples/demo.yaml >"$DEMO_CONFIG" <<'PY'
import os, re, sys
text = open(sys.argv[1]).read()
print(re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""),
             text), end="")
PY
)
build/bin/reznet-perfd serve --config "$DEMO_CONFIG" &
PIDS+=($!)

for _ in $(seq 50); do
  curl -sf "http://$REZNET_PERFD_LISTEN/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
if ! curl -sf "http://$REZNET_PERFD_LISTEN/readyz" >/dev/null 2>&1; then
  echo "demo: the daemon did not come up on $REZNET_PERFD_LISTEN (port in use? set REZNET_PERFD_LISTEN)" >&2
  exit 1
fi

# A first quick suite: history gets its first run (the api_p95_vs_suites rule its baseline) and
# the status page its first report, while the windows fill.
curl -sf -X POST "http://$REZNET_PERFD_LISTEN/run-suite" \
  -d '{"profile": "quick", "labels": {"commit": "demo-start"}}' >/dev/null || true

cat <<INFO

reznet-perfd demo is running (Ctrl-C stops everything)
  status page     http://$REZNET_PERFD_LISTEN/
  metrics         http://$REZNET_PERFD_LISTEN/metrics
  status JSON     http://$REZNET_PERFD_LISTEN/api/v1/status
  testbed         $REZNET_BACKEND_URL  (GET /health, /api/agents, /api/channels/1/messages,
                  POST /v1/messages, /v1/chat/completions, /api/agents/1/chat)
  PostgreSQL      $REZNET_PG_DSN   Redis $REZNET_REDIS_URL

Try (in another terminal):
  export REZNET_PERFD_CONFIG=$DEMO_CONFIG   # this demo's config, its ports written in
  curl -s http://$REZNET_PERFD_LISTEN/metrics | grep 'window_seconds.*p95'
  curl -s -X POST $REZNET_BACKEND_URL/testbed/faults -d '{"latency_ms": 160, "jitter_ms": 120, "llm": {"ttft_ms": 560, "jitter_ms": 80}}'
                  # a 2x slowdown: the API regression rules page within about a minute,
                  # api_p50 within its window plus for (6 minutes); the healthy values again:
  curl -s -X POST $REZNET_BACKEND_URL/testbed/faults -d '{"latency_ms": 80, "jitter_ms": 60, "llm": {"ttft_ms": 280, "jitter_ms": 40}}'
  curl -s -X POST $REZNET_BACKEND_URL/testbed/faults -d '{"db": {"cache": false}, "llm": {"ttft_ms": 800}}'
  build/bin/reznet-perfd probe api_health
  curl -s http://$REZNET_PERFD_LISTEN/metrics | grep 'reznet_perf_nfr_state.*} 1'
  curl -s "http://$REZNET_PERFD_LISTEN/probe?module=http_2xx&target=${REZNET_BACKEND_URL#http://}"
                  # one probe of module http_2xx against a target you name (Prometheus multi-target)
  curl -s $REZNET_ALERTMANAGER_URL/api/v2/alerts     # NFR alerts delivered to Alertmanager
  curl -s -X POST http://$REZNET_PERFD_LISTEN/run-suite -d '{"profile": "quick", "labels": {"commit": "demo"}}'
  curl -s "http://$REZNET_PERFD_LISTEN/runs/latest?format=markdown"   # the newest run's report
  build/bin/reznet-perfd run --profile standard
                  # the same from the CLI: progress, verdicts, exit 1 on a failed NFR
  build/bin/reznet-perfd history && build/bin/reznet-perfd compare previous latest
  build/bin/reznet-perfd load --users 50 --duration 20s
                  # the RezNet user flow under load: results block, p95/p50/error-rate verdicts
Suite history and reports: $REZNET_STATE_DIR
INFO
wait
