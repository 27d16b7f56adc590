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
#include "suite/run_ref.hpp"

namespace reznet::daemon {
namespace {

int CompareCli(const config::Config& config, const std::string& a_ref, const std::string& b_ref,
               const std::string& format) {
  return cli::ExitOnError([&] {
    auto history = suite::OpenHistory(config.history, config.daemon.state_dir);
    // References as typed (an id, a prefix, a commit, latest, previous, baseline); the report
    // names the runs by id.
    const auto a = cli::Need(suite::ResolveRun(*history, a_ref));
    const auto b = cli::Need(suite::ResolveRun(*history, b_ref));
    const stats::Criteria criteria{config.history.significance, config.history.tolerance};
    const auto nfrs = suite::CompareNfrs(b, a, criteria);
    const auto phases = suite::ComparePhases(b, a, criteria);
    if (format == "json") {
      std::printf("%s\n", suite::ComparisonJson(a.id, b.id, criteria.significance,
                                                criteria.tolerance, nfrs, phases)
                              .c_str());
    } else {
      std::printf(
          "# %s compared with %s\n\n%s", common::MarkdownText(b.id).c_str(),
          common::MarkdownText(a.id).c_str(),
          suite::ComparisonMarkdown(a.id, criteria.significance, criteria.tolerance, nfrs, phases)
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
  cmd->add_option("run_a", o->a,
                  "the earlier run: an id, a unique id prefix, a commit label, latest, previous "
                  "or baseline")
      ->required();
  cmd->add_option("run_b", o->b, "the run compared with it (the same kinds of reference)")
      ->required();
  cmd->add_option("-f,--format", o->format, "markdown (default) or json")
      ->check(CLI::IsMember({"markdown", "json"}));
  cmd->footer(
      "Examples:\n"
      "  reznet-perfd compare baseline latest      the newest run against the baseline\n"
      "  reznet-perfd compare 3f2a9c1 8be04d7      the newest runs of two commits\n"
      "  reznet-perfd compare previous latest -f json");
  return {cmd, nullptr, [o](const probes::ProbeRegistry& registry) {
            auto config = LoadConfig(o->config, registry);
            if (!config) return 2;
            SetupLogging({"warn", "text"}, config::MakeRedactor(*config));
            return CompareCli(*config, o->a, o->b, o->format);
          }};
}

}  // namespace cli
}  // namespace reznet::daemon
