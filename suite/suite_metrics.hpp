#pragma once
// SuiteMetrics: the suite room's series on the shared registry (docs/design.md §5):
//   reznet_perf_suite_runs_total{profile,result} (declared at 0), _suite_last_success,
//   _suite_last_duration_seconds, _suite_last_timestamp_seconds, _suite_last_nfrs_failed
//   {profile}, reznet_perf_history_write_failures_total (declared at 0), and the load tests a
//   suite runs inside the daemon: reznet_perf_load_requests_total, _load_failed_total,
//   _load_iterations_total, _load_dropped_total, _load_active_users, _load_running {test},
//   written at scrape time from the test's live counters while it runs.
//
// Thread-safe: one lock guards the series; a scrape holds it to read the live counters.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/metrics_registry.hpp"

namespace reznet::probes {
struct LiveCounters;
}

namespace reznet::suite {

class SuiteMetrics : public common::Collectable {
 public:
  // Registers its families and itself on `registry`.
  explicit SuiteMetrics(common::MetricsRegistry& registry);
  ~SuiteMetrics() override;

  void AddProfile(const std::string& profile);
  // A finished run: `result` passed, failed or error.
  void RecordRun(const std::string& profile, const std::string& result, double seconds,
                 double finished_unix, int nfrs_failed);
  // A finished run the history store failed to keep.
  void CountHistoryWriteFailure();
  // reznet_perf_load_*{test} follow `live` at every scrape until EndLoad (which takes the final
  // values); counters add up over the test's runs. `live` must outlive EndLoad.
  void BeginLoad(const std::string& test, const probes::LiveCounters* live);
  void EndLoad(const std::string& test);

  void Collect(std::string& out, std::chrono::steady_clock::time_point now) override;
  std::uint64_t Generation() const override { return generation_.load(); }
  bool Live() const override { return running_.load() > 0; }
  std::vector<std::string> FamilyNames() const override;

 private:
  struct Families;
  struct Load {
    const probes::LiveCounters* live = nullptr;
    std::uint64_t requests = 0, failed = 0, iterations = 0, dropped = 0;  // of finished runs
  };
  common::MetricsRegistry& registry_;
  std::unique_ptr<Families> families_;
  std::mutex mutex_;
  std::map<std::string, Load> loads_;  // guarded by mutex_
  std::atomic<int> running_{0};
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace reznet::suite
