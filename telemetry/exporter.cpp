#include "telemetry/exporter.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "probes/live.hpp"
#include "telemetry/exporter_state.hpp"
#include "telemetry/exposition.hpp"
#include "telemetry/families.hpp"

namespace reznet::telemetry {
namespace {

using namespace exporter_detail;

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Scheduler lateness is expected far below a millisecond; the top buckets catch a stalled loop.
const prometheus::Histogram::BucketBoundaries kLatenessBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};

// Brings the load counters up to the live values (counters only move forward).
void SyncLoad(LoadSeries& s) {
  if (s.live == nullptr) return;
  auto step = [](prometheus::Counter* c, std::uint64_t now, std::uint64_t& seen) {
    if (now > seen) c->Increment(static_cast<double>(now - seen));
    seen = std::max(seen, now);
  };
  step(s.requests, s.live->requests.load(), s.seen_requests);
  step(s.failed, s.live->failed.load(), s.seen_failed);
  step(s.iterations, s.live->iterations.load(), s.seen_iterations);
  step(s.dropped, s.live->dropped.load(), s.seen_dropped);
  s.users->Set(static_cast<double>(s.live->active_users.load()));
}

NfrSeries AddNfrSeries(Families& f, const config::NfrRule& rule) {
  NfrSeries n;
  n.ok = &f.nfr_ok.Add({{"nfr", rule.name}, {"severity", rule.severity}});
  n.value = &f.nfr_value.Add({{"nfr", rule.name}});
  n.threshold = &f.nfr_threshold.Add({{"nfr", rule.name}});
  for (auto s : {nfr::NfrState::kOk, nfr::NfrState::kPending, nfr::NfrState::kFiring,
                 nfr::NfrState::kNoData}) {
    n.states[nfr::StateName(s)] =
        &f.nfr_state.Add({{"nfr", rule.name}, {"state", nfr::StateName(s)}});
  }
  n.good = &f.nfr_good.Add({{"nfr", rule.name}});
  n.events = &f.nfr_events.Add({{"nfr", rule.name}});
  return n;
}

}  // namespace

Exporter::Exporter(const BuildInfo& build)
    : registry_(std::make_shared<prometheus::Registry>()),
      state_(std::make_unique<Guarded<State>>(*registry_)) {
  state_->Lock()
      ->families.build.Add({{"version", build.version}, {"revision", build.revision}})
      .Set(1);
  state_->Lock()->families.history_write_failures.Add({});
  SetShard(0, 1);
  RecordReload(true, std::chrono::system_clock::now());
}

Exporter::~Exporter() = default;

std::vector<std::string> Exporter::FamilyNames() {
  std::vector<std::string> names;
  for (const auto& f : registry_->Collect()) names.push_back(f.name);
  return names;
}

bool Exporter::Live() {
  auto state = state_->Lock();
  return std::any_of(state->loads.begin(), state->loads.end(),
                     [](const auto& l) { return l.second.live != nullptr; });
}

void Exporter::ObserveLateness(Duration late) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  if (state->lateness == nullptr)
    state->lateness = &state->families.lateness.Add({}, kLatenessBuckets);
  state->lateness->Observe(Seconds(std::max(late, Duration::zero())));
}

void Exporter::PublishNfr(const config::NfrRule& rule, const nfr::RuleState& state) {
  auto locked = state_->Lock();
  const ChangedOnReturn changed(generation_);
  auto [it, fresh] = locked->nfrs.try_emplace(rule.name);
  NfrSeries& n = it->second;
  if (fresh) n = AddNfrSeries(locked->families, rule);
  const bool violated =
      state.state == nfr::NfrState::kPending || state.state == nfr::NfrState::kFiring;
  n.ok->Set(violated ? 0 : 1);
  n.value->Set(state.value.value_or(kNaN));
  // A regression rule still waiting for suite history has no threshold yet.
  const bool no_threshold = rule.baseline_runs > 0 && !rule.baseline;
  n.threshold->Set(no_threshold ? kNaN : rule.threshold);
  for (auto& [name, gauge] : n.states) gauge->Set(name == nfr::StateName(state.state) ? 1 : 0);
  if (state.good > n.good_seen) n.good->Increment(static_cast<double>(state.good - n.good_seen));
  if (state.events > n.events_seen)
    n.events->Increment(static_cast<double>(state.events - n.events_seen));
  n.good_seen = state.good;
  n.events_seen = state.events;
}

void Exporter::RemoveNfr(const std::string& name) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  auto it = state->nfrs.find(name);
  if (it == state->nfrs.end()) return;
  NfrSeries& n = it->second;
  auto& f = state->families;
  f.nfr_ok.Remove(n.ok);
  f.nfr_value.Remove(n.value);
  f.nfr_threshold.Remove(n.threshold);
  for (auto& [s, g] : n.states) f.nfr_state.Remove(g);
  f.nfr_good.Remove(n.good);
  f.nfr_events.Remove(n.events);
  state->nfrs.erase(it);
}

void Exporter::CountNotification(const std::string& alertmanager, bool ok) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  state->families.alerts_sent.Add({{"alertmanager", alertmanager}}).Increment();
  auto& failed = state->families.alerts_failed.Add({{"alertmanager", alertmanager}});
  if (!ok) failed.Increment();
}

void Exporter::AddSuiteProfile(const std::string& profile) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  for (const char* result : {"passed", "failed", "error"})
    state->families.suite_runs.Add({{"profile", profile}, {"result", result}});
}

void Exporter::RecordSuite(const std::string& profile, const std::string& result, double seconds,
                           double finished_unix, int nfrs_failed) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  auto& f = state->families;
  f.suite_runs.Add({{"profile", profile}, {"result", result}}).Increment();
  f.suite_last_success.Add({{"profile", profile}}).Set(result == "passed" ? 1 : 0);
  f.suite_last_duration.Add({{"profile", profile}}).Set(seconds);
  f.suite_last_timestamp.Add({{"profile", profile}}).Set(finished_unix);
  f.suite_last_failed.Add({{"profile", profile}}).Set(nfrs_failed);
}

void Exporter::BeginLoad(const std::string& test, const probes::LiveCounters* live) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  auto [it, fresh] = state->loads.try_emplace(test);
  LoadSeries& s = it->second;
  if (fresh) {
    auto& f = state->families;
    const prometheus::Labels labels = {{"test", test}};
    s.requests = &f.load_requests.Add(labels);
    s.failed = &f.load_failed.Add(labels);
    s.iterations = &f.load_iterations.Add(labels);
    s.dropped = &f.load_dropped.Add(labels);
    s.users = &f.load_users.Add(labels);
    s.running = &f.load_running.Add(labels);
  }
  s.live = live;
  s.seen_requests = s.seen_failed = s.seen_iterations = s.seen_dropped = 0;
  s.running->Set(1);
}

void Exporter::EndLoad(const std::string& test) {
  auto state = state_->Lock();
  const ChangedOnReturn changed(generation_);
  auto it = state->loads.find(test);
  if (it == state->loads.end()) return;
  SyncLoad(it->second);
  it->second.live = nullptr;
  it->second.users->Set(0);
  it->second.running->Set(0);
}

void Exporter::Collect(std::string& out) {
  {
    auto state = state_->Lock();  // live load counters only: the families lock themselves
    for (auto& [test, load] : state->loads) SyncLoad(load);
  }
  AppendExposition(out, registry_->Collect());
}

}  // namespace reznet::telemetry
