#pragma once
// The `postgres` probe kind: named queries on a persistent connection.
//
//   postgres:
//     queries:
//       - { name: agent_list, sql: "SELECT id, name FROM agents ORDER BY name" }
//       - { name: message_page, sql: "SELECT … WHERE channel_id = $1 … OFFSET $2", params: ["1",
//       "0"] }
//     fresh_connection: false   # true: connect (and authenticate) every run, timed as `connect`
//     max_rows: 10000           # a query returning more fails with error "rows"
//
// The target gives `dsn` (libpq conninfo, no password inside) and `password` (from the
// environment). Each query is prepared once per connection and executed with its parameters.
// Phases: `connect` (only when a connection had to be made), `query` (every query, pooled — what
// the "DB queries p95" NFR reads) and `query:<name>` per query. Counter: `rows` (all queries).
// The probe timeout is the connection's statement_timeout. Error kinds: connect, auth, timeout
// (SQLSTATE 57014), sql (SQLSTATE in the detail), rows. A broken connection is dropped and
// re-established on the next run. libpq runs on the blocking pool.

#include <memory>
#include <set>
#include <string_view>

#include "clients/pg_conn.hpp"
#include "probes/probe.hpp"

namespace reznet::probes::pg {

using namespace clients::pg;  // the connection this kind drives

struct Query {
  std::string name;
  std::string sql;
  std::vector<std::string> params;
};

struct PostgresSettings : config::KindSettings {
  ConnParams conn;
  std::vector<Query> queries;
  bool fresh_connection = false;
  std::int64_t max_rows = 10000;
  std::int64_t SamplesPerRun(std::string_view phase, int) const override {
    return phase == "query" ? static_cast<std::int64_t>(queries.size()) : 1;
  }
};

class PostgresProbe final : public Probe {
 public:
  static constexpr std::string_view kKind = "postgres";
  static config::KindTraits Traits();

  static std::shared_ptr<const config::KindSettings> ParseSettings(
      config::MapReader& block, const config::TargetConfig* target,
      const config::ProbeConfig& probe);
  static std::unique_ptr<Probe> Create(const CreateArgs& args);

  PostgresProbe(std::shared_ptr<const PostgresSettings> settings,
                boost::asio::any_io_executor blocking, std::chrono::milliseconds timeout)
      : settings_(std::move(settings)), blocking_(std::move(blocking)), timeout_(timeout) {}
  boost::asio::awaitable<Outcome> Run(RunContext ctx) override;

 private:
  Outcome RunBlocking(std::chrono::steady_clock::time_point deadline);

  std::shared_ptr<const PostgresSettings> settings_;
  boost::asio::any_io_executor blocking_;
  std::chrono::milliseconds timeout_;
  ConnPtr conn_;  // touched only inside RunBlocking (runs never overlap)
  std::set<std::string> prepared_;
};

}  // namespace reznet::probes::pg
