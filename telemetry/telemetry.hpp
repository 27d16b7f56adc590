#pragma once
// Telemetry: the result sink, a thin facade over four parts that each own their state and
// lock (docs/design.md §2):
//   WindowStore   rolling windows, run and counter windows: what NFR rules observe, and the
//                 window series of /metrics;
//   ProbeMetrics  the other per-probe series of /metrics (runs, histograms, errors, kind series);
//   Exporter      the daemon's own families of /metrics (NFRs, suites, load, reloads, …);
//   StatusModel   last results, next runs, charts, failures and NFR states for
//                 /api/v1/status and the status page.
// Consume fans one outcome out to them. A scrape writes each part's series from its plain values,
// one probe at a time, so it waits at most for the recording of one outcome; it never waits for
// the status JSON or the status page.
//
// Thread-safe: results flow in from probe coroutines, scrapes and status requests read out from
// HTTP threads, the evaluator observes from the probe io_context. Durations are exported in
// seconds.

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
#include "probes/outcome.hpp"
#include "telemetry/exporter.hpp"
#include "telemetry/probe_metrics.hpp"
#include "telemetry/status_model.hpp"
#include "telemetry/window_store.hpp"

namespace reznet::probes {
struct LiveCounters;
}

namespace reznet::telemetry {

class GzipText;

// How a probe's kind is exported and shown, declared with the probe. The defaults are what every
// probe had before kinds declared their traits.
struct ProbeExport {
  // Ratios exported as gauges {probe} (config::KindRatio), the family created on first
  // declaration; names end in _ratio. An empty gauge name is not exported (the counter still
  // feeds `ratio` rules). nullopt: DefaultRatioGauges().
  std::optional<std::vector<config::KindRatio>> ratio_gauges;
  // Other series the kind adds (config::KindMetric: the LLM token counters).
  std::vector<config::KindMetric> metrics;
  // The phase the status page charts; empty: picked by the first run that has phases
  // (GuessChartPhase).
  std::string chart_phase;
  // Which windows and stats become window gauges (config/export.hpp); nullopt: all of them.
  std::optional<config::ExportBudget> budget;
};

class Telemetry {
 public:
  Telemetry(std::vector<Duration> windows, BuildInfo build);
  ~Telemetry();

  // Declares a probe so its counters exist (at 0) before its first run. `labels` are the
  // probe's extra labels (llm: provider, model) for its kind's own metrics. A no-op for a
  // declared probe but for `how.budget` (RemoveProbe first to change its kind). Throws
  // std::invalid_argument for a kind series name it may not use (ProbeMetrics::Add).
  void AddProbe(const std::string& name, const std::string& kind,
                const std::vector<std::pair<std::string, std::string>>& labels = {},
                const ProbeExport& how = {});
  void Consume(const std::string& name, const probes::Outcome& outcome, Clock::time_point now,
               std::chrono::system_clock::time_point wall);
  void CountOverruns(const std::string& name, std::uint64_t n);

  // Changes the window gauges of a declared probe (a reload).
  void SetExportBudget(const std::string& name, const std::optional<config::ExportBudget>& budget);
  // A scheduled run started `late` after it was due (reznet_perf_scheduler_lateness_seconds).
  void ObserveLateness(Duration late);

  // Prometheus text exposition, window gauges computed for `now`, process_* appended. Rendered
  // once per change: while no series changed, no exported window moved to its next slice and
  // no load test runs, scrapes get the last text (process_* is always fresh).
  std::string RenderMetrics(Clock::time_point now);
  // The same text as one gzip member (Accept-Encoding: gzip); the cached part is compressed once
  // per render (telemetry/gzip_text.hpp).
  std::string RenderMetricsGzip(Clock::time_point now);
  // {"probes": [{name, kind, last: {...}, windows: {phase: {window: stats}}}], "nfrs": [...]}
  std::string StatusJson(Clock::time_point now);

  // What an NFR rule reads now (WindowStore::Observe).
  nfr::Observation Observe(const config::NfrRule& rule, Clock::time_point now);
  // Counts one delivery attempt to an Alertmanager.
  void CountNotification(const std::string& alertmanager, bool ok);
  // Exports a rule's state (reznet_perf_nfr_*, the status JSON and page).
  void PublishNfr(const config::NfrRule& rule, const nfr::RuleState& state);

  // Suite runs (kept apart from the windows): see Exporter.
  void AddSuiteProfile(const std::string& profile);
  void RecordSuite(const std::string& profile, const std::string& result, double seconds,
                   double finished_unix, int nfrs_failed);
  // A finished suite run the history store failed to keep (see Exporter).
  void CountHistoryWriteFailure();
  // GET /probe: one request of `module` ("" when unknown) ended with `result`.
  void CountProbeRequest(const std::string& module, const std::string& result);
  // File-based discovery: see Exporter::RecordDiscovery, RemoveDiscovery and SetTargetInfo.
  void RecordDiscovery(const std::string& probe, int targets,
                       const std::map<std::string, int>& skipped, int new_errors);
  void RemoveDiscovery(const std::string& probe);
  void SetTargetInfo(const std::string& probe, const std::string& target,
                     const std::vector<std::pair<std::string, std::string>>& labels);

  // A load test running inside the daemon (a suite's load probe): reznet_perf_load_* follow its
  // live counters at every scrape until EndLoad (which takes the final values).
  void BeginLoad(const std::string& test, const probes::LiveCounters* live);
  void EndLoad(const std::string& test);

  // A reload: drops every series of a probe or NFR that the new config no longer has, and
  // records the outcome (reznet_perf_config_last_reload_successful, …_success_timestamp_seconds).
  void RemoveProbe(const std::string& name);
  void RemoveNfr(const std::string& name);
  void RecordReload(bool ok, std::chrono::system_clock::time_point wall);

  // reznet_perf_shard_info{index, of} (config/shard.hpp); 0 of 1 until set.
  void SetShard(int index, int of);

  // When the scheduler will next run a probe (for the status page).
  void SetNextRun(const std::string& name, std::chrono::system_clock::time_point when);
  // NFRs, probes (last result, next run, recent values of the charted phase) and recent failures.
  StatusPageData StatusPage(std::chrono::system_clock::time_point wall);

  // Window statistics of one series, for tests and the evaluator; count 0 when unknown.
  stats::WindowStats Window(const std::string& probe, const std::string& phase, Duration length,
                            Clock::time_point now);

 private:
  struct MetricsCache {
    bool valid = false;
    std::uint64_t generation = 0;  // the sum of the parts' generations
    std::vector<std::int64_t> epochs;
    std::shared_ptr<const std::string> text;
    std::shared_ptr<const GzipText> gzip;  // of `text`, made by the first gzip scrape
  };
  // The cached text (rendered when stale) and, when `gzip`, its compressed form.
  std::pair<std::shared_ptr<const std::string>, std::shared_ptr<const GzipText>> Cached(
      Clock::time_point now, bool gzip);

  WindowStore windows_;
  Exporter exporter_;
  ProbeMetrics probes_;
  StatusModel status_;
  Guarded<MetricsCache> metrics_cache_;
  // Seconds the last render took (collect + write, not the transfer): exported on every scrape
  // as reznet_perf_metrics_render_seconds.
  std::atomic<double> last_render_seconds_{0};
  std::atomic<std::size_t> rendered_size_{0};  // of the last render, to reserve the next
  // process_* and the render time: the part of /metrics that is fresh on every scrape.
  std::string FreshTail() const;
};

}  // namespace reznet::telemetry
