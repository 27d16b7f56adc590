#include <stdexcept>

#include "probes/agent/agent_probe.hpp"
#include "probes/cache/cache_probe.hpp"
#include "probes/http/http_probe.hpp"
#include "probes/llm/llm_probe.hpp"
#include "probes/postgres/pg_probe.hpp"
#include "probes/probe.hpp"
#include "probes/redis/redis_probe.hpp"

namespace reznet::probes {

void ProbeRegistry::Add(std::string kind, config::KindParser parser, Factory factory) {
  parsers_[kind] = std::move(parser);
  factories_[kind] = std::move(factory);
}

std::unique_ptr<Probe> ProbeRegistry::Create(const CreateArgs& args) const {
  auto it = factories_.find(args.probe.kind);
  if (it == factories_.end()) throw std::invalid_argument("unknown probe kind " + args.probe.kind);
  return it->second(args);
}

void RegisterBuiltinProbes(ProbeRegistry& registry) {
  registry.Add<HttpProbe>();
  registry.Add<llm::LlmProbe>();
  registry.Add<agent::AgentProbe>();
  registry.Add<pg::PostgresProbe>();
  registry.Add<redis::RedisProbe>();
  registry.Add<cache::CacheProbe>();
}

}  // namespace reznet::probes
