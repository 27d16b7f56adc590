#include "suite/suite_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <vector>

#include "common/exposition.hpp"
#include "probes/live.hpp"

namespace reznet::suite {

struct SuiteMetrics::Families {
  explicit Families(prometheus::Registry& r)
      : runs(prometheus::BuildCounter()
                 .Name("reznet_perf_suite_runs_total")
                 .Help("Finished suite runs by profile and result (passed, failed, error).")
                 .Register(r)),
        last_success(prometheus::BuildGauge()
                         .Name("reznet_perf_suite_last_success")
                         .Help("1 when the profile's last run passed, 0 otherwise.")
                         .Register(r)),
        last_duration(prometheus::BuildGauge()
                          .Name("reznet_perf_suite_last_duration_seconds")
                          .Help("Wall time of the profile's last run.")
                          .Register(r)),
        last_timestamp(prometheus::BuildGauge()
                           .Name("reznet_perf_suite_last_timestamp_seconds")
                           .Help("Unix time the profile's last run finished.")
                           .Register(r)),
        last_failed(prometheus::BuildGauge()
                        .Name("reznet_perf_suite_last_nfrs_failed")
                        .Help("NFRs that failed in the profile's last run (with on_inconclusive: "
                              "fail, the inconclusive ones too).")
                        .Register(r)),
        history_write_failures(prometheus::BuildCounter()
                                   .Name("reznet_perf_history_write_failures_total")
                                   .Help("Finished suite runs the history store failed to keep.")
                                   .Register(r)) {}
  prometheus::Family<prometheus::Counter>& runs;
  prometheus::Family<prometheus::Gauge>& last_success;
  prometheus::Family<prometheus::Gauge>& last_duration;
  prometheus::Family<prometheus::Gauge>& last_timestamp;
  prometheus::Family<prometheus::Gauge>& last_failed;
  prometheus::Family<prometheus::Counter>& history_write_failures;
};

SuiteMetrics::SuiteMetrics(common::MetricsRegistry& registry)
    : registry_(registry), families_(std::make_unique<Families>(registry.families())) {
  families_->history_write_failures.Add({});
  registry.Add(*this);
}

SuiteMetrics::~SuiteMetrics() = default;

void SuiteMetrics::AddProfile(const std::string& profile) {
  const common::ChangedOnReturn changed(registry_);
  for (const char* result : {"passed", "failed", "error"})
    families_->runs.Add({{"profile", profile}, {"result", result}});
}

void SuiteMetrics::RecordRun(const std::string& profile, const std::string& result, double seconds,
                             double finished_unix, int nfrs_failed) {
  const common::ChangedOnReturn changed(registry_);
  auto& f = *families_;
  f.runs.Add({{"profile", profile}, {"result", result}}).Increment();
  f.last_success.Add({{"profile", profile}}).Set(result == "passed" ? 1 : 0);
  f.last_duration.Add({{"profile", profile}}).Set(seconds);
  f.last_timestamp.Add({{"profile", profile}}).Set(finished_unix);
  f.last_failed.Add({{"profile", profile}}).Set(nfrs_failed);
}

void SuiteMetrics::CountHistoryWriteFailure() {
  const common::ChangedOnReturn changed(registry_);
  families_->history_write_failures.Add({}).Increment();
}

void SuiteMetrics::BeginLoad(const std::string& test, const probes::LiveCounters* live) {
  std::lock_guard lock(mutex_);
  Load& load = loads_[test];
  if (load.live == nullptr) ++running_;
  load.live = live;
  ++generation_;
}

void SuiteMetrics::EndLoad(const std::string& test) {
  std::lock_guard lock(mutex_);
  auto it = loads_.find(test);
  if (it == loads_.end() || it->second.live == nullptr) return;
  Load& load = it->second;
  load.requests += load.live->requests.load();
  load.failed += load.live->failed.load();
  load.iterations += load.live->iterations.load();
  load.dropped += load.live->dropped.load();
  load.live = nullptr;
  --running_;
  ++generation_;
}

namespace {

constexpr struct {
  const char* name;
  const char* help;
  const char* type;
} kLoadFamilies[] = {
    {"reznet_perf_load_requests_total", "Requests of load tests run by this daemon (suites), live.",
     "counter"},
    {"reznet_perf_load_failed_total", "Failed requests of load tests run by this daemon, live.",
     "counter"},
    {"reznet_perf_load_iterations_total", "Scenario iterations started by load tests, live.",
     "counter"},
    {"reznet_perf_load_dropped_total", "Open-model iterations dropped for lack of a free user.",
     "counter"},
    {"reznet_perf_load_active_users", "Virtual users busy in a running load test.", "gauge"},
    {"reznet_perf_load_running", "1 while the load test runs.", "gauge"},
};

}  // namespace

std::vector<std::string> SuiteMetrics::FamilyNames() const {
  std::vector<std::string> names;
  for (const auto& f : kLoadFamilies) names.emplace_back(f.name);
  return names;
}

void SuiteMetrics::Collect(std::string& out, std::chrono::steady_clock::time_point) {
  struct Row {
    std::string test;
    std::array<double, 6> values;  // requests, failed, iterations, dropped, users, running
  };
  std::vector<Row> rows;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [test, load] : loads_) {
      const auto* live = load.live;  // running: the finished runs' totals plus this one's
      auto total = [live](std::uint64_t done, const std::atomic<std::uint64_t>& c) {
        return static_cast<double>(done + (live ? c.load() : 0));
      };
      const probes::LiveCounters none;
      const auto& now = live ? *live : none;
      rows.push_back({test,
                      {total(load.requests, now.requests), total(load.failed, now.failed),
                       total(load.iterations, now.iterations), total(load.dropped, now.dropped),
                       static_cast<double>(now.active_users.load()), live ? 1.0 : 0.0}});
    }
  }
  if (rows.empty()) return;
  for (std::size_t i = 0; i < std::size(kLoadFamilies); ++i) {
    common::AppendHelpType(out, kLoadFamilies[i].name, kLoadFamilies[i].help,
                           kLoadFamilies[i].type);
    for (const auto& row : rows) {
      const common::Label labels[] = {{"test", row.test}};
      common::AppendSample(out, kLoadFamilies[i].name, labels, row.values[i]);
    }
  }
}

}  // namespace reznet::suite
