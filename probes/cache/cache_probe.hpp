#pragma once
// The `cache` probe kind: the "Redis cache cuts DB queries by > 60 %" NFR, measured black-box.
//
//   cache:
//     request: { method: GET, path: /api/agents }   # sent `requests` times to the probe's target
//     requests: 100
//     db_target: db_stats       # postgres target whose role can read pg_stat_statements
//     query_pattern: "FROM agents"   # pg_stat_statements rows whose query contains this
//     redis_target: cache       # optional: keyspace hits/misses around the requests
//
// Before and after the requests it reads the DB-side count of matching statements from
// pg_stat_statements (sum of calls); when that view is unavailable it falls back to
// pg_stat_database.xact_commit, which counts every transaction of the database (coarser: other
// traffic counts too) — the outcome's note `db_source` says which was used. Counters: requests,
// db_queries, query_reduction = 1 − db_queries / requests (clamped at 0), and with redis_target
// hits, misses, hit_ratio. Phase: `total` of every request. Exported as
// reznet_perf_cache_query_reduction_ratio and reznet_perf_cache_hit_ratio.

#include <memory>
#include <optional>
#include <string_view>

#include "clients/http_client.hpp"
#include "clients/pg_conn.hpp"
#include "clients/redis_conn.hpp"
#include "probes/probe.hpp"

namespace reznet::probes::cache {

struct CacheSettings : config::KindSettings {
  clients::HttpRequest request;
  std::int64_t requests = 100;
  std::int64_t SamplesPerRun(std::string_view phase, int) const override {
    return phase == "total" ? requests : 1;
  }
  clients::pg::ConnParams db;
  std::string query_pattern;
  std::optional<clients::redis::RedisEndpoint> redis;
};

class CacheProbe final : public Probe {
 public:
  static constexpr std::string_view kKind = "cache";
  static config::KindTraits Traits();

  static std::shared_ptr<const config::KindSettings> ParseSettings(
      config::MapReader& block, const config::TargetConfig* target,
      const config::ProbeConfig& probe);
  static std::unique_ptr<Probe> Create(const CreateArgs& args);

  CacheProbe(std::shared_ptr<const CacheSettings> settings,
             std::unique_ptr<clients::HttpClient> client, boost::asio::any_io_executor blocking)
      : settings_(std::move(settings)),
        client_(std::move(client)),
        blocking_(std::move(blocking)) {}
  boost::asio::awaitable<Outcome> Run(RunContext ctx) override;

 private:
  struct Counts {
    double db = 0;
    std::string db_source;
    std::optional<clients::redis::KeyspaceStats> keyspace;
  };
  std::expected<Counts, ProbeError> ReadCounts(std::chrono::steady_clock::time_point deadline);

  std::shared_ptr<const CacheSettings> settings_;
  std::unique_ptr<clients::HttpClient> client_;
  boost::asio::any_io_executor blocking_;
};

}  // namespace reznet::probes::cache
