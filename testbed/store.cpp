#include "testbed/store.hpp"

#include <libpq-fe.h>

#include <boost/json.hpp>
#include <memory>
#include <stdexcept>
#include <vector>

#include "clients/pg_conn.hpp"
#include "clients/redis_conn.hpp"

namespace reznet::testbed {
namespace {

namespace json = boost::json;
using clients::pg::ConnPtr;
using clients::pg::ResultPtr;
using clients::redis::ContextPtr;

constexpr const char* kCacheKey = "reznet:cache:agents";

const char* kSchema = R"sql(
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS agents (id serial PRIMARY KEY, name text NOT NULL, model text NOT NULL);
CREATE TABLE IF NOT EXISTS channels (id serial PRIMARY KEY, name text NOT NULL, agent_id int NOT NULL REFERENCES agents(id));
CREATE TABLE IF NOT EXISTS messages (
  id bigserial PRIMARY KEY,
  channel_id int NOT NULL REFERENCES channels(id),
  author text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS messages_channel_page_idx ON messages (channel_id, id DESC);
)sql";

struct ThreadConns {
  ConnPtr pg;
  ContextPtr redis;
};
thread_local ThreadConns t_conns;

std::expected<PGconn*, StoreError> Pg(const std::string& dsn) {
  if (t_conns.pg && PQstatus(t_conns.pg.get()) == CONNECTION_OK) return t_conns.pg.get();
  t_conns.pg.reset(PQconnectdb(dsn.c_str()));
  if (!t_conns.pg || PQstatus(t_conns.pg.get()) != CONNECTION_OK) {
    std::string why = t_conns.pg ? PQerrorMessage(t_conns.pg.get()) : "out of memory";
    t_conns.pg.reset();
    return std::unexpected(StoreError{503, "database unavailable: " + why});
  }
  return t_conns.pg.get();
}

std::expected<std::string, StoreError> JsonQueryOnce(const std::string& dsn, const DbFaults& f,
                                                     const char* sql,
                                                     const std::vector<std::string>& params);

// Runs a parameterised statement whose single result cell is the JSON answer.
std::expected<std::string, StoreError> JsonQuery(const std::string& dsn, const DbFaults& f,
                                                 const char* sql,
                                                 const std::vector<std::string>& params) {
  // A connection that PostgreSQL closed (a restart) is found dead on first use: reconnect and try
  // once more, as a pool with pre-ping would; every server thread has its own connection, so
  // without this each would fail one request after a restart.
  for (int attempt = 0;; ++attempt) {
    auto r = JsonQueryOnce(dsn, f, sql, params);
    if (r || attempt > 0 || t_conns.pg) return r;
  }
}

std::expected<std::string, StoreError> JsonQueryOnce(const std::string& dsn, const DbFaults& f,
                                                     const char* sql,
                                                     const std::vector<std::string>& params) {
  auto conn = Pg(dsn);
  if (!conn) return std::unexpected(conn.error());
  if (f.slow_query_ms > 0) {
    const std::string seconds = std::to_string(f.slow_query_ms / 1000.0);
    const char* p[] = {seconds.c_str()};
    ResultPtr sleep(
        PQexecParams(*conn, "SELECT pg_sleep($1::float8)", 1, nullptr, p, nullptr, nullptr, 0));
  }
  std::vector<const char*> values;
  for (const auto& v : params) values.push_back(v.c_str());
  ResultPtr res(PQexecParams(*conn, sql, static_cast<int>(values.size()), nullptr, values.data(),
                             nullptr, nullptr, 0));
  if (!res || PQresultStatus(res.get()) != PGRES_TUPLES_OK || PQntuples(res.get()) != 1) {
    std::string why = res ? PQresultErrorMessage(res.get()) : PQerrorMessage(*conn);
    if (PQstatus(*conn) != CONNECTION_OK) t_conns.pg.reset();
    return std::unexpected(StoreError{503, "query failed: " + why});
  }
  return std::string(PQgetvalue(res.get(), 0, 0));
}

redisContext* Redis(const std::string& url) {
  if (t_conns.redis) return t_conns.redis.get();
  auto ep = clients::redis::ParseRedisUrl(url);
  if (!ep) return nullptr;
  if (const char* pw = std::getenv("REZNET_TESTBED_REDIS_PASSWORD")) ep->password = pw;
  auto c = clients::redis::Connect(*ep, std::chrono::milliseconds(1000));
  if (!c) return nullptr;
  t_conns.redis = std::move(*c);
  return t_conns.redis.get();
}

}  // namespace

Store::Store(std::string pg_dsn, std::string redis_url)
    : pg_dsn_(std::move(pg_dsn)), redis_url_(std::move(redis_url)) {}

void Store::Init(int messages) {
  ConnPtr conn(PQconnectdb(pg_dsn_.c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("cannot connect to PostgreSQL: ") +
                             (conn ? PQerrorMessage(conn.get()) : "?"));
  }
  auto exec = [&](const std::string& sql) {
    ResultPtr r(PQexec(conn.get(), sql.c_str()));
    const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      throw std::runtime_error("schema/seed failed: " +
                               std::string(r ? PQresultErrorMessage(r.get()) : "?"));
    }
    return r;
  };
  exec("SELECT pg_advisory_lock(424242)");
  exec(kSchema);
  auto count = exec("SELECT count(*) FROM agents");
  if (std::string(PQgetvalue(count.get(), 0, 0)) == "0") {
    exec(
        "INSERT INTO agents (name, model) VALUES ('Architect', 'claude-3-5-haiku-latest'), "
        "('Coder', 'gpt-4o-mini'), ('Reviewer', 'claude-3-5-sonnet-latest'), ('Tester', "
        "'gpt-4o-mini'), "
        "('Writer', 'claude-3-5-haiku-latest'), ('Planner', 'gpt-4o'), ('Ops', "
        "'claude-3-5-haiku-latest'), "
        "('Analyst', 'gpt-4o-mini')");
    exec(
        "INSERT INTO channels (name, agent_id) SELECT 'channel-' || g, 1 + g % 8 FROM "
        "generate_series(1, 20) g");
    exec(
        "INSERT INTO messages (channel_id, author, body, created_at) SELECT 1 + g % 20, "
        "CASE WHEN g % 2 = 0 THEN 'user' ELSE 'agent' END, 'message ' || g, now() - g * interval "
        "'1 second' "
        "FROM generate_series(1, " +
        std::to_string(messages) + ") g");
    exec("ANALYZE agents, channels, messages");
  }
  exec("SELECT pg_advisory_unlock(424242)");
}

DbFaults Store::Faults() const {
  std::lock_guard lock(mutex_);
  return faults_;
}

std::optional<std::string> Store::SetFaults(const DbFaults& f) {
  auto conn = Pg(pg_dsn_);
  if (!conn) return conn.error().message;
  const char* sql =
      f.index
          ? "CREATE INDEX IF NOT EXISTS messages_channel_page_idx ON messages (channel_id, id DESC)"
          : "DROP INDEX IF EXISTS messages_channel_page_idx";
  ResultPtr r(PQexec(*conn, sql));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK)
    return std::string(r ? PQresultErrorMessage(r.get()) : "?");
  std::lock_guard lock(mutex_);
  faults_ = f;
  return std::nullopt;
}

std::expected<std::string, StoreError> Store::Agents(std::string& cache) {
  const DbFaults f = Faults();
  redisContext* redis = f.cache ? Redis(redis_url_) : nullptr;
  cache = f.cache ? "miss" : "off";
  if (redis != nullptr) {
    auto hit = clients::redis::Command(redis, {"GET", kCacheKey});
    if (!hit) {
      t_conns.redis.reset();  // serve from the database; reconnect next time
    } else if ((*hit)->type == REDIS_REPLY_STRING) {
      cache = "hit";
      return std::string((*hit)->str, (*hit)->len);
    }
  }
  auto body = JsonQuery(pg_dsn_, f,
                        "SELECT coalesce(json_agg(t), '[]') FROM (SELECT id, name, model FROM "
                        "agents ORDER BY name) t",
                        {});
  if (body && redis != nullptr && t_conns.redis) {
    if (!clients::redis::Command(redis, {"SET", kCacheKey, *body, "EX", "30"}))
      t_conns.redis.reset();
  }
  return body;
}

std::expected<std::string, StoreError> Store::Channels() {
  return JsonQuery(pg_dsn_, Faults(),
                   "SELECT coalesce(json_agg(t), '[]') FROM (SELECT id, name, agent_id FROM "
                   "channels ORDER BY id) t",
                   {});
}

std::expected<std::string, StoreError> Store::Messages(long channel, long limit, long offset,
                                                       std::optional<long> before_id) {
  if (before_id) {
    return JsonQuery(pg_dsn_, Faults(),
                     "SELECT coalesce(json_agg(t), '[]') FROM (SELECT id, channel_id, author, "
                     "body, created_at FROM messages "
                     "WHERE channel_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3) t",
                     {std::to_string(channel), std::to_string(*before_id), std::to_string(limit)});
  }
  return JsonQuery(pg_dsn_, Faults(),
                   "SELECT coalesce(json_agg(t), '[]') FROM (SELECT id, channel_id, author, body, "
                   "created_at FROM messages "
                   "WHERE channel_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3) t",
                   {std::to_string(channel), std::to_string(limit), std::to_string(offset)});
}

std::expected<std::string, StoreError> Store::PostMessage(long channel, const std::string& text) {
  return JsonQuery(
      pg_dsn_, Faults(),
      "WITH m AS (INSERT INTO messages (channel_id, author, body) VALUES ($1, 'user', $2) "
      "RETURNING id, channel_id, author, body, created_at) SELECT row_to_json(m) FROM m",
      {std::to_string(channel), text});
}

common::Result<DbFaults> ParseDbFaults(const std::string& text, DbFaults f) {
  json::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return common::Invalid("db must be a JSON object");
  for (const auto& kv : doc.as_object()) {
    const std::string key(kv.key());
    const json::value& v = kv.value();
    if (key == "cache" && v.is_bool())
      f.cache = v.as_bool();
    else if (key == "index" && v.is_bool())
      f.index = v.as_bool();
    else if (key == "slow_query_ms" && v.is_number() && v.to_number<double>() >= 0)
      f.slow_query_ms = v.to_number<double>();
    else
      return common::Invalid("bad db key or value: " + key +
                             " (known: cache, index, slow_query_ms)");
  }
  return f;
}

json::object DbFaultsToJson(const DbFaults& f) {
  return {{"cache", f.cache}, {"slow_query_ms", f.slow_query_ms}, {"index", f.index}};
}

}  // namespace reznet::testbed
