// `reznet-perfd compare --config F RUN_A RUN_B [--format markdown|json]`: RUN_B against RUN_A
// (the earlier one), per NFR and per probe phase, with significance (suite/compare.hpp).
#include "suite/compare.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "common/escape.hpp"
#include "config/secrets.hpp"
#include "daemon/cli/verbs.hpp"
#include "daemon/logging.hpp"
#include "suite/history.hpp"
#include "suite/report.hpp"

namespace reznet::daemon {
namespace {

int CompareCli(const config::Config& config, const std::string& a_id, const std::string& b_id,
               const std::string& format) {
  return cli::ExitOnError([&] {
    auto history = suite::OpenHistory(config.history, config.daemon.state_dir);
    const auto a = cli::Need(history->Get(a_id));
    const auto b = cli::Need(history->Get(b_id));
    for (const auto& [id, run] : {std::pair{&a_id, &a}, std::pair{&b_id, &b}}) {
      if (!*run) {
        std::cerr << "reznet-perfd: no run \"" << *id << "\" in " << history->Describe() << "\n";
        return 2;
      }
    }
    const stats::Criteria criteria{config.history.significance, config.history.tolerance};
    const auto nfrs = suite::CompareNfrs(*b, *a, criteria);
    const auto phases = suite::ComparePhases(*b, *a, criteria);
    if (format == "json") {
      std::printf("%s\n", suite::ComparisonJson(a_id, b_id, criteria.significance,
                                                criteria.tolerance, nfrs, phases)
                              .c_str());
    } else {
      std::printf(
          "# %s compared with %s\n\n%s", common::MarkdownText(b_id).c_str(),
          common::MarkdownText(a_id).c_str(),
          suite::ComparisonMarkdown(a_id, criteria.significance, criteria.tolerance, nfrs, phases)
              .c_str());
    }
    for (const auto& row : nfrs) {
      if (row.status == suite::RowStatus::kWorse) return 1;
    }
    return 0;
  });
}

}  // namespace

namespace cli {

Verb AddCompare(CLI::App& app) {
  struct Options {
    std::string config, a, b, format = "markdown";
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "compare",
      "compare two runs per NFR and phase: change, interval, p-value, verdict; exit 1 when an "
      "NFR regressed");
  AddConfigOption(cmd, o->config, true);
  cmd->add_option("run_a", o->a, "the earlier run (the baseline)")->required();
  cmd->add_option("run_b", o->b, "the run compared with it")->required();
  cmd->add_option("-f,--format", o->format, "markdown (default) or json")
      ->check(CLI::IsMember({"markdown", "json"}));
  return {cmd, nullptr, [o](const probes::ProbeRegistry& registry) {
            auto config = LoadConfig(o->config, registry);
            if (!config) return 2;
            SetupLogging({"warn", "text"}, config::MakeRedactor(*config));
            return CompareCli(*config, o->a, o->b, o->format);
          }};
}

}  // namespace cli
}  // namespace reznet::daemon
