#include "suite/suite_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/cpu_pressure.hpp"
#include "common/version.hpp"
#include "probes/run_once.hpp"
#include "suite/compare.hpp"
#include "suite/judge.hpp"

namespace reznet::suite {
namespace {

// The names among `judged` of threshold (not regression) rules over `probe`.
std::vector<std::string> ThresholdRulesOver(const std::vector<config::NfrRule>& rules,
                                            const std::vector<std::string>& judged,
                                            const std::string& probe) {
  std::vector<std::string> out;
  for (const auto& name : judged) {
    auto it = std::find_if(rules.begin(), rules.end(),
                           [&](const config::NfrRule& r) { return r.name == name; });
    if (it != rules.end() && it->probe == probe && !it->regression) out.push_back(name);
  }
  return out;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One entry's runs: `samples` of them, then more while a verdict of `settling` (threshold rules
// over the probe) is inconclusive — adaptive sampling, half as many runs again each time — up to
// the entry's max_samples and max_time. Counts progress in `run`; sets `stopped` when ctx.stop
// asks.
boost::asio::awaitable<ProbeResult> RunEntry(const SuiteContext& ctx, const config::ProbeConfig& p,
                                             const config::SuiteEntry& entry,
                                             const std::vector<config::NfrRule>& rules,
                                             const std::vector<std::string>& settling,
                                             RunRecord& run, bool& stopped) {
  const config::Config& config = *ctx.config;
  ProbeAccumulator acc(p.name, p.kind, entry.samples);
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::steady_clock::now() - started; };
  std::unique_ptr<probes::Probe> probe;
  try {
    probe =
        ctx.registry->Create({p, config.FindTarget(p.target), ctx.executor, ctx.blocking, &config});
  } catch (const std::exception& e) {
    probes::Outcome o;
    o.Fail(probes::ErrorKind::kInternal, std::string("cannot build the probe: ") + e.what());
    acc.Add(o);
  }
  if (!probe) run.done += entry.samples;  // none of its runs will happen: progress completes
  if (probe && ctx.on_probe) ctx.on_probe(p, *probe, true);
  const int cap = std::max(entry.max_samples, entry.samples);
  int limit = entry.samples;
  bool skipped = false;
  for (int i = 0; probe && !stopped && !skipped;) {
    for (; i < limit; ++i) {
      if (ctx.stop && ctx.stop->load()) {
        stopped = true;
        break;
      }
      if (i >= entry.samples && elapsed() >= entry.max_time) {
        run.total -= limit - i;  // the time cap: the rest of this batch will not run
        limit = i;
        break;
      }
      // One sample per run: an http probe's own `samples` would multiply the profile's count.
      probes::Outcome outcome = co_await probes::RunOnce(*probe, probe->RunTimeout(p.timeout), 1);
      acc.Add(outcome);
      ++run.done;
      if (outcome.skipped) {
        run.done += limit - i - 1;  // the rest will not run either
        skipped = true;
        break;
      }
      if (ctx.on_progress) ctx.on_progress(run);
    }
    if (stopped || skipped || settling.empty() || limit >= cap || elapsed() >= entry.max_time)
      break;
    const auto verdicts =
        Judge(rules, settling, {acc.Finish(std::chrono::duration<double>(elapsed()).count())});
    const auto open = std::count_if(verdicts.begin(), verdicts.end(), [](const NfrVerdict& v) {
      return v.verdict == Verdict::kInconclusive;
    });
    if (open == 0) break;
    const int more = std::min(cap - limit, std::max(1, limit / 2));
    spdlog::debug("suite {}: {} of {} verdicts over {} inconclusive after {} runs; {} more", run.id,
                  open, verdicts.size(), p.name, limit, more);
    limit += more;
    run.total += more;
  }
  if (probe && ctx.on_probe) ctx.on_probe(p, *probe, false);
  co_return acc.Finish(std::chrono::duration<double>(elapsed()).count());
}

}  // namespace

std::vector<config::NfrRule> RulesWithBaselines(const config::Config& config,
                                                const std::vector<suite::RunRecord>& past) {
  std::vector<config::NfrRule> rules = config.nfrs;
  for (auto& rule : rules) {
    if (rule.baseline_runs <= 0) continue;
    if (auto b = suite::MedianBaseline(rule, past)) config::ApplyReference(rule, *b);
  }
  return rules;
}

boost::asio::awaitable<suite::RunRecord> RunSuite(SuiteContext ctx, config::SuiteProfile profile,
                                                  suite::RunRecord run, SuiteHistoryView history) {
  const config::Config& config = *ctx.config;
  run.state = RunState::kRunning;
  run.version = common::kVersion;
  run.total = 0;
  for (const auto& e : profile.probes) run.total += e.samples;
  if (profile.probes.empty()) {
    run.state = RunState::kError;
    run.error = "profile \"" + profile.name + "\" has no probes in " + config.source;
    run.finished_at = Now();
    co_return run;
  }
  if (ctx.on_progress) ctx.on_progress(run);
  const auto rules = RulesWithBaselines(config, history.past);
  const auto stall_before = common::CpuStallSeconds();
  const auto wall_before = std::chrono::steady_clock::now();
  bool stopped = false;
  for (const auto& entry : profile.probes) {
    const config::ProbeConfig* p = config.FindProbe(entry.probe);
    if (p == nullptr) continue;  // validated at load
    run.current = p->name;
    run.probes.push_back(co_await RunEntry(
        ctx, *p, entry, rules, ThresholdRulesOver(rules, profile.nfrs, p->name), run, stopped));
    if (ctx.on_progress) ctx.on_progress(run);
    if (stopped) break;
  }
  run.current.clear();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  if (const auto stall_after = common::CpuStallSeconds(); stall_before && stall_after && wall > 0)
    run.cpu_pressure = std::clamp((*stall_after - *stall_before) / wall, 0.0, 1.0);
  suite::JudgeOptions judging{config.history.significance, {}};
  for (const auto& rule : rules) {
    if (rule.baseline_runs > 0)
      judging.baseline_samples[rule.name] = suite::BaselineSamples(rule, history.past);
  }
  run.nfrs = suite::Judge(rules, profile.nfrs, run.probes, judging);
  run.inconclusive_fails = profile.on_inconclusive == config::OnInconclusive::kFail;
  run.tolerance = config.history.tolerance;
  run.significance = config.history.significance;
  if (history.baseline) {
    run.compared_with = history.baseline->id;
    const stats::Criteria criteria{run.significance, run.tolerance};
    run.comparison = suite::CompareNfrs(run, *history.baseline, criteria);
    run.phase_comparison = suite::ComparePhases(run, *history.baseline, criteria);
  }
  if (stopped) {
    run.state = RunState::kError;
    run.error = "interrupted after " + std::to_string(run.done) + " of " +
                std::to_string(run.total) + " runs";
  } else {
    run.state = suite::FinalState(run);
  }
  run.finished_at = Now();
  co_return run;
}

}  // namespace reznet::suite
