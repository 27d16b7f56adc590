#pragma once
// A suite run as data (docs/design.md §7): what ran, the statistics of its samples, the verdict per
// judged NFR and the comparison with the baseline run. One RunRecord is one line of history, the
// body of GET /runs/{id} and the source of every report. Plain values; no I/O here.
//
// Times are Unix seconds; latencies are seconds; ratios are 0..1.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace reznet::suite {

// Samples kept per phase in a run record, so that any two runs can be compared later (a rank
// test and a bootstrap interval, suite/compare.hpp). Beyond this many the record keeps this many
// evenly spaced order statistics (the same distribution, sorted; `count` stays the real number),
// and a histogram beyond this many buckets merges neighbours: about 2,000 × 12 bytes of JSON per
// phase at most.
inline constexpr std::size_t kMaxKeptSamples = 2000;

// Statistics of one phase's samples, nearest-rank percentiles over the exact samples, and the
// samples themselves: plain ones in `samples` (seconds, run order, rounded to 1 ns), or for
// weighted phases (a load test's histogram buckets) `histogram` as (seconds, count). Both empty
// in records written before samples were kept.
struct PhaseStats {
  std::string name;
  std::uint64_t count = 0;
  double min = 0, mean = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;
  std::vector<double> samples;
  std::vector<std::pair<double, std::uint64_t>> histogram;
  bool operator==(const PhaseStats&) const = default;

  // The kept samples as (seconds, count), whichever way they were kept.
  std::vector<std::pair<double, std::uint64_t>> Weighted() const;
  std::uint64_t Kept() const;
};

// Fills `phase.samples` or `phase.histogram` from every sample of the phase, within
// kMaxKeptSamples.
void KeepSamples(PhaseStats& phase, std::vector<std::pair<double, std::uint64_t>> all);

struct ProbeResult {
  std::string name;
  std::string kind;
  int planned = 0;   // samples (runs) the profile asked for
  int runs = 0;      // runs done (not counting skipped ones)
  int failures = 0;  // runs that ended in an error
  bool skipped = false;
  std::string skip_reason;
  std::map<std::string, int> errors;  // error kind -> runs
  std::string last_error;             // "kind: detail" of the last failed run
  std::vector<PhaseStats> phases;
  std::vector<std::pair<std::string, double>> counters;  // mean over the runs that set it
  double seconds = 0;                                    // wall time the probe's runs took
  bool operator==(const ProbeResult&) const = default;

  const PhaseStats* Phase(const std::string& name) const;
  std::optional<double> CounterMean(const std::string& name) const;
};

// A judged NFR: met (passed), breached (failed), inconclusive (the 95 % interval of its statistic
// straddles the threshold, or has no side on the promise's side yet: the p99 of 20 samples is
// their maximum; the profile's on_inconclusive decides what the run makes of it), or skipped.
enum class Verdict { kPassed, kFailed, kSkipped, kInconclusive };
const char* VerdictName(Verdict v);

// A run's life: queued → running → passed | failed | error (error: it could not finish, or
// history could not store it). Printed and parsed only at the JSON/Markdown boundary.
enum class RunState { kQueued, kRunning, kPassed, kFailed, kError };
std::string_view ToString(RunState s);
std::optional<RunState> ParseRunState(std::string_view text);

// A comparison row's flag: ok, worse (regressed: significantly worse and by more than the
// tolerance, ⚠) or violated (the NFR fails, ✗).
enum class RowStatus { kOk, kWorse, kViolated };
std::string_view ToString(RowStatus s);
std::optional<RowStatus> ParseRowStatus(std::string_view text);

// What the significance test said of a comparison row: stats::Change, or not tested (a ratio:
// no samples to test; its status then follows the tolerance alone), or nothing (rows written
// before significance was tested).
enum class RowVerdict { kNone, kRegressed, kImproved, kNoChange, kTooFew, kNotTested };
std::string_view ToString(RowVerdict v);  // "", "regressed", …, "no significant change", …
std::optional<RowVerdict> ParseRowVerdict(std::string_view text);

struct NfrVerdict {
  std::string nfr;
  std::string probe;
  std::string phase;
  std::string stat;      // p95, mean, error_rate, ratio, …
  std::string op;        // the promise: value op threshold
  double threshold = 0;  // resolved (regression: baseline ± tolerance)
  bool latency = true;   // seconds (true) or ratio
  std::optional<double> value;
  std::uint64_t samples = 0;
  // The 95 % interval of `value` (stats/interval.hpp) when its statistic has one; a side that
  // is nullopt is open (too few samples to bound it).
  struct Interval {
    std::optional<double> low, high;
    bool operator==(const Interval&) const = default;
  };
  std::optional<Interval> interval;
  Verdict verdict = Verdict::kSkipped;
  std::string reason;  // why failed or skipped, for people
  std::string severity;
  std::optional<double> reference;  // regression rules: the value compared with
  bool operator==(const NfrVerdict&) const = default;
};

// One line of a comparison of a run with an earlier one (the baseline): for an NFR (`nfr` set; its
// stat) or a probe's phase (`nfr` empty; its p50). The change of the statistic in % with a
// bootstrap interval, the p-value of a rank test over the two runs' samples (a proportion test
// for error rates) and the verdict (stats/significance.hpp). Rows of records written before
// significance was tested have only the first six fields.
struct ComparisonRow {
  std::string nfr;
  bool latency = true;
  double before = 0;  // the statistic in the run compared with
  double value = 0;
  double change_pct = 0;  // (value / before - 1) × 100
  RowStatus status = RowStatus::kOk;
  std::string probe, phase, stat;
  std::optional<double> ci_low_pct, ci_high_pct;  // interval of change_pct
  std::optional<double> p_value;
  std::uint64_t samples_before = 0, samples_run = 0;
  RowVerdict verdict = RowVerdict::kNone;
  bool operator==(const ComparisonRow&) const = default;
};

struct RunRecord {
  std::string id;
  std::string profile;
  std::map<std::string, std::string> labels;
  RunState state = RunState::kQueued;
  std::string error;  // state error: why
  std::string version;
  double started_at = 0;   // Unix seconds
  double finished_at = 0;  // 0 while running
  int done = 0;            // progress: runs done of total
  int total = 0;
  std::string current;  // probe running now
  std::vector<ProbeResult> probes;
  std::vector<NfrVerdict> nfrs;
  std::string compared_with;  // the run compared with ("" when none)
  double tolerance = 0.10;
  double significance = 0.05;
  bool inconclusive_fails = false;  // the profile's on_inconclusive: fail
  // The machine's noise during the run: the share of its wall time some task waited for a CPU
  // (/proc/pressure/cpu; nullopt without PSI). Above 0.5, its verdicts are suspect.
  std::optional<double> cpu_pressure;
  std::vector<ComparisonRow> comparison;        // per judged NFR
  std::vector<ComparisonRow> phase_comparison;  // per probe phase (p50)
  bool operator==(const RunRecord&) const = default;

  bool finished() const {
    return state == RunState::kPassed || state == RunState::kFailed || state == RunState::kError;
  }
  const ProbeResult* Probe(const std::string& name) const;
  const NfrVerdict* Nfr(const std::string& name) const;
  int Count(Verdict v) const;
};

// One line of JSON, keys in a fixed order (the history line and `?format=json`).
std::string ToJson(const RunRecord& run);
// Parses what ToJson wrote; refuses (kInvalid, saying why) anything else.
common::Result<RunRecord> ParseRun(const std::string& text);

// A comparison of two runs as JSON (`reznet-perfd compare --format json`), in the words of the
// record: the ids, the criteria and the rows.
std::string ComparisonJson(const std::string& compared_with, const std::string& run_id,
                           double significance, double tolerance,
                           const std::vector<ComparisonRow>& nfrs,
                           const std::vector<ComparisonRow>& phases);

// A new run id: UTC start time and a random suffix, e.g. "20261127T084512Z-3f2a9c".
std::string NewRunId(double unix_seconds);

}  // namespace reznet::suite
