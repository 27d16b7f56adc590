#include "probes/redis/redis_probe.hpp"

#include "common/offload.hpp"
#include "probes/redis/redis_address.hpp"

namespace reznet::probes::redis {

using namespace clients::redis;  // the connection this kind drives

using SteadyClock = std::chrono::steady_clock;

std::shared_ptr<const config::KindSettings> RedisProbe::ParseSettings(
    config::MapReader& r, const config::TargetConfig* target, const config::ProbeConfig& probe) {
  auto s = std::make_shared<RedisSettings>();
  auto& diag = r.diag();
  if (probe.target.empty()) {
    diag.Error(r.mark(), r.path(),
               "a redis probe needs a target with a url: redis://… (target: cache)");
  } else if (target != nullptr) {
    if (!target->redis_url.empty()) {
      auto ep = ParseRedisUrl(target->redis_url);
      if (ep) {
        s->endpoint = *ep;
        s->endpoint.password = target->password;
      } else {
        diag.Error(r.mark(), "targets." + target->name + ".url", ep.error().detail);
      }
    } else {
      diag.Error(r.mark(), r.path(), "target \"" + target->name + "\" has no redis:// url");
    }
  }
  std::string prefix = "reznet-perfd:probe:";
  r.Read("key_prefix", prefix);
  if (prefix.empty())
    diag.Error(r.MarkOf("key_prefix"), r.PathOf("key_prefix"),
               "must not be empty: the probe key is namespaced");
  s->key = prefix + probe.name;
  config::Duration ttl = std::chrono::seconds(60);
  if (r.Read("ttl", ttl) && ttl < std::chrono::seconds(1)) {
    diag.Error(r.MarkOf("ttl"), r.PathOf("ttl"), "must be at least 1s");
  }
  s->ttl = std::chrono::duration_cast<std::chrono::seconds>(ttl);
  r.Read("value_bytes", s->value_bytes, 1, 1 << 20);
  r.Read("username", s->endpoint.username);
  return s;
}

config::KindTraits RedisProbe::Traits() {
  return {
      .name = std::string(kKind),
      .phases = {"connect", "set", "get"},
      .ratios =
          {{"hit_ratio", "reznet_perf_cache_hit_ratio",
            "Cache hits / (hits + misses) seen by the last run (redis keyspace or cache probe)."}},
      .chart_phase = "get",
      .default_samples = 20,
      .profiles = {"quick", "standard"},
      .address = RedisAddress,
      .parse = &ParseSettings};
}

std::unique_ptr<Probe> RedisProbe::Create(const CreateArgs& args) {
  auto settings = std::dynamic_pointer_cast<const RedisSettings>(args.probe.settings);
  if (!settings)
    throw std::invalid_argument("redis probe " + args.probe.name + " built without a valid config");
  return std::make_unique<RedisProbe>(std::move(settings), args.blocking);
}

boost::asio::awaitable<Outcome> RedisProbe::Run(RunContext ctx) {
  co_return co_await common::Offload(
      blocking_, [this, deadline = ctx.deadline] { return RunBlocking(deadline); });
}

Outcome RedisProbe::RunBlocking(SteadyClock::time_point deadline) {
  Outcome out;
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  if (!ctx_) {
    const auto t0 = SteadyClock::now();
    auto c = Connect(settings_->endpoint, left);
    if (!c) {
      out.Fail(c.error().kind, c.error().detail);
      return out;
    }
    out.Record("connect", SteadyClock::now() - t0);
    ctx_ = std::move(*c);
  }
  auto fail = [&](const ProbeError& e) {
    out.Fail(e.kind, e.detail);
    if (e.kind == ErrorKind::kTimeout || e.kind == ErrorKind::kConnect)
      ctx_.reset();  // a hiredis context is dead after either
    return out;
  };
  std::string value = "reznet-perfd " + std::to_string(++counter_) + " ";
  value.resize(static_cast<std::size_t>(settings_->value_bytes), 'x');
  auto t0 = SteadyClock::now();
  auto set = Command(ctx_.get(),
                     {"SET", settings_->key, value, "EX", std::to_string(settings_->ttl.count())});
  if (!set) return fail(set.error());
  out.Record("set", SteadyClock::now() - t0);
  t0 = SteadyClock::now();
  auto get = Command(ctx_.get(), {"GET", settings_->key});
  if (!get) return fail(get.error());
  out.Record("get", SteadyClock::now() - t0);
  const redisReply* reply = get->get();
  if (reply->type != REDIS_REPLY_STRING || std::string(reply->str, reply->len) != value) {
    out.Fail(ErrorKind::kMismatch, "GET " + settings_->key + " did not return the value just SET");
  }
  auto stats = ReadKeyspaceStats(ctx_.get());
  if (!stats) return fail(stats.error());
  if (last_stats_ && stats->hits >= last_stats_->hits && stats->misses >= last_stats_->misses) {
    // This run's own GET is one of the hits: exclude it.
    const std::uint64_t raw_hits = stats->hits - last_stats_->hits;
    const std::uint64_t hits = raw_hits > 0 ? raw_hits - 1 : 0;
    const std::uint64_t misses = stats->misses - last_stats_->misses;
    out.SetCounter("keyspace_hits", static_cast<double>(hits));
    out.SetCounter("keyspace_misses", static_cast<double>(misses));
    if (hits + misses > 0)
      out.SetCounter("hit_ratio", static_cast<double>(hits) / static_cast<double>(hits + misses));
  }
  last_stats_ = *stats;
  return out;
}

}  // namespace reznet::probes::redis
