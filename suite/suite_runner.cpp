#include "suite/suite_runner.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/version.hpp"
#include "probes/run_once.hpp"
#include "suite/compare.hpp"
#include "suite/judge.hpp"

namespace reznet::suite {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
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
  bool stopped = false;
  for (const auto& entry : profile.probes) {
    const config::ProbeConfig* p = config.FindProbe(entry.probe);
    if (p == nullptr) continue;  // validated at load
    suite::ProbeAccumulator acc(p->name, p->kind, entry.samples);
    const auto started = std::chrono::steady_clock::now();
    run.current = p->name;
    std::unique_ptr<probes::Probe> probe;
    try {
      probe = ctx.registry->Create(
          {*p, config.FindTarget(p->target), ctx.executor, ctx.blocking, &config});
    } catch (const std::exception& e) {
      probes::Outcome o;
      o.Fail(probes::ErrorKind::kInternal, std::string("cannot build the probe: ") + e.what());
      acc.Add(o);
    }
    if (probe && ctx.on_probe) ctx.on_probe(*p, *probe, true);
    for (int i = 0; probe && i < entry.samples; ++i) {
      if (ctx.stop && ctx.stop->load()) {
        stopped = true;
        break;
      }
      // One sample per run: an http probe's own `samples` would multiply the profile's count.
      probes::Outcome outcome = co_await probes::RunOnce(*probe, probe->RunTimeout(p->timeout), 1);
      acc.Add(outcome);
      ++run.done;
      if (outcome.skipped) {
        run.done += entry.samples - i - 1;  // the rest will not run either
        break;
      }
      if (ctx.on_progress) ctx.on_progress(run);
    }
    if (probe && ctx.on_probe) ctx.on_probe(*p, *probe, false);
    run.probes.push_back(acc.Finish(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()));
    if (ctx.on_progress) ctx.on_progress(run);
    if (stopped) break;
  }
  run.current.clear();
  const auto rules = RulesWithBaselines(config, history.past);
  suite::JudgeOptions judging{config.history.significance, {}};
  for (const auto& rule : rules) {
    if (rule.baseline_runs > 0)
      judging.baseline_samples[rule.name] = suite::BaselineSamples(rule, history.past);
  }
  run.nfrs = suite::Judge(rules, profile.nfrs, run.probes, judging);
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
