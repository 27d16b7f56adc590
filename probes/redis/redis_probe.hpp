#pragma once
// The `redis` probe kind: SET (with TTL) and GET of one namespaced probe key, and the keyspace
// hit ratio from INFO stats.
//
//   redis:
//     key_prefix: "reznet-perfd:probe:"   # the key is prefix + probe name; nothing else is touched
//     ttl: 60s
//     value_bytes: 64
//     username: ""                        # ACL user for AUTH (the password is the target's)
//
// Phases: `connect` (only when a connection had to be made), `set`, `get`. Counters:
// `keyspace_hits`, `keyspace_misses` (deltas since the previous run, our own GET excluded) and
// `hit_ratio` = hits / (hits + misses) of those deltas (exported as reznet_perf_cache_hit_ratio;
// absent when there was no traffic). Error kinds: connect, auth, timeout, redis, mismatch (GET did
// not return what SET wrote). After a timeout the connection is dropped and re-made next run.

#include <memory>
#include <optional>
#include <string_view>

#include "clients/redis_conn.hpp"
#include "probes/probe.hpp"

namespace reznet::probes::redis {

using namespace clients::redis;  // the connection this kind drives

struct RedisSettings : config::KindSettings {
  RedisEndpoint endpoint;
  std::string key;
  std::chrono::seconds ttl{60};
  std::int64_t value_bytes = 64;
};

class RedisProbe final : public Probe {
 public:
  static constexpr std::string_view kKind = "redis";
  static config::KindTraits Traits();

  static std::shared_ptr<const config::KindSettings> ParseSettings(
      config::MapReader& block, const config::TargetConfig* target,
      const config::ProbeConfig& probe);
  static std::unique_ptr<Probe> Create(const CreateArgs& args);

  RedisProbe(std::shared_ptr<const RedisSettings> settings, boost::asio::any_io_executor blocking)
      : settings_(std::move(settings)), blocking_(std::move(blocking)) {}
  boost::asio::awaitable<Outcome> Run(RunContext ctx) override;

 private:
  Outcome RunBlocking(std::chrono::steady_clock::time_point deadline);

  std::shared_ptr<const RedisSettings> settings_;
  boost::asio::any_io_executor blocking_;
  ContextPtr ctx_;
  std::optional<KeyspaceStats> last_stats_;
  std::uint64_t counter_ = 0;
};

}  // namespace reznet::probes::redis
