// The one place that lists the kinds this build has: one line per kind.

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
  const std::vector<std::string> llm_phases = {"dns",  "connect",     "tls",  "ttfb",
                                               "ttft", "inter_chunk", "tpot", "total"};
  registry.Add<HttpProbe>({"dns", "connect", "tls", "ttfb", "transfer", "total"});
  registry.Add<llm::LlmProbe>(llm_phases);
  registry.Add<agent::AgentProbe>(llm_phases);
  registry.Add<pg::PostgresProbe>({"connect", "query", "query:*"});
  registry.Add<redis::RedisProbe>({"connect", "set", "get"}, {"hit_ratio"});
  registry.Add<cache::CacheProbe>({"total"}, {"query_reduction", "hit_ratio"});
  registry.Add<load::LoadProbe>({"request", "request_raw", "late_start", "step:*"},
                                {"error_rate", "throughput_rps", "dropped"});
}

}  // namespace reznet::probes
