#include "probes/postgres/pg_probe.hpp"

#include <set>

#include "common/offload.hpp"
#include "probes/postgres/pg_address.hpp"

namespace reznet::probes::pg {

using namespace clients::pg;  // the connection this kind drives

using SteadyClock = std::chrono::steady_clock;

std::shared_ptr<const config::KindSettings> PostgresProbe::ParseSettings(
    config::MapReader& r, const config::TargetConfig* target, const config::ProbeConfig& probe) {
  auto s = std::make_shared<PostgresSettings>();
  auto& diag = r.diag();
  if (probe.target.empty()) {
    diag.Error(r.mark(), r.path(), "a postgres probe needs a target with a dsn (target: db)");
  } else if (target != nullptr) {
    if (target->dsn.empty()) {
      diag.Error(
          r.mark(), r.path(),
          "target \"" + target->name + "\" has no dsn; write dsn: \"host=… dbname=… user=…\"");
    } else {
      auto parsed = ParseDsn(target->dsn, target->password);
      if (parsed) {
        s->conn = *parsed;
      } else {
        diag.Error(r.mark(), "targets." + target->name + ".dsn", parsed.error().detail);
      }
    }
  }
  YAML::Node queries = r.Node("queries");
  if (!queries.IsDefined() || queries.IsNull()) {
    diag.Error(r.mark(), r.PathOf("queries"),
               "missing; list the queries to time: - { name: agent_list, sql: \"SELECT …\" }");
  } else if (config::IsSequence(queries, r.PathOf("queries"), diag)) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < queries.size(); ++i) {
      config::MapReader q(queries[i], r.PathOf("queries") + "[" + std::to_string(i) + "]", diag);
      Query query;
      q.Read("name", query.name, true);
      q.Read("sql", query.sql, true);
      q.Read("params", query.params);
      if (!query.name.empty() && !names.insert(query.name).second) {
        diag.Error(q.MarkOf("name"), q.PathOf("name"),
                   "another query is already named \"" + query.name + "\"");
      }
      q.Finish();
      s->queries.push_back(std::move(query));
    }
  }
  r.Read("fresh_connection", s->fresh_connection);
  r.Read("max_rows", s->max_rows, 1, 100'000'000);
  return s;
}

config::KindTraits PostgresProbe::Traits() {
  return {.name = std::string(kKind),
          .phases = {"connect", "query", "query:*"},
          .chart_phase = "query",
          .default_samples = 20,
          .profiles = {"quick", "standard"},
          .address = PostgresAddress,
          .parse = &ParseSettings};
}

std::unique_ptr<Probe> PostgresProbe::Create(const CreateArgs& args) {
  auto settings = std::dynamic_pointer_cast<const PostgresSettings>(args.probe.settings);
  if (!settings)
    throw std::invalid_argument("postgres probe " + args.probe.name +
                                " built without a valid config");
  return std::make_unique<PostgresProbe>(
      std::move(settings), args.blocking,
      std::chrono::duration_cast<std::chrono::milliseconds>(args.probe.timeout));
}

boost::asio::awaitable<Outcome> PostgresProbe::Run(RunContext ctx) {
  co_return co_await common::Offload(
      blocking_, [this, deadline = ctx.deadline] { return RunBlocking(deadline); });
}

Outcome PostgresProbe::RunBlocking(SteadyClock::time_point deadline) {
  Outcome out;
  if (settings_->fresh_connection || (conn_ && PQstatus(conn_.get()) != CONNECTION_OK)) {
    conn_.reset();
    prepared_.clear();
  }
  if (!conn_) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    const auto t0 = SteadyClock::now();
    auto conn = Connect(settings_->conn, left, timeout_);
    if (!conn) {
      out.Fail(conn.error().kind, conn.error().detail);
      return out;
    }
    out.Record("connect", SteadyClock::now() - t0);
    conn_ = std::move(*conn);
  }
  // How long to wait for an answer: until the run's deadline, and a second more so that a live
  // server's own statement_timeout (the same length) answers first; a frozen one frees this
  // pool thread then instead of never. A connection that gave no answer is dropped.
  const auto wait = [deadline] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()) +
           std::chrono::seconds(1);
  };
  const auto failed = [&](const std::string& query, const clients::Error& err) {
    out.Fail(err.kind, query + ": " + err.detail);
    // Broken, or still inside a statement whose answer never came.
    if (err.kind == ErrorKind::kConnect || PQstatus(conn_.get()) != CONNECTION_OK ||
        PQtransactionStatus(conn_.get()) == PQTRANS_ACTIVE) {
      conn_.reset();
      prepared_.clear();
    }
  };
  double rows = 0;
  for (const auto& q : settings_->queries) {
    const std::string statement = "reznet_" + q.name;
    // A slow connect (libpq waits 2 s at least) may have used the run's time: then the query is
    // not sent at all, and the idle connection stays for the next run.
    if (SteadyClock::now() >= deadline) {
      out.Fail(ErrorKind::kTimeout, q.name + ": the run's deadline passed before it was sent");
      return out;
    }
    if (!prepared_.count(statement)) {
      auto prep = Prepare(conn_.get(), statement.c_str(), q.sql.c_str(), wait());
      if (!prep || PQresultStatus(prep->get()) != PGRES_COMMAND_OK) {
        failed(q.name, prep ? ResultError(conn_.get(), prep->get()) : prep.error());
        return out;
      }
      prepared_.insert(statement);
    }
    const auto t0 = SteadyClock::now();
    auto res = ExecPrepared(conn_.get(), statement.c_str(), q.params, wait());
    const auto took = SteadyClock::now() - t0;
    const auto status = res ? PQresultStatus(res->get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      failed(q.name, res ? ResultError(conn_.get(), res->get()) : res.error());
      break;
    }
    out.Record("query", took);
    out.Record("query:" + q.name, took);
    const int n = PQntuples(res->get());
    rows += n;
    if (n > settings_->max_rows) {
      out.Fail(ErrorKind::kRows, q.name + ": returned " + std::to_string(n) +
                                     " rows, more than max_rows (" +
                                     std::to_string(settings_->max_rows) + ")");
      break;
    }
  }
  out.SetCounter("rows", rows);
  if (settings_->fresh_connection) {
    conn_.reset();
    prepared_.clear();
  }
  return out;
}

}  // namespace reznet::probes::pg
