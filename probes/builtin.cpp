// The one place that lists the kinds this build has: one line per kind. Everything else about a
// kind is in its folder (its Traits(): phases, ratios, defaults, on-demand, labels).

#include "probes/agent/agent_probe.hpp"
#include "probes/cache/cache_probe.hpp"
#include "probes/http/http_probe.hpp"
#include "probes/llm/llm_probe.hpp"
#include "probes/load/load_probe.hpp"
#include "probes/postgres/pg_probe.hpp"
#include "probes/probe.hpp"
#include "probes/redis/redis_probe.hpp"

namespace reznet::probes {

void RegisterBuiltinProbes(ProbeRegistry& registry) {
  registry.Add<HttpProbe>();
  registry.Add<llm::LlmProbe>();
  registry.Add<agent::AgentProbe>();
  registry.Add<pg::PostgresProbe>();
  registry.Add<redis::RedisProbe>();
  registry.Add<cache::CacheProbe>();
  registry.Add<load::LoadProbe>();
}

}  // namespace reznet::probes
