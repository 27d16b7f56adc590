#pragma once
// The uncertainty of a statistic (issue #26): a 95 % confidence interval for each statistic a
// verdict is built on, so that a verdict never claims more than its samples show.
//
// - Percentiles: distribution-free, from order statistics. Of n samples, the number B that fall
//   below the true q-quantile is Binomial(n, q); the interval [x_(l), x_(u)] (1-based order
//   statistics) covers the quantile with probability P(l <= B <= u - 1). QuantileRanks picks the
//   narrowest such pair with at least the asked coverage. When even rank n (the maximum) is not
//   far enough out, the interval has no upper bound: the p99 of 20 samples is the slowest of them,
//   and says nothing about where the p99 lies above it.
// - Means: Student's t interval from the sample variance.
// - Rates and ratios (error rate, hit ratio): the Wilson score interval, sound at 0 and n.
//
// Pure functions, no I/O; exact binomial sums up to n·q·(1-q) = 400, the normal approximation
// beyond (where the two agree to a rank).

#include <cstdint>
#include <limits>
#include <span>

namespace reznet::stats {

inline constexpr double kConfidence = 0.95;

// A two-sided interval; an open side is -inf or +inf.
struct Interval {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool bounded() const;  // both sides finite
  bool Contains(double v) const { return low <= v && v <= high; }
  bool operator==(const Interval&) const = default;
};

// 1-based order statistics bracketing the q-quantile of n samples; 0 for lower: no lower bound
// (fewer than needed below), n + 1 for upper: no upper bound. `coverage` is exact (binomial).
struct RankInterval {
  std::uint64_t lower = 0;
  std::uint64_t upper = 0;
  double coverage = 0;
};
RankInterval QuantileRanks(std::uint64_t n, double q, double confidence = kConfidence);

// The interval of the q-quantile of `sorted` samples (ascending); empty: fully open.
Interval QuantileInterval(std::span<const double> sorted, double q,
                          double confidence = kConfidence);

// The smallest n for which the q-quantile has an upper bound at `confidence`: the samples a rule
// on that percentile needs before it can be judged met (p99: 299, p95: 59, p50: 5).
std::uint64_t SamplesForUpperBound(double q, double confidence = kConfidence);

// Student's t interval of a mean from n samples with sample standard deviation `sd`; n < 2: open.
Interval MeanInterval(std::uint64_t n, double mean, double sd, double confidence = kConfidence);

// Wilson score interval of a proportion `successes` / n; n == 0: [0, 1].
Interval WilsonInterval(double successes, double n, double confidence = kConfidence);

// The standard normal quantile (inverse CDF), p in (0, 1).
double NormalQuantile(double p);
// The two-sided critical value of Student's t with `df` degrees of freedom.
double StudentT(double confidence, double df);

}  // namespace reznet::stats
