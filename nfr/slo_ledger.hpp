#pragma once
// SloLedger: the counts of the burn-rate rules (`alert: burn_rate`, nfr/burn_rate.hpp). Every
// run of a probe adds its events to each burn-rate rule over that probe, in the rule's ring
// (what the evaluator reads) and in two counters on the shared registry, from which a Prometheus
// rule computes the same burn rates (nfr/rules_file.hpp):
//   reznet_perf_nfr_slo_samples_total{nfr}      events: samples of the phase, or runs
//   reznet_perf_nfr_slo_bad_samples_total{nfr}  the events that broke the threshold (failed runs)
// Both exist, at 0, from SetRules on; a rule that leaves loses them.
//
// Thread-safe: runs are recorded from probe coroutines, the evaluator installs rules and reads
// burn rates from the probe io_context, scrapes read the counters from the API thread. One lock;
// a probe no burn-rate rule reads costs a lookup in an empty map, or less.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/metrics_registry.hpp"
#include "config/nfr.hpp"
#include "nfr/burn_rate.hpp"
#include "nfr/step.hpp"

namespace reznet::nfr {

class SloLedger {
 public:
  // Registers the two counter families on `registry`, which must outlive it.
  explicit SloLedger(common::MetricsRegistry& registry);
  ~SloLedger();

  // Installs the rules in force; only the burn-rate ones are kept. A rule that stays with the
  // same probe, phase, stat, op and threshold keeps its ring and counters; one whose counting
  // changed starts again from zero; one that leaves loses its series.
  void SetRules(const std::vector<config::NfrRule>& rules);
  // One run of `probe` at `now`: `events(rule)` says what it adds to each burn-rate rule over the
  // probe (called under the lock; not called when no such rule exists).
  void Record(const std::string& probe, SteadyTime now,
              const std::function<SloEvents(const config::NfrRule&)>& events);
  // Whether any burn-rate rule is installed (a cheap check before building a Record call).
  bool empty() const { return count_.load(std::memory_order_acquire) == 0; }
  // What the evaluator reads for the burn-rate rule named `rule.name` at `now`: the burn rates,
  // value = their value(), samples = events in the last 5 m; nothing for an unknown rule.
  Observation Observe(const config::NfrRule& rule, SteadyTime now) const;

 private:
  struct State;
  common::MetricsRegistry& registry_;
  std::unique_ptr<State> state_;
  std::atomic<std::size_t> count_{0};
};

}  // namespace reznet::nfr
