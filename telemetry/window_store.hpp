#pragma once
// WindowStore: what NFR rules observe (docs/design.md §4, §6). Per declared probe: rolling
// percentile windows per phase, (failures, runs) windows for error rates and (sum, count) windows
// per outcome counter for ratio means; one window per configured length, in configured order.
//
// Thread-safe. The map of probes has a lock held only to find, add or remove a probe; each probe's
// windows have their own lock, held to record one outcome or to compute that probe's statistics.
// So a reader (a scrape, the status JSON, the NFR evaluator) waits for one probe at most.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/nfr.hpp"
#include "nfr/step.hpp"
#include "probes/outcome.hpp"
#include "stats/window.hpp"
#include "telemetry/guarded.hpp"

namespace reznet::telemetry {

using Clock = stats::Clock;
using Duration = stats::Duration;

// Statistics of one (probe, phase) series at one time: one entry per window length.
struct SeriesStats {
  std::string probe, phase;
  std::vector<stats::WindowStats> windows;
};

class WindowStore {
 public:
  explicit WindowStore(std::vector<Duration> lengths);
  ~WindowStore();
  const std::vector<Duration>& lengths() const { return lengths_; }

  // A probe's series exist from AddProbe (a no-op when declared) to RemoveProbe.
  void AddProbe(const std::string& name);
  void RemoveProbe(const std::string& name);
  // Records a run: every phase sample (a failed run's too: a slow failure is still a measured
  // latency), its result unless skipped, and its counters. An undeclared probe is ignored.
  void Record(const std::string& name, const probes::Outcome& outcome, Clock::time_point now);

  // What a rule reads now: a latency statistic (seconds), the error rate of runs (rule.stat
  // error_rate) or the mean of the counter named rule.phase (rule.stat ratio), with the samples
  // behind it. No value when the probe, phase, counter or window length is unknown or empty.
  nfr::Observation Observe(const config::NfrRule& rule, Clock::time_point now);
  // Statistics of one series; count 0 when unknown.
  stats::WindowStats Window(const std::string& probe, const std::string& phase, Duration length,
                            Clock::time_point now);
  // Statistics of every series at `now`, ordered by probe, then phase name. With `only`, a
  // probe's windows not marked there (by index) and probes not in it are left empty (count 0):
  // /metrics computes only the windows it exports.
  std::vector<SeriesStats> Snapshot(Clock::time_point now,
                                    const std::map<std::string, std::vector<bool>>* only = nullptr);
  // Window statistics at `now` depend on `now` only through these (the current slice of each
  // window): equal epochs and no Record between mean equal statistics.
  std::vector<std::int64_t> Epochs(Clock::time_point now) const;

 private:
  struct ProbeWindows;
  using Shared = std::shared_ptr<Guarded<ProbeWindows>>;
  Shared Find(const std::string& name);
  std::optional<std::size_t> IndexOf(Duration length) const;

  const std::vector<Duration> lengths_;
  Guarded<std::map<std::string, Shared>> probes_;
};

// A latency rule's observation from a window's statistics: `stat` in seconds (mean, max or a
// quantile), with the window's sample count; no value without samples.
nfr::Observation LatencyObservation(const stats::WindowStats& s, config::NfrStat stat);
// sum / count of a (sum, count) window; no value when count is 0.
nfr::Observation MeanObservation(std::pair<double, double> sum_count);

}  // namespace reznet::telemetry
