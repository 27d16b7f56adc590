#pragma once
// ProbeMetrics: the series of every declared probe (docs/design.md §5), kept as plain values and
// written into /metrics at scrape time:
//   reznet_perf_probe_runs_total{probe,result}, _probe_success, _probe_last_run_timestamp_seconds,
//   reznet_perf_probe_duration_seconds{kind,phase,probe} (a histogram per phase),
//   reznet_perf_probe_errors_total{error,probe},
//   the series the probe's kind declares (config::KindRatio gauges, config::KindMetric: the LLM
//   token counters), reznet_perf_probe_target_info of discovered probes, and
//   reznet_perf_scheduler_lateness_seconds (how late runs start).
// Not prometheus-cpp series: declaring one costs a family's label hashing and copies, and
// prometheus-cpp's Family::Remove scans the whole family, so removing many discovered probes was
// quadratic (#24). Here adding and removing a probe is one map operation.
//
// Thread-safe. The map of probes has a lock held only to find, add or remove a probe; each probe
// has its own lock, held to record one outcome or to copy its values at a scrape. So a scrape
// waits for one probe's record at most, and a record for one probe's copy.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/guarded.hpp"
#include "common/metrics_registry.hpp"
#include "common/shared_map.hpp"
#include "config/kind.hpp"
#include "probes/outcome.hpp"

namespace reznet::telemetry {

// What a probe's kind adds to its series, given when the probe is declared.
struct ProbeDeclaration {
  std::string kind;
  // The kind's extra labels with this probe's values (llm: provider, model).
  std::vector<std::pair<std::string, std::string>> labels;
  // Ratios with a gauge name become gauges {probe}; the others only feed rules.
  std::vector<config::KindRatio> ratios;
  std::vector<config::KindMetric> metrics;
};

class ProbeMetrics : public common::Collectable {
 public:
  // `taken`: names of families written elsewhere, which a kind may not declare (asked when a
  // kind declares a series name not seen before).
  explicit ProbeMetrics(std::function<std::vector<std::string>()> taken = {});
  ~ProbeMetrics() override;

  // Declares a probe: its run counters exist (at 0) before its first run; a no-op when declared.
  // Throws std::invalid_argument, declaring no probe, for a series name the kind may not use: not
  // a metric name starting reznet_perf_, a ratio gauge not ending in _ratio, a name taken by
  // another family, or declared as the other type (counter, gauge) by another kind. A family's
  // HELP is the one its first declaration gave.
  void Add(const std::string& name, const ProbeDeclaration& declaration);
  // Drops every series of the probe.
  void Remove(const std::string& name);
  // Runs, errors, last result, phase histograms and kind series of one run. An undeclared probe
  // is ignored.
  void Record(const std::string& name, const probes::Outcome& outcome,
              std::chrono::system_clock::time_point wall);
  void CountOverruns(const std::string& name, std::uint64_t n);
  // reznet_perf_probe_target_info{probe, target, <labels>} 1 of a declared (discovered) probe,
  // replacing its previous labels; unchanged labels change nothing.
  void SetTargetInfo(const std::string& probe, const std::string& target,
                     const std::vector<std::pair<std::string, std::string>>& labels);

  // A scheduled run started `late` after it was due.
  void ObserveLateness(std::chrono::nanoseconds late);

  // Appends the families above (those with series) in the text exposition format.
  void Collect(std::string& out, std::chrono::steady_clock::time_point now = {}) override;
  // Bumped by every change (each method above but Collect), after the change: a render that read
  // it before may have missed the change, and the next one sees a new value.
  // Its fixed families (the kinds' families are checked apart).
  std::vector<std::string> FamilyNames() const override;
  std::uint64_t Generation() const override { return generation_.load(std::memory_order_acquire); }

 private:
  struct Family;
  struct Probe;
  void Changed() { generation_.fetch_add(1, std::memory_order_acq_rel); }

  struct Families;
  std::unique_ptr<common::Guarded<Families>> families_;  // the kinds' families, by name
  common::SharedMap<Probe> probes_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace reznet::telemetry
