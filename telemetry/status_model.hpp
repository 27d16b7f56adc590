#pragma once
// The status model: what /api/v1/status and the status page show about probes and NFRs.
//
// StatusPageData is the page as a plain snapshot: the NFR table, every probe's last result and
// next run with recent values of its charted phase, recent failures and the latest suite runs
// (filled in by the caller). Built by StatusModel::StatusPage, rendered by api/status_page.
//
// StatusModel keeps, per declared probe, its last outcome, last and next run, and one chart
// point per run of its charted phase (the run's mean, the last 240 runs); the 20 newest failures
// of any probe; and the latest state of every NFR rule. Thread-safe: one lock, held to record one
// outcome or one rule, or to copy what the status document or page shows (both are built
// after); scrapes never take it.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/guarded.hpp"
#include "config/nfr.hpp"
#include "nfr/step.hpp"
#include "probes/outcome.hpp"
#include "stats/interval.hpp"
#include "stats/window.hpp"
#include "telemetry/prober_health.hpp"
#include "telemetry/window_store.hpp"

namespace reznet::telemetry {

struct StatusPageData {
  struct Nfr {
    std::string name, probe, stat, op, state, severity;
    std::optional<double> value;
    double threshold = 0;
    bool latency = true;
    std::string threshold_text;  // "1s", "60%"; empty: not known yet (regression awaiting history)
    // While a rule waits for its samples: "collecting 12 of 30 samples"; empty otherwise.
    std::string collecting;
    std::optional<stats::Interval> interval;  // of `value`, in its unit, where it has one
    std::chrono::nanoseconds evidence{};      // nfr::EvidenceSpan: how far back its samples reach
  };
  struct Probe {
    std::string name, kind;
    bool ran = false, ok = false, skipped = false;
    std::string error_kind, error_detail, skip_reason;
    double last_wall = 0;                           // Unix seconds; 0 never
    double next_wall = 0;                           // Unix seconds; 0 unknown / not scheduled
    std::string phase;                              // the charted phase
    std::vector<std::pair<double, double>> points;  // (Unix seconds, seconds) per run, oldest first
  };
  struct Failure {
    double wall = 0;
    std::string probe, kind, detail;
  };
  struct Run {
    std::string id, profile, state;
    double started_at = 0;
    int passed = 0, failed = 0, skipped = 0;
  };
  // The last runs' trend (suite/trend.hpp) of the newest run's profile, as text cells.
  struct Trend {
    std::string profile;
    std::vector<std::string> columns;  // NFR names
    struct Row {
      std::string label, id;
      std::vector<std::string> cells;  // "12.3 ms ⚠ ❌"
    };
    std::vector<Row> rows;  // oldest first
  };
  std::string version;
  double now_wall = 0;
  double started_wall = 0;
  std::vector<Nfr> nfrs;
  std::vector<Probe> probes;
  std::vector<Failure> failures;  // newest first
  std::vector<Run> runs;          // newest first
  std::string runs_error;         // why the run history could not be read, if it could not
  Trend trend;
  // The prober's own health (filled in by the caller); while it is overloaded every NFR state is
  // suspect. `checked` false: not measured (no monitor).
  ProberHealthSnapshot prober;
};

class StatusModel {
 public:
  // `lengths`: the window lengths, named in the status document ("1m", "5m", …).
  explicit StatusModel(std::vector<Duration> lengths);
  ~StatusModel();

  // Declares a probe (a no-op when declared). `chart_phase`: the phase its chart follows; empty:
  // the first run that has phases picks it (GuessChartPhase) and it stays, so the chart never
  // mixes phases.
  void AddProbe(const std::string& name, const std::string& kind, const std::string& chart_phase);
  void RemoveProbe(const std::string& name);
  // A run's outcome; an undeclared probe is ignored.
  void Record(const std::string& name, const probes::Outcome& outcome,
              std::chrono::system_clock::time_point wall);
  // When the scheduler will next run a probe.
  void SetNextRun(const std::string& name, std::chrono::system_clock::time_point when);
  void PublishNfr(const config::NfrRule& rule, const nfr::RuleState& state);
  void RemoveNfr(const std::string& name);

  // The /api/v1/status document: {"probes": [{name, kind, last, windows: {phase: {window:
  // stats}}}], "nfrs": [...]}, probes and NFRs by name; `windows` is WindowStore::Snapshot at
  // the request's time (series of undeclared probes are left out).
  boost::json::object StatusJson(const std::vector<SeriesStats>& windows);
  // NFRs and probes by name, failures newest first; version, start and runs left empty.
  StatusPageData StatusPage(std::chrono::system_clock::time_point wall);

 private:
  struct State;
  std::vector<std::string> window_names_;
  std::unique_ptr<common::Guarded<State>> state_;
};

// Pure parts of the model, for tests.

// The phase a chart follows: what the kind's NFRs read, total (http, llm, agent, cache), query
// (postgres), get (redis) or request (load), else the first phase that is not connection set-up
// (dns, connect, tls); empty when the run has none of these.
std::string GuessChartPhase(const probes::Outcome& outcome);
// The mean of a phase's samples in seconds; nullopt without samples.
std::optional<double> MeanSeconds(const probes::Phase& phase);
// {"count": n} and, with samples, p50, p90, p95, p99, mean and max in seconds.
boost::json::object WindowJson(const stats::WindowStats& s);
// [low, high] × scale, null for an open side (the p99 of 20 samples has no upper bound).
boost::json::array IntervalJson(const stats::Interval& i, double scale = 1);
// {name, probe, stat, state, value, ci (the value's 95 % interval, where it has one), promise,
// good, events, samples, collecting, evidence_seconds (nfr::EvidenceSpan)} of a rule's state.
boost::json::object NfrJson(const config::NfrRule& rule, const nfr::RuleState& state);
// The status page's row of a rule's state.
StatusPageData::Nfr NfrRow(const config::NfrRule& rule, const nfr::RuleState& state);

}  // namespace reznet::telemetry
