#pragma once
// NFR rules (the `nfrs:` section, docs/design.md §6) and alert delivery settings (`alerting:`).
//
//   nfrs:
//     - name: api_p95                 # letters, digits, _ ; becomes the alertname
//       probe: api_health
//       phase: total                  # a phase the probe's kind records (latency stats)
//       stat: p95                     # p50 p90 p95 p99 mean max | error_rate | ratio
//       window: 5m                    # one of daemon.windows
//       op: "<"                       # the promise: value op threshold means met
//       threshold: 1s                 # durations for latency stats, 60% / 0.6 for ratios
//       clear_threshold: 800ms        # optional hysteresis: once violated, met only past this
//       for: 1m                       # violated this long before firing
//       min_samples: 5                # fewer samples in the window: no_data
//       severity: page
//       labels: { team: backend }
//       annotations: { summary: "API p95 {{value}} (threshold {{threshold}})", runbook_url: "…" }
//       alert: threshold              # or burn_rate: page on the error budget's burn rate
//     - name: api_p95_regression
//       kind: regression              # compares with a baseline instead of a fixed threshold
//       probe: api_health
//       phase: total
//       stat: p95
//       window: 1h
//       baseline: 180ms               # pinned, or baseline_runs: 5 (median of the last 5 suite
//                                     # runs that measured this stat; see config/suite.hpp)
//       tolerance: 10%                # violated when value > baseline × (1 + tolerance)
//       min_change: 1ms               # … and more than this above it (default 1 ms for latency
//                                     # stats, 0 otherwise): smaller is "changed, not a regression"
//       significance: 0.05            # suites: … and the samples are significantly worse than
//                                     # the past runs' (default history.significance)
//
// For `ratio`, `phase` names the counter (e.g. query_reduction). For `error_rate`, `phase` is
// not used: failed runs / (failed + successful) in the window.
//
// `alert: burn_rate` (issue #26) alerts on the promise as an SLO instead of on the window's
// statistic: "p95 < 1s" is "fewer than 5 % of samples >= 1s", an error budget of 1 − q (p99: 1 %;
// error_rate < 5 %: 5 % of runs may fail). Every sample of the phase (every run, for error_rate)
// is good or bad against the threshold, and the rule fires while the bad share over 1 h and over
// 5 m both exceed 14.4 × the budget, or over 6 h and 30 m both exceed 6 × (the SRE workbook's
// multi-window, multi-burn-rate alerts; nfr/burn_rate.hpp). Only for p90, p95, p99 and
// error_rate under an upper limit (op < or <=); no window:, clear_threshold: or kind: regression.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/units.hpp"

namespace reznet::config {

enum class NfrStat { kP50, kP90, kP95, kP99, kMean, kMax, kErrorRate, kRatio };
enum class NfrOp { kLt, kLe, kGt, kGe };
// How a continuous rule alerts: on the window's statistic (threshold) or on the burn rate of its
// error budget (burn_rate).
enum class NfrAlert { kThreshold, kBurnRate };

// A burn-rate alert's pair of windows: it fires while the burn rate (bad share / error budget)
// over both exceeds `factor`. The SRE workbook's pages: 2 % of a 30-day budget spent in an hour
// (14.4 over 1 h, confirmed over 5 m), 5 % in six hours (6 over 6 h, confirmed over 30 m).
struct BurnPair {
  Duration long_window;
  Duration short_window;
  double factor;
  const char* name;  // "1h/5m"
};
inline constexpr BurnPair kFastBurn{std::chrono::hours(1), std::chrono::minutes(5), 14.4, "1h/5m"};
inline constexpr BurnPair kSlowBurn{std::chrono::hours(6), std::chrono::minutes(30), 6.0, "6h/30m"};

struct NfrRule {
  std::string name;
  bool regression = false;
  std::string probe;
  std::string phase;
  NfrStat stat = NfrStat::kP95;
  std::string stat_name = "p95";
  Duration window{};
  NfrOp op = NfrOp::kLt;
  std::string op_text = "<";
  double threshold = 0;  // seconds for latency stats, a ratio otherwise
  std::optional<double> clear_threshold;
  Duration for_{};
  std::int64_t min_samples = 1;
  std::string severity = "page";
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::optional<double> reference;  // regression: pinned reference value (unit of threshold)
  // regression: when > 0, the baseline is the median of this stat over the last N suite runs
  // that measured it (set at run time; until then the rule has no data).
  int baseline_runs = 0;
  double tolerance = 0.10;
  // regression: the least change from the reference that counts (unit of threshold); nullopt:
  // MinChange()'s default.
  std::optional<double> min_change;
  // regression, in suites: the rank test's level against the samples of the baseline runs
  // (nullopt: history.significance). Pinned baselines and the daemon's windows have no samples
  // to test and ignore it.
  std::optional<double> significance;
  NfrAlert alert = NfrAlert::kThreshold;
  int line = 0;

  bool latency() const { return stat != NfrStat::kErrorRate && stat != NfrStat::kRatio; }
  // `min_change`, else 1 ms for latency stats (a change a user of an API cannot notice, and
  // within the scheduling noise of a busy machine: issue #26 saw 260 µs → 338 µs called a
  // regression), else 0.
  double MinChange() const { return min_change.value_or(latency() ? 0.001 : 0.0); }
  // Whether `value` keeps the promise against `limit` (threshold or clear_threshold).
  bool Met(double value, double limit) const;
  bool burn_rate() const { return alert == NfrAlert::kBurnRate; }
  // The share of samples (of runs, for error_rate) the promise allows to break it: 1 − q for a
  // percentile (p95: 0.05), the threshold for error_rate; 0 for other stats.
  double ErrorBudget() const;
};

struct AlertingConfig {
  std::vector<Url> alertmanager_urls;
  Duration resend_interval = std::chrono::minutes(1);
  bool send_resolved = true;
  std::string external_url;  // generatorURL base; default: the daemon's listen address
  bool operator==(const AlertingConfig&) const = default;
};

// Sets a regression rule's reference value and the threshold it implies (reference ± tolerance).
void ApplyReference(NfrRule& rule, double reference);

// "3s" for latency stats (seconds), "60%" for ratios; for messages and rule files.
std::string FormatThreshold(const NfrRule& rule, double value);
// The value a rule is evaluated on, for messages: FormatThreshold's, but a share ("80%") for a
// burn-rate rule, whose value is the share of bad samples (nfr/burn_rate.hpp).
std::string FormatValue(const NfrRule& rule, double value);

}  // namespace reznet::config
