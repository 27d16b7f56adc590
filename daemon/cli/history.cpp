// `reznet-perfd history --config F [--profile P] [--nfr a,b] [--last N] [--format …]`: the trend
// table of the last runs (suite/trend.hpp).

#include "suite/history.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "config/secrets.hpp"
#include "daemon/cli/verbs.hpp"
#include "daemon/logging.hpp"
#include "suite/trend.hpp"

namespace reznet::daemon {

namespace {

int HistoryCli(const config::Config& config, const std::string& profile,
               const std::vector<std::string>& nfrs, std::size_t last, const std::string& format) {
  return cli::ExitOnError([&] {
    auto history = suite::OpenHistory(config.history, config.daemon.state_dir);
    const auto trend = cli::Need(suite::TrendOf(
        config, [&](std::size_t o, std::size_t l) { return history->List(o, l); }, profile, nfrs,
        last));
    const std::string out = format == "json"  ? suite::TrendJson(trend) + "\n"
                            : format == "csv" ? suite::TrendCsv(trend)
                                              : suite::TrendMarkdown(trend);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  });
}

}  // namespace

namespace cli {

Verb AddHistory(CLI::App& app) {
  struct Options {
    std::string config, profile, format = "markdown";
    std::vector<std::string> nfrs;
    std::size_t last = 20;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "history", "trend table of the last runs: one row per run, one column per NFR, ⚠ ❌");
  cmd->footer(
      "Examples:\n"
      "  reznet-perfd history -p quick                    the trend of the quick runs\n"
      "  reznet-perfd history --nfr api_p95 --last 20 --format csv");
  AddConfigOption(cmd, o->config, true);
  cmd->add_option("-p,--profile", o->profile, "only runs of this profile (default: every run)");
  cmd->add_option("--nfr", o->nfrs, "columns, comma-separated (default: the profile's NFRs)")
      ->delimiter(',');
  cmd->add_option("-n,--last", o->last, "how many runs (default 20)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}));
  cmd->add_option("-f,--format", o->format, "markdown (default), json or csv")
      ->check(CLI::IsMember({"markdown", "json", "csv"}));
  return {cmd, nullptr, [o](const probes::ProbeRegistry& registry) {
            auto config = LoadConfig(o->config, registry);
            if (!config) return 2;
            SetupLogging({"warn", "text"}, config::MakeRedactor(*config));
            return HistoryCli(*config, o->profile, o->nfrs, o->last, o->format);
          }};
}

}  // namespace cli
}  // namespace reznet::daemon
