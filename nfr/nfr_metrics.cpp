#include "nfr/nfr_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <limits>
#include <map>
#include <mutex>

namespace reznet::nfr {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Series {
  prometheus::Gauge* ok = nullptr;
  prometheus::Gauge* value = nullptr;
  prometheus::Gauge* threshold = nullptr;
  std::map<std::string, prometheus::Gauge*> states;
  prometheus::Counter* good = nullptr;
  prometheus::Counter* events = nullptr;
  std::uint64_t good_seen = 0, events_seen = 0;
};

}  // namespace

struct NfrMetrics::State {
  explicit State(prometheus::Registry& r)
      : ok(prometheus::BuildGauge()
               .Name("reznet_perf_nfr_ok")
               .Help("1 when the NFR is met (or has no data), 0 when violated (pending or "
                     "firing).")
               .Register(r)),
        value(prometheus::BuildGauge()
                  .Name("reznet_perf_nfr_value")
                  .Help("The value the NFR was last evaluated on (seconds or ratio).")
                  .Register(r)),
        threshold(prometheus::BuildGauge()
                      .Name("reznet_perf_nfr_threshold")
                      .Help("The NFR's threshold (seconds or ratio).")
                      .Register(r)),
        state(prometheus::BuildGauge()
                  .Name("reznet_perf_nfr_state")
                  .Help("1 for the NFR's current state (ok, pending, firing, no_data).")
                  .Register(r)),
        good(prometheus::BuildCounter()
                 .Name("reznet_perf_nfr_good_total")
                 .Help("Evaluations with data where the NFR was met.")
                 .Register(r)),
        events(prometheus::BuildCounter()
                   .Name("reznet_perf_nfr_events_total")
                   .Help("Evaluations with data.")
                   .Register(r)),
        sent(prometheus::BuildCounter()
                 .Name("reznet_perf_alert_notifications_total")
                 .Help("POSTs of alerts to an Alertmanager.")
                 .Register(r)),
        failed(prometheus::BuildCounter()
                   .Name("reznet_perf_alert_notifications_failed_total")
                   .Help("POSTs of alerts to an Alertmanager that failed (retried with backoff).")
                   .Register(r)) {}
  prometheus::Family<prometheus::Gauge>& ok;
  prometheus::Family<prometheus::Gauge>& value;
  prometheus::Family<prometheus::Gauge>& threshold;
  prometheus::Family<prometheus::Gauge>& state;
  prometheus::Family<prometheus::Counter>& good;
  prometheus::Family<prometheus::Counter>& events;
  prometheus::Family<prometheus::Counter>& sent;
  prometheus::Family<prometheus::Counter>& failed;
  std::mutex mutex;
  std::map<std::string, Series> rules;  // guarded by mutex
};

NfrMetrics::NfrMetrics(common::MetricsRegistry& registry)
    : registry_(registry), state_(std::make_unique<State>(registry.families())) {}

NfrMetrics::~NfrMetrics() = default;

void NfrMetrics::Publish(const config::NfrRule& rule, const RuleState& state) {
  State& f = *state_;
  std::lock_guard lock(f.mutex);
  const common::ChangedOnReturn changed(registry_);
  auto [it, fresh] = f.rules.try_emplace(rule.name);
  Series& n = it->second;
  if (fresh) {
    n.ok = &f.ok.Add({{"nfr", rule.name}, {"severity", rule.severity}});
    n.value = &f.value.Add({{"nfr", rule.name}});
    n.threshold = &f.threshold.Add({{"nfr", rule.name}});
    for (auto s : {NfrState::kOk, NfrState::kPending, NfrState::kFiring, NfrState::kNoData})
      n.states[StateName(s)] = &f.state.Add({{"nfr", rule.name}, {"state", StateName(s)}});
    n.good = &f.good.Add({{"nfr", rule.name}});
    n.events = &f.events.Add({{"nfr", rule.name}});
  }
  const bool violated = state.state == NfrState::kPending || state.state == NfrState::kFiring;
  n.ok->Set(violated ? 0 : 1);
  n.value->Set(state.value.value_or(kNaN));
  // A regression rule still waiting for suite history has no threshold yet.
  const bool no_threshold = rule.baseline_runs > 0 && !rule.reference;
  n.threshold->Set(no_threshold ? kNaN : rule.threshold);
  for (auto& [name, gauge] : n.states) gauge->Set(name == StateName(state.state) ? 1 : 0);
  if (state.good > n.good_seen) n.good->Increment(static_cast<double>(state.good - n.good_seen));
  if (state.events > n.events_seen)
    n.events->Increment(static_cast<double>(state.events - n.events_seen));
  n.good_seen = state.good;
  n.events_seen = state.events;
}

void NfrMetrics::Remove(const std::string& name) {
  State& f = *state_;
  std::lock_guard lock(f.mutex);
  auto it = f.rules.find(name);
  if (it == f.rules.end()) return;
  const common::ChangedOnReturn changed(registry_);
  Series& n = it->second;
  f.ok.Remove(n.ok);
  f.value.Remove(n.value);
  f.threshold.Remove(n.threshold);
  for (auto& [s, g] : n.states) f.state.Remove(g);
  f.good.Remove(n.good);
  f.events.Remove(n.events);
  f.rules.erase(it);
}

void NfrMetrics::CountNotification(const std::string& alertmanager, bool ok) {
  State& f = *state_;
  std::lock_guard lock(f.mutex);
  const common::ChangedOnReturn changed(registry_);
  f.sent.Add({{"alertmanager", alertmanager}}).Increment();
  auto& failed = f.failed.Add({{"alertmanager", alertmanager}});
  if (!ok) failed.Increment();
}

}  // namespace reznet::nfr
