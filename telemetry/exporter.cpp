#include "telemetry/exporter.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "config/units.hpp"
#include "probes/live.hpp"
#include "telemetry/exporter_state.hpp"
#include "telemetry/exposition.hpp"
#include "telemetry/families.hpp"
#include "telemetry/window_gauges.hpp"

namespace reznet::telemetry {
namespace {

using namespace exporter_detail;

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Fixed buckets, the same on every instance so histograms aggregate: 1 ms … 60 s.
const prometheus::Histogram::BucketBoundaries kBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

// Scheduler lateness is expected far below a millisecond; the top buckets catch a stalled loop.
const prometheus::Histogram::BucketBoundaries kLatenessBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};

// LLM counters (only for probes with a provider label) and the kind's ratio gauges.
void RecordKindMetrics(Families& f, ProbeSeries& p, const std::string& name,
                       const probes::Outcome& outcome) {
  if (p.labels.count("provider")) {
    const prometheus::Labels labels = {
        {"probe", name}, {"provider", p.labels["provider"]}, {"model", p.labels["model"]}};
    if (auto tokens = outcome.Counter("output_tokens"); tokens && !outcome.skipped) {
      if (!p.llm_tokens) p.llm_tokens = &f.llm_tokens.Add(labels);
      p.llm_tokens->Increment(*tokens);
    }
    if (auto rate = outcome.Counter("tokens_per_second")) {
      if (!p.llm_rate) p.llm_rate = &f.llm_rate.Add(labels);
      p.llm_rate->Set(*rate);
    }
    if (auto spent = outcome.Counter("budget_spent_tokens")) {
      if (!p.llm_budget) p.llm_budget = &f.llm_budget.Add({{"probe", name}});
      p.llm_budget->Set(*spent);
    }
  }
  for (auto& ratio : p.ratios) {
    if (auto value = outcome.Counter(ratio.counter)) {
      if (!ratio.gauge) ratio.gauge = &ratio.family->Add({{"probe", name}});
      ratio.gauge->Set(*value);
    }
  }
}

// A phase's histogram (and its window gauges, on first sight) takes the run's samples.
void RecordPhase(Families& f, const std::vector<std::string>& window_names, ProbeSeries& p,
                 const std::string& name, const probes::Phase& phase) {
  auto [it, fresh] = p.phases.try_emplace(phase.name);
  PhaseSeries& series = it->second;
  if (fresh) {
    series.histogram =
        &f.duration.Add({{"probe", name}, {"kind", p.kind}, {"phase", phase.name}}, kBuckets);
    series.gauges.Sync(f, window_names, p.budget, name, phase.name);
  }
  for (auto sample : phase.samples) series.histogram->Observe(Seconds(sample));
  for (const auto& [sample, count] : phase.weighted) {
    for (std::uint64_t i = 0; i < count; ++i) series.histogram->Observe(Seconds(sample));
  }
}

// One probe's run series, copied under the lock for Render.
struct ProbeRunRow {
  std::string probe;
  std::array<double, 4> runs;
  double success, last_run;
};

// reznet_perf_probe_runs_total, _probe_success and _probe_last_run_timestamp_seconds of every
// declared probe and _probe_target_info of every discovered one, as prometheus-cpp would collect
// them (labels by name; a family without series is left out).
std::vector<prometheus::MetricFamily> ProbeRunFamilies(
    const std::vector<ProbeRunRow>& rows,
    const std::vector<std::shared_ptr<const prometheus::Labels>>& infos) {
  std::vector<prometheus::MetricFamily> out(4);
  out[0] = {"reznet_perf_probe_runs_total",
            "Probe runs by result (success, failure, skipped, overrun).",
            prometheus::MetricType::Counter,
            {}};
  out[1] = {"reznet_perf_probe_success",
            "1 when the last run succeeded, 0 otherwise.",
            prometheus::MetricType::Gauge,
            {}};
  out[2] = {"reznet_perf_probe_last_run_timestamp_seconds",
            "Unix time the last run finished.",
            prometheus::MetricType::Gauge,
            {}};
  out[0].metric.reserve(rows.size() * 4);
  out[1].metric.reserve(rows.size());
  out[2].metric.reserve(rows.size());
  for (const auto& r : rows) {
    for (int i = 0; i < 4; ++i) {
      prometheus::ClientMetric m;
      m.label = {{"probe", r.probe}, {"result", kRunResults[i]}};
      m.counter.value = r.runs[static_cast<std::size_t>(i)];
      out[0].metric.push_back(std::move(m));
    }
    prometheus::ClientMetric success;
    success.label = {{"probe", r.probe}};
    success.gauge.value = r.success;
    out[1].metric.push_back(std::move(success));
    prometheus::ClientMetric last;
    last.label = {{"probe", r.probe}};
    last.gauge.value = r.last_run;
    out[2].metric.push_back(std::move(last));
  }
  out[3] = {"reznet_perf_probe_target_info",
            "1 per discovered probe: its target as listed and its file_sd labels, to join on "
            "probe.",
            prometheus::MetricType::Gauge,
            {}};
  out[3].metric.reserve(infos.size());
  for (const auto& labels : infos) {
    prometheus::ClientMetric m;
    for (const auto& [k, v] : *labels) m.label.push_back({k, v});
    m.gauge.value = 1;
    out[3].metric.push_back(std::move(m));
  }
  std::erase_if(out, [](const prometheus::MetricFamily& f) { return f.metric.empty(); });
  return out;
}

void RemoveSeries(Families& f, ProbeSeries& p) {
  for (auto& [kind, c] : p.errors) f.errors.Remove(c);
  for (auto& [phase, series] : p.phases) {
    f.duration.Remove(series.histogram);
    series.gauges.Remove(f);
  }
  if (p.llm_tokens) f.llm_tokens.Remove(p.llm_tokens);
  if (p.llm_rate) f.llm_rate.Remove(p.llm_rate);
  if (p.llm_budget) f.llm_budget.Remove(p.llm_budget);
  for (auto& r : p.ratios) {
    if (r.gauge) r.family->Remove(r.gauge);
  }
}

void SetWindowGauges(std::map<std::string, ProbeSeries>& probes, const SeriesStats& s) {
  auto p = probes.find(s.probe);
  if (p == probes.end()) return;
  auto ph = p->second.phases.find(s.phase);
  if (ph != p->second.phases.end()) ph->second.gauges.Set(s.windows);
}

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

RatioGauges DefaultRatioGauges() {
  return {{"hit_ratio", "reznet_perf_cache_hit_ratio"},
          {"query_reduction", "reznet_perf_cache_query_reduction_ratio"}};
}

Exporter::Exporter(const std::vector<Duration>& lengths, const BuildInfo& build)
    : lengths_(lengths),
      registry_(std::make_shared<prometheus::Registry>()),
      state_(std::make_unique<Guarded<State>>(*registry_)) {
  for (auto length : lengths) window_names_.push_back(config::FormatDuration(length));
  state_->Lock()
      ->families.build.Add({{"version", build.version}, {"revision", build.revision}})
      .Set(1);
  state_->Lock()->families.history_write_failures.Add({});
  SetShard(0, 1);
  RecordReload(true, std::chrono::system_clock::now());
}

Exporter::~Exporter() = default;

void Exporter::AddProbe(const std::string& name, const std::string& kind,
                        const std::vector<std::pair<std::string, std::string>>& labels,
                        const RatioGauges& ratios,
                        const std::optional<config::ExportBudget>& budget) {
  auto state = state_->Lock();
  Changed();
  if (state->probes.count(name)) {
    SetBudgetLocked(*state, name, budget);
    return;
  }
  auto& f = state->families;
  std::vector<RatioSeries> exported;  // families first: a bad name throws before any series
  for (const auto& [counter, gauge] : ratios) {
    if (!gauge.empty()) exported.push_back({counter, &f.Ratio(gauge)});
  }
  ProbeSeries& p = state->probes[name];
  p.kind = kind;
  p.budget = BudgetOf(lengths_, budget);
  p.labels.insert(labels.begin(), labels.end());
  p.ratios = std::move(exported);
}

void Exporter::SetBudget(const std::string& name,
                         const std::optional<config::ExportBudget>& budget) {
  auto state = state_->Lock();
  Changed();
  SetBudgetLocked(*state, name, budget);
}

void Exporter::SetBudgetLocked(State& state, const std::string& name,
                               const std::optional<config::ExportBudget>& budget) {
  auto it = state.probes.find(name);
  if (it == state.probes.end()) return;
  ProbeSeries& p = it->second;
  p.budget = BudgetOf(lengths_, budget);
  for (auto& [phase, series] : p.phases)
    series.gauges.Sync(state.families, window_names_, p.budget, name, phase);
}

std::map<std::string, std::vector<bool>> Exporter::ExportedWindows() {
  auto state = state_->Lock();
  std::map<std::string, std::vector<bool>> out;
  for (const auto& [name, p] : state->probes) out.emplace_hint(out.end(), name, p.budget.windows);
  return out;
}

bool Exporter::Live() {
  auto state = state_->Lock();
  return std::any_of(state->loads.begin(), state->loads.end(),
                     [](const auto& l) { return l.second.live != nullptr; });
}

void Exporter::ObserveLateness(Duration late) {
  auto state = state_->Lock();
  Changed();
  if (state->lateness == nullptr)
    state->lateness = &state->families.lateness.Add({}, kLatenessBuckets);
  state->lateness->Observe(Seconds(std::max(late, Duration::zero())));
}

void Exporter::RemoveProbe(const std::string& name) {
  auto state = state_->Lock();
  Changed();
  state->target_info.erase(name);
  auto it = state->probes.find(name);
  if (it == state->probes.end()) return;
  RemoveSeries(state->families, it->second);
  state->probes.erase(it);
}

void Exporter::Record(const std::string& name, const probes::Outcome& outcome,
                      std::chrono::system_clock::time_point wall) {
  auto state = state_->Lock();
  Changed();
  auto it = state->probes.find(name);
  if (it == state->probes.end()) return;  // removed meanwhile
  ProbeSeries& p = it->second;
  auto& f = state->families;
  ++p.runs[outcome.skipped ? kRunSkipped : outcome.ok() ? kRunSuccess : kRunFailure];
  if (outcome.error) {
    auto& counter = p.errors[outcome.error->kind];
    if (counter == nullptr)
      counter = &f.errors.Add({{"probe", name}, {"error", outcome.error->kind}});
    counter->Increment();
  }
  if (!outcome.skipped) p.success = outcome.ok() ? 1 : 0;
  p.last_run = UnixSeconds(wall);
  RecordKindMetrics(f, p, name, outcome);
  for (const auto& phase : outcome.phases) RecordPhase(f, window_names_, p, name, phase);
}

void Exporter::CountOverruns(const std::string& name, std::uint64_t n) {
  auto state = state_->Lock();
  Changed();
  auto it = state->probes.find(name);
  if (it != state->probes.end() && n > 0) it->second.runs[kRunOverrun] += static_cast<double>(n);
}

void Exporter::PublishNfr(const config::NfrRule& rule, const nfr::RuleState& state) {
  auto locked = state_->Lock();
  Changed();
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
  Changed();
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
  Changed();
  state->families.alerts_sent.Add({{"alertmanager", alertmanager}}).Increment();
  auto& failed = state->families.alerts_failed.Add({{"alertmanager", alertmanager}});
  if (!ok) failed.Increment();
}

void Exporter::AddSuiteProfile(const std::string& profile) {
  auto state = state_->Lock();
  Changed();
  for (const char* result : {"passed", "failed", "error"})
    state->families.suite_runs.Add({{"profile", profile}, {"result", result}});
}

void Exporter::RecordSuite(const std::string& profile, const std::string& result, double seconds,
                           double finished_unix, int nfrs_failed) {
  auto state = state_->Lock();
  Changed();
  auto& f = state->families;
  f.suite_runs.Add({{"profile", profile}, {"result", result}}).Increment();
  f.suite_last_success.Add({{"profile", profile}}).Set(result == "passed" ? 1 : 0);
  f.suite_last_duration.Add({{"profile", profile}}).Set(seconds);
  f.suite_last_timestamp.Add({{"profile", profile}}).Set(finished_unix);
  f.suite_last_failed.Add({{"profile", profile}}).Set(nfrs_failed);
}

void Exporter::BeginLoad(const std::string& test, const probes::LiveCounters* live) {
  auto state = state_->Lock();
  Changed();
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
  Changed();
  auto it = state->loads.find(test);
  if (it == state->loads.end()) return;
  SyncLoad(it->second);
  it->second.live = nullptr;
  it->second.users->Set(0);
  it->second.running->Set(0);
}

std::string Exporter::Render(const std::vector<SeriesStats>& windows) {
  std::vector<ProbeRunRow> runs;
  std::vector<std::shared_ptr<const prometheus::Labels>> infos;
  {
    auto state = state_->Lock();  // pointer writes and copies only: statistics are computed
    for (const auto& s : windows) SetWindowGauges(state->probes, s);
    for (auto& [test, load] : state->loads) SyncLoad(load);
    runs.reserve(state->probes.size());
    for (const auto& [name, p] : state->probes)
      runs.push_back({name, p.runs, p.success, p.last_run});
    infos.reserve(state->target_info.size());
    for (const auto& [name, info] : state->target_info) infos.push_back(info.labels);
  }
  std::string text;
  text.reserve(rendered_size_.load(std::memory_order_relaxed) + 4096);
  AppendExposition(text, registry_->Collect());
  AppendExposition(text, ProbeRunFamilies(runs, infos));
  rendered_size_.store(text.size(), std::memory_order_relaxed);
  return text;
}

}  // namespace reznet::telemetry
