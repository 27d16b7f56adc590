// `reznet-perfd check-config`: every config error at once; exit 0 valid, 2 invalid. A valid
// config's rules that cannot gather their samples get a warning line each (exit still 0).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "daemon/cli/verbs.hpp"
#include "daemon/wiring.hpp"
#include "nfr/sample_check.hpp"

namespace reznet::daemon::cli {

Verb AddCheckConfig(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("check-config", "validate a config, print every error");
  cmd->footer(
      "Examples:\n"
      "  reznet-perfd check-config                        the installed config\n"
      "  reznet-perfd check-config -c perfd.yaml          every error at once, file:line:col");
  AddConfigOption(cmd, *path, true);
  return {cmd, nullptr, [path](const probes::ProbeRegistry& registry) {
            auto config = LoadConfig(*path, registry);
            if (!config) return 2;
            if (auto errors = PreflightErrors(*config, config->daemon.listen); !errors.empty()) {
              for (const auto& e : errors) std::cerr << e << "\n";
              return 2;
            }
            std::cout << config->source << ": ok (" << config->probes.size() << " probes, "
                      << config->targets.size() << " targets)\n";
            // Valid, but some rules can never gather the samples their statistic needs.
            for (const auto& w : nfr::SampleWarnings(*config)) std::cerr << w << "\n";
            return 0;
          }};
}

}  // namespace reznet::daemon::cli
