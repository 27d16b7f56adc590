#include "stats/interval.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace reznet::stats {
namespace {

// Above this variance of the binomial (sd 20), ranks come from the normal approximation, which
// agrees with the exact ranks to one there; below, at most 16 sd + 5 terms are summed.
constexpr double kExactVariance = 400;

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

}  // namespace

bool Interval::bounded() const { return std::isfinite(low) && std::isfinite(high); }

double NormalQuantile(double p) {
  // Acklam's rational approximation (relative error below 1.2e-9), one Newton step on top.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow || p > 1 - kLow) {
    const double q = std::sqrt(-2 * std::log(p < kLow ? p : 1 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    if (p > 1 - kLow) x = -x;
  } else {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = NormalCdf(x) - p;
  return x - e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
}

double StudentT(double confidence, double df) {
  const double p = 1 - (1 - confidence) / 2;
  if (df <= 1) return std::tan(std::numbers::pi * (p - 0.5));
  if (df <= 2) return (2 * p - 1) / std::sqrt(2 * p * (1 - p));
  // Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5): within 0.2 % at df 3, closer above.
  const double z = NormalQuantile(p);
  const double z2 = z * z;
  const double g1 = (z2 + 1) * z / 4;
  const double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
  const double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
  const double g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
  return z + g1 / df + g2 / (df * df) + g3 / (df * df * df) + g4 / (df * df * df * df);
}

RankInterval QuantileRanks(std::uint64_t n, double q, double confidence) {
  if (n == 0) return {0, 1, 0};
  // The extremes: nothing is below the 0-quantile, and the maximum bounds the 1-quantile only
  // from below.
  if (q <= 0) return {0, 1, 1.0};
  if (q >= 1) return {n, n + 1, 1.0};
  const double nd = static_cast<double>(n);
  const double mean = nd * q;
  const double sd = std::sqrt(nd * q * (1 - q));
  if (sd * sd > kExactVariance) {
    const double z = NormalQuantile(1 - (1 - confidence) / 2);
    const auto lower = static_cast<std::uint64_t>(std::max(0.0, std::floor(mean - z * sd)));
    const auto upper =
        std::min<std::uint64_t>(n + 1, static_cast<std::uint64_t>(std::ceil(mean + z * sd)) + 1);
    const double coverage = NormalCdf((static_cast<double>(upper) - 0.5 - mean) / sd) -
                            NormalCdf((static_cast<double>(lower) - 0.5 - mean) / sd);
    return {lower, upper, coverage};
  }
  // Exact: the binomial's mass where it is not negligible, [from, to] (beyond 8 sd: below 1e-14).
  const auto from = static_cast<std::uint64_t>(std::max(0.0, std::floor(mean - 8 * sd - 2)));
  const auto to = static_cast<std::uint64_t>(std::min(nd, std::ceil(mean + 8 * sd + 2)));
  std::vector<double> cdf;  // cdf[k - from] = P(B <= k)
  cdf.reserve(to - from + 1);
  // The first term from lgamma, the rest by the ratio pmf(k+1) / pmf(k) = (n-k) q / ((k+1)(1-q)):
  // a few hundred multiplications, cheap enough for every window of a status request.
  const double fd = static_cast<double>(from);
  double pmf =
      std::exp(std::lgamma(nd + 1) - std::lgamma(fd + 1) - std::lgamma(nd - fd + 1) +
               (from > 0 ? fd * std::log(q) : 0) + (from < n ? (nd - fd) * std::log1p(-q) : 0));
  const double odds = q / (1 - q);
  double total = 0;
  for (std::uint64_t k = from; k <= to; ++k) {
    total += pmf;
    cdf.push_back(total);
    const double kd = static_cast<double>(k);
    pmf *= (nd - kd) / (kd + 1) * odds;
  }
  // P(B <= k) for any k; P(B <= -1) = 0.
  const auto F = [&](std::int64_t k) {
    if (k < static_cast<std::int64_t>(from)) return 0.0;
    if (k >= static_cast<std::int64_t>(to)) return 1.0;
    return cdf[static_cast<std::size_t>(k) - from];
  };
  // The narrowest pair (fewest ranks between) with P(l <= B <= u - 1) >= confidence; of equals,
  // the one closest to the asked coverage. An open side counts as wider than any bounded pair, an
  // open upper side wider still: NFRs bound latencies from above, so when the samples bound only
  // one side, the upper one is kept. Two pointers: the least u for each l never decreases.
  const auto cost = [n](std::uint64_t l, std::uint64_t u) {
    return (u - l) + (l == 0 ? n + 1 : 0) + (u == n + 1 ? 2 * (n + 1) : 0);
  };
  RankInterval best{0, n + 1, 1.0};
  std::uint64_t u = from + 1;
  for (std::uint64_t l = from > 0 ? from : 0; l <= to + 1 && l <= n; ++l) {
    u = std::max(u, l + 1);
    while (u <= n + 1 &&
           F(static_cast<std::int64_t>(u) - 1) - F(static_cast<std::int64_t>(l) - 1) < confidence)
      ++u;
    if (u > n + 1) break;  // from here on no upper rank is enough
    const double coverage =
        F(static_cast<std::int64_t>(u) - 1) - F(static_cast<std::int64_t>(l) - 1);
    const auto c = cost(l, u), b = cost(best.lower, best.upper);
    if (c < b || (c == b && coverage < best.coverage)) best = {l, u, coverage};
  }
  // Ranks below `from` were skipped: a lower bound there is as good as none.
  return best;
}

Interval QuantileInterval(std::span<const double> sorted, double q, double confidence) {
  Interval out;
  const RankInterval r = QuantileRanks(sorted.size(), q, confidence);
  if (r.lower >= 1) out.low = sorted[r.lower - 1];
  if (r.upper <= sorted.size()) out.high = sorted[r.upper - 1];
  return out;
}

std::uint64_t SamplesForUpperBound(double q, double confidence) {
  if (q <= 0) return 1;
  if (q >= 1) return std::numeric_limits<std::uint64_t>::max();
  // The maximum bounds the q-quantile from above with probability 1 - q^n.
  return static_cast<std::uint64_t>(std::ceil(std::log(1 - confidence) / std::log(q)));
}

Interval MeanInterval(std::uint64_t n, double mean, double sd, double confidence) {
  if (n < 2) return {};
  const double half =
      StudentT(confidence, static_cast<double>(n - 1)) * sd / std::sqrt(static_cast<double>(n));
  return {mean - half, mean + half};
}

Interval WilsonInterval(double successes, double n, double confidence) {
  if (n <= 0) return {0, 1};
  const double z = NormalQuantile(1 - (1 - confidence) / 2);
  const double p = std::clamp(successes / n, 0.0, 1.0);
  const double z2n = z * z / n;
  const double center = (p + z2n / 2) / (1 + z2n);
  const double half = z / (1 + z2n) * std::sqrt(p * (1 - p) / n + z2n / (4 * n));
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

}  // namespace reznet::stats
