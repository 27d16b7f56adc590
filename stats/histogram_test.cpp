#include "stats/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace reznet::stats {
namespace {

std::int64_t NearestRank(std::vector<std::int64_t> v, double q) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(q * static_cast<double>(v.size()))));
  return v[rank - 1];
}

TEST(Bucketing, IndexAndBoundsAgree) {
  for (std::int64_t v : {0LL, 1LL, 127LL, 128LL, 129LL, 1000LL, 123456789LL, 3'599'999'999'999LL}) {
    int i = Bucketing::Index(v);
    EXPECT_LE(Bucketing::Lower(i), v) << v;
    EXPECT_LT(v, Bucketing::Lower(i) + Bucketing::Width(i)) << v;
  }
  EXPECT_EQ(Bucketing::Index(Bucketing::kMaxValue * 2), Bucketing::Index(Bucketing::kMaxValue));
  EXPECT_LT(Bucketing::Index(Bucketing::kMaxValue), Bucketing::kCount);
  EXPECT_EQ(Bucketing::Index(-5), 0);
}

TEST(Bucketing, MidpointWithinOnePercentEverywhere) {
  for (int i = 128; i < Bucketing::kCount; ++i) {
    const double lower = static_cast<double>(Bucketing::Lower(i));
    const double upper = lower + static_cast<double>(Bucketing::Width(i)) - 1;
    const double mid = static_cast<double>(Bucketing::Mid(i));
    EXPECT_LE(std::abs(mid - lower) / lower, 0.01) << i;
    EXPECT_LE(std::abs(mid - upper) / upper, 0.01) << i;
  }
}

void ExpectQuantilesClose(const std::vector<std::int64_t>& values) {
  DenseHistogram dense;
  SparseHistogram sparse;
  for (auto v : values) {
    dense.Record(v);
    sparse.Record(v);
  }
  DenseHistogram merged;
  sparse.MergeInto(merged);
  const std::vector<double> qs = {0.5, 0.9, 0.95, 0.99, 0.999, 1.0};
  auto got = dense.Quantiles(qs);
  auto got_sparse = merged.Quantiles(qs);
  for (std::size_t i = 0; i < qs.size(); ++i) {
    const double exact = static_cast<double>(NearestRank(values, qs[i]));
    EXPECT_LE(std::abs(static_cast<double>(got[i]) - exact) / exact, 0.01) << "q=" << qs[i];
    EXPECT_EQ(got[i], got_sparse[i]);
  }
  EXPECT_EQ(dense.summary().count, values.size());
}

TEST(Histogram, UniformRandomWithinOnePercent) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::int64_t> d(1'000, 5'000'000'000);
  std::vector<std::int64_t> values(20000);
  for (auto& v : values) v = d(rng);
  ExpectQuantilesClose(values);
}

TEST(Histogram, HeavyTailWithinOnePercent) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> d(std::log(50e6), 1.5);  // median 50 ms, long tail
  std::vector<std::int64_t> values(50000);
  for (auto& v : values)
    v = std::clamp<std::int64_t>(static_cast<std::int64_t>(d(rng)), 1000, Bucketing::kMaxValue);
  ExpectQuantilesClose(values);
}

TEST(Histogram, QuantilesClampedToObservedRange) {
  DenseHistogram h;
  h.Record(50'000'123);
  auto q = h.Quantiles(std::vector<double>{0.5, 0.99});
  EXPECT_EQ(q[0], 50'000'123);
  EXPECT_EQ(q[1], 50'000'123);
}

TEST(Histogram, EmptyGivesZeros) {
  DenseHistogram h;
  auto q = h.Quantiles(std::vector<double>{0.5});
  EXPECT_EQ(q[0], 0);
}

TEST(SparseHistogram, MemoryBoundedWhateverTheSampleCount) {
  SparseHistogram s;
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::int64_t> d(0, Bucketing::kMaxValue);
  for (int i = 0; i < 200000; ++i) s.Record(d(rng));
  EXPECT_LE(s.MemoryBytes(),
            sizeof(SparseHistogram) + Bucketing::kCount * sizeof(std::uint32_t) + 64);
  EXPECT_EQ(s.summary().count, 200000u);
}

}  // namespace
}  // namespace reznet::stats
