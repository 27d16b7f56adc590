#pragma once
// Is run B really slower than run A, or is it noise? Pure functions over samples (no I/O), used by
// suite comparisons, trend tables and regression rules (issue #15).
//
// Samples are (value, count) pairs so that a load test's histogram buckets (many samples of one
// value) and plain samples (count 1) go through the same code.
//
// - MannWhitney: two-sided rank test (does one run's distribution sit above the other's?). With
//   both sides at most kExactMaxPerSide samples and no ties, the p-value is exact (the U
//   distribution counted); otherwise the normal approximation with tie correction and continuity
//   correction (as scipy.stats.mannwhitneyu, method "asymptotic", use_continuity=True).
// - ProportionTest: two-sided pooled z-test of two failure rates (error-rate NFRs).
// - BootstrapChange: percentile-bootstrap confidence interval of the relative change of a
//   statistic (stat(B) / stat(A) − 1), with a seeded RNG, so the same inputs give the same
//   interval on every machine. Each resample draws min(n, max_draws) values per side: for
//   histograms with more samples than that the interval is wider than the exact one (never
//   narrower).
// - Decide: the verdict. Fewer than kMinSamplesPerSide samples on a side: "too few samples"
//   (the test has too little power to tell a shift from noise, and the normal approximation is
//   poor); else a regression only when p < significance AND the change is worse than tolerance.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace reznet::stats {

using WeightedSample = std::pair<double, std::uint64_t>;  // value, how many samples had it

// Below this many samples on either side the verdict is "too few samples".
inline constexpr std::uint64_t kMinSamplesPerSide = 8;
// Exact p-values up to this many samples per side (and no ties).
inline constexpr std::uint64_t kExactMaxPerSide = 8;

struct TestResult {
  double statistic = 0;  // U of side A (rank test) or z (proportion test)
  double p = 1;          // two-sided p-value
  bool exact = false;
  std::uint64_t n_a = 0, n_b = 0;
};

enum class Method { kAuto, kAsymptotic };

TestResult MannWhitney(std::span<const WeightedSample> a, std::span<const WeightedSample> b,
                       Method method = Method::kAuto);
TestResult MannWhitney(std::span<const double> a, std::span<const double> b,
                       Method method = Method::kAuto);

// failures of runs on each side.
TestResult ProportionTest(std::uint64_t failures_a, std::uint64_t n_a, std::uint64_t failures_b,
                          std::uint64_t n_b);

enum class Statistic { kP50, kP90, kP95, kP99, kMean, kMax };
// "p50", "p90", "p95", "p99", "mean", "max"; nullopt for anything else.
std::optional<Statistic> StatisticNamed(std::string_view name);
// Nearest rank (as suite statistics) or the mean; 0 for no samples.
double StatisticOf(std::span<const WeightedSample> samples, Statistic stat);

struct ChangeInterval {
  double change = 0;  // stat(B) / stat(A) − 1
  double low = 0;     // bounds of the interval of that change
  double high = 0;
};

struct BootstrapOptions {
  int iterations = 1000;
  double confidence = 0.95;
  std::uint64_t seed = 0x5eed;
  std::uint64_t max_draws = 2000;
};

// nullopt when a side has no samples or stat(A) is 0.
std::optional<ChangeInterval> BootstrapChange(std::span<const WeightedSample> a,
                                              std::span<const WeightedSample> b, Statistic stat,
                                              const BootstrapOptions& options = {});

enum class Change { kRegressed, kImproved, kNoChange, kTooFew };
// "regressed", "improved", "no significant change", "too few samples"
const char* ChangeName(Change c);

struct Criteria {
  double significance = 0.05;
  double tolerance = 0.10;  // relative change that matters
};

// `change`: stat(B) / stat(A) − 1; `higher_worse`: latencies and error rates (ratios: lower).
Change Decide(const TestResult& test, double change, bool higher_worse, const Criteria& criteria);

}  // namespace reznet::stats
