#!/usr/bin/env bash
# Throwaway PostgreSQL 15, Redis 7, Prometheus and Alertmanager on free 127.0.0.1 ports.
#
#   scripts/services.sh start [RUN_DIR]   start all four, write RUN_DIR/services.env, print it
#   scripts/services.sh stop  [RUN_DIR]   stop them and remove their data
#   scripts/services.sh pg-stop|pg-start|redis-stop|redis-start [RUN_DIR]
#                                         stop/start one service in place (restart tests)
#
# RUN_DIR defaults to $REZNET_RUN_DIR or .run/services in the repository. Tests read the env file
# (path in $REZNET_SERVICES_ENV). Prometheus discovers scrape targets from JSON files that tests
# drop into $REZNET_PROM_SD_DIR (file_sd, re-read every second, scrape interval 1 s); targets to
# probe through a daemon's GET /probe go into $REZNET_PROBE_SD_DIR (the daemon as the target,
# __param_target and __param_module as labels).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CMD="${1:-}"
RUN_DIR="${2:-${REZNET_RUN_DIR:-$ROOT/.run/services}}"
ENV_FILE="$RUN_DIR/services.env"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "services: $what did not become ready in ${limit}s; logs in $RUN_DIR/*.log" >&2
      return 1
    fi
    sleep 0.1
  done
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  local pg_dir; pg_dir="$(cat "$RUN_DIR/pg_dir")"
  as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir/data" -w -l "$pg_dir/postgres.log" -o "$(cat "$RUN_DIR/pg_opts")" \
    start >"$RUN_DIR/pg-start.log" 2>&1
}

pg_stop() {
  local pg_dir; pg_dir="$(cat "$RUN_DIR/pg_dir")"
  as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
}

redis_start() {
  local port; port="$(cat "$RUN_DIR/redis_port")"
  setsid redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$RUN_DIR" --logfile "$RUN_DIR/redis.log" </dev/null >/dev/null 2>&1 &
  echo $! > "$RUN_DIR/redis.pid"
  wait_for 10 "Redis" redis-cli -p "$port" ping
}

redis_stop() {
  if [ -f "$RUN_DIR/redis.pid" ]; then
    local pid; pid="$(cat "$RUN_DIR/redis.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$RUN_DIR/redis.pid"
  fi
}

start() {
  if [ -f "$ENV_FILE" ]; then
    echo "services: already started ($ENV_FILE); run '$0 stop' first" >&2
    exit 1
  fi
  mkdir -p "$RUN_DIR"
  local pg_port redis_port prom_port am_port
  pg_port=$(free_port); redis_port=$(free_port); prom_port=$(free_port); am_port=$(free_port)

  # PostgreSQL refuses to run as root; its data lives where the postgres user can reach it.
  local pg_dir
  pg_dir="$(mktemp -d /tmp/reznet-pg.XXXXXX)"
  echo "$pg_dir" > "$RUN_DIR/pg_dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$pg_dir"; fi
  chmod 700 "$pg_dir"
  # TCP logins need a password (so auth failures can be tested); the unix socket is trusted.
  echo "reznet-admin-password" > "$pg_dir/pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$pg_dir/pwfile"; fi
  as_postgres "$PG_BIN/initdb" -D "$pg_dir/data" --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$pg_dir/pwfile" -U postgres --no-sync >"$RUN_DIR/pg-initdb.log" 2>&1
  echo "-p $pg_port -c listen_addresses=127.0.0.1 -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_preload_libraries=pg_stat_statements -c max_connections=200" \
    > "$RUN_DIR/pg_opts"
  pg_start
  "$PG_BIN/psql" -h "$pg_dir" -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE reznet LOGIN PASSWORD 'reznet-test-password'" \
    -c "CREATE DATABASE reznet OWNER reznet" >/dev/null
  "$PG_BIN/psql" -h "$pg_dir" -p "$pg_port" -U postgres -d reznet -q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null

  echo "$redis_port" > "$RUN_DIR/redis_port"
  redis_start

  mkdir -p "$RUN_DIR/prom-sd" "$RUN_DIR/probe-sd" "$RUN_DIR/prom-data" "$RUN_DIR/am-data"
  cat > "$RUN_DIR/prometheus.yml" <<YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: reznet-perfd
    file_sd_configs: [{ files: ["$RUN_DIR/prom-sd/*.json"], refresh_interval: 1s }]
  - job_name: reznet-perfd-probe    # GET /probe: files list a daemon with __param_target/_module labels
    metrics_path: /probe
    file_sd_configs: [{ files: ["$RUN_DIR/probe-sd/*.json"], refresh_interval: 1s }]
    relabel_configs: [{ source_labels: [__param_target], target_label: instance }]
YAML
  setsid prometheus --config.file="$RUN_DIR/prometheus.yml" --storage.tsdb.path="$RUN_DIR/prom-data" \
    --web.listen-address="127.0.0.1:$prom_port" --web.enable-lifecycle \
    >"$RUN_DIR/prometheus.log" 2>&1 </dev/null &
  echo $! > "$RUN_DIR/prometheus.pid"

  cat > "$RUN_DIR/alertmanager.yml" <<YAML
route: { receiver: sink, group_wait: 0s, group_interval: 1s, repeat_interval: 1h }
receivers: [{ name: sink }]
YAML
  setsid prometheus-alertmanager --config.file="$RUN_DIR/alertmanager.yml" --storage.path="$RUN_DIR/am-data" \
    --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= \
    >"$RUN_DIR/alertmanager.log" 2>&1 </dev/null &
  echo $! > "$RUN_DIR/alertmanager.pid"

  wait_for 15 "Prometheus" curl -sf "http://127.0.0.1:$prom_port/-/ready"
  wait_for 15 "Alertmanager" curl -sf "http://127.0.0.1:$am_port/-/ready"

  cat > "$ENV_FILE" <<ENV
REZNET_PG_HOST="127.0.0.1"
REZNET_PG_PORT="$pg_port"
REZNET_PG_DSN="host=127.0.0.1 port=$pg_port dbname=reznet user=reznet"
REZNET_PG_PASSWORD="reznet-test-password"
REZNET_PG_ADMIN_DSN="host=127.0.0.1 port=$pg_port dbname=reznet user=postgres"
REZNET_PG_ADMIN_PASSWORD="reznet-admin-password"
REZNET_PG_DATA="$pg_dir/data"
REZNET_REDIS_URL="redis://127.0.0.1:$redis_port/0"
REZNET_REDIS_PORT="$redis_port"
REZNET_PROMETHEUS_URL="http://127.0.0.1:$prom_port"
REZNET_PROM_SD_DIR="$RUN_DIR/prom-sd"
REZNET_PROBE_SD_DIR="$RUN_DIR/probe-sd"
REZNET_ALERTMANAGER_URL="http://127.0.0.1:$am_port"
REZNET_SERVICES_RUN_DIR="$RUN_DIR"
ENV
  echo "services: started (env file $ENV_FILE)"
  cat "$ENV_FILE"
}

stop() {
  for name in prometheus alertmanager redis; do
    if [ -f "$RUN_DIR/$name.pid" ]; then
      kill "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null || true
      rm -f "$RUN_DIR/$name.pid"
    fi
  done
  if [ -f "$RUN_DIR/pg_dir" ] && [ "${KEEP_PG:-0}" = 0 ]; then
    local pg_dir; pg_dir="$(cat "$RUN_DIR/pg_dir")"
    if [ -d "$pg_dir/data" ]; then
      as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$pg_dir" "$RUN_DIR/pg_dir"
  fi
  rm -rf "$RUN_DIR/prom-data" "$RUN_DIR/am-data" "$ENV_FILE"
  echo "services: stopped"
}

case "$CMD" in
  start) start ;;
  stop) stop ;;
  pg-stop) pg_stop ;;
  pg-start) pg_start ;;
  redis-stop) redis_stop ;;
  redis-start) redis_start ;;
  *) echo "usage: $0 start|stop|pg-stop|pg-start|redis-stop|redis-start [RUN_DIR]" >&2; exit 2 ;;
esac
