#include "tests/support/probe_runs.hpp"

#include "config/loader.hpp"
#include "probes/probe.hpp"

namespace reznet::testing {
namespace {

probes::ProbeRegistry Builtin() {
  probes::ProbeRegistry registry;
  probes::RegisterBuiltinProbes(registry);
  return registry;
}

}  // namespace

config::Config LoadConfig(const std::string& yaml, const std::string& file) {
  return config::LoadString(yaml, file, Builtin().Kinds());
}

std::vector<std::string> ConfigErrors(const std::string& yaml, const std::string& file) {
  try {
    LoadConfig(yaml, file);
  } catch (const config::ConfigError& e) {
    return e.errors();
  }
  return {};
}

probes::Outcome RunProbeOnce(const config::Config& config) {
  const auto registry = Builtin();
  const config::ProbeConfig& spec = config.probes.at(0);
  boost::asio::io_context io;
  auto probe = registry.Create({spec, config.FindTarget(spec.target), io.get_executor()});
  const probes::RunContext ctx{std::chrono::steady_clock::now() + spec.timeout, 0};
  return Await(io, probe->Run(ctx));
}

}  // namespace reznet::testing
