// `reznet-perfd serve`: the daemon (the embedded demo config without --config).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "config/secrets.hpp"
#include "daemon/app.hpp"
#include "daemon/cli/verbs.hpp"
#include "daemon/logging.hpp"
#include "nfr/sample_check.hpp"

namespace reznet::daemon::cli {

Verb AddServe(CLI::App& app) {
  struct Options {
    std::string config;
    std::string shard;
    ServeOptions serve;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("serve", "run the daemon (embedded demo config without --config)");
  cmd->footer(
      "Examples:\n"
      "  reznet-perfd serve                               the embedded demo config\n"
      "  reznet-perfd serve -c /etc/reznet-perfd/config.yaml --listen 0.0.0.0:9478\n"
      "  reznet-perfd serve -c perfd.yaml --shard 1/3     one shard of three");
  AddConfigOption(cmd, o->config, false);
  cmd->add_option("--listen", o->serve.listen_override,
                  "host:port, overrides daemon.listen (port 0: any)");
  cmd->add_option("--shard", o->shard,
                  "I/N: run only the scheduled probes of shard I of N (0 <= I < N); overrides "
                  "daemon.shard");
  auto validate = [o] {
    if (o->shard.empty()) return;
    auto shard = config::ParseShardFlag(o->shard);
    if (!shard) throw CLI::ValidationError("--shard", shard.error().detail);
    o->serve.shard = *shard;
  };
  return {cmd, validate, [o](const probes::ProbeRegistry& registry) {
            auto config = LoadConfig(o->config, registry);
            if (!config) return 2;
            SetupLogging(config->daemon.log, config::MakeRedactor(*config));
            for (const auto& w : nfr::SampleWarnings(*config)) spdlog::warn("{}", w);
            return Serve(*config, registry, o->serve);
          }};
}

}  // namespace reznet::daemon::cli
