#pragma once
// NfrMetrics: the NFR room's series on the shared registry (docs/design.md §5):
//   reznet_perf_nfr_ok{nfr,severity}, _nfr_value{nfr}, _nfr_threshold{nfr},
//   _nfr_state{nfr,state}, _nfr_good_total{nfr}, _nfr_events_total{nfr},
//   reznet_perf_alert_notifications_total{alertmanager}, _alert_notifications_failed_total.
//
// Thread-safe: one lock guards the series handles (the evaluator publishes from the probe
// thread, the notifier counts from its own).

#include <memory>
#include <string>

#include "common/metrics_registry.hpp"
#include "config/nfr.hpp"
#include "nfr/step.hpp"

namespace reznet::nfr {

class NfrMetrics {
 public:
  explicit NfrMetrics(common::MetricsRegistry& registry);
  ~NfrMetrics();

  // The series of a rule's state (made on first publication); Remove drops them.
  void Publish(const config::NfrRule& rule, const RuleState& state);
  void Remove(const std::string& name);
  // One delivery attempt to an Alertmanager.
  void CountNotification(const std::string& alertmanager, bool ok);

 private:
  struct State;
  common::MetricsRegistry& registry_;
  std::unique_ptr<State> state_;
};

}  // namespace reznet::nfr
