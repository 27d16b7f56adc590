#pragma once
// WindowStore: what NFR rules observe (docs/design.md §4, §6). Per declared probe: rolling
// percentile windows per phase, (failures, runs) windows for error rates and (sum, count) windows
// per outcome counter for ratio means; one window per configured length, in configured order.
//
// Thread-safe. The map of probes has a lock held only to find, add or remove a probe; each probe's
// windows have their own lock, held to record one outcome or to compute that probe's statistics.
// So a reader (a scrape, the status JSON, the NFR evaluator) waits for one probe at most.
//
// It writes its own series into /metrics at scrape time (Collect): reznet_perf_probe_window_seconds
// {phase,probe,stat,window} and _window_samples{phase,probe,window}, computed then, under each
// probe's cardinality budget (which windows and stats; config/export.hpp).

#include <array>
#include <atomic>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/guarded.hpp"
#include "common/metrics_registry.hpp"
#include "common/shared_map.hpp"
#include "config/export.hpp"
#include "config/nfr.hpp"
#include "nfr/step.hpp"
#include "probes/outcome.hpp"
#include "stats/window.hpp"

namespace reznet::telemetry {

using SteadyClock = stats::SteadyClock;
using Duration = stats::Duration;

// Statistics of one (probe, phase) series at one time: one entry per window length.
struct SeriesStats {
  std::string probe, phase;
  std::vector<stats::WindowStats> windows;
};

// The `stat` label values of the window series, in the order of WindowGaugeValues.
inline constexpr const char* kStats[] = {"p50", "p90", "p95", "p99", "mean", "max"};
inline constexpr std::size_t kStatCount = std::size(kStats);

// Which windows (by index into the configured lengths) and stats (by kStats index) are exported.
struct Budget {
  std::vector<bool> windows;
  std::array<bool, kStatCount> stats{};
};

// `chosen` over the configured `lengths`; nullopt: every window and stat. Windows not among
// the lengths are ignored.
Budget BudgetOf(const std::vector<Duration>& lengths,
                const std::optional<config::ExportBudget>& chosen);

// The values of the window series for one window, in the order of kStats: seconds, NaN without
// samples.
std::vector<double> WindowGaugeValues(const stats::WindowStats& s);

class WindowStore : public common::Collectable {
 public:
  explicit WindowStore(std::vector<Duration> lengths);
  ~WindowStore() override;
  const std::vector<Duration>& lengths() const { return lengths_; }

  // A probe's series exist from AddProbe to RemoveProbe. `budget`: what /metrics shows of its
  // windows (nullopt: everything). Declaring a declared probe changes only its budget.
  void AddProbe(const std::string& name,
                const std::optional<config::ExportBudget>& budget = std::nullopt);
  void SetBudget(const std::string& name, const std::optional<config::ExportBudget>& budget);
  void RemoveProbe(const std::string& name);
  // Records a run: every phase sample (a failed run's too: a slow failure is still a measured
  // latency), its result unless skipped, and its counters. An undeclared probe is ignored.
  void Record(const std::string& name, const probes::Outcome& outcome, SteadyClock::time_point now);

  // What a rule reads now: a latency statistic (seconds), the error rate of runs (rule.stat
  // error_rate) or the mean of the counter named rule.phase (rule.stat ratio), with the samples
  // behind it. No value when the probe, phase, counter or window length is unknown or empty.
  nfr::Observation Observe(const config::NfrRule& rule, SteadyClock::time_point now);
  // Statistics of one series; count 0 when unknown.
  stats::WindowStats Window(const std::string& probe, const std::string& phase, Duration length,
                            SteadyClock::time_point now);
  // Statistics of every series at `now`, ordered by probe, then phase name.
  std::vector<SeriesStats> Snapshot(SteadyClock::time_point now);
  // Appends the window series at `now` in the text exposition format: only the windows and stats
  // of each probe's budget are computed and written; a phase shows once it has had a sample.
  void Collect(std::string& out, SteadyClock::time_point now) override;
  // Window statistics at `now` depend on `now` only through these (the current slice of each
  // window): equal epochs and no change between mean equal statistics.
  std::vector<std::int64_t> Epochs(SteadyClock::time_point now) const;
  // Bumped by every change (declaring, budgets, records), after the change (see ProbeMetrics).
  std::vector<std::string> FamilyNames() const override {
    return {"reznet_perf_probe_window_seconds", "reznet_perf_probe_window_samples"};
  }
  std::uint64_t Generation() const override { return generation_.load(std::memory_order_acquire); }

 private:
  struct ProbeWindows;
  using Shared = common::SharedMap<ProbeWindows>::Shared;
  std::optional<std::size_t> IndexOf(Duration length) const;

  void Changed() { generation_.fetch_add(1, std::memory_order_acq_rel); }

  const std::vector<Duration> lengths_;
  std::vector<std::string> window_names_;  // the `window` label of each length
  common::SharedMap<ProbeWindows> probes_;
  std::atomic<std::uint64_t> generation_{0};
};

// A latency rule's observation from a window's statistics: `stat` in seconds (mean, max or a
// quantile), with the window's sample count; no value without samples.
nfr::Observation LatencyObservation(const stats::WindowStats& s, config::NfrStat stat);
// sum / count of a (sum, count) window; no value when count is 0.
nfr::Observation MeanObservation(std::pair<double, double> sum_count);

}  // namespace reznet::telemetry
