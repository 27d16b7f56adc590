#include "nfr/slo_ledger.hpp"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>

namespace reznet::nfr {
namespace {

struct Entry {
  config::NfrRule rule;
  BurnRing ring;
  prometheus::Counter* samples = nullptr;
  prometheus::Counter* bad = nullptr;
};

// Whether two versions of a rule count the same events the same way.
bool SameCounting(const config::NfrRule& a, const config::NfrRule& b) {
  return a.probe == b.probe && a.phase == b.phase && a.stat == b.stat && a.op == b.op &&
         a.threshold == b.threshold;
}

}  // namespace

struct SloLedger::State {
  explicit State(prometheus::Registry& r)
      : samples(prometheus::BuildCounter()
                    .Name("reznet_perf_nfr_slo_samples_total")
                    .Help("Events a burn-rate NFR counted: samples of its phase (runs, for "
                          "error_rate).")
                    .Register(r)),
        bad(prometheus::BuildCounter()
                .Name("reznet_perf_nfr_slo_bad_samples_total")
                .Help("Events a burn-rate NFR counted as bad: samples that broke its threshold "
                      "(failed runs, for error_rate).")
                .Register(r)) {}
  prometheus::Family<prometheus::Counter>& samples;
  prometheus::Family<prometheus::Counter>& bad;
  mutable std::mutex mutex;
  // Guarded by mutex. Entries by rule name; the rules over each probe (by name, several at most).
  std::map<std::string, std::unique_ptr<Entry>> rules;
  std::map<std::string, std::vector<Entry*>, std::less<>> by_probe;
};

SloLedger::SloLedger(common::MetricsRegistry& registry)
    : registry_(registry), state_(std::make_unique<State>(registry.families())) {}

SloLedger::~SloLedger() = default;

void SloLedger::SetRules(const std::vector<config::NfrRule>& rules) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  const common::ChangedOnReturn changed(registry_);
  std::map<std::string, std::unique_ptr<Entry>> next;
  for (const auto& rule : rules) {
    if (!rule.burn_rate() || next.count(rule.name)) continue;
    auto old = s.rules.find(rule.name);
    if (old != s.rules.end() && SameCounting(old->second->rule, rule)) {
      old->second->rule = rule;
      next.emplace(rule.name, std::move(old->second));
      s.rules.erase(old);
      continue;
    }
    if (old != s.rules.end()) {  // counted differently now: its series start again at 0
      s.samples.Remove(old->second->samples);
      s.bad.Remove(old->second->bad);
      s.rules.erase(old);
    }
    auto e = std::make_unique<Entry>();
    e->rule = rule;
    e->samples = &s.samples.Add({{"nfr", rule.name}});
    e->bad = &s.bad.Add({{"nfr", rule.name}});
    next.emplace(rule.name, std::move(e));
  }
  for (auto& [name, gone] : s.rules) {
    s.samples.Remove(gone->samples);
    s.bad.Remove(gone->bad);
  }
  s.rules = std::move(next);
  s.by_probe.clear();
  for (auto& [name, e] : s.rules) s.by_probe[e->rule.probe].push_back(e.get());
  count_.store(s.rules.size(), std::memory_order_release);
}

void SloLedger::Record(const std::string& probe, SteadyTime now,
                       const std::function<SloEvents(const config::NfrRule&)>& events) {
  if (empty()) return;
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  auto it = s.by_probe.find(probe);
  if (it == s.by_probe.end()) return;
  const common::ChangedOnReturn changed(registry_);
  for (Entry* e : it->second) {
    const SloEvents add = events(e->rule);
    if (add.events == 0) continue;
    e->ring.Add(now, add);
    e->samples->Increment(static_cast<double>(add.events));
    if (add.bad > 0) e->bad->Increment(static_cast<double>(add.bad));
  }
}

Observation SloLedger::Observe(const config::NfrRule& rule, SteadyTime now) const {
  const State& s = *state_;
  std::lock_guard lock(s.mutex);
  auto it = s.rules.find(rule.name);
  if (it == s.rules.end()) return {};
  const BurnRates burn = it->second->ring.Burn(it->second->rule.ErrorBudget(), now);
  Observation obs;
  obs.value = burn.value();
  obs.samples = burn.events_5m;
  obs.burn = burn;
  return obs;
}

}  // namespace reznet::nfr
