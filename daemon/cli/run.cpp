#include "daemon/cli/run.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "common/escape.hpp"
#include "config/secrets.hpp"
#include "daemon/cli/verbs.hpp"
#include "daemon/logging.hpp"
#include "suite/history.hpp"
#include "suite/report.hpp"
#include "suite/suite_runner.hpp"

namespace reznet::daemon {
namespace asio = boost::asio;

namespace {

// Progress on stderr: a redrawn bar on a terminal, plain lines otherwise (CI logs).
class Progress {
 public:
  Progress() : tty_(::isatty(STDERR_FILENO) == 1) {}

  void Update(const suite::RunRecord& r) {
    if (tty_) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_draw_ < std::chrono::milliseconds(100) && r.done < r.total) return;
      last_draw_ = now;
      Bar(r);
    }
    // A probe finished: one line (on a terminal, below the bar).
    while (reported_ < r.probes.size()) Line(r, r.probes[reported_++]);
  }

  void Done() {
    if (tty_ && drawn_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  void Bar(const suite::RunRecord& r) {
    const int width = 30;
    const double frac = r.total > 0 ? static_cast<double>(r.done) / r.total : 0;
    const int fill = static_cast<int>(frac * width);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string eta = "--";
    if (r.done > 0 && r.done < r.total) {
      eta = std::to_string(static_cast<int>(elapsed / r.done * (r.total - r.done) + 0.5)) + "s";
    }
    std::fprintf(stderr, "\r\033[K[%s%s] %d/%d runs  %s  ETA %s", std::string(fill, '#').c_str(),
                 std::string(width - fill, '.').c_str(), r.done, r.total, r.current.c_str(),
                 eta.c_str());
    drawn_ = true;
  }

  void Line(const suite::RunRecord& r, const suite::ProbeResult& p) {
    if (tty_ && drawn_) std::fprintf(stderr, "\r\033[K");
    std::string what;
    if (p.skipped) {
      what = "skipped: " + p.skip_reason;
    } else {
      what = std::to_string(p.runs) + " runs, " + std::to_string(p.failures) + " failed";
      // The phase NFRs usually read: total, else query (postgres), else the first.
      const suite::PhaseStats* shown = p.Phase("total");
      if (shown == nullptr) shown = p.Phase("query");
      if (shown == nullptr && !p.phases.empty()) shown = &p.phases.front();
      if (shown != nullptr)
        what += ", " + shown->name + " p95 " + suite::FormatValue(shown->p95, true);
      // The detail may be a hostile server's text: one line, no terminal escapes.
      if (!p.last_error.empty()) what += " (last error " + common::LogText(p.last_error) + ")";
    }
    std::fprintf(stderr, "[%d/%d] %s: %s (%s)\n", r.done, r.total, p.name.c_str(), what.c_str(),
                 suite::FormatValue(p.seconds, true).c_str());
    if (tty_) Bar(r);
  }

  bool tty_;
  bool drawn_ = false;
  std::size_t reported_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

bool WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

// Runs the profile on an io_context of its own; SIGINT/SIGTERM stop it after the current run.
// nullopt when the run itself failed (an exception escaped it).
std::optional<suite::RunRecord> Execute(const config::Config& config,
                                        const probes::ProbeRegistry& registry,
                                        const config::SuiteProfile& profile, suite::RunRecord run,
                                        suite::SuiteHistoryView view) {
  asio::io_context io;
  asio::thread_pool blocking(2);
  std::atomic<bool> stop{false};
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    std::fprintf(stderr, "\nstopping after the current run (signal received)\n");
    stop = true;
  });
  Progress progress;
  suite::SuiteContext ctx{&config,
                          &registry,
                          io.get_executor(),
                          blocking.get_executor(),
                          [&](const suite::RunRecord& r) { progress.Update(r); },
                          nullptr,
                          &stop};
  suite::RunRecord done;
  bool failed_internally = false;
  asio::co_spawn(io, suite::RunSuite(ctx, profile, std::move(run), std::move(view)),
                 [&](std::exception_ptr ep, suite::RunRecord r) {
                   failed_internally = static_cast<bool>(ep);
                   done = std::move(r);
                   signals.cancel();
                 });
  io.run();
  blocking.join();
  progress.Done();
  if (failed_internally) return std::nullopt;
  return done;
}

// Writes <id>.json/.md/.xml, appends the run to history, prints the verdicts; the exit code.
int StoreAndReport(const config::Config& config, const RunOptions& options,
                   const suite::RunRecord& done, suite::HistoryStore* history) {
  const std::filesystem::path dir = options.report_dir.empty()
                                        ? std::filesystem::path(config.daemon.state_dir) / "reports"
                                        : std::filesystem::path(options.report_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto base = dir / done.id;
  const bool written = !ec && WriteFile(base.string() + ".json", suite::ToJson(done) + "\n") &&
                       WriteFile(base.string() + ".md", suite::ToMarkdown(done)) &&
                       WriteFile(base.string() + ".xml", suite::ToJUnit(done));
  if (history) {
    if (auto stored = common::Catching([&] { return history->Append(done); }); !stored)
      std::cerr << "reznet-perfd: run not stored in history: " << stored.error().detail << "\n";
  }
  PrintVerdicts(done);
  if (written) {
    std::printf("reports: %s.md, .json, .xml\n", base.string().c_str());
  } else {
    std::cerr << "reznet-perfd: cannot write reports to " << dir.string()
              << (ec ? ": " + ec.message() : "") << "\n";
  }
  if (done.state == suite::RunState::kPassed) return written ? 0 : 2;
  if (done.state == suite::RunState::kFailed) return 1;
  return 2;
}

}  // namespace

void PrintVerdicts(const suite::RunRecord& r) {
  const int inconclusive = r.Count(suite::Verdict::kInconclusive);
  std::printf("suite %s %s: %s — %d NFRs met, %d failed, %d inconclusive, %d skipped (%.1fs)%s\n",
              r.profile.c_str(), r.id.c_str(), std::string(suite::ToString(r.state)).c_str(),
              r.Count(suite::Verdict::kPassed), r.Count(suite::Verdict::kFailed), inconclusive,
              r.Count(suite::Verdict::kSkipped), r.finished_at - r.started_at,
              r.error.empty() ? "" : (" — " + common::LogText(r.error)).c_str());
  const char* no_color = std::getenv("NO_COLOR");
  const bool colours = ::isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0');
  for (const auto& v : r.nfrs) {
    const char* mark = v.verdict == suite::Verdict::kPassed         ? "✓"
                       : v.verdict == suite::Verdict::kFailed       ? "✗"
                       : v.verdict == suite::Verdict::kInconclusive ? "?"
                                                                    : "-";
    // Green, red, yellow on a terminal, unless NO_COLOR is set (no-color.org).
    const char* colour = v.verdict == suite::Verdict::kPassed         ? "\033[32m"
                         : v.verdict == suite::Verdict::kFailed       ? "\033[31m"
                         : v.verdict == suite::Verdict::kInconclusive ? "\033[33m"
                                                                      : "";
    std::string line = std::string("  ") + (colours && *colour ? colour : "") + mark +
                       (colours && *colour ? "\033[0m" : "") + " " + v.nfr + ": " + v.probe +
                       (v.phase.empty() ? "" : " " + v.phase) + " " + v.stat + " " + v.op + " " +
                       suite::FormatValue(v.threshold, v.latency);
    if (v.value) line += " — " + suite::FormatValue(*v.value, v.latency);
    if (!v.reason.empty()) line += " — " + common::LogText(v.reason);
    std::printf("%s\n", line.c_str());
  }
  if (r.cpu_pressure && *r.cpu_pressure > 0.5) {
    std::printf(
        "warning: the machine was busy: for %.0f %% of the run some task waited for a CPU; "
        "the timings, and the verdicts on them, are suspect\n",
        *r.cpu_pressure * 100);
  }
  if (inconclusive > 0 && r.finished()) {
    std::printf(
        "warning: %d verdict%s inconclusive (more samples would settle %s: max_samples, "
        "max_time); on_inconclusive: %s\n",
        inconclusive, inconclusive == 1 ? " is" : "s are", inconclusive == 1 ? "it" : "them",
        r.inconclusive_fails ? "fail, the run fails" : "pass, the run passes");
  }
  for (const auto& b : r.comparison) {
    if (b.status == suite::RowStatus::kOk) continue;
    std::printf("  %s %s: %+.1f %% against baseline %s\n",
                b.status == suite::RowStatus::kWorse ? "⚠" : "✗", b.nfr.c_str(), b.change_pct,
                r.compared_with.c_str());
  }
}

int RunSuiteCli(const config::Config& config, const probes::ProbeRegistry& registry,
                const RunOptions& options) {
  const auto profiles = config::ResolveProfiles(config);
  auto it = profiles.find(options.profile);
  if (it == profiles.end()) {
    std::string known;
    for (const auto& [name, p] : profiles) known += (known.empty() ? "" : ", ") + name;
    std::cerr << "reznet-perfd: no profile \"" << options.profile << "\" (profiles: " << known
              << ")\n";
    return 2;
  }
  if (it->second.probes.empty()) {
    std::cerr << "reznet-perfd: profile \"" << options.profile << "\" has no probes in "
              << config.source << "\n";
    return 2;
  }
  std::unique_ptr<suite::HistoryStore> history;
  suite::SuiteHistoryView view;
  try {
    history = suite::OpenHistory(config.history, config.daemon.state_dir);
    view.past = cli::Need(history->List(0, 100));
    if (auto id = cli::Need(history->BaselineId())) view.baseline = cli::Need(history->Get(*id));
  } catch (const std::exception& e) {
    std::cerr << "reznet-perfd: run history: " << e.what()
              << " (the run goes on without history)\n";
    history.reset();
  }

  suite::RunRecord run;
  run.started_at =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  run.id = suite::NewRunId(run.started_at);
  run.profile = options.profile;
  run.labels = options.labels;
  config::SuiteProfile profile = it->second;
  if (!options.on_inconclusive.empty()) {
    profile.on_inconclusive = options.on_inconclusive == "fail" ? config::OnInconclusive::kFail
                                                                : config::OnInconclusive::kPass;
  }
  // Planned runs, and how many adaptive sampling may add while verdicts are inconclusive.
  int total = 0, most = 0;
  for (const auto& e : profile.probes) {
    total += e.samples;
    most += std::max(e.samples, e.max_samples);
  }
  std::fprintf(
      stderr, "suite %s (run %s): %zu probes, %d runs%s\n", options.profile.c_str(), run.id.c_str(),
      it->second.probes.size(), total,
      most > total
          ? (" (up to " + std::to_string(most) + " while a verdict is inconclusive)").c_str()
          : "");
  auto done = Execute(config, registry, profile, std::move(run), std::move(view));
  if (!done) {
    std::cerr << "reznet-perfd: the suite run failed unexpectedly\n";
    return 2;
  }
  return StoreAndReport(config, options, *done, history.get());
}

namespace cli {

Verb AddRun(CLI::App& app) {
  struct Options {
    std::string config;
    RunOptions run;
    std::vector<std::string> labels;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "run", "run a suite profile once: progress, reports, exit 1 when an NFR fails");
  cmd->footer(
      "Examples:\n"
      "  reznet-perfd run -p quick --label commit=$(git rev-parse --short HEAD)\n"
      "  reznet-perfd run -p standard --report-dir reports --on-inconclusive fail");
  AddConfigOption(cmd, o->config, true);
  cmd->add_option("-p,--profile", o->run.profile, "quick, standard, full, load or configured")
      ->required();
  cmd->add_option("--report-dir", o->run.report_dir,
                  "where <id>.json, .md and .xml go (default <state_dir>/reports)");
  cmd->add_option("-l,--label", o->labels, "k=v label stored with the run (repeatable)");
  cmd->add_option("--on-inconclusive", o->run.on_inconclusive,
                  "pass (exit 0 with a warning) or fail (exit 1) when a verdict is inconclusive; "
                  "default: the profile's on_inconclusive, else pass")
      ->check(CLI::IsMember({"pass", "fail"}));
  auto validate = [o] {
    for (const auto& l : o->labels) {
      const auto eq = l.find('=');
      if (eq == std::string::npos || eq == 0)
        throw CLI::ValidationError("--label", "\"" + common::LogText(l) + "\": write key=value");
      // Reports escape labels anyway; a control character in one is a mistake worth saying.
      if (const auto at = common::FindControlCharacter(l); at != std::string::npos)
        throw CLI::ValidationError(
            "--label", "\"" + common::LogText(l) +
                           "\": control character or invalid UTF-8 at byte " + std::to_string(at) +
                           " (a label is one line of printable text)");
      o->run.labels[l.substr(0, eq)] = l.substr(eq + 1);
    }
  };
  return {cmd, validate, [o](const probes::ProbeRegistry& registry) {
            auto config = LoadConfig(o->config, registry);
            if (!config) return 2;
            SetupLogging({"warn", "text"}, config::MakeRedactor(*config));
            return RunSuiteCli(*config, registry, o->run);
          }};
}

}  // namespace cli

}  // namespace reznet::daemon
