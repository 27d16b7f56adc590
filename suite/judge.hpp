#pragma once
// Turning a suite's probe outcomes into results and verdicts. Pure functions over values, so
// every rule of judgement is unit-tested without a network.
//
// A rule reads from a suite what it reads from a window: a latency stat over every sample of its
// phase (nearest rank), the error rate of runs (failed / done), or the mean of a ratio counter.
// min_samples and `for` do not apply: the profile chose the sample count. A threshold rule is
// met when the 95 % interval of its statistic keeps the promise, breached when it breaks it,
// inconclusive when it straddles the threshold (statistics without an interval — max, ratios —
// are judged on the value). Regression rules keep their rank test (TestRegression). A rule whose
// probe ran but produced no sample of the phase fails (every run failed, say) — silence is not a
// pass; a rule whose probe was skipped (e.g. no API key) is skipped with the probe's reason.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/nfr.hpp"
#include "probes/outcome.hpp"
#include "suite/record.hpp"

namespace reznet::suite {

// Collects one probe's runs: every phase sample and counter, errors by kind. Memory: one double
// per sample.
class ProbeAccumulator {
 public:
  ProbeAccumulator(std::string name, std::string kind, int planned);
  void Add(const probes::Outcome& outcome);
  ProbeResult Finish(double seconds) const;

 private:
  ProbeResult result_;
  // (seconds, count) per phase in first-seen order; count > 1 for weighted (histogram) phases
  std::vector<std::pair<std::string, std::vector<std::pair<double, std::uint64_t>>>> samples_;
  std::vector<std::pair<std::string, std::pair<double, int>>> counters_;
};

PhaseStats Summarise(const std::string& name, std::vector<double> samples);
// The same over (value, count) pairs.
PhaseStats Summarise(const std::string& name,
                     std::vector<std::pair<double, std::uint64_t>> samples);

struct StatValue {
  std::optional<double> value;
  std::uint64_t samples = 0;
};
// The value `rule` reads from a probe's suite result.
StatValue StatOf(const ProbeResult& probe, const config::NfrRule& rule);

// The 95 % interval of the value `rule` reads (stats/interval.hpp): percentiles from order
// statistics, the mean from Student's t, the error rate from Wilson's score; none for max and
// ratios (their verdicts stay on the point value).
std::optional<NfrVerdict::Interval> IntervalOf(const ProbeResult& probe,
                                               const config::NfrRule& rule);

// A regression rule's baseline from past runs (newest first): the median of its stat over the
// last `rule.baseline_runs` runs that measured it; nullopt when none did.
std::optional<double> MedianBaseline(const config::NfrRule& rule,
                                     const std::vector<RunRecord>& past);

using Samples = std::vector<std::pair<double, std::uint64_t>>;

// The samples of the past runs MedianBaseline read (the same runs), pooled: what a suite tests a
// regression rule's samples against. Empty for error-rate and ratio rules.
Samples BaselineSamples(const config::NfrRule& rule, const std::vector<RunRecord>& past);

struct JudgeOptions {
  double significance = 0.05;  // history.significance: regression rules without their own
  // Per regression rule name: BaselineSamples. A rule with samples here fails only when its value
  // breaks baseline ± tolerance AND a rank test finds the run's samples significantly worse (too
  // few samples for the test: the threshold alone decides, and the reason says so).
  std::map<std::string, Samples> baseline_samples;
};

// Verdicts for `judged` rule names (in that order). Regression rules must already carry their
// baseline (ApplyReference); one without is skipped and says why.
std::vector<NfrVerdict> Judge(const std::vector<config::NfrRule>& rules,
                              const std::vector<std::string>& judged,
                              const std::vector<ProbeResult>& results,
                              const JudgeOptions& options = {});

// passed when no verdict failed (nor, with on_inconclusive: fail, was inconclusive); failed
// otherwise.
RunState FinalState(const RunRecord& run);

}  // namespace reznet::suite
