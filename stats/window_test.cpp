#include "stats/window.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace reznet::stats {
namespace {

using namespace std::chrono_literals;

SteadyClock::time_point T(Duration since_start) {
  return SteadyClock::time_point(1000h + since_start);
}

TEST(RollingWindow, CountsOnlyRecentSlices) {
  RollingWindow w(1min);  // 10 slices of 6 s
  DenseHistogram scratch;
  w.Record(10ms, T(0s));
  w.Record(20ms, T(30s));
  EXPECT_EQ(w.Stats(T(30s), scratch).count, 2u);
  // 66 s later the first sample's slice (epoch of t=0) is more than 10 slices old.
  EXPECT_EQ(w.Stats(T(66s), scratch).count, 1u);
  EXPECT_EQ(w.Stats(T(66s), scratch).p50, 20'000'000);
  EXPECT_EQ(w.Stats(T(96s), scratch).count, 0u);
}

TEST(RollingWindow, CoversAtLeastTheWindowLength) {
  RollingWindow w(1min);
  DenseHistogram scratch;
  w.Record(5ms, T(0s));
  // Anything recorded within the last 60 s is always inside.
  for (auto later : {1s, 30s, 59s, 60s})
    EXPECT_EQ(w.Stats(T(later), scratch).count, 1u) << later.count();
}

TEST(RollingWindow, SlotReuseClearsOldData) {
  RollingWindow w(1min);
  DenseHistogram scratch;
  w.Record(1ms, T(0s));
  // 11 slices later the same ring slot is reused: the old sample must be gone.
  w.Record(2ms, T(66s));
  auto s = w.Stats(T(66s), scratch);
  EXPECT_EQ(s.count, 1u);
  EXPECT_EQ(s.max, 2'000'000);
}

TEST(RollingWindow, StatsMatchSamples) {
  RollingWindow w(5min);
  DenseHistogram scratch;
  for (int i = 1; i <= 100; ++i) w.Record(std::chrono::milliseconds(i), T(std::chrono::seconds(i)));
  auto s = w.Stats(T(100s), scratch);
  EXPECT_EQ(s.count, 100u);
  EXPECT_NEAR(s.p50, 50e6, 50e6 * 0.01);
  EXPECT_NEAR(s.p90, 90e6, 90e6 * 0.01);
  EXPECT_NEAR(s.p95, 95e6, 95e6 * 0.01);
  EXPECT_NEAR(s.p99, 99e6, 99e6 * 0.01);
  EXPECT_DOUBLE_EQ(s.mean_ns, 50.5e6);
  EXPECT_EQ(s.min, 1'000'000);
  EXPECT_EQ(s.max, 100'000'000);
}

TEST(SeriesWindows, EachWindowExpiresOnItsOwn) {
  std::vector<Duration> lengths = {1min, 5min, 1h};
  SeriesWindows series(lengths);
  DenseHistogram scratch;
  series.Record(7ms, T(0s));
  auto count = [&](std::size_t i, Duration at) { return series.Stats(i, T(at), scratch).count; };
  EXPECT_EQ(count(0, 2min), 0u);
  EXPECT_EQ(count(1, 2min), 1u);
  EXPECT_EQ(count(1, 6min), 0u);
  EXPECT_EQ(count(2, 50min), 1u);
  EXPECT_EQ(count(2, 67min), 0u);
}

TEST(SeriesWindows, PendingBatchIsVisibleAndFiledIntoEveryWindow) {
  std::vector<Duration> lengths = {1min, 5min};
  SeriesWindows series(lengths);
  DenseHistogram scratch;
  series.Record(10ms, T(1s));
  series.Record(30ms, T(2s));
  // Still pending (same 6 s slice): visible to queries.
  auto now = series.Stats(0, T(2s), scratch);
  EXPECT_EQ(now.count, 2u);
  EXPECT_EQ(now.max, 30'000'000);
  // Later records flush the batch into both windows; nothing is counted twice.
  series.Record(20ms, T(40s));
  EXPECT_EQ(series.Stats(0, T(40s), scratch).count, 3u);
  EXPECT_EQ(series.Stats(1, T(40s), scratch).count, 3u);
  EXPECT_NEAR(series.Stats(0, T(40s), scratch).p50, 20e6, 20e6 * 0.01);
  // A query long after the batch's slice files it first, then lets it expire normally.
  EXPECT_EQ(series.Stats(0, T(110s), scratch).count, 0u);
  EXPECT_EQ(series.Stats(1, T(110s), scratch).count, 3u);
}

TEST(SeriesWindows, MatchesASingleWindowFedDirectly) {
  std::vector<Duration> lengths = {1min, 5min, 1h};
  SeriesWindows series(lengths);
  RollingWindow direct(5min);
  DenseHistogram a, b;
  for (int i = 0; i < 2000; ++i) {
    const auto v = std::chrono::microseconds(100 + (i * 7919) % 90000);
    const auto t = T(std::chrono::milliseconds(i * 250));
    series.Record(v, t);
    direct.Record(v,
                  T(std::chrono::seconds((i * 250 / 1000) / 6 * 6)));  // rounded to the 6 s slice
  }
  const auto at = T(500s);
  auto s1 = series.Stats(1, at, a);
  auto s2 = direct.Stats(at, b);
  EXPECT_EQ(s1.count, s2.count);
  EXPECT_EQ(s1.p50, s2.p50);
  EXPECT_EQ(s1.p99, s2.p99);
  EXPECT_DOUBLE_EQ(s1.mean_ns, s2.mean_ns);
}

TEST(SeriesWindows, ABurstTurnsThePendingSliceDenseAndStaysExact) {
  std::vector<Duration> lengths = {1min, 5min};
  SeriesWindows series(lengths);
  RollingWindow direct(1min);
  DenseHistogram a, b;
  // A few values, then a load test's burst: far more distinct buckets than the sparse slice
  // holds, in the same 6 s slice, then a later slice.
  for (int i = 0; i < 3000; ++i) {
    const auto v = std::chrono::microseconds(50 + (i * 7919) % 400000);
    const auto t = T(std::chrono::milliseconds(i < 2000 ? i : 6000 + i));
    series.Record(v, t);
    direct.Record(v, T(i < 2000 ? 0s : 6s));
    if (i == 10 || i == 1999) {
      // Mid-slice, the pending batch is part of the statistics.
      const auto s1 = series.Stats(0, t, a);
      const auto s2 = direct.Stats(t, b);
      EXPECT_EQ(s1.count, s2.count);
      EXPECT_EQ(s1.p50, s2.p50);
      EXPECT_EQ(s1.p99, s2.p99);
    }
  }
  const auto s1 = series.Stats(0, T(20s), a);
  const auto s2 = direct.Stats(T(20s), b);
  EXPECT_EQ(s1.count, 3000u);
  EXPECT_EQ(s1.count, s2.count);
  EXPECT_EQ(s1.p50, s2.p50);
  EXPECT_EQ(s1.p95, s2.p95);
  EXPECT_EQ(s1.max, s2.max);
  EXPECT_DOUBLE_EQ(s1.mean_ns, s2.mean_ns);
}

TEST(SeriesWindows, AProbeEveryTenSecondsHoldsNoDenseSlice) {
  std::vector<Duration> lengths = {1min, 5min, 1h};
  SeriesWindows series(lengths);
  series.Record(1ms, T(0s));
  // A dense pending slice alone would be Bucketing::kCount * 4 bytes.
  EXPECT_LT(series.MemoryBytes(), Bucketing::kCount * sizeof(std::uint32_t));
}

TEST(SeriesWindows, MemoryAtProbeRatesUnder64KiB) {
  std::vector<Duration> lengths = {1min, 5min, 1h};
  SeriesWindows series(lengths);
  // One probe every second for two hours, latencies spread over two decades.
  for (int i = 0; i < 7200; ++i) {
    series.Record(std::chrono::microseconds(500 + (i * 7919) % 50000), T(std::chrono::seconds(i)));
  }
  EXPECT_LE(series.MemoryBytes(), 64u * 1024u);
}

// The intervals of a window, from its histogram: they bracket the point estimates, an
// underpowered percentile has no upper bound, and a larger window narrows them.
// Samples that share one bucket leave the mean as uncertain as the bucket is wide.
TEST(WindowIntervals, TheMeanOfOneBucketIsNotCertain) {
  DenseHistogram h;
  for (int i = 0; i < 10; ++i) h.Record(100'000'000 + i * 10'000);  // 100.00 .. 100.09 ms
  const WindowStats s = StatsOf(h, true);
  EXPECT_GT(s.intervals->mean.high - s.intervals->mean.low, 0.0);
  EXPECT_TRUE(s.intervals->mean.Contains(s.mean_ns));
}

TEST(WindowIntervals, BracketTheStatisticsAndNarrowWithSamples) {
  DenseHistogram twenty;
  for (int i = 1; i <= 20; ++i) twenty.Record(i * 1'000'000);  // 1..20 ms
  const WindowStats s = StatsOf(twenty, true);
  ASSERT_TRUE(s.intervals.has_value());
  EXPECT_TRUE(s.intervals->p50.bounded());
  EXPECT_TRUE(s.intervals->p50.Contains(static_cast<double>(s.p50)));
  EXPECT_GE(s.intervals->p50.low, 5e6);  // order statistics 6 and 15, at bucket edges
  EXPECT_LE(s.intervals->p50.high, 15.3e6);
  EXPECT_FALSE(std::isfinite(s.intervals->p99.high));  // the p99 of 20 is only their maximum
  EXPECT_TRUE(s.intervals->mean.Contains(s.mean_ns));
  EXPECT_FALSE(StatsOf(twenty).intervals.has_value());  // only when asked for

  DenseHistogram thousand;
  for (int i = 1; i <= 1000; ++i) thousand.Record(i * 20'000);  // 0.02..20 ms
  const WindowStats t = StatsOf(thousand, true);
  EXPECT_TRUE(t.intervals->p99.bounded());
  EXPECT_TRUE(t.intervals->p95.Contains(static_cast<double>(t.p95)));
  EXPECT_LT(t.intervals->p50.high - t.intervals->p50.low,
            s.intervals->p50.high - s.intervals->p50.low);
}

}  // namespace
}  // namespace reznet::stats
