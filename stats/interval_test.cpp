#include "stats/interval.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <random>
#include <vector>

namespace reznet::stats {
namespace {

TEST(NormalQuantile, MatchesTheTable) {
  EXPECT_NEAR(NormalQuantile(0.975), 1.959964, 1e-6);
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.001), -3.090232, 1e-6);
  EXPECT_NEAR(NormalQuantile(0.95), 1.644854, 1e-6);
}

TEST(StudentT, MatchesTheTable) {
  EXPECT_NEAR(StudentT(0.95, 1), 12.706, 1e-3);
  EXPECT_NEAR(StudentT(0.95, 2), 4.303, 1e-3);
  EXPECT_NEAR(StudentT(0.95, 3), 3.182, 1e-2);
  EXPECT_NEAR(StudentT(0.95, 9), 2.262, 1e-3);
  EXPECT_NEAR(StudentT(0.95, 30), 2.042, 1e-3);
}

TEST(QuantileRanks, TheMedianOfTwentyIsTheTextbookPair) {
  const RankInterval r = QuantileRanks(20, 0.5);
  EXPECT_EQ(r.lower, 6u);
  EXPECT_EQ(r.upper, 15u);
  EXPECT_NEAR(r.coverage, 0.9586, 1e-4);
}

TEST(QuantileRanks, TheP99OfTwentySamplesHasNoUpperBound) {
  // The slowest of 20 is below the true p99 with probability 0.99^20 = 0.82.
  EXPECT_EQ(QuantileRanks(20, 0.99).upper, 21u);
  EXPECT_EQ(SamplesForUpperBound(0.99), 299u);
  EXPECT_LE(QuantileRanks(299, 0.99).upper, 299u);
  EXPECT_EQ(QuantileRanks(298, 0.99).upper, 299u);
  EXPECT_EQ(SamplesForUpperBound(0.95), 59u);
  EXPECT_EQ(SamplesForUpperBound(0.5), 5u);
}

TEST(QuantileRanks, TheExtremes) {
  const RankInterval max = QuantileRanks(3, 1.0);
  EXPECT_EQ(max.lower, 3u);
  EXPECT_EQ(max.upper, 4u);  // the maximum bounds the 1-quantile from below only
  EXPECT_EQ(QuantileRanks(3, 0.0).upper, 1u);
  EXPECT_EQ(QuantileRanks(0, 0.5).upper, 1u);
}

TEST(QuantileRanks, IsTheNarrowestPairWithEnoughCoverage) {
  const RankInterval r = QuantileRanks(200, 0.95);
  EXPECT_EQ(r.lower, 185u);
  EXPECT_EQ(r.upper, 198u);
  EXPECT_NEAR(r.coverage, 0.9533, 1e-4);
  EXPECT_GE(r.coverage, 0.95);
}

TEST(QuantileRanks, TheNormalApproximationAgreesWhereItTakesOver) {
  for (const std::uint64_t n : {8'000u, 9'000u, 50'000u, 1'000'000u}) {
    SCOPED_TRACE(n);
    const RankInterval r = QuantileRanks(n, 0.95);
    const double center = 0.95 * static_cast<double>(n);
    EXPECT_LT(static_cast<double>(r.lower), center);
    EXPECT_GT(static_cast<double>(r.upper), center);
    EXPECT_GE(r.coverage, 0.949);
    EXPECT_LE(r.coverage, 0.96);
  }
}

TEST(WilsonInterval, MatchesKnownValues) {
  const Interval none = WilsonInterval(0, 10);
  EXPECT_DOUBLE_EQ(none.low, 0);
  EXPECT_NEAR(none.high, 0.2775, 1e-4);
  const Interval half = WilsonInterval(5, 10);
  EXPECT_NEAR(half.low, 0.2366, 1e-4);
  EXPECT_NEAR(half.high, 0.7634, 1e-4);
  const Interval empty = WilsonInterval(0, 0);
  EXPECT_EQ(empty.low, 0);
  EXPECT_EQ(empty.high, 1);
}

TEST(MeanInterval, IsStudentsT) {
  const Interval i = MeanInterval(10, 100, 15);
  EXPECT_NEAR(i.high - 100, 2.262 * 15 / std::sqrt(10.0), 1e-2);
  EXPECT_NEAR(100 - i.low, i.high - 100, 1e-12);
  EXPECT_FALSE(MeanInterval(1, 100, 0).bounded());
}

// The calibration issue #26 asks for: over 1,000 seeded trials of 200 samples, the 95 % interval
// of p95 covers the true p95 in 93-97 % of them, for three distributions.
struct Distribution {
  const char* name;
  std::function<double(std::mt19937_64&)> draw;
  double true_p95;
};

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

// The 0.95 quantile of 0.7 N(100, 10) + 0.3 N(300, 20), by bisection.
double BimodalP95() {
  double lo = 0, hi = 1000;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    const double cdf = 0.7 * NormalCdf((mid - 100) / 10) + 0.3 * NormalCdf((mid - 300) / 20);
    (cdf < 0.95 ? lo : hi) = mid;
  }
  return lo;
}

TEST(QuantileInterval, CoversTheTrueP95InNinetyFivePercentOfTrials) {
  const double z95 = 1.6448536269514722;
  const std::vector<Distribution> distributions = {
      {"normal", [](std::mt19937_64& g) { return std::normal_distribution<double>(100, 15)(g); },
       100 + 15 * z95},
      {"log-normal",
       [](std::mt19937_64& g) { return std::lognormal_distribution<double>(4, 0.5)(g); },
       std::exp(4 + 0.5 * z95)},
      {"bimodal",
       [](std::mt19937_64& g) {
         return std::bernoulli_distribution(0.7)(g) ? std::normal_distribution<double>(100, 10)(g)
                                                    : std::normal_distribution<double>(300, 20)(g);
       },
       BimodalP95()},
  };
  for (const auto& d : distributions) {
    SCOPED_TRACE(d.name);
    std::mt19937_64 gen(26);
    int covered = 0;
    constexpr int kTrials = 1000;
    std::vector<double> samples(200);
    for (int t = 0; t < kTrials; ++t) {
      for (auto& s : samples) s = d.draw(gen);
      std::sort(samples.begin(), samples.end());
      if (QuantileInterval(samples, 0.95).Contains(d.true_p95)) ++covered;
    }
    const double rate = static_cast<double>(covered) / kTrials;
    std::printf("  %-10s the 95 %% interval of p95 covered the true p95 in %.1f %% of %d trials\n",
                d.name, 100 * rate, kTrials);
    EXPECT_GE(rate, 0.93);
    EXPECT_LE(rate, 0.97);
  }
}

TEST(MeanInterval, CoversTheTrueMeanInNinetyFivePercentOfTrials) {
  std::mt19937_64 gen(26);
  std::normal_distribution<double> normal(100, 15);
  int covered = 0;
  for (int t = 0; t < 1000; ++t) {
    std::vector<double> s(30);
    double sum = 0;
    for (auto& v : s) sum += v = normal(gen);
    const double mean = sum / 30;
    double ss = 0;
    for (double v : s) ss += (v - mean) * (v - mean);
    if (MeanInterval(30, mean, std::sqrt(ss / 29)).Contains(100)) ++covered;
  }
  EXPECT_GE(covered, 930);
  EXPECT_LE(covered, 970);
}

}  // namespace
}  // namespace reznet::stats
