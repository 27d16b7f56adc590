#pragma once
// Telemetry: the result sink of probe runs, over three parts that each own their state and lock
// (docs/design.md §2):
//   WindowStore   rolling windows, run and counter windows: what NFR rules observe, and the
//                 window series of /metrics;
//   ProbeMetrics  the other per-probe series of /metrics (runs, histograms, errors, kind series,
//                 target info, scheduler lateness);
//   StatusModel   last results, next runs, charts, failures and NFR states for
//                 /api/v1/status and the status page;
//   SloLedger     (the nfr room's) the good/bad counts of burn-rate NFR rules: their rings and
//                 reznet_perf_nfr_slo_* counters (nfr/slo_ledger.hpp).
// AddProbe, RemoveProbe and Consume fan out to the first three, Consume to the ledger too; the
// rest is asked of the part that owns it (windows(), probe_metrics(), status(), slo()). The first
// two are collectables of the shared MetricsRegistry (common/metrics_registry.hpp), beside every
// other room's series; RenderMetrics renders that registry, once per change. A scrape writes each
// part's series from its plain values, one probe at a time, so it waits at most for the recording
// of one outcome; it never waits for the status JSON or the status page.
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

#include "common/metrics_registry.hpp"
#include "config/nfr.hpp"
#include "nfr/slo_ledger.hpp"
#include "nfr/step.hpp"
#include "probes/outcome.hpp"
#include "telemetry/probe_metrics.hpp"
#include "telemetry/status_model.hpp"
#include "telemetry/window_store.hpp"

namespace reznet::telemetry {

class GzipText;

// How a probe's kind is exported and shown, declared with the probe. The defaults are what every
// probe had before kinds declared their traits.
struct ProbeExport {
  // Ratios exported as gauges {probe} (config::KindRatio: the kind's traits), the family created
  // on first declaration; names end in _ratio. An empty gauge name is not exported (the counter
  // still feeds `ratio` rules).
  std::vector<config::KindRatio> ratio_gauges;
  // Other series the kind adds (config::KindMetric: the LLM token counters).
  std::vector<config::KindMetric> metrics;
  // The phase the status page charts; empty: picked by the first run that has phases
  // (GuessChartPhase).
  std::string chart_phase;
  // Which windows and stats become window gauges (config/export.hpp); nullopt: all of them.
  std::optional<config::ExportBudget> budget;
};

// What one run adds to a burn-rate rule (nfr/burn_rate.hpp): for error_rate the run (bad when it
// failed), else every sample of the rule's phase, a failed run's too (as the windows record
// them), and one bad event for a failed run without a sample of the phase (a timeout); nothing
// for a skipped run.
nfr::SloEvents SloEventsOf(const config::NfrRule& rule, const probes::Outcome& outcome);

class Telemetry {
 public:
  // Adds its collectables to `registry`, which must outlive it.
  Telemetry(common::MetricsRegistry& registry, std::vector<Duration> windows);
  ~Telemetry();

  // Declares a probe so its counters exist (at 0) before its first run. `labels` are the
  // probe's extra labels (llm: provider, model) for its kind's own metrics. A no-op for a
  // declared probe but for `how.budget` (RemoveProbe first to change its kind). Throws
  // std::invalid_argument for a kind series name it may not use (ProbeMetrics::Add).
  void AddProbe(const std::string& name, const std::string& kind,
                const std::vector<std::pair<std::string, std::string>>& labels = {},
                const ProbeExport& how = {});
  void Consume(const std::string& name, const probes::Outcome& outcome, SteadyClock::time_point now,
               std::chrono::system_clock::time_point wall);
  // Prometheus text exposition, window gauges computed for `now`, process_* appended. Rendered
  // once per change: while no series changed, no exported window moved to its next slice and
  // no load test runs, scrapes get the last text (process_* is always fresh).
  std::string RenderMetrics(SteadyClock::time_point now);
  // The same text as one gzip member (Accept-Encoding: gzip); the cached part is compressed once
  // per render (telemetry/gzip_text.hpp).
  std::string RenderMetricsGzip(SteadyClock::time_point now);
  // {"probes": [{name, kind, last: {...}, windows: {phase: {window: stats}}}], "nfrs": [...]}
  std::string StatusJson(SteadyClock::time_point now);

  // A reload: drops every series and status of a probe, or the status of an NFR, that the new
  // config no longer has.
  void RemoveProbe(const std::string& name);

  // The parts, for what concerns one of them alone: the evaluator observes windows and publishes
  // rule states, the scheduler counts lateness and overruns and sets next runs, a reload changes
  // export budgets and target info. Telemetry does not forward their methods.
  WindowStore& windows() { return windows_; }
  ProbeMetrics& probe_metrics() { return probes_; }
  StatusModel& status() { return status_; }
  // The evaluator installs its rules here and reads burn-rate rules' observations from it.
  nfr::SloLedger& slo() { return slo_; }

 private:
  struct MetricsCache {
    bool valid = false;
    std::uint64_t generation = 0;  // the registry's
    std::vector<std::int64_t> epochs;
    std::shared_ptr<const std::string> text;
    std::shared_ptr<const GzipText> gzip;  // of `text`, made by the first gzip scrape
  };
  // The cached text (rendered when stale) and, when `gzip`, its compressed form.
  std::pair<std::shared_ptr<const std::string>, std::shared_ptr<const GzipText>> Cached(
      SteadyClock::time_point now, bool gzip);

  common::MetricsRegistry& registry_;
  nfr::SloLedger slo_;  // first: its families are among those a kind may not name (probes_)
  WindowStore windows_;
  ProbeMetrics probes_;
  StatusModel status_;
  common::Guarded<MetricsCache> metrics_cache_;
  // Seconds the last render took (collect + write, not the transfer): exported on every scrape
  // as reznet_perf_metrics_render_seconds.
  std::atomic<double> last_render_seconds_{0};
  std::atomic<std::size_t> rendered_size_{0};  // of the last render, to reserve the next
  // process_* and the render time: the part of /metrics that is fresh on every scrape.
  std::string FreshTail() const;
};

}  // namespace reznet::telemetry
