#include "stats/significance.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace reznet::stats {
namespace {

struct Pooled {
  double value;
  std::uint64_t a, b;
};

std::uint64_t Total(std::span<const WeightedSample> s) {
  std::uint64_t n = 0;
  for (const auto& [v, c] : s) n += c;
  return n;
}

// P(U >= k) under the null for sizes m, n without ties: arrangements counted by the recursion
// f(m, n, u) = f(m − 1, n, u − n) + f(m, n − 1, u) (Mann and Whitney 1947).
double ExactUpperTail(int m, int n, int k) {
  const int top = m * n;
  // f[i][j] is the distribution of U for sizes i, j; built row by row.
  std::vector<std::vector<std::vector<double>>> f(
      m + 1, std::vector<std::vector<double>>(n + 1, std::vector<double>(top + 1, 0.0)));
  for (int i = 0; i <= m; ++i) {
    for (int j = 0; j <= n; ++j) {
      if (i == 0 || j == 0) {
        f[i][j][0] = 1;
        continue;
      }
      for (int u = 0; u <= i * j; ++u)
        f[i][j][u] = (u >= j ? f[i - 1][j][u - j] : 0.0) + f[i][j - 1][u];
    }
  }
  double all = 0, tail = 0;
  for (int u = 0; u <= top; ++u) {
    all += f[m][n][u];
    if (u >= k) tail += f[m][n][u];
  }
  return tail / all;
}

}  // namespace

TestResult MannWhitney(std::span<const WeightedSample> a, std::span<const WeightedSample> b,
                       Method method) {
  TestResult r;
  r.n_a = Total(a);
  r.n_b = Total(b);
  if (r.n_a == 0 || r.n_b == 0) return r;
  std::vector<Pooled> pooled;
  pooled.reserve(a.size() + b.size());
  for (const auto& [v, c] : a) pooled.push_back({v, c, 0});
  for (const auto& [v, c] : b) pooled.push_back({v, 0, c});
  std::sort(pooled.begin(), pooled.end(),
            [](const Pooled& x, const Pooled& y) { return x.value < y.value; });
  // Mid-ranks per group of equal values; ties also shrink the variance.
  double rank_sum_a = 0, tie_term = 0, below = 0;
  bool ties = false;
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    double in_a = 0, t = 0;
    for (; j < pooled.size() && pooled[j].value == pooled[i].value; ++j) {
      in_a += static_cast<double>(pooled[j].a);
      t += static_cast<double>(pooled[j].a + pooled[j].b);
    }
    rank_sum_a += in_a * (below + (t + 1) / 2);
    tie_term += t * t * t - t;
    ties = ties || t > 1;
    below += t;
    i = j;
  }
  const double na = static_cast<double>(r.n_a), nb = static_cast<double>(r.n_b), n = na + nb;
  r.statistic = rank_sum_a - na * (na + 1) / 2;
  const double u = std::max(r.statistic, na * nb - r.statistic);
  if (method == Method::kAuto && !ties && r.n_a <= kExactMaxPerSide && r.n_b <= kExactMaxPerSide) {
    r.exact = true;
    r.p = std::min(1.0, 2 * ExactUpperTail(static_cast<int>(r.n_a), static_cast<int>(r.n_b),
                                           static_cast<int>(std::lround(u))));
    return r;
  }
  const double sigma = std::sqrt(na * nb / 12 * ((n + 1) - tie_term / (n * (n - 1))));
  if (!(sigma > 0)) return r;  // every sample equal: nothing to tell apart
  const double z = (u - na * nb / 2 - 0.5) / sigma;
  r.p = std::clamp(std::erfc(z / std::sqrt(2.0)), 0.0, 1.0);
  return r;
}

TestResult MannWhitney(std::span<const double> a, std::span<const double> b, Method method) {
  std::vector<WeightedSample> wa, wb;
  for (double v : a) wa.emplace_back(v, 1);
  for (double v : b) wb.emplace_back(v, 1);
  return MannWhitney(wa, wb, method);
}

TestResult ProportionTest(std::uint64_t failures_a, std::uint64_t n_a, std::uint64_t failures_b,
                          std::uint64_t n_b) {
  TestResult r;
  r.n_a = n_a;
  r.n_b = n_b;
  if (n_a == 0 || n_b == 0) return r;
  const double na = static_cast<double>(n_a), nb = static_cast<double>(n_b);
  const double pa = static_cast<double>(failures_a) / na, pb = static_cast<double>(failures_b) / nb;
  const double pooled = static_cast<double>(failures_a + failures_b) / (na + nb);
  const double se = std::sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb));
  if (!(se > 0)) return r;  // no failure (or only failures) on both sides
  r.statistic = (pb - pa) / se;
  r.p = std::clamp(std::erfc(std::abs(r.statistic) / std::sqrt(2.0)), 0.0, 1.0);
  return r;
}

std::optional<Statistic> StatisticNamed(std::string_view name) {
  if (name == "p50") return Statistic::kP50;
  if (name == "p90") return Statistic::kP90;
  if (name == "p95") return Statistic::kP95;
  if (name == "p99") return Statistic::kP99;
  if (name == "mean") return Statistic::kMean;
  if (name == "max") return Statistic::kMax;
  return std::nullopt;
}

namespace {

double Quantile(Statistic s) {
  switch (s) {
    case Statistic::kP50:
      return 0.50;
    case Statistic::kP90:
      return 0.90;
    case Statistic::kP95:
      return 0.95;
    case Statistic::kP99:
      return 0.99;
    default:
      return 1.0;
  }
}

// The statistic of values[i] taken counts[i] times; `values` sorted ascending.
double StatisticOfCounts(const std::vector<double>& values,
                         const std::vector<std::uint64_t>& counts, std::uint64_t total,
                         Statistic stat) {
  if (total == 0) return 0;
  if (stat == Statistic::kMean) {
    double sum = 0;
    for (std::size_t i = 0; i < values.size(); ++i)
      sum += values[i] * static_cast<double>(counts[i]);
    return sum / static_cast<double>(total);
  }
  const auto k = std::clamp<std::uint64_t>(
      static_cast<std::uint64_t>(std::ceil(Quantile(stat) * static_cast<double>(total))), 1, total);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    seen += counts[i];
    if (seen >= k) return values[i];
  }
  return values.back();
}

struct Sorted {
  std::vector<double> values;
  std::vector<std::uint64_t> counts;
  std::vector<std::uint64_t> cumulative;  // counts up to and including i
  std::uint64_t total = 0;
};

Sorted SortedOf(std::span<const WeightedSample> s) {
  std::vector<WeightedSample> v(s.begin(), s.end());
  std::erase_if(v, [](const WeightedSample& x) { return x.second == 0; });
  std::sort(v.begin(), v.end());
  Sorted out;
  for (const auto& [value, count] : v) {
    out.values.push_back(value);
    out.counts.push_back(count);
    out.total += count;
    out.cumulative.push_back(out.total);
  }
  return out;
}

// One bootstrap resample of `s`: `draws` values drawn with replacement, as counts per value.
double Resampled(const Sorted& s, std::uint64_t draws, Statistic stat, std::mt19937_64& rng,
                 std::vector<std::uint64_t>& counts) {
  std::fill(counts.begin(), counts.end(), 0);
  for (std::uint64_t d = 0; d < draws; ++d) {
    // Modulo bias is below total / 2^64: nothing a percentile interval could show.
    const std::uint64_t pick = rng() % s.total;
    const auto at = std::upper_bound(s.cumulative.begin(), s.cumulative.end(), pick);
    ++counts[static_cast<std::size_t>(at - s.cumulative.begin())];
  }
  return StatisticOfCounts(s.values, counts, draws, stat);
}

}  // namespace

double StatisticOf(std::span<const WeightedSample> samples, Statistic stat) {
  const Sorted s = SortedOf(samples);
  return StatisticOfCounts(s.values, s.counts, s.total, stat);
}

std::optional<ChangeInterval> BootstrapChange(std::span<const WeightedSample> a,
                                              std::span<const WeightedSample> b, Statistic stat,
                                              const BootstrapOptions& options) {
  const Sorted sa = SortedOf(a), sb = SortedOf(b);
  if (sa.total == 0 || sb.total == 0) return std::nullopt;
  const double base = StatisticOfCounts(sa.values, sa.counts, sa.total, stat);
  if (!(base > 0)) return std::nullopt;
  ChangeInterval out;
  out.change = StatisticOfCounts(sb.values, sb.counts, sb.total, stat) / base - 1;
  std::mt19937_64 rng(options.seed);
  std::vector<std::uint64_t> ca(sa.values.size()), cb(sb.values.size());
  const std::uint64_t da = std::min(sa.total, options.max_draws);
  const std::uint64_t db = std::min(sb.total, options.max_draws);
  std::vector<double> changes;
  changes.reserve(static_cast<std::size_t>(std::max(options.iterations, 0)));
  for (int i = 0; i < options.iterations; ++i) {
    const double ra = Resampled(sa, da, stat, rng, ca);
    const double rb = Resampled(sb, db, stat, rng, cb);
    if (ra > 0) changes.push_back(rb / ra - 1);
  }
  if (changes.empty()) return std::nullopt;
  std::sort(changes.begin(), changes.end());
  const double tail = (1 - options.confidence) / 2;
  auto at = [&](double q) {
    const auto i =
        static_cast<std::size_t>(std::floor(q * static_cast<double>(changes.size() - 1)));
    return changes[std::min(i, changes.size() - 1)];
  };
  out.low = at(tail);
  out.high = at(1 - tail);
  return out;
}

const char* ChangeName(Change c) {
  switch (c) {
    case Change::kRegressed:
      return "regressed";
    case Change::kImproved:
      return "improved";
    case Change::kNoChange:
      return "no significant change";
    case Change::kTooFew:
      return "too few samples";
  }
  return "no significant change";
}

Change Decide(const TestResult& test, double change, bool higher_worse, const Criteria& criteria) {
  if (test.n_a < kMinSamplesPerSide || test.n_b < kMinSamplesPerSide) return Change::kTooFew;
  if (!(test.p < criteria.significance)) return Change::kNoChange;
  const double worse = higher_worse ? change : -change;
  // A hair over the tolerance is still within it (10 % written as 0.1 is not exact).
  if (worse > criteria.tolerance + 1e-9) return Change::kRegressed;
  if (-worse > criteria.tolerance + 1e-9) return Change::kImproved;
  return Change::kNoChange;
}

}  // namespace reznet::stats
