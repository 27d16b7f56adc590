#pragma once
// Exporter: the Prometheus side of the result sink (docs/design.md §5). Owns the registry, every
// metric family and the series of each probe, NFR rule, suite profile and in-daemon load test,
// and renders /metrics. Durations are exported in seconds.
//
// Thread-safe. One lock guards the series handles; it is held to record one outcome, to publish
// one rule or, in Render, to copy finished window statistics into gauges and follow live load
// counters, never while the text is serialised (prometheus-cpp families lock themselves).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/export.hpp"
#include "config/nfr.hpp"
#include "nfr/step.hpp"
#include "probes/outcome.hpp"
#include "telemetry/guarded.hpp"
#include "telemetry/window_store.hpp"

namespace reznet::probes {
struct LiveCounters;
}

namespace prometheus {
class Registry;
}

namespace reznet::telemetry {

struct BuildInfo {
  std::string version;
  std::string revision;
};

// (outcome counter, gauge name) pairs: the counter's value in the last run that had it is
// exported as the gauge {probe}. A pair with an empty gauge name is not exported.
using RatioGauges = std::vector<std::pair<std::string, std::string>>;
// What every probe exported before kinds declared their ratios: hit_ratio as
// reznet_perf_cache_hit_ratio, query_reduction as reznet_perf_cache_query_reduction_ratio.
RatioGauges DefaultRatioGauges();

class Exporter {
 public:
  // `lengths`: the window lengths, for the `window` label of the window gauges. Sets
  // reznet_perf_build_info and records a successful config load now.
  Exporter(const std::vector<Duration>& lengths, const BuildInfo& build);
  ~Exporter();

  // Declares a probe: its run counters exist (at 0) before its first run. `labels` are its
  // extra labels for its kind's own metrics (llm: provider, model). `budget`: the windows and
  // stats that become window gauges (nullopt: all of them). When declared, only the budget is
  // applied (SetBudget). Throws std::invalid_argument for a ratio gauge name that is not a
  // metric name ending in _ratio.
  void AddProbe(const std::string& name, const std::string& kind,
                const std::vector<std::pair<std::string, std::string>>& labels,
                const RatioGauges& ratios,
                const std::optional<config::ExportBudget>& budget = std::nullopt);
  // Changes a declared probe's window gauges to `budget`: dropped ones leave /metrics, new ones
  // are NaN until the next Render. Windows not among the lengths are ignored.
  void SetBudget(const std::string& name, const std::optional<config::ExportBudget>& budget);
  // Per probe, which windows (by index into the lengths) have gauges: what Render needs.
  std::map<std::string, std::vector<bool>> ExportedWindows();
  // Drops every series of the probe from /metrics.
  void RemoveProbe(const std::string& name);
  // Runs, errors, last result, phase histograms, LLM counters and ratio gauges of one run. An
  // undeclared probe is ignored.
  void Record(const std::string& name, const probes::Outcome& outcome,
              std::chrono::system_clock::time_point wall);
  void CountOverruns(const std::string& name, std::uint64_t n);

  // reznet_perf_nfr_* of a rule's state; RemoveNfr drops them.
  void PublishNfr(const config::NfrRule& rule, const nfr::RuleState& state);
  void RemoveNfr(const std::string& name);
  // One delivery attempt to an Alertmanager.
  void CountNotification(const std::string& alertmanager, bool ok);

  // reznet_perf_suite_runs_total{profile,result} (declared at 0 by AddSuiteProfile) and
  // reznet_perf_suite_last_*{profile}.
  void AddSuiteProfile(const std::string& profile);
  void RecordSuite(const std::string& profile, const std::string& result, double seconds,
                   double finished_unix, int nfrs_failed);
  // reznet_perf_load_*{test} follow `live` at every Render until EndLoad (which takes the final
  // values). `live` must outlive EndLoad.
  void BeginLoad(const std::string& test, const probes::LiveCounters* live);
  void EndLoad(const std::string& test);
  // reznet_perf_config_last_reload_successful and, when ok, …_success_timestamp_seconds.
  void RecordReload(bool ok, std::chrono::system_clock::time_point wall);
  // reznet_perf_shard_info{index, of} = 1 (replaces the previous one; 0 of 1 from the start).
  void SetShard(int index, int of);
  // reznet_perf_history_write_failures_total (declared at 0): a finished run not stored.
  void CountHistoryWriteFailure();
  void CountProbeRequest(const std::string& module, const std::string& result);
  // File-based discovery, per probe with targets_from: reznet_perf_discovery_targets and
  // …_skipped_targets{reason} set, …_errors_total increased by `new_errors`. RemoveDiscovery drops
  // them.
  void RecordDiscovery(const std::string& probe, int targets,
                       const std::map<std::string, int>& skipped, int new_errors);
  void RemoveDiscovery(const std::string& probe);
  // reznet_perf_probe_target_info{probe, target, <labels>} 1 of a discovered probe, replacing its
  // previous labels; RemoveProbe drops it.
  void SetTargetInfo(const std::string& probe, const std::string& target,
                     const std::vector<std::pair<std::string, std::string>>& labels);

  // reznet_perf_scheduler_lateness_seconds: a run started `late` after it was due.
  void ObserveLateness(Duration late);

  // Prometheus text exposition (without process_*), the window gauges set from `windows`
  // (WindowStore::Snapshot at scrape time; series without gauges yet are skipped).
  std::string Render(const std::vector<SeriesStats>& windows);
  // Bumped by every change of a series (each method above but Render), before the change: equal
  // values before and after a Render mean the text rendered still holds, except for window
  // statistics moving with time and a live load test (Live).
  std::uint64_t Generation() const { return generation_.load(std::memory_order_acquire); }
  // Whether a load test is running: its counters move without calls here.
  bool Live();

 private:
  struct State;
  void Changed() { generation_.fetch_add(1, std::memory_order_acq_rel); }
  void SetBudgetLocked(State& state, const std::string& name,
                       const std::optional<config::ExportBudget>& budget);

  std::vector<Duration> lengths_;
  std::vector<std::string> window_names_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Guarded<State>> state_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::size_t> rendered_size_{0};  // of the last render, to reserve the next
};

// The values of the window gauges for one window, in the order of the `stat` label values
// p50, p90, p95, p99, mean, max: seconds, NaN without samples.
std::vector<double> WindowGaugeValues(const stats::WindowStats& s);

// process_* metrics of this process from /proc, in exposition format.
std::string ProcessMetricsText();

}  // namespace reznet::telemetry
