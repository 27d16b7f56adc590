#include "suite/pg_history.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>

#include "clients/pg_conn.hpp"
#include "common/json.hpp"
#include "common/rate_limit.hpp"
#include "suite/file_history.hpp"

namespace reznet::suite {
namespace {

namespace pg = clients::pg;

class PgHistory final : public HistoryStore {
 public:
  explicit PgHistory(const config::HistoryConfig& h) : config_(h) {
    auto params = pg::ParseDsn(h.dsn, h.password);
    if (!params) throw HistoryError("history.dsn: " + params.error().detail);
    params_ = std::move(*params);
    // A server that vanishes without closing (a cut network, a frozen host) is noticed in about
    // 30 s instead of the kernel's two hours; statement_timeout bounds the server side. A DSN
    // that sets one of these wins.
    for (const auto& [key, value] : {std::pair{"keepalives", "1"},
                                     {"keepalives_idle", "10"},
                                     {"keepalives_interval", "5"},
                                     {"keepalives_count", "3"},
                                     {"tcp_user_timeout", "30000"}}) {
      if (std::none_of(params_.params.begin(), params_.params.end(),
                       [key](const auto& kv) { return kv.first == key; }))
        params_.params.emplace_back(key, value);
    }
    // No connection here: the daemon starts, probes and serves while its history database is
    // down; the first use connects (and creates the tables).
  }

  common::Result<void> Append(const RunRecord& run) override {
    auto lock = Lock();
    if (!lock) return std::unexpected(lock.error());
    retry_at_ = {};  // a run to store is worth a connect attempt, back-off or not
    auto res = Exec(
        "INSERT INTO reznet_perfd_runs (id, started_at, profile, state, record)"
        " VALUES ($1, $2::double precision, $3, $4, $5::jsonb)"
        " ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, record = EXCLUDED.record",
        {run.id, common::JsonNumber(run.started_at), run.profile, std::string(ToString(run.state)),
         ToJson(run)});
    if (!res) return std::unexpected(res.error());
    Prune();
    return {};
  }

  common::Result<std::vector<RunRecord>> List(std::size_t offset, std::size_t limit) override {
    auto lock = Lock();
    if (!lock) return std::unexpected(lock.error());
    auto res = Exec(
        "SELECT record::text FROM reznet_perfd_runs ORDER BY started_at DESC, id"
        " LIMIT $1::bigint OFFSET $2::bigint",
        {std::to_string(limit), std::to_string(offset)});
    if (!res) return std::unexpected(res.error());
    std::vector<RunRecord> out;
    for (int i = 0; i < PQntuples(res->get()); ++i) {
      if (auto r = Parse(PQgetvalue(res->get(), i, 0))) out.push_back(std::move(*r));
    }
    return out;
  }

  common::Result<std::size_t> Count() override {
    auto lock = Lock();
    if (!lock) return std::unexpected(lock.error());
    auto res = Exec("SELECT count(*) FROM reznet_perfd_runs", {});
    if (!res) return std::unexpected(res.error());
    return static_cast<std::size_t>(std::stoull(PQgetvalue(res->get(), 0, 0)));
  }

  common::Result<std::optional<RunRecord>> Get(const std::string& id) override {
    auto lock = Lock();
    if (!lock) return std::unexpected(lock.error());
    auto res = Exec("SELECT record::text FROM reznet_perfd_runs WHERE id = $1", {id});
    if (!res) return std::unexpected(res.error());
    if (PQntuples(res->get()) == 0) return std::optional<RunRecord>{};
    return Parse(PQgetvalue(res->get(), 0, 0));
  }

  common::Result<void> SetBaseline(const std::string& id) override {
    auto lock = Lock();
    if (!lock) return std::unexpected(lock.error());
    auto res = Exec("SELECT 1 FROM reznet_perfd_runs WHERE id = $1", {id});
    if (!res) return std::unexpected(res.error());
    if (PQntuples(res->get()) == 0)
      return common::Fail(common::ErrorKind::kNotFound,
                          "no run \"" + id + "\" in postgres " + params_.Describe());
    auto set = Exec(
        "INSERT INTO reznet_perfd_baseline (only_row, run_id) VALUES (true, $1)"
        " ON CONFLICT (only_row) DO UPDATE SET run_id = EXCLUDED.run_id",
        {id});
    if (!set) return std::unexpected(set.error());
    return {};
  }

  common::Result<std::optional<std::string>> BaselineId() override {
    auto lock = Lock();
    if (!lock) return std::unexpected(lock.error());
    auto res = Exec("SELECT run_id FROM reznet_perfd_baseline", {});
    if (!res) return std::unexpected(res.error());
    if (PQntuples(res->get()) == 0) return std::optional<std::string>{};
    return std::optional<std::string>(PQgetvalue(res->get(), 0, 0));
  }

  std::string Describe() const override { return "postgres " + params_.Describe(); }

 private:
  // Held while a statement runs. A caller that cannot have it soon (another statement is waiting
  // on a slow or hung server) is told so at once instead of queueing behind it.
  common::Result<std::unique_lock<std::timed_mutex>> Lock() {
    std::unique_lock lock(mutex_, std::defer_lock);
    if (!lock.try_lock_for(kLockWait))
      return Unavailable("history store " + Describe() +
                         ": busy: another request is waiting for the server; try again");
    return lock;
  }

  // The one connection, opened on first use and again after it broke. After a failed connect
  // the store stays down for a back-off (1 s doubling to 30 s): reads in between fail at once
  // with the last reason instead of each waiting for the connect timeout (an append tries).
  common::Result<PGconn*> Conn() {
    if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) return conn_.get();
    conn_.reset();
    const auto now = std::chrono::steady_clock::now();
    if (now < retry_at_) {
      const auto wait = std::chrono::ceil<std::chrono::seconds>(retry_at_ - now).count();
      return Unavailable("history store " + Describe() + " unavailable: " + last_error_ +
                         " (next try in " + std::to_string(wait) + " s)");
    }
    auto conn = pg::Connect(params_, kConnectTimeout, kStatementTimeout);
    if (!conn) return Down(conn.error().detail);
    conn_ = std::move(*conn);
    // Every fresh connection makes sure of the tables: the database may be new since the last.
    for (const char* sql : kSchema) {
      pg::ResultPtr res(PQexec(conn_.get(), sql));
      if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
        const std::string detail = pg::ResultError(conn_.get(), res.get()).detail;
        conn_.reset();
        return Down(detail);
      }
    }
    if (!last_error_.empty()) spdlog::info("history {}: connected again", Describe());
    last_error_.clear();
    backoff_ = std::chrono::seconds(0);
    return conn_.get();
  }

  // Marks the store down for a back-off and returns why.
  std::unexpected<common::Error<>> Down(const std::string& reason) {
    last_error_ = reason;
    backoff_ = std::clamp<std::chrono::seconds>(backoff_ * 2, std::chrono::seconds(1),
                                                std::chrono::seconds(30));
    const auto now = std::chrono::steady_clock::now();
    retry_at_ = now + backoff_;
    if (auto n = warnings_.Allow(now))
      spdlog::warn(
          "history {}: {}; history routes answer 503 and finished runs wait in memory "
          "until it is back (next try in {} s){}",
          Describe(), reason, backoff_.count(),
          *n == 0 ? "" : " (" + std::to_string(*n) + " more since the last such line)");
    return Unavailable("history store " + Describe() + " unavailable: " + reason);
  }

  // A statement that finds the connection broken (a server restart, a cut the keepalives saw)
  // reconnects and runs once more: every statement here may run twice. A server that gives no
  // whole answer within kAnswerDeadline (frozen, or a cut its kernel still acks) counts as down.
  common::Result<pg::ResultPtr> Exec(const char* sql, const std::vector<std::string>& params) {
    for (int attempt = 1;; ++attempt) {
      auto connected = Conn();
      if (!connected) return std::unexpected(connected.error());
      PGconn* conn = *connected;
      auto res = pg::ExecParams(conn, sql, params, kAnswerDeadline);
      std::string detail;
      bool timed_out = false;
      if (res) {
        const auto status = PQresultStatus(res->get());
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return std::move(*res);
        detail = pg::ResultError(conn, res->get()).detail;
        if (PQstatus(conn) == CONNECTION_OK)
          return Unavailable("history store " + Describe() + ": " + detail);
      } else {
        detail = res.error().detail;
        timed_out = res.error().kind == clients::ErrorKind::kTimeout;
      }
      conn_.reset();
      if (attempt == 1 && !timed_out) {
        spdlog::info("history {}: {}; reconnecting", Describe(), detail);
        continue;
      }
      return Down(detail);
    }
  }

  // Retention (file_history.hpp Retained, in SQL). The run is stored before this runs: a failure
  // keeps every run and is logged, not returned.
  void Prune() {
    const double cutoff = config_.keep_days > 0
                              ? SystemNow() - static_cast<double>(config_.keep_days) * 86400.0
                              : -std::numeric_limits<double>::infinity();
    auto res = Exec(
        "DELETE FROM reznet_perfd_runs WHERE id NOT IN"
        " (SELECT run_id FROM reznet_perfd_baseline) AND (id NOT IN"
        " (SELECT id FROM reznet_perfd_runs ORDER BY started_at DESC, id"
        " LIMIT $1::bigint) OR started_at < $2::double precision)",
        {std::to_string(config_.keep_runs),
         std::isinf(cutoff) ? "-Infinity" : common::JsonNumber(cutoff)});
    if (!res) {
      spdlog::warn("history {}: retention not applied ({}); all runs kept", Describe(),
                   res.error().detail);
      return;
    }
    if (const char* n = PQcmdTuples(res->get()); n != nullptr && *n != '\0' && *n != '0')
      spdlog::info("history {}: {} run(s) dropped by retention (keep_runs {}, keep_days {})",
                   Describe(), n, config_.keep_runs, config_.keep_days);
  }

  std::optional<RunRecord> Parse(const char* text) {
    auto r = ParseRun(text);
    if (!r) {
      spdlog::warn("history {}: a row is not a run record ({}); skipped", Describe(),
                   r.error().detail);
      return std::nullopt;
    }
    return std::move(*r);
  }

  static constexpr auto kLockWait = std::chrono::seconds(2);
  static constexpr auto kConnectTimeout = std::chrono::seconds(5);
  static constexpr auto kStatementTimeout = std::chrono::seconds(10);
  static constexpr auto kAnswerDeadline = std::chrono::seconds(15);
  static constexpr const char* kSchema[] = {
      "CREATE TABLE IF NOT EXISTS reznet_perfd_runs ("
      " id text PRIMARY KEY, started_at double precision NOT NULL,"
      " profile text NOT NULL, state text NOT NULL, record jsonb NOT NULL)",
      "CREATE TABLE IF NOT EXISTS reznet_perfd_baseline ("
      " only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),"
      " run_id text NOT NULL REFERENCES reznet_perfd_runs(id))"};

  std::timed_mutex mutex_;
  const config::HistoryConfig config_;
  pg::ConnParams params_;
  // Under mutex_: the connection, and while it is down why and when to try again.
  pg::ConnPtr conn_;
  std::string last_error_;
  std::chrono::seconds backoff_{0};
  std::chrono::steady_clock::time_point retry_at_{};
  common::RateLimitedLog warnings_{std::chrono::seconds(30)};
};

}  // namespace

std::unique_ptr<HistoryStore> OpenPgHistory(const config::HistoryConfig& history) {
  return std::make_unique<PgHistory>(history);
}

}  // namespace reznet::suite
