// `reznet-perfd report --config F [--run RUN] --out PERFORMANCE_TEST_RESULTS.md`: the results
// document of a run (the newest by default): NFR checklist, per-probe tables, the comparison
// with the baseline run (or, without one, the previous run of its profile), the trend of the
// last runs and the environment.
#include "suite/report.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "common/version.hpp"
#include "config/secrets.hpp"
#include "daemon/cli/verbs.hpp"
#include "daemon/logging.hpp"
#include "suite/compare.hpp"
#include "suite/history.hpp"
#include "suite/run_ref.hpp"
#include "suite/trend.hpp"

namespace reznet::daemon {
namespace {

constexpr std::size_t kTrendRuns = 10;

std::string HostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// The run compared with: the baseline when it is another run, else the previous finished run
// of the same profile; nullopt when neither exists.
std::optional<suite::RunRecord> CompareWith(suite::HistoryStore& history,
                                            const suite::RunRecord& run) {
  if (auto id = cli::Need(history.BaselineId()); id && *id != run.id) {
    if (auto b = cli::Need(history.Get(*id))) return b;
  }
  const auto runs = cli::Need(suite::FinishedRuns(
      [&](std::size_t offset, std::size_t limit) { return history.List(offset, limit); },
      run.profile, 1000));
  for (const auto& r : runs) {
    if (r.started_at < run.started_at) return r;
  }
  return std::nullopt;
}

int ReportCli(const config::Config& config, const std::string& run_id, const std::string& out) {
  return cli::ExitOnError([&] {
    auto history = suite::OpenHistory(config.history, config.daemon.state_dir);
    std::optional<suite::RunRecord> run;
    if (!run_id.empty()) {
      run = cli::Need(suite::ResolveRun(*history, run_id));
    } else if (auto newest = cli::Need(suite::FinishedRuns(
                   [&](std::size_t o, std::size_t l) { return history->List(o, l); }, "", 1));
               !newest.empty()) {
      run = newest.front();
    }
    if (!run) {
      std::cerr << "reznet-perfd: "
                << (run_id.empty() ? "no finished run" : "no run \"" + run_id + "\"") << " in "
                << history->Describe() << "\n";
      return 2;
    }
    suite::RunRecord doc = *run;
    doc.tolerance = config.history.tolerance;
    doc.significance = config.history.significance;
    doc.compared_with.clear();
    doc.comparison.clear();
    doc.phase_comparison.clear();
    if (auto base = CompareWith(*history, *run)) {
      const stats::Criteria criteria{doc.significance, doc.tolerance};
      doc.compared_with = base->id;
      doc.comparison = suite::CompareNfrs(*run, *base, criteria);
      doc.phase_comparison = suite::ComparePhases(*run, *base, criteria);
    }
    const auto trend = cli::Need(suite::TrendOf(
        config, [&](std::size_t o, std::size_t l) { return history->List(o, l); }, run->profile, {},
        kTrendRuns));
    std::vector<std::pair<std::string, std::string>> env{
        {"reznet-perfd (run)", run->version.empty() ? "unknown" : run->version},
        {"reznet-perfd (report)", common::kVersion},
        {"host (report)", HostName()},
        {"config", config.source},
        {"history", history->Describe()}};
    for (const auto& [k, v] : run->labels) env.emplace_back("label " + k, v);
    std::ofstream file(out, std::ios::binary | std::ios::trunc);
    file << suite::ResultsDocument(doc, suite::TrendMarkdown(trend), env);
    file.close();
    if (!file) {
      std::cerr << "reznet-perfd: cannot write " << out << "\n";
      return 2;
    }
    std::printf("%s: run %s (%s)%s\n", out.c_str(), run->id.c_str(),
                std::string(suite::ToString(run->state)).c_str(),
                doc.compared_with.empty() ? "" : (", compared with " + doc.compared_with).c_str());
    return 0;
  });
}

}  // namespace

namespace cli {

Verb AddReport(CLI::App& app) {
  struct Options {
    std::string config, run, out;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "report", "write the results document (PERFORMANCE_TEST_RESULTS.md) of the newest run");
  AddConfigOption(cmd, o->config, true);
  cmd->add_option("--run", o->run,
                  "the run: an id, a unique id prefix, a commit label, latest, previous or "
                  "baseline (default: the newest finished run)");
  cmd->add_option("-o,--out", o->out, "the Markdown file to write")->required();
  cmd->footer(
      "Examples:\n"
      "  reznet-perfd report -o PERFORMANCE_TEST_RESULTS.md                the newest run\n"
      "  reznet-perfd report --run 3f2a9c1 -o PERFORMANCE_TEST_RESULTS.md  commit 3f2a9c1's run");
  return {cmd, nullptr, [o](const probes::ProbeRegistry& registry) {
            auto config = LoadConfig(o->config, registry);
            if (!config) return 2;
            SetupLogging({"warn", "text"}, config::MakeRedactor(*config));
            return ReportCli(*config, o->run, o->out);
          }};
}

}  // namespace cli
}  // namespace reznet::daemon
