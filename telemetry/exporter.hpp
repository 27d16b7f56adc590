#pragma once
// Exporter: the daemon's own families in /metrics (docs/design.md §5): NFR rules, alerts, suite
// profiles, in-daemon load tests, reloads, the shard, history writes, GET /probe, discovery and
// the scheduler's lateness. The per-probe series are ProbeMetrics' and WindowStore's.
//
// Thread-safe. One lock guards the series handles; it is held to publish one rule or, in Collect,
// to follow live load counters, never while the text is serialised (prometheus-cpp families lock
// themselves).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/nfr.hpp"
#include "nfr/step.hpp"
#include "telemetry/guarded.hpp"
#include "telemetry/window_store.hpp"

namespace reznet::probes {
struct LiveCounters;
}

namespace prometheus {
class Registry;
}

namespace reznet::telemetry {

struct BuildInfo {
  std::string version;
  std::string revision;
};

class Exporter {
 public:
  // Sets reznet_perf_build_info and records a successful config load now.
  explicit Exporter(const BuildInfo& build);
  ~Exporter();

  // The names of its families: a kind may not declare series of these names.
  std::vector<std::string> FamilyNames();

  // reznet_perf_nfr_* of a rule's state; RemoveNfr drops them.
  void PublishNfr(const config::NfrRule& rule, const nfr::RuleState& state);
  void RemoveNfr(const std::string& name);
  // One delivery attempt to an Alertmanager.
  void CountNotification(const std::string& alertmanager, bool ok);

  // reznet_perf_suite_runs_total{profile,result} (declared at 0 by AddSuiteProfile) and
  // reznet_perf_suite_last_*{profile}.
  void AddSuiteProfile(const std::string& profile);
  void RecordSuite(const std::string& profile, const std::string& result, double seconds,
                   double finished_unix, int nfrs_failed);
  // reznet_perf_load_*{test} follow `live` at every Render until EndLoad (which takes the final
  // values). `live` must outlive EndLoad.
  void BeginLoad(const std::string& test, const probes::LiveCounters* live);
  void EndLoad(const std::string& test);
  // reznet_perf_config_last_reload_successful and, when ok, …_success_timestamp_seconds.
  void RecordReload(bool ok, std::chrono::system_clock::time_point wall);
  // reznet_perf_shard_info{index, of} = 1 (replaces the previous one; 0 of 1 from the start).
  void SetShard(int index, int of);
  // reznet_perf_history_write_failures_total (declared at 0): a finished run not stored.
  void CountHistoryWriteFailure();
  void CountProbeRequest(const std::string& module, const std::string& result);
  // File-based discovery, per probe with targets_from: reznet_perf_discovery_targets and
  // …_skipped_targets{reason} set, …_errors_total increased by `new_errors`. RemoveDiscovery drops
  // them.
  void RecordDiscovery(const std::string& probe, int targets,
                       const std::map<std::string, int>& skipped, int new_errors);
  void RemoveDiscovery(const std::string& probe);
  // reznet_perf_scheduler_lateness_seconds: a run started `late` after it was due.
  void ObserveLateness(Duration late);

  // Appends its families (those with series) in the text exposition format.
  void Collect(std::string& out);
  // Bumped by every change of a series (each method above but Collect), after the change: equal
  // values before and after a Collect mean the text still holds, except while a load test runs
  // (Live).
  std::uint64_t Generation() const { return generation_.load(std::memory_order_acquire); }
  // Whether a load test is running: its counters move without calls here.
  bool Live();

 private:
  struct State;
  // Bumps the generation when the method returns, after its change (declared after the lock:
  // still under it). Bumped before, a scrape could read the new generation, collect the family
  // before the change, and keep that text.
  struct ChangedOnReturn {
    std::atomic<std::uint64_t>& generation;
    ~ChangedOnReturn() { generation.fetch_add(1, std::memory_order_acq_rel); }
  };

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Guarded<State>> state_;
  std::atomic<std::uint64_t> generation_{0};
};

// process_* metrics of this process from /proc, in exposition format.
std::string ProcessMetricsText();

}  // namespace reznet::telemetry
