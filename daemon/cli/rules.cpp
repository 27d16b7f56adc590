// `reznet-perfd rules`: the NFRs as a Prometheus rules file on stdout.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "daemon/cli/verbs.hpp"
#include "nfr/rules_file.hpp"

namespace reznet::daemon::cli {

Verb AddRules(CLI::App& app) {
  struct Options {
    std::string config;
    std::string job = "reznet-perfd";
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("rules", "print the NFRs as a Prometheus rules file");
  cmd->footer(
      "Examples:\n"
      "  reznet-perfd rules > /etc/prometheus/rules/reznet.yml && promtool check rules "
      "/etc/prometheus/rules/reznet.yml\n"
      "  reznet-perfd rules --job perfd-eu");
  AddConfigOption(cmd, o->config, true);
  cmd->add_option("--job", o->job,
                  "the Prometheus job that scrapes the daemon (for ReznetPerfdDown)");
  return {cmd, nullptr, [o](const probes::ProbeRegistry& registry) {
            auto config = LoadConfig(o->config, registry);
            if (!config) return 2;
            std::cout << nfr::PrometheusRules(*config, o->job);
            return 0;
          }};
}

}  // namespace reznet::daemon::cli
