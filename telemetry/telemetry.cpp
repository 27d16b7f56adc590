#include "telemetry/telemetry.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "common/json.hpp"
#include "config/units.hpp"
#include "probes/live.hpp"

namespace reznet::telemetry {
namespace {

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
double Seconds(double ns) { return ns / 1e9; }

// Fixed buckets, the same on every instance so histograms aggregate: 1 ms … 60 s.
const prometheus::Histogram::BucketBoundaries kBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

constexpr const char* kStats[] = {"p50", "p90", "p95", "p99", "mean", "max"};

}  // namespace

struct Telemetry::Families {
  explicit Families(prometheus::Registry& r)
      : duration(
            prometheus::BuildHistogram()
                .Name("reznet_perf_probe_duration_seconds")
                .Help("Duration of each probe phase, cumulative (aggregatable across instances).")
                .Register(r)),
        window(prometheus::BuildGauge()
                   .Name("reznet_perf_probe_window_seconds")
                   .Help("Rolling-window statistic of a probe phase (nearest-rank quantiles, "
                         "within 1%); not aggregatable.")
                   .Register(r)),
        window_samples(prometheus::BuildGauge()
                           .Name("reznet_perf_probe_window_samples")
                           .Help("Samples inside the rolling window.")
                           .Register(r)),
        runs(prometheus::BuildCounter()
                 .Name("reznet_perf_probe_runs_total")
                 .Help("Probe runs by result (success, failure, skipped, overrun).")
                 .Register(r)),
        errors(prometheus::BuildCounter()
                   .Name("reznet_perf_probe_errors_total")
                   .Help("Failed probe runs by error kind.")
                   .Register(r)),
        success(prometheus::BuildGauge()
                    .Name("reznet_perf_probe_success")
                    .Help("1 when the last run succeeded, 0 otherwise.")
                    .Register(r)),
        last_run(prometheus::BuildGauge()
                     .Name("reznet_perf_probe_last_run_timestamp_seconds")
                     .Help("Unix time the last run finished.")
                     .Register(r)),
        build(prometheus::BuildGauge()
                  .Name("reznet_perf_build_info")
                  .Help("Build of the running daemon; always 1.")
                  .Register(r)),
        llm_tokens(prometheus::BuildCounter()
                       .Name("reznet_perf_llm_output_tokens_total")
                       .Help("Output tokens of LLM probe runs (provider usage, else counted "
                             "content events).")
                       .Register(r)),
        llm_rate(prometheus::BuildGauge()
                     .Name("reznet_perf_llm_tokens_per_second")
                     .Help("Decode rate of the last LLM run: (output_tokens - 1) / (total - ttft).")
                     .Register(r)),
        cache_hit(prometheus::BuildGauge()
                      .Name("reznet_perf_cache_hit_ratio")
                      .Help("Cache hits / (hits + misses) seen by the last run (redis keyspace or "
                            "cache probe).")
                      .Register(r)),
        cache_reduction(prometheus::BuildGauge()
                            .Name("reznet_perf_cache_query_reduction_ratio")
                            .Help("1 - db_queries / requests of the last cache probe run.")
                            .Register(r)),
        nfr_ok(
            prometheus::BuildGauge()
                .Name("reznet_perf_nfr_ok")
                .Help(
                    "1 when the NFR is met (or has no data), 0 when violated (pending or firing).")
                .Register(r)),
        nfr_value(prometheus::BuildGauge()
                      .Name("reznet_perf_nfr_value")
                      .Help("The value the NFR was last evaluated on (seconds or ratio).")
                      .Register(r)),
        nfr_threshold(prometheus::BuildGauge()
                          .Name("reznet_perf_nfr_threshold")
                          .Help("The NFR's threshold (seconds or ratio).")
                          .Register(r)),
        nfr_state(prometheus::BuildGauge()
                      .Name("reznet_perf_nfr_state")
                      .Help("1 for the NFR's current state (ok, pending, firing, no_data).")
                      .Register(r)),
        nfr_good(prometheus::BuildCounter()
                     .Name("reznet_perf_nfr_good_total")
                     .Help("Evaluations with data where the NFR was met.")
                     .Register(r)),
        nfr_events(prometheus::BuildCounter()
                       .Name("reznet_perf_nfr_events_total")
                       .Help("Evaluations with data.")
                       .Register(r)),
        alerts_sent(prometheus::BuildCounter()
                        .Name("reznet_perf_alert_notifications_total")
                        .Help("POSTs of alerts to an Alertmanager.")
                        .Register(r)),
        alerts_failed(
            prometheus::BuildCounter()
                .Name("reznet_perf_alert_notifications_failed_total")
                .Help("POSTs of alerts to an Alertmanager that failed (retried with backoff).")
                .Register(r)),
        llm_budget(prometheus::BuildGauge()
                       .Name("reznet_perf_llm_budget_spent_tokens")
                       .Help("Output tokens spent today (UTC) against the probe's daily budget.")
                       .Register(r)),
        suite_runs(prometheus::BuildCounter()
                       .Name("reznet_perf_suite_runs_total")
                       .Help("Finished suite runs by profile and result (passed, failed, error).")
                       .Register(r)),
        suite_last_success(prometheus::BuildGauge()
                               .Name("reznet_perf_suite_last_success")
                               .Help("1 when the profile's last run passed, 0 otherwise.")
                               .Register(r)),
        suite_last_duration(prometheus::BuildGauge()
                                .Name("reznet_perf_suite_last_duration_seconds")
                                .Help("Wall time of the profile's last run.")
                                .Register(r)),
        suite_last_timestamp(prometheus::BuildGauge()
                                 .Name("reznet_perf_suite_last_timestamp_seconds")
                                 .Help("Unix time the profile's last run finished.")
                                 .Register(r)),
        suite_last_failed(prometheus::BuildGauge()
                              .Name("reznet_perf_suite_last_nfrs_failed")
                              .Help("NFRs that failed in the profile's last run.")
                              .Register(r)),
        load_requests(prometheus::BuildCounter()
                          .Name("reznet_perf_load_requests_total")
                          .Help("Requests of load tests run by this daemon (suites), live.")
                          .Register(r)),
        load_failed(prometheus::BuildCounter()
                        .Name("reznet_perf_load_failed_total")
                        .Help("Failed requests of load tests run by this daemon, live.")
                        .Register(r)),
        load_iterations(prometheus::BuildCounter()
                            .Name("reznet_perf_load_iterations_total")
                            .Help("Scenario iterations started by load tests, live.")
                            .Register(r)),
        load_dropped(prometheus::BuildCounter()
                         .Name("reznet_perf_load_dropped_total")
                         .Help("Open-model iterations dropped for lack of a free user.")
                         .Register(r)),
        load_users(prometheus::BuildGauge()
                       .Name("reznet_perf_load_active_users")
                       .Help("Virtual users busy in a running load test.")
                       .Register(r)),
        load_running(prometheus::BuildGauge()
                         .Name("reznet_perf_load_running")
                         .Help("1 while the load test runs.")
                         .Register(r)),
        reload_ok(prometheus::BuildGauge()
                      .Name("reznet_perf_config_last_reload_successful")
                      .Help("1 when the last config reload (or the start) succeeded, 0 when it "
                            "was refused.")
                      .Register(r)),
        reload_time(prometheus::BuildGauge()
                        .Name("reznet_perf_config_last_reload_success_timestamp_seconds")
                        .Help("Unix time of the last successful config load.")
                        .Register(r)) {}

  prometheus::Family<prometheus::Histogram>& duration;
  prometheus::Family<prometheus::Gauge>& window;
  prometheus::Family<prometheus::Gauge>& window_samples;
  prometheus::Family<prometheus::Counter>& runs;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Family<prometheus::Gauge>& success;
  prometheus::Family<prometheus::Gauge>& last_run;
  prometheus::Family<prometheus::Gauge>& build;
  prometheus::Family<prometheus::Counter>& llm_tokens;
  prometheus::Family<prometheus::Gauge>& llm_rate;
  prometheus::Family<prometheus::Gauge>& cache_hit;
  prometheus::Family<prometheus::Gauge>& cache_reduction;
  prometheus::Family<prometheus::Gauge>& nfr_ok;
  prometheus::Family<prometheus::Gauge>& nfr_value;
  prometheus::Family<prometheus::Gauge>& nfr_threshold;
  prometheus::Family<prometheus::Gauge>& nfr_state;
  prometheus::Family<prometheus::Counter>& nfr_good;
  prometheus::Family<prometheus::Counter>& nfr_events;
  prometheus::Family<prometheus::Counter>& alerts_sent;
  prometheus::Family<prometheus::Counter>& alerts_failed;
  prometheus::Family<prometheus::Gauge>& llm_budget;
  prometheus::Family<prometheus::Counter>& suite_runs;
  prometheus::Family<prometheus::Gauge>& suite_last_success;
  prometheus::Family<prometheus::Gauge>& suite_last_duration;
  prometheus::Family<prometheus::Gauge>& suite_last_timestamp;
  prometheus::Family<prometheus::Gauge>& suite_last_failed;
  prometheus::Family<prometheus::Counter>& load_requests;
  prometheus::Family<prometheus::Counter>& load_failed;
  prometheus::Family<prometheus::Counter>& load_iterations;
  prometheus::Family<prometheus::Counter>& load_dropped;
  prometheus::Family<prometheus::Gauge>& load_users;
  prometheus::Family<prometheus::Gauge>& load_running;
  prometheus::Family<prometheus::Gauge>& reload_ok;
  prometheus::Family<prometheus::Gauge>& reload_time;
};

struct Telemetry::LoadSeries {
  const probes::LiveCounters* live = nullptr;
  prometheus::Counter* requests = nullptr;
  prometheus::Counter* failed = nullptr;
  prometheus::Counter* iterations = nullptr;
  prometheus::Counter* dropped = nullptr;
  prometheus::Gauge* users = nullptr;
  prometheus::Gauge* running = nullptr;
  std::uint64_t seen_requests = 0, seen_failed = 0, seen_iterations = 0, seen_dropped = 0;
};

struct Telemetry::ProbeState {
  struct PhaseSeries {
    explicit PhaseSeries(std::span<const Duration> lengths) : windows(lengths) {}
    stats::SeriesWindows windows;
    prometheus::Histogram* histogram = nullptr;
    // [window][stat], then samples per window
    std::vector<std::array<prometheus::Gauge*, std::size(kStats)>> stat_gauges;
    std::vector<prometheus::Gauge*> sample_gauges;
  };
  std::string kind;
  std::map<std::string, std::unique_ptr<PhaseSeries>> phases;
  std::map<std::string, prometheus::Counter*> runs;
  std::map<std::string, prometheus::Counter*> errors;
  prometheus::Gauge* success = nullptr;
  prometheus::Gauge* last_run = nullptr;
  std::map<std::string, std::string> labels;     // kind-specific (provider, model)
  std::vector<stats::CountWindow> runs_windows;  // (failures, runs) per window
  std::map<std::string, std::vector<stats::CountWindow>>
      counter_windows;  // (sum, count) per window
  prometheus::Counter* llm_tokens = nullptr;
  prometheus::Gauge* llm_rate = nullptr;
  prometheus::Gauge* llm_budget = nullptr;
  prometheus::Gauge* cache_hit = nullptr;
  prometheus::Gauge* cache_reduction = nullptr;
  std::optional<probes::Outcome> last;
  std::chrono::system_clock::time_point last_wall{};
  std::chrono::system_clock::time_point next_wall{};
  // The status page's chart: one value per run of the charted phase (the run's mean), 240 runs.
  std::string chart_phase;
  std::deque<std::pair<double, double>> points;
};

Telemetry::Telemetry(std::vector<Duration> windows, BuildInfo build)
    : window_lengths_(std::move(windows)),
      registry_(std::make_shared<prometheus::Registry>()),
      families_(std::make_unique<Families>(*registry_)) {
  families_->build.Add({{"version", build.version}, {"revision", build.revision}}).Set(1);
  RecordReload(true, std::chrono::system_clock::now());
}

Telemetry::~Telemetry() = default;

void Telemetry::RecordReload(bool ok, std::chrono::system_clock::time_point wall) {
  std::lock_guard lock(mutex_);
  families_->reload_ok.Add({}).Set(ok ? 1 : 0);
  if (ok) {
    families_->reload_time.Add({}).Set(
        std::chrono::duration<double>(wall.time_since_epoch()).count());
  }
}

void Telemetry::RemoveProbe(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = probes_.find(name);
  if (it == probes_.end()) return;
  ProbeState& st = *it->second;
  auto& f = *families_;
  for (auto& [result, c] : st.runs) f.runs.Remove(c);
  for (auto& [kind, c] : st.errors) f.errors.Remove(c);
  if (st.success) f.success.Remove(st.success);
  if (st.last_run) f.last_run.Remove(st.last_run);
  for (auto& [phase, series] : st.phases) {
    if (series->histogram) f.duration.Remove(series->histogram);
    for (auto& gauges : series->stat_gauges) {
      for (auto* g : gauges) f.window.Remove(g);
    }
    for (auto* g : series->sample_gauges) f.window_samples.Remove(g);
  }
  if (st.llm_tokens) f.llm_tokens.Remove(st.llm_tokens);
  if (st.llm_rate) f.llm_rate.Remove(st.llm_rate);
  if (st.llm_budget) f.llm_budget.Remove(st.llm_budget);
  if (st.cache_hit) f.cache_hit.Remove(st.cache_hit);
  if (st.cache_reduction) f.cache_reduction.Remove(st.cache_reduction);
  probes_.erase(it);
}

void Telemetry::BeginLoad(const std::string& test, const probes::LiveCounters* live) {
  std::lock_guard lock(mutex_);
  auto& series = loads_[test];
  if (!series) {
    series = std::make_unique<LoadSeries>();
    const prometheus::Labels labels = {{"test", test}};
    series->requests = &families_->load_requests.Add(labels);
    series->failed = &families_->load_failed.Add(labels);
    series->iterations = &families_->load_iterations.Add(labels);
    series->dropped = &families_->load_dropped.Add(labels);
    series->users = &families_->load_users.Add(labels);
    series->running = &families_->load_running.Add(labels);
  }
  series->live = live;
  series->seen_requests = series->seen_failed = series->seen_iterations = series->seen_dropped = 0;
  series->running->Set(1);
}

void Telemetry::EndLoad(const std::string& test) {
  std::lock_guard lock(mutex_);
  auto it = loads_.find(test);
  if (it == loads_.end()) return;
  SyncLoad(*it->second);
  it->second->live = nullptr;
  it->second->users->Set(0);
  it->second->running->Set(0);
}

void Telemetry::SyncLoad(LoadSeries& s) {
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

void Telemetry::AddSuiteProfile(const std::string& profile) {
  std::lock_guard lock(mutex_);
  for (const char* result : {"passed", "failed", "error"})
    families_->suite_runs.Add({{"profile", profile}, {"result", result}});
}

void Telemetry::RecordSuite(const std::string& profile, const std::string& result, double seconds,
                            double finished_unix, int nfrs_failed) {
  std::lock_guard lock(mutex_);
  families_->suite_runs.Add({{"profile", profile}, {"result", result}}).Increment();
  families_->suite_last_success.Add({{"profile", profile}}).Set(result == "passed" ? 1 : 0);
  families_->suite_last_duration.Add({{"profile", profile}}).Set(seconds);
  families_->suite_last_timestamp.Add({{"profile", profile}}).Set(finished_unix);
  families_->suite_last_failed.Add({{"profile", profile}}).Set(nfrs_failed);
}

Telemetry::ProbeState& Telemetry::StateOf(
    const std::string& name, const std::string& kind,
    const std::vector<std::pair<std::string, std::string>>& labels) {
  auto& slot = probes_[name];
  if (slot) return *slot;
  slot = std::make_unique<ProbeState>();
  slot->kind = kind;
  slot->labels.insert(labels.begin(), labels.end());
  for (const char* result : {"success", "failure", "skipped", "overrun"}) {
    slot->runs[result] = &families_->runs.Add({{"probe", name}, {"result", result}});
  }
  slot->success = &families_->success.Add({{"probe", name}});
  slot->last_run = &families_->last_run.Add({{"probe", name}});
  return *slot;
}

void Telemetry::AddProbe(const std::string& name, const std::string& kind,
                         const std::vector<std::pair<std::string, std::string>>& labels) {
  std::lock_guard lock(mutex_);
  StateOf(name, kind, labels);
}

void Telemetry::ConsumeLlmCounters(ProbeState& st, const std::string& name,
                                   const probes::Outcome& outcome) {
  if (!st.labels.count("provider")) return;
  const prometheus::Labels labels = {
      {"probe", name}, {"provider", st.labels["provider"]}, {"model", st.labels["model"]}};
  if (auto tokens = outcome.Counter("output_tokens"); tokens && !outcome.skipped) {
    if (!st.llm_tokens) st.llm_tokens = &families_->llm_tokens.Add(labels);
    st.llm_tokens->Increment(*tokens);
  }
  if (auto rate = outcome.Counter("tokens_per_second")) {
    if (!st.llm_rate) st.llm_rate = &families_->llm_rate.Add(labels);
    st.llm_rate->Set(*rate);
  }
  if (auto spent = outcome.Counter("budget_spent_tokens")) {
    if (!st.llm_budget) st.llm_budget = &families_->llm_budget.Add({{"probe", name}});
    st.llm_budget->Set(*spent);
  }
}

void Telemetry::Consume(const std::string& name, const probes::Outcome& outcome,
                        Clock::time_point now, std::chrono::system_clock::time_point wall) {
  std::lock_guard lock(mutex_);
  auto it = probes_.find(name);
  if (it == probes_.end()) return;  // removed meanwhile
  ProbeState& st = *it->second;
  const char* result = outcome.skipped ? "skipped" : outcome.ok() ? "success" : "failure";
  st.runs[result]->Increment();
  if (outcome.error) {
    auto& counter = st.errors[outcome.error->kind];
    if (counter == nullptr) {
      counter = &families_->errors.Add({{"probe", name}, {"error", outcome.error->kind}});
    }
    counter->Increment();
  }
  if (!outcome.skipped) st.success->Set(outcome.ok() ? 1 : 0);
  st.last_run->Set(std::chrono::duration<double>(wall.time_since_epoch()).count());
  st.last = outcome;
  st.last_wall = wall;
  const double unix_wall = std::chrono::duration<double>(wall.time_since_epoch()).count();
  if (outcome.error) {
    failures_.push_front({unix_wall, name, outcome.error->kind, outcome.error->detail});
    if (failures_.size() > 20) failures_.pop_back();
  }
  if (!outcome.phases.empty()) {
    // The charted phase: what the kind's NFRs read — total (http, llm, agent, cache), query
    // (postgres), get (redis) — else the first phase that is not connection set-up. Fixed by
    // the first run that has one, so the chart never mixes phases.
    if (st.chart_phase.empty()) {
      for (const char* name : {"total", "query", "get", "request"}) {
        if (outcome.FindPhase(name) != nullptr) {
          st.chart_phase = name;
          break;
        }
      }
      for (const auto& p : outcome.phases) {
        if (!st.chart_phase.empty()) break;
        if (p.name != "dns" && p.name != "connect" && p.name != "tls") st.chart_phase = p.name;
      }
    }
    const probes::Phase* chart = outcome.FindPhase(st.chart_phase);
    if (chart != nullptr && chart->Count() > 0) {
      double sum = 0;
      for (auto d : chart->samples) sum += Seconds(d);
      for (const auto& [d, c] : chart->weighted) sum += Seconds(d) * static_cast<double>(c);
      st.points.emplace_back(unix_wall, sum / static_cast<double>(chart->Count()));
      if (st.points.size() > 240) st.points.pop_front();
    }
  }
  if (!outcome.skipped) {
    if (st.runs_windows.empty()) {
      for (auto l : window_lengths_) st.runs_windows.emplace_back(l);
    }
    for (auto& w : st.runs_windows) w.Add(outcome.ok() ? 0 : 1, 1, now);
  }
  for (const auto& [counter, value] : outcome.counters) {
    auto& ws = st.counter_windows[counter];
    if (ws.empty()) {
      for (auto l : window_lengths_) ws.emplace_back(l);
    }
    for (auto& w : ws) w.Add(value, 1, now);
  }
  ConsumeLlmCounters(st, name, outcome);
  if (auto ratio = outcome.Counter("hit_ratio")) {
    if (!st.cache_hit) st.cache_hit = &families_->cache_hit.Add({{"probe", name}});
    st.cache_hit->Set(*ratio);
  }
  if (auto reduction = outcome.Counter("query_reduction")) {
    if (!st.cache_reduction)
      st.cache_reduction = &families_->cache_reduction.Add({{"probe", name}});
    st.cache_reduction->Set(*reduction);
  }
  // Phase samples of failed runs are kept: a slow failure is still a measured latency of what
  // happened (the error counter says it failed); skipped runs have none.
  for (const auto& phase : outcome.phases) {
    auto& series = st.phases[phase.name];
    if (!series) {
      series = std::make_unique<ProbeState::PhaseSeries>(window_lengths_);
      series->histogram = &families_->duration.Add(
          {{"probe", name}, {"kind", st.kind}, {"phase", phase.name}}, kBuckets);
      for (auto length : window_lengths_) {
        const std::string w = config::FormatDuration(length);
        std::array<prometheus::Gauge*, std::size(kStats)> gauges{};
        for (std::size_t i = 0; i < gauges.size(); ++i) {
          gauges[i] = &families_->window.Add(
              {{"probe", name}, {"phase", phase.name}, {"window", w}, {"stat", kStats[i]}});
        }
        series->stat_gauges.push_back(gauges);
        series->sample_gauges.push_back(&families_->window_samples.Add(
            {{"probe", name}, {"phase", phase.name}, {"window", w}}));
      }
    }
    for (auto sample : phase.samples) {
      series->windows.Record(sample, now);
      series->histogram->Observe(Seconds(sample));
    }
    for (const auto& [sample, count] : phase.weighted) {
      for (std::uint64_t i = 0; i < count; ++i) {
        series->windows.Record(sample, now);
        series->histogram->Observe(Seconds(sample));
      }
    }
  }
}

void Telemetry::CountOverruns(const std::string& name, std::uint64_t n) {
  std::lock_guard lock(mutex_);
  auto it = probes_.find(name);
  if (it != probes_.end() && n > 0) it->second->runs["overrun"]->Increment(static_cast<double>(n));
}

void Telemetry::UpdateWindowGauges(Clock::time_point now) {
  for (auto& [name, st] : probes_) {
    for (auto& [phase, series] : st->phases) {
      for (std::size_t w = 0; w < series->windows.size(); ++w) {
        stats::WindowStats s = series->windows.Stats(w, now, scratch_);
        series->sample_gauges[w]->Set(static_cast<double>(s.count));
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const double values[std::size(kStats)] = {
            s.count ? Seconds(Duration(s.p50)) : nan, s.count ? Seconds(Duration(s.p90)) : nan,
            s.count ? Seconds(Duration(s.p95)) : nan, s.count ? Seconds(Duration(s.p99)) : nan,
            s.count ? Seconds(s.mean_ns) : nan,       s.count ? Seconds(Duration(s.max)) : nan};
        for (std::size_t i = 0; i < std::size(kStats); ++i)
          series->stat_gauges[w][i]->Set(values[i]);
      }
    }
  }
}

std::string Telemetry::RenderMetrics(Clock::time_point now) {
  std::string text;
  {
    std::lock_guard lock(mutex_);
    UpdateWindowGauges(now);
    for (auto& [test, series] : loads_) SyncLoad(*series);
    text = prometheus::TextSerializer().Serialize(registry_->Collect());
  }
  // prometheus-cpp writes NaN as "Nan"; the exposition format spells it "NaN".
  for (std::size_t at = text.find(" Nan\n"); at != std::string::npos;
       at = text.find(" Nan\n", at + 5)) {
    text.replace(at + 1, 3, "NaN");
  }
  return text + ProcessMetricsText();
}

struct Telemetry::NfrSeries {
  std::string json;  // {"name", "probe", "state", "value", "threshold"} for /api/v1/status
  StatusPageData::Nfr page;
  prometheus::Gauge* ok = nullptr;
  prometheus::Gauge* value = nullptr;
  prometheus::Gauge* threshold = nullptr;
  std::map<std::string, prometheus::Gauge*> states;
  prometheus::Counter* good = nullptr;
  prometheus::Counter* events = nullptr;
  std::uint64_t good_seen = 0, events_seen = 0;
};

void Telemetry::RemoveNfr(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = nfrs_.find(name);
  if (it == nfrs_.end()) return;
  NfrSeries& n = *it->second;
  auto& f = *families_;
  f.nfr_ok.Remove(n.ok);
  f.nfr_value.Remove(n.value);
  f.nfr_threshold.Remove(n.threshold);
  for (auto& [state, g] : n.states) f.nfr_state.Remove(g);
  f.nfr_good.Remove(n.good);
  f.nfr_events.Remove(n.events);
  nfrs_.erase(it);
}

nfr::Observation Telemetry::Observe(const config::NfrRule& rule, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  nfr::Observation obs;
  auto it = probes_.find(rule.probe);
  if (it == probes_.end()) return obs;
  ProbeState& st = *it->second;
  std::size_t w = 0;
  while (w < window_lengths_.size() && window_lengths_[w] != rule.window) ++w;
  if (w == window_lengths_.size()) return obs;
  if (rule.stat == config::NfrStat::kErrorRate) {
    if (st.runs_windows.empty()) return obs;
    auto [failures, runs] = st.runs_windows[w].Sum(now);
    obs.samples = static_cast<std::uint64_t>(runs);
    if (runs > 0) obs.value = failures / runs;
    return obs;
  }
  if (rule.stat == config::NfrStat::kRatio) {
    auto c = st.counter_windows.find(rule.phase);
    if (c == st.counter_windows.end()) return obs;
    auto [sum, count] = c->second[w].Sum(now);
    obs.samples = static_cast<std::uint64_t>(count);
    if (count > 0) obs.value = sum / count;
    return obs;
  }
  auto ph = st.phases.find(rule.phase);
  if (ph == st.phases.end()) return obs;
  stats::WindowStats s = ph->second->windows.Stats(w, now, scratch_);
  obs.samples = s.count;
  if (s.count == 0) return obs;
  std::int64_t ns = 0;
  switch (rule.stat) {
    case config::NfrStat::kP50:
      ns = s.p50;
      break;
    case config::NfrStat::kP90:
      ns = s.p90;
      break;
    case config::NfrStat::kP95:
      ns = s.p95;
      break;
    case config::NfrStat::kP99:
      ns = s.p99;
      break;
    case config::NfrStat::kMax:
      ns = s.max;
      break;
    default:
      break;
  }
  obs.value = rule.stat == config::NfrStat::kMean ? s.mean_ns / 1e9 : static_cast<double>(ns) / 1e9;
  return obs;
}

void Telemetry::CountNotification(const std::string& alertmanager, bool ok) {
  std::lock_guard lock(mutex_);
  families_->alerts_sent.Add({{"alertmanager", alertmanager}}).Increment();
  auto& failed = families_->alerts_failed.Add({{"alertmanager", alertmanager}});
  if (!ok) failed.Increment();
}

void Telemetry::PublishNfr(const config::NfrRule& rule, const nfr::RuleState& state) {
  std::lock_guard lock(mutex_);
  auto& series = nfrs_[rule.name];
  if (!series) {
    series = std::make_unique<NfrSeries>();
    series->ok = &families_->nfr_ok.Add({{"nfr", rule.name}, {"severity", rule.severity}});
    series->value = &families_->nfr_value.Add({{"nfr", rule.name}});
    series->threshold = &families_->nfr_threshold.Add({{"nfr", rule.name}});
    for (auto s : {nfr::NfrState::kOk, nfr::NfrState::kPending, nfr::NfrState::kFiring,
                   nfr::NfrState::kNoData}) {
      series->states[nfr::StateName(s)] =
          &families_->nfr_state.Add({{"nfr", rule.name}, {"state", nfr::StateName(s)}});
    }
    series->good = &families_->nfr_good.Add({{"nfr", rule.name}});
    series->events = &families_->nfr_events.Add({{"nfr", rule.name}});
  }
  const bool violated =
      state.state == nfr::NfrState::kPending || state.state == nfr::NfrState::kFiring;
  series->ok->Set(violated ? 0 : 1);
  series->value->Set(state.value.value_or(std::numeric_limits<double>::quiet_NaN()));
  // A regression rule still waiting for suite history has no threshold yet.
  const bool no_threshold = rule.baseline_runs > 0 && !rule.baseline;
  series->threshold->Set(no_threshold ? std::numeric_limits<double>::quiet_NaN() : rule.threshold);
  for (auto& [name, gauge] : series->states)
    gauge->Set(name == nfr::StateName(state.state) ? 1 : 0);
  if (state.good > series->good_seen)
    series->good->Increment(static_cast<double>(state.good - series->good_seen));
  if (state.events > series->events_seen)
    series->events->Increment(static_cast<double>(state.events - series->events_seen));
  series->good_seen = state.good;
  series->events_seen = state.events;
  series->page = {rule.name,
                  rule.probe,
                  rule.stat_name + (rule.phase.empty() || rule.stat == config::NfrStat::kErrorRate
                                        ? ""
                                        : "(" + rule.phase + ")"),
                  rule.op_text,
                  nfr::StateName(state.state),
                  rule.severity,
                  state.value,
                  rule.threshold,
                  rule.latency(),
                  no_threshold ? "" : config::FormatThreshold(rule, rule.threshold)};
  series->json =
      "{\"name\": " + common::JsonQuote(rule.name) +
      ", \"probe\": " + common::JsonQuote(rule.probe) +
      ", \"stat\": " + common::JsonQuote(rule.stat_name) +
      ", \"state\": " + common::JsonQuote(nfr::StateName(state.state)) +
      ", \"value\": " + (state.value ? common::JsonNumber(*state.value) : "null") +
      ", \"promise\": " +
      common::JsonQuote(rule.op_text + " " + config::FormatThreshold(rule, rule.threshold)) +
      ", \"good\": " + std::to_string(state.good) +
      ", \"events\": " + std::to_string(state.events) + "}";
}

void Telemetry::SetNextRun(const std::string& name, std::chrono::system_clock::time_point when) {
  std::lock_guard lock(mutex_);
  auto it = probes_.find(name);
  if (it != probes_.end()) it->second->next_wall = when;
}

StatusPageData Telemetry::StatusPage(std::chrono::system_clock::time_point wall) {
  auto unix = [](std::chrono::system_clock::time_point t) {
    return t.time_since_epoch().count() == 0
               ? 0.0
               : std::chrono::duration<double>(t.time_since_epoch()).count();
  };
  std::lock_guard lock(mutex_);
  StatusPageData d;
  d.now_wall = unix(wall);
  for (const auto& [name, series] : nfrs_) d.nfrs.push_back(series->page);
  for (const auto& [name, st] : probes_) {
    StatusPageData::Probe p;
    p.name = name;
    p.kind = st->kind;
    if (st->last) {
      p.ran = true;
      p.ok = st->last->ok();
      p.skipped = st->last->skipped;
      p.skip_reason = st->last->skip_reason;
      if (st->last->error) {
        p.error_kind = st->last->error->kind;
        p.error_detail = st->last->error->detail;
      }
    }
    p.last_wall = unix(st->last_wall);
    p.next_wall = unix(st->next_wall);
    p.phase = st->chart_phase;
    p.points.assign(st->points.begin(), st->points.end());
    d.probes.push_back(std::move(p));
  }
  d.failures.assign(failures_.begin(), failures_.end());
  return d;
}

stats::WindowStats Telemetry::Window(const std::string& probe, const std::string& phase,
                                     Duration length, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = probes_.find(probe);
  if (it == probes_.end()) return {};
  auto ph = it->second->phases.find(phase);
  if (ph == it->second->phases.end()) return {};
  auto& windows = ph->second->windows;
  for (std::size_t w = 0; w < windows.size(); ++w) {
    if (windows.length(w) == length) return windows.Stats(w, now, scratch_);
  }
  return {};
}

std::string Telemetry::StatusJson(Clock::time_point now) {
  using common::JsonNumber;
  using common::JsonQuote;
  std::lock_guard lock(mutex_);
  std::string out = "{\"probes\": [";
  bool first_probe = true;
  for (auto& [name, st] : probes_) {
    if (!first_probe) out += ", ";
    first_probe = false;
    out += "{\"name\": " + common::JsonQuote(name) + ", \"kind\": " + common::JsonQuote(st->kind) +
           ", \"last\": ";
    if (st->last) {
      out += probes::OutcomeToJson(name, st->kind, *st->last);
    } else {
      out += "null";
    }
    out += ", \"windows\": {";
    bool first_phase = true;
    for (auto& [phase, series] : st->phases) {
      if (!first_phase) out += ", ";
      first_phase = false;
      out += common::JsonQuote(phase) + ": {";
      auto& windows = series->windows;
      for (std::size_t w = 0; w < windows.size(); ++w) {
        stats::WindowStats s = windows.Stats(w, now, scratch_);
        if (w) out += ", ";
        out += common::JsonQuote(config::FormatDuration(windows.length(w))) +
               ": {\"count\": " + std::to_string(s.count);
        if (s.count) {
          out += ", \"p50\": " + common::JsonNumber(Seconds(Duration(s.p50))) +
                 ", \"p90\": " + common::JsonNumber(Seconds(Duration(s.p90))) +
                 ", \"p95\": " + common::JsonNumber(Seconds(Duration(s.p95))) +
                 ", \"p99\": " + common::JsonNumber(Seconds(Duration(s.p99))) +
                 ", \"mean\": " + common::JsonNumber(Seconds(s.mean_ns)) +
                 ", \"max\": " + common::JsonNumber(Seconds(Duration(s.max)));
        }
        out += "}";
      }
      out += "}";
    }
    out += "}}";
  }
  out += "], \"nfrs\": [";
  bool first_nfr = true;
  for (const auto& [name, series] : nfrs_) {
    out += (first_nfr ? "" : ", ") + series->json;
    first_nfr = false;
  }
  return out + "]}";
}

}  // namespace reznet::telemetry
