#include "stats/significance.hpp"

#include <gtest/gtest.h>

#include <random>

namespace reznet::stats {
namespace {

// Reference values: scipy.stats.mannwhitneyu's documented example (males vs females, U = 17,
// exact p = 1/9, asymptotic p = 0.11134688653314041), and for the other inputs the same formulas
// evaluated independently in Python (exact: every split of the pooled samples enumerated; normal
// approximation: scipy's tie-corrected variance with continuity correction, math.erfc).
TEST(MannWhitney, MatchesScipysDocumentedExample) {
  const std::vector<double> males{19, 22, 16, 29, 24}, females{20, 11, 17, 12};
  const TestResult exact = MannWhitney(males, females);
  EXPECT_TRUE(exact.exact);
  EXPECT_DOUBLE_EQ(exact.statistic, 17);
  EXPECT_NEAR(exact.p, 1.0 / 9, 1e-12);
  const TestResult asymptotic = MannWhitney(males, females, Method::kAsymptotic);
  EXPECT_FALSE(asymptotic.exact);
  EXPECT_NEAR(asymptotic.p, 0.11134688653314041, 1e-9);
}

TEST(MannWhitney, ExactForCompletelySeparatedSamples) {
  const std::vector<double> a{1, 2, 3, 4, 5, 6, 7, 8}, b{9, 10, 11, 12, 13, 14, 15, 16};
  const TestResult r = MannWhitney(a, b);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.statistic, 0);
  EXPECT_NEAR(r.p, 2.0 / 12870, 1e-15);  // 2 / C(16, 8)
  EXPECT_NEAR(MannWhitney(a, b, Method::kAsymptotic).p, 0.0009391056991171905, 1e-12);
}

TEST(MannWhitney, TiesUseMidRanksAndTheTieCorrectedVariance) {
  const std::vector<double> a{1, 2, 2, 3, 3, 3, 4, 5, 5, 6}, b{3, 4, 4, 5, 6, 6, 7, 7, 8, 9, 9};
  const TestResult r = MannWhitney(a, b);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.statistic, 15.5);
  EXPECT_NEAR(r.p, 0.005625214779700698, 1e-12);
  const std::vector<double> x{0.12, 0.15, 0.15, 0.11, 0.19, 0.14,
                              0.13, 0.15, 0.16, 0.12, 0.18, 0.14},
      y{0.15, 0.17, 0.21, 0.15, 0.19, 0.22, 0.16, 0.18, 0.2, 0.17, 0.23, 0.19, 0.15};
  EXPECT_NEAR(MannWhitney(x, y).p, 0.002550834828390292, 1e-12);
}

TEST(MannWhitney, WeightedSamplesEqualTheirExpansion) {
  const std::vector<WeightedSample> a{{0.1, 3}, {0.2, 5}, {0.3, 2}},
      b{{0.2, 4}, {0.3, 6}, {0.4, 1}};
  const std::vector<double> ea{0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.3},
      eb{0.2, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.4};
  EXPECT_DOUBLE_EQ(MannWhitney(a, b).p, MannWhitney(ea, eb).p);
  EXPECT_DOUBLE_EQ(MannWhitney(a, b).statistic, MannWhitney(ea, eb).statistic);
  // Every sample equal: nothing to tell apart.
  const std::vector<double> same(10, 0.5);
  EXPECT_EQ(MannWhitney(same, same).p, 1);
}

TEST(ProportionTest, PooledZ) {
  // 0 of 100 vs 10 of 100: pooled 5 %, z = 0.1 / sqrt(0.05 × 0.95 × 0.02) = 3.244.
  const TestResult r = ProportionTest(0, 100, 10, 100);
  EXPECT_NEAR(r.statistic, 3.2444, 1e-4);
  EXPECT_NEAR(r.p, 0.001178, 1e-5);
  EXPECT_EQ(ProportionTest(0, 30, 0, 30).p, 1);
}

// Evenly spread samples: 0.100 .. 0.120 s (standard deviation 0.02 / sqrt(12)).
std::vector<double> Spread(int n, double shift) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(0.100 + 0.020 * (i + 0.5) / n + shift);
  return v;
}

Change Verdict(const std::vector<double>& a, const std::vector<double>& b, Criteria c) {
  std::vector<WeightedSample> wa, wb;
  for (double v : a) wa.emplace_back(v, 1);
  for (double v : b) wb.emplace_back(v, 1);
  const double change = StatisticOf(wb, Statistic::kP50) / StatisticOf(wa, Statistic::kP50) - 1;
  return Decide(MannWhitney(a, b), change, true, c);
}

TEST(Decide, ThreeStandardErrorsOnThirtySamplesIsFlaggedOnFiveTooFew) {
  const double sd = 0.020 / std::sqrt(12.0);
  for (int n : {30, 5}) {
    const double shift = 3 * sd * std::sqrt(2.0 / n);  // 3 standard errors of the difference
    const auto a = Spread(n, 0), b = Spread(n, shift);
    const Criteria c{0.05, 0.01};
    if (n == 30) {
      EXPECT_LT(MannWhitney(a, b).p, 0.05);  // 0.0103
      EXPECT_EQ(Verdict(a, b, c), Change::kRegressed);
      EXPECT_EQ(Verdict(b, a, c), Change::kImproved);
      // Significant, but within a 10 % tolerance: not a regression.
      EXPECT_EQ(Verdict(a, b, {0.05, 0.10}), Change::kNoChange);
    } else {
      EXPECT_EQ(Verdict(a, b, c), Change::kTooFew);
    }
  }
}

TEST(Decide, IdenticalDistributionsAreFlaggedAtMostAtTheStatedRate) {
  std::mt19937_64 rng(15);
  std::lognormal_distribution<double> latency(std::log(0.1), 0.3);
  const int trials = 2000;
  int flagged = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> a(30), b(30);
    for (auto& v : a) v = latency(rng);
    for (auto& v : b) v = latency(rng);
    flagged += Verdict(a, b, {0.05, 0.0}) != Change::kNoChange;
  }
  // At most 5 %, plus two binomial standard errors (0.5 % for 2000 trials).
  EXPECT_LE(flagged, trials * 0.06) << flagged;
  EXPECT_GT(flagged, 0);
}

TEST(Bootstrap, IntervalHoldsTheChangeAndIsReproducible) {
  const auto a = Spread(30, 0), b = Spread(30, 0.011);
  std::vector<WeightedSample> wa, wb;
  for (double v : a) wa.emplace_back(v, 1);
  for (double v : b) wb.emplace_back(v, 1);
  for (auto stat : {Statistic::kP50, Statistic::kP95, Statistic::kMean}) {
    auto ci = BootstrapChange(wa, wb, stat);
    ASSERT_TRUE(ci);
    EXPECT_LE(ci->low, ci->change);
    EXPECT_GE(ci->high, ci->change);
    EXPECT_GT(ci->low, 0);  // a 10 % shift on 30 tight samples: the whole interval is slower
    auto again = BootstrapChange(wa, wb, stat);
    EXPECT_EQ(again->low, ci->low);
    EXPECT_EQ(again->high, ci->high);
  }
  EXPECT_NEAR(BootstrapChange(wa, wb, Statistic::kMean)->change, 0.011 / 0.110, 1e-9);
  EXPECT_FALSE(BootstrapChange({}, wb, Statistic::kP50));
  EXPECT_EQ(*StatisticNamed("p99"), Statistic::kP99);
  EXPECT_FALSE(StatisticNamed("error_rate"));
}

}  // namespace
}  // namespace reznet::stats
