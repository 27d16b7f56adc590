#include "probes/cache/cache_probe.hpp"

#include "common/offload.hpp"

namespace reznet::probes::cache {

using SteadyClock = std::chrono::steady_clock;

std::shared_ptr<const config::KindSettings> CacheProbe::ParseSettings(
    config::MapReader& r, const config::TargetConfig* target, const config::ProbeConfig& probe) {
  auto s = std::make_shared<CacheSettings>();
  auto& diag = r.diag();
  if (probe.target.empty()) {
    diag.Error(r.mark(), r.path(), "a cache probe needs the backend as target (target: backend)");
  } else if (target != nullptr && !target->url) {
    diag.Error(r.mark(), r.path(), "target \"" + target->name + "\" has no http(s) url");
  }
  config::MapReader req(r.Node("request"), r.PathOf("request"), diag);
  req.Read("method", s->request.method);
  if (req.ReadRequestTarget("path", s->request.target, true) &&
      !s->request.target.starts_with("/")) {
    diag.Error(req.MarkOf("path"), req.PathOf("path"),
               "must start with \"/\", like \"/api/agents\"");
  }
  req.Finish();
  r.Read("requests", s->requests, 1, 100000);
  r.Read("query_pattern", s->query_pattern, true);
  auto find = [&](const std::string& key) -> const config::TargetConfig* {
    std::string name;
    if (!r.Read(key, name) || name.empty() || r.config() == nullptr) return nullptr;
    const auto* t = r.FindTarget(name);
    if (t == nullptr)
      diag.Error(r.MarkOf(key), r.PathOf(key), "no target named \"" + name + "\" under targets:");
    return t;
  };
  if (!r.Has("db_target")) {
    diag.Error(r.mark(), r.PathOf("db_target"),
               "missing; name the postgres target to read pg_stat_statements from");
  }
  if (const auto* db = find("db_target")) {
    auto parsed = db->dsn.empty() ? common::Invalid("target has no dsn")
                                  : clients::pg::ParseDsn(db->dsn, db->password);
    if (parsed) {
      s->db = *parsed;
    } else {
      diag.Error(r.MarkOf("db_target"), r.PathOf("db_target"),
                 "target \"" + db->name + "\": " + parsed.error().detail);
    }
  }
  if (const auto* rt = find("redis_target")) {
    auto ep = rt->redis_url.empty() ? common::Invalid("target has no redis:// url")
                                    : clients::redis::ParseRedisUrl(rt->redis_url);
    if (ep) {
      s->redis = *ep;
      s->redis->password = rt->password;
    } else {
      diag.Error(r.MarkOf("redis_target"), r.PathOf("redis_target"),
                 "target \"" + rt->name + "\": " + ep.error().detail);
    }
  }
  return s;
}

config::KindTraits CacheProbe::Traits() {
  return {
      .name = std::string(kKind),
      .phases = {"total"},
      .ratios =
          {{"query_reduction", "reznet_perf_cache_query_reduction_ratio",
            "1 - db_queries / requests of the last cache probe run."},
           {"hit_ratio", "reznet_perf_cache_hit_ratio",
            "Cache hits / (hits + misses) seen by the last run (redis keyspace or cache probe)."}},
      .chart_phase = "total",
      .default_samples = 1,  // one run sends `requests` (100 by default)
      .profiles = {"quick", "standard"},
      .parse = &ParseSettings};
}

std::unique_ptr<Probe> CacheProbe::Create(const CreateArgs& args) {
  auto settings = std::dynamic_pointer_cast<const CacheSettings>(args.probe.settings);
  if (!settings || args.target == nullptr || !args.target->url) {
    throw std::invalid_argument("cache probe " + args.probe.name + " built without a valid config");
  }
  auto client = std::make_unique<clients::HttpClient>(
      args.executor, *args.target->url,
      clients::TlsOptions{args.target->ca_file, args.target->insecure_skip_verify},
      clients::HttpLimits{});
  return std::make_unique<CacheProbe>(std::move(settings), std::move(client), args.blocking);
}

std::expected<CacheProbe::Counts, ProbeError> CacheProbe::ReadCounts(
    SteadyClock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  Counts counts;
  auto conn = clients::pg::Connect(settings_->db, left, left);
  if (!conn) return std::unexpected(conn.error());
  const std::string pattern = "%" + settings_->query_pattern + "%";
  const char* params[] = {pattern.c_str()};
  clients::pg::ResultPtr res(
      PQexecParams(conn->get(),
                   "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements "
                   "WHERE query ILIKE $1 AND query NOT ILIKE '%pg_stat_statements%'",
                   1, nullptr, params, nullptr, nullptr, 0));
  if (res && PQresultStatus(res.get()) == PGRES_TUPLES_OK && PQntuples(res.get()) == 1) {
    counts.db = std::stod(PQgetvalue(res.get(), 0, 0));
    counts.db_source = "pg_stat_statements";
  } else {
    // No extension (or no right to read it): every committed transaction of the database.
    res.reset(PQexec(conn->get(), "SELECT pg_stat_clear_snapshot()"));
    res.reset(
        PQexec(conn->get(),
               "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"));
    if (!res || PQresultStatus(res.get()) != PGRES_TUPLES_OK || PQntuples(res.get()) != 1) {
      return std::unexpected(clients::pg::ResultError(conn->get(), res.get()));
    }
    counts.db = std::stod(PQgetvalue(res.get(), 0, 0));
    counts.db_source = "pg_stat_database.xact_commit";
  }
  if (settings_->redis) {
    auto c = clients::redis::Connect(*settings_->redis, left);
    if (!c) return std::unexpected(c.error());
    auto stats = clients::redis::ReadKeyspaceStats(c->get());
    if (!stats) return std::unexpected(stats.error());
    counts.keyspace = *stats;
  }
  return counts;
}

boost::asio::awaitable<Outcome> CacheProbe::Run(RunContext ctx) {
  Outcome out;
  const auto deadline = ctx.deadline;
  auto before =
      co_await common::Offload(blocking_, [this, deadline] { return ReadCounts(deadline); });
  if (!before) {
    out.Fail(before.error().kind, "reading the counters before: " + before.error().detail);
    co_return out;
  }
  for (std::int64_t i = 0; i < settings_->requests; ++i) {
    auto response = co_await client_->Send(settings_->request, deadline, true);
    if (!response) {
      out.Fail(response.error().kind,
               "request " + std::to_string(i + 1) + ": " + response.error().detail);
      co_return out;
    }
    out.Record("total", response->timings.total);
    if (response->status < 200 || response->status > 299) {
      out.Fail(ErrorKind::kHttpStatus,
               "request " + std::to_string(i + 1) + ": status " + std::to_string(response->status));
      co_return out;
    }
  }
  client_->Close();
  auto after =
      co_await common::Offload(blocking_, [this, deadline] { return ReadCounts(deadline); });
  if (!after) {
    out.Fail(after.error().kind, "reading the counters after: " + after.error().detail);
    co_return out;
  }
  const double requests = static_cast<double>(settings_->requests);
  const double db_queries = std::max(0.0, after->db - before->db);
  out.SetCounter("requests", requests);
  out.SetCounter("db_queries", db_queries);
  out.SetCounter("query_reduction", std::max(0.0, 1.0 - db_queries / requests));
  out.notes.emplace_back("db_source", after->db_source);
  if (before->keyspace && after->keyspace) {
    const double hits = static_cast<double>(after->keyspace->hits - before->keyspace->hits);
    const double misses = static_cast<double>(after->keyspace->misses - before->keyspace->misses);
    out.SetCounter("hits", hits);
    out.SetCounter("misses", misses);
    if (hits + misses > 0) out.SetCounter("hit_ratio", hits / (hits + misses));
  }
  co_return out;
}

}  // namespace reznet::probes::cache
