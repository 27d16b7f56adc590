// `reznet-perfd probe NAME`: one run, the outcome JSON on stdout. Exit 0 ok, 1 failed, 2 usage,
// 3 skipped.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <iostream>
#include <memory>

#include "config/secrets.hpp"
#include "daemon/cli/verbs.hpp"
#include "daemon/logging.hpp"
#include "probes/run_once.hpp"

namespace reznet::daemon::cli {
namespace asio = boost::asio;
namespace {

int ProbeOnce(const config::Config& config, const probes::ProbeRegistry& registry,
              const std::string& name) {
  const config::ProbeConfig* p = config.FindProbe(name);
  if (p == nullptr) {
    std::string names;
    for (const auto& q : config.probes) names += (names.empty() ? "" : ", ") + q.name;
    std::cerr << "reznet-perfd: no probe named \"" << name << "\" in " << config.source
              << " (probes: " << (names.empty() ? "none" : names) << ")\n";
    return 2;
  }
  asio::io_context io;
  asio::thread_pool blocking(1);
  std::unique_ptr<probes::Probe> probe;
  try {
    probe = registry.Create(
        {*p, config.FindTarget(p->target), io.get_executor(), blocking.get_executor(), &config});
  } catch (const std::exception& e) {
    std::cerr << "reznet-perfd: probe " << name << ": " << e.what() << "\n";
    return 2;
  }
  probes::Outcome outcome;
  asio::co_spawn(io, probes::RunOnce(*probe, probe->RunTimeout(p->timeout)),
                 [&](std::exception_ptr ep, probes::Outcome o) {
                   if (ep) {
                     outcome.Fail(clients::ErrorKind::kInternal, "run failed unexpectedly");
                   } else {
                     outcome = std::move(o);
                   }
                 });
  io.run();
  std::cout << probes::OutcomeToJson(p->name, p->kind, outcome) << std::endl;
  if (outcome.skipped) return 3;
  return outcome.ok() ? 0 : 1;
}

}  // namespace

Verb AddProbe(CLI::App& app) {
  struct Options {
    std::string config;
    std::string name;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("probe", "run one probe once, print its outcome as JSON");
  cmd->footer(
      "Examples:\n"
      "  reznet-perfd probe api_health                    one run now, its outcome as JSON\n"
      "  reznet-perfd probe anthropic_stream | jq .phases.ttft");
  AddConfigOption(cmd, o->config, true);
  cmd->add_option("name", o->name, "probe name")->required();
  return {cmd, nullptr, [o](const probes::ProbeRegistry& registry) {
            auto config = LoadConfig(o->config, registry);
            if (!config) return 2;
            SetupLogging({"warn", "text"}, config::MakeRedactor(*config));
            return ProbeOnce(*config, registry, o->name);
          }};
}

}  // namespace reznet::daemon::cli
