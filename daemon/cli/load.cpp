#include "daemon/cli/load.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "common/error.hpp"
#include "common/json.hpp"
#include "config/secrets.hpp"
#include "daemon/cli/verbs.hpp"
#include "daemon/logging.hpp"
#include "probes/load/engine.hpp"
#include "probes/load/load_probe.hpp"
#include "suite/judge.hpp"
#include "suite/report.hpp"

namespace reznet::daemon {
namespace load = probes::load;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop = true; }

config::NfrRule DefaultRule(std::string name, config::NfrStat stat, std::string stat_name,
                            std::string phase, config::NfrOp op, std::string op_text,
                            double threshold) {
  config::NfrRule r;
  r.name = std::move(name);
  r.stat = stat;
  r.stat_name = std::move(stat_name);
  r.phase = std::move(phase);
  r.op = op;
  r.op_text = std::move(op_text);
  r.threshold = threshold;
  return r;
}

// The config's rules over `probe`, else the RezNet load NFRs.
std::vector<config::NfrRule> LoadRules(const config::Config* config, const std::string& probe) {
  std::vector<config::NfrRule> rules;
  if (config != nullptr) {
    for (const auto& r : config->nfrs) {
      if (r.probe == probe && !r.regression) rules.push_back(r);
    }
  }
  if (rules.empty()) {
    using config::NfrOp;
    using config::NfrStat;
    rules = {DefaultRule("load_p95", NfrStat::kP95, "p95", "request", NfrOp::kLt, "<", 1.0),
             DefaultRule("load_p50", NfrStat::kP50, "p50", "request", NfrOp::kLt, "<", 0.2),
             DefaultRule("load_error_rate", NfrStat::kRatio, "ratio", "error_rate", NfrOp::kLt, "<",
                         0.05)};
    for (auto& r : rules) r.probe = probe;
  }
  return rules;
}

// Prints the verdicts; returns the exit code: 1 when one failed, or was inconclusive and
// `inconclusive_fails`.
int Verdicts(const load::LoadStats& stats, const std::vector<config::NfrRule>& rules,
             bool inconclusive_fails) {
  suite::ProbeAccumulator acc(stats.test, std::string(load::LoadProbe::kKind), 1);
  acc.Add(load::ToOutcome(stats));
  const std::vector<suite::ProbeResult> results = {acc.Finish(stats.seconds)};
  std::vector<std::string> names;
  for (const auto& r : rules) names.push_back(r.name);
  const auto verdicts = suite::Judge(rules, names, results);
  std::printf("\nNFR verdicts:\n");
  int failed = 0, inconclusive = 0;
  for (const auto& v : verdicts) {
    const bool ok = v.verdict == suite::Verdict::kPassed;
    failed += v.verdict == suite::Verdict::kFailed ? 1 : 0;
    inconclusive += v.verdict == suite::Verdict::kInconclusive ? 1 : 0;
    const char* mark = ok ? "✓" : v.verdict == suite::Verdict::kInconclusive ? "?" : "✗";
    std::printf("  %s %s: %s %s %s %s — %s\n", mark, v.nfr.c_str(),
                v.phase.empty() ? "" : v.phase.c_str(), v.stat.c_str(), v.op.c_str(),
                suite::FormatValue(v.threshold, v.latency).c_str(),
                v.value && v.verdict != suite::Verdict::kInconclusive
                    ? suite::FormatValue(*v.value, v.latency).c_str()
                    : v.reason.c_str());
  }
  if (inconclusive > 0) {
    std::printf(
        "warning: %d verdict%s inconclusive (a longer test would settle %s); "
        "--on-inconclusive %s\n",
        inconclusive, inconclusive == 1 ? " is" : "s are", inconclusive == 1 ? "it" : "them",
        inconclusive_fails ? "fail: the test fails" : "pass: the test passes");
  }
  return failed > 0 || (inconclusive > 0 && inconclusive_fails) ? 1 : 0;
}

bool WriteOut(const std::string& path, const load::LoadStats& stats) {
  if (path.empty()) return true;
  std::ofstream out(path, std::ios::trunc);
  out << load::ToJson(stats) << "\n";
  if (!out) {
    std::cerr << "reznet-perfd: cannot write " << path << "\n";
    return false;
  }
  std::fprintf(stderr, "results: %s\n", path.c_str());
  return true;
}

void Progress(const probes::LiveCounters& live, const load::LoadSettings& s,
              const std::atomic<bool>& done) {
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  const auto start = std::chrono::steady_clock::now();
  const double span =
      std::chrono::duration<double>(
          s.executor == load::Executor::kConstantArrivalRate ? s.duration : s.ramp_up + s.duration)
          .count();
  std::uint64_t last_requests = 0;
  auto last = start;
  auto last_line = start;
  while (!done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(tty ? 250 : 100));
    const auto now = std::chrono::steady_clock::now();
    if (!tty && now - last_line < std::chrono::seconds(5)) continue;
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const auto requests = live.requests.load();
    const double rate = static_cast<double>(requests - last_requests) /
                        std::max(1e-3, std::chrono::duration<double>(now - last).count());
    last_requests = requests;
    last = now;
    const auto failed = live.failed.load();
    if (tty) {
      const int width = 24;
      const int fill = static_cast<int>(std::min(1.0, elapsed / span) * width);
      std::fprintf(stderr,
                   "\r\033[K[%s%s] %.0fs/%.0fs  %lld users  %.0f req/s  %llu requests  "
                   "%llu errors  %llu dropped",
                   std::string(fill, '#').c_str(), std::string(width - fill, '.').c_str(), elapsed,
                   span, static_cast<long long>(live.active_users.load()), rate,
                   static_cast<unsigned long long>(requests),
                   static_cast<unsigned long long>(failed),
                   static_cast<unsigned long long>(live.dropped.load()));
    } else {
      std::fprintf(stderr,
                   "%5.0fs  %lld users  %.0f req/s  %llu requests  %llu errors  "
                   "%llu dropped\n",
                   elapsed, static_cast<long long>(live.active_users.load()),
                   static_cast<double>(requests) / std::max(1e-3, elapsed),
                   static_cast<unsigned long long>(requests),
                   static_cast<unsigned long long>(failed),
                   static_cast<unsigned long long>(live.dropped.load()));
      last_line = now;
    }
  }
  if (tty) std::fprintf(stderr, "\r\033[K");
}

// --start-at: sleeps until then (a signal cuts it short); false when it is absurdly far away.
bool WaitForStart(double start_at) {
  if (start_at <= 0) return true;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const double wait = start_at - std::chrono::duration<double>(now).count();
  if (wait > 3600) {
    std::cerr << "reznet-perfd: --start-at is " << static_cast<long>(wait)
              << " s away; more than an hour is surely a mistake\n";
    return false;
  }
  if (wait > 0) {
    std::fprintf(stderr, "waiting %.1f s for --start-at\n", wait);
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(wait));
    while (!g_stop && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

bool ParseSegment(const std::string& text, int& index, int& count) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return false;
  auto [p1, e1] = std::from_chars(text.data(), text.data() + slash, index);
  auto [p2, e2] = std::from_chars(text.data() + slash + 1, text.data() + text.size(), count);
  return e1 == std::errc() && e2 == std::errc() && p1 == text.data() + slash &&
         p2 == text.data() + text.size() && count >= 1 && count <= 10000 && index >= 1 &&
         index <= count;
}

int LoadCli(const config::Config& config, const LoadOptions& options) {
  const config::ProbeConfig* probe = nullptr;
  std::string names;
  for (const auto& p : config.probes) {
    if (p.kind != load::LoadProbe::kKind) continue;  // the verb runs LoadSettings
    names += (names.empty() ? "" : ", ") + p.name;
    if (options.probe.empty() ? probe == nullptr : p.name == options.probe) probe = &p;
  }
  if (probe == nullptr || (options.probe.empty() && names.find(',') != std::string::npos)) {
    std::cerr << "reznet-perfd: "
              << (names.empty()
                      ? "no probe of kind load in " + config.source +
                            " (add one: kind: load, target: backend, load: { users: 100 })"
                  : options.probe.empty()
                      ? "several load probes (" + names + "); choose one with --probe"
                      : "no load probe named \"" + options.probe + "\" (load probes: " + names +
                            ")")
              << "\n";
    return 2;
  }
  load::LoadSettings settings =
      *std::static_pointer_cast<const load::LoadSettings>(probe->settings);
  if (const std::string err = load::Apply(options.overrides, settings); !err.empty()) {
    std::cerr << "reznet-perfd: " << err << "\n";
    return 2;
  }
  const std::string segment =
      std::to_string(options.overrides.segment) + "/" + std::to_string(options.overrides.segments);
  const bool open = settings.executor == load::Executor::kConstantArrivalRate;
  std::fprintf(stderr, "load test %s against %s: %s, %s, %s%s\n", probe->name.c_str(),
               settings.target.ToString().c_str(), open ? "constant-arrival-rate" : "ramping-vus",
               open ? (common::JsonNumber(settings.rate) + " iterations/s, max " +
                       std::to_string(settings.max_vus) + " users")
                          .c_str()
                    : (std::to_string(settings.users) + " users, ramp-up " +
                       config::FormatDuration(settings.ramp_up))
                          .c_str(),
               ("duration " + config::FormatDuration(settings.duration)).c_str(),
               segment == "1/1" ? "" : (", segment " + segment).c_str());

  g_stop = false;
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  if (!WaitForStart(options.start_at)) return 2;
  probes::LiveCounters live;
  std::atomic<bool> done{false};
  std::thread progress([&] { Progress(live, settings, done); });
  load::LoadStats stats;
  int rc = 0;
  // Caught here too: the progress thread is running, and an exception passing it would abort.
  auto ran = common::Catching([&] {
    return load::RunLoad(settings, {&g_stop, &live, probe->name, segment});
  });
  if (!ran) {
    done = true;
    progress.join();
    std::cerr << "reznet-perfd: " << ran.error().detail << "\n";
    return 2;
  }
  stats = std::move(*ran);
  done = true;
  progress.join();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (g_stop) std::fprintf(stderr, "stopped by signal: results so far\n");
  std::printf("%s", load::ResultsBlock(stats).c_str());
  if (segment != "1/1") {
    std::printf(
        "\n(segment %s: verdicts are for this share; merge the segments to judge the "
        "test)\n",
        segment.c_str());
  }
  rc = Verdicts(stats, LoadRules(&config, probe->name), options.inconclusive_fails);
  if (!WriteOut(options.out, stats)) return 2;
  if (stats.Requests() == 0) return 2;
  return rc;
}

int LoadMergeCli(const config::Config* config, const std::vector<std::string>& files,
                 const std::string& out, bool inconclusive_fails) {
  load::LoadStats merged;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    auto s = in ? load::ParseLoadStats(text.str()) : common::Invalid("cannot read it");
    if (!s) {
      std::cerr << "reznet-perfd: " << f << ": not a load result (" << s.error().detail << ")\n";
      return 2;
    }
    if (!merged.test.empty() && s->test != merged.test) {
      std::cerr << "reznet-perfd: " << f << " is from test \"" << s->test << "\", not \""
                << merged.test << "\"\n";
      return 2;
    }
    merged.Merge(*s);
  }
  merged.segment = "merged from " + std::to_string(files.size());
  std::printf("%s", load::ResultsBlock(merged).c_str());
  const int rc = Verdicts(merged, LoadRules(config, merged.test), inconclusive_fails);
  if (!WriteOut(out, merged)) return 2;
  return rc;
}

namespace cli {

namespace {

struct LoadVerb {
  std::string config;
  LoadOptions load;
  std::string duration, ramp_up, segment;
  std::vector<std::string> merge_files;
  std::string merge_out;
  std::string on_inconclusive;
  CLI::App* merge = nullptr;
};

// After parsing: the installed config when none is given (as the other verbs; merge needs
// none), and the flags that need parsing.
void Validate(LoadVerb& o) {
  auto& ov = o.load.overrides;
  if (!*o.merge && o.config.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(kInstalledConfig, ec))
      throw CLI::RequiredError(
          "--config (the file with the load probe); write --config FILE, "
          "set REZNET_PERFD_CONFIG, or install " +
          std::string(kInstalledConfig));
    o.config = kInstalledConfig;
  }
  if (!o.duration.empty()) {
    auto d = config::ParseDuration(o.duration);
    if (!d) throw CLI::ValidationError("--duration", d.error().detail);
    ov.duration = *d;
  }
  if (!o.ramp_up.empty()) {
    auto d = config::ParseDuration(o.ramp_up);
    if (!d) throw CLI::ValidationError("--ramp-up", d.error().detail);
    ov.ramp_up = *d;
    ov.ramp_up_set = true;
  }
  if (!o.segment.empty() && !ParseSegment(o.segment, ov.segment, ov.segments))
    throw CLI::ValidationError("--segment", "write I/N with 1 <= I <= N, like 2/4");
}

}  // namespace

Verb AddLoad(CLI::App& app) {
  auto o = std::make_shared<LoadVerb>();
  auto* cmd = app.add_subcommand(
      "load", "run a load test (a probe of kind load); exit 1 when a load NFR fails");
  cmd->footer(
      "Examples:\n"
      "  reznet-perfd load --users 100 --duration 2m      the configured flow at 100 users\n"
      "  reznet-perfd load --stress -o stress.json        twice the users, results kept\n"
      "  reznet-perfd load merge seg1.json seg2.json      the segments of a distributed test");
  AddConfigOption(cmd, o->config, false);
  auto& ov = o->load.overrides;
  cmd->add_option("--probe", o->load.probe, "the load probe (default: the only one)");
  cmd->add_option("-u,--users", ov.users, "virtual users (ramping-vus)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-users", ov.max_users,
                  "replace the config's limits.max_users for this run (a cap on --users, "
                  "--stress and max_vus)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
  cmd->add_option("-d,--duration", o->duration, "at full load, e.g. 2m");
  cmd->add_option("--ramp-up", o->ramp_up, "users start evenly over this, e.g. 10s");
  cmd->add_option("-r,--rate", ov.rate, "iterations per second (constant-arrival-rate)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--stress", ov.stress, "twice the configured users (or rate)");
  cmd->add_option("--segment", o->segment, "I/N: run the I-th of N equal shares");
  cmd->add_option("-o,--out", o->load.out, "write the results (mergeable JSON) here");
  cmd->add_option("--start-at", o->load.start_at,
                  "Unix time to start at (segments on many machines start together)");
  cmd->add_option("--on-inconclusive", o->on_inconclusive,
                  "pass (exit 0 with a warning; the default) or fail (exit 1) when a verdict is "
                  "inconclusive")
      ->check(CLI::IsMember({"pass", "fail"}));
  o->merge = cmd->add_subcommand("merge", "merge segment results exactly");
  o->merge->fallthrough();  // --config may follow `merge`
  o->merge->add_option("files", o->merge_files, "results of `load --out`")
      ->required()
      ->check(CLI::ExistingFile);
  o->merge->add_option("-o,--out", o->merge_out, "write the merged results here");
  auto validate = [o] { Validate(*o); };
  return {cmd, validate, [o](const probes::ProbeRegistry& registry) {
            if (*o->merge) {
              std::optional<config::Config> config;
              if (!o->config.empty()) {
                config = LoadConfig(o->config, registry);
                if (!config) return 2;
              }
              return LoadMergeCli(config ? &*config : nullptr, o->merge_files, o->merge_out,
                                  o->on_inconclusive == "fail");
            }
            auto config = LoadConfig(o->config, registry);
            if (!config) return 2;
            SetupLogging({"warn", "text"}, config::MakeRedactor(*config));
            o->load.inconclusive_fails = o->on_inconclusive == "fail";
            return LoadCli(*config, o->load);
          }};
}

}  // namespace cli

}  // namespace reznet::daemon
