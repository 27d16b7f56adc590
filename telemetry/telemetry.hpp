#pragma once
// Telemetry: the result sink. Takes probe outcomes, keeps rolling windows, owns the Prometheus
// metric families (DESIGN.md §5) and renders /metrics and the status JSON.
//
// Thread-safe: every public member takes the one internal lock; results flow in from probe
// coroutines and scrapes read out from HTTP threads. Durations are exported in seconds.

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/nfr.hpp"
#include "nfr/step.hpp"
#include "probes/outcome.hpp"
#include "stats/window.hpp"
#include "telemetry/status_model.hpp"

namespace reznet::probes {
struct LiveCounters;
}

namespace prometheus {
class Registry;
}

namespace reznet::telemetry {

using Clock = stats::Clock;
using Duration = stats::Duration;

struct BuildInfo {
  std::string version;
  std::string revision;
};

class Telemetry {
 public:
  Telemetry(std::vector<Duration> windows, BuildInfo build);
  ~Telemetry();

  // Declares a probe so its counters exist (at 0) before its first run. `labels` are the
  // probe's extra labels (llm: provider, model) for its kind's own metrics.
  void AddProbe(const std::string& name, const std::string& kind,
                const std::vector<std::pair<std::string, std::string>>& labels = {});
  void Consume(const std::string& name, const probes::Outcome& outcome, Clock::time_point now,
               std::chrono::system_clock::time_point wall);
  void CountOverruns(const std::string& name, std::uint64_t n);

  // Prometheus text exposition, window gauges computed for `now`.
  std::string RenderMetrics(Clock::time_point now);
  // {"probes": [{name, kind, last: {...}, windows: {phase: {window: stats}}}]}
  std::string StatusJson(Clock::time_point now);

  // What an NFR rule reads now: a window statistic (seconds), the error rate of runs, or the
  // mean of a ratio counter, with the number of samples behind it.
  nfr::Observation Observe(const config::NfrRule& rule, Clock::time_point now);
  // Counts one delivery attempt to an Alertmanager.
  void CountNotification(const std::string& alertmanager, bool ok);
  // Exports a rule's state (reznet_perf_nfr_*).
  void PublishNfr(const config::NfrRule& rule, const nfr::RuleState& state);

  // Suite runs (kept apart from the windows): reznet_perf_suite_runs_total{profile,result}
  // (declared at 0 by AddSuiteProfile) and reznet_perf_suite_last_*{profile}.
  void AddSuiteProfile(const std::string& profile);
  void RecordSuite(const std::string& profile, const std::string& result, double seconds,
                   double finished_unix, int nfrs_failed);

  // A load test running inside the daemon (a suite's load probe): reznet_perf_load_* follow its
  // live counters at every scrape until EndLoad (which takes the final values).
  void BeginLoad(const std::string& test, const probes::LiveCounters* live);
  void EndLoad(const std::string& test);

  // A reload: drops every series of a probe or NFR that the new config no longer has, and
  // records the outcome (reznet_perf_config_last_reload_successful, …_success_timestamp_seconds).
  void RemoveProbe(const std::string& name);
  void RemoveNfr(const std::string& name);
  void RecordReload(bool ok, std::chrono::system_clock::time_point wall);

  // When the scheduler will next run a probe (for the status page).
  void SetNextRun(const std::string& name, std::chrono::system_clock::time_point when);
  // NFRs, probes (last result, next run, recent values of the charted phase) and recent failures.
  StatusPageData StatusPage(std::chrono::system_clock::time_point wall);

  // Window statistics of one series, for tests and the evaluator; count 0 when unknown.
  stats::WindowStats Window(const std::string& probe, const std::string& phase, Duration length,
                            Clock::time_point now);

 private:
  struct Families;
  struct ProbeState;
  ProbeState& StateOf(const std::string& name, const std::string& kind,
                      const std::vector<std::pair<std::string, std::string>>& labels);
  void UpdateWindowGauges(Clock::time_point now);
  void ConsumeLlmCounters(ProbeState& st, const std::string& name, const probes::Outcome& outcome);

  std::mutex mutex_;
  std::vector<Duration> window_lengths_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Families> families_;
  std::map<std::string, std::unique_ptr<ProbeState>> probes_;
  struct NfrSeries;
  std::map<std::string, std::unique_ptr<NfrSeries>> nfrs_;
  stats::DenseHistogram scratch_;
  std::deque<StatusPageData::Failure> failures_;  // newest first, at most 20
  struct LoadSeries;
  std::map<std::string, std::unique_ptr<LoadSeries>> loads_;
  void SyncLoad(LoadSeries& series);
};

// process_* metrics of this process from /proc, in exposition format.
std::string ProcessMetricsText();

}  // namespace reznet::telemetry
