#include "telemetry/window_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace reznet::telemetry {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const SteadyClock::time_point kNow = SteadyClock::time_point(500h);

config::NfrRule Rule(config::NfrStat stat, std::string phase, Duration window = 1min) {
  config::NfrRule r;
  r.probe = "api";
  r.phase = std::move(phase);
  r.stat = stat;
  r.window = window;
  return r;
}

TEST(WindowGaugeValues, SecondsInStatOrderAndNaNWithoutSamples) {
  stats::WindowStats s;
  s.count = 3;
  s.p50 = 1'000'000;
  s.p90 = 2'000'000;
  s.p95 = 3'000'000;
  s.p99 = 4'000'000;
  s.mean_ns = 2'500'000;
  s.max = 5'000'000;
  EXPECT_EQ(WindowGaugeValues(s), (std::vector<double>{0.001, 0.002, 0.003, 0.004, 0.0025, 0.005}));
  for (double v : WindowGaugeValues(stats::WindowStats{})) EXPECT_TRUE(std::isnan(v));
}

TEST(WindowStore, CollectWritesTheWindowSeriesAtScrapeTime) {
  WindowStore store({1min, 5min});
  store.AddProbe("api");
  probes::Outcome o;
  for (int i = 0; i < 7; ++i) o.Record("total", 20ms);
  store.Record("api", o, kNow);
  std::string text;
  store.Collect(text, kNow + 90s);  // the 1m window has moved past the samples, 5m has not
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_window_samples{phase=\"total\",probe=\"api\","
                              "window=\"5m\"} 7"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_window_seconds{phase=\"total\",probe=\"api\","
                              "stat=\"p99\",window=\"5m\"} 0.02"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_window_seconds{phase=\"total\",probe=\"api\","
                              "stat=\"p99\",window=\"1m\"} NaN"));
  // A declared probe without samples has no window series yet; a removed one none.
  store.AddProbe("quiet");
  store.RemoveProbe("api");
  text.clear();
  store.Collect(text, kNow + 90s);
  EXPECT_THAT(text, Not(HasSubstr("probe=\"api\"")));
  EXPECT_THAT(text, Not(HasSubstr("probe=\"quiet\"")));
}

TEST(LatencyObservation, ReadsTheRulesStatInSeconds) {
  stats::WindowStats s;
  s.count = 4;
  s.p50 = 10'000'000;
  s.p90 = 20'000'000;
  s.p95 = 30'000'000;
  s.p99 = 40'000'000;
  s.max = 50'000'000;
  s.mean_ns = 12'500'000;
  EXPECT_DOUBLE_EQ(*LatencyObservation(s, config::NfrStat::kP50).value, 0.010);
  EXPECT_DOUBLE_EQ(*LatencyObservation(s, config::NfrStat::kP90).value, 0.020);
  EXPECT_DOUBLE_EQ(*LatencyObservation(s, config::NfrStat::kP95).value, 0.030);
  EXPECT_DOUBLE_EQ(*LatencyObservation(s, config::NfrStat::kP99).value, 0.040);
  EXPECT_DOUBLE_EQ(*LatencyObservation(s, config::NfrStat::kMax).value, 0.050);
  EXPECT_DOUBLE_EQ(*LatencyObservation(s, config::NfrStat::kMean).value, 0.0125);
  EXPECT_EQ(LatencyObservation(s, config::NfrStat::kP95).samples, 4u);
  EXPECT_FALSE(LatencyObservation(stats::WindowStats{}, config::NfrStat::kP95).value);
}

TEST(MeanObservation, DividesSumByCount) {
  EXPECT_DOUBLE_EQ(*MeanObservation({1.5, 3}).value, 0.5);
  EXPECT_EQ(MeanObservation({1.5, 3}).samples, 3u);
  EXPECT_FALSE(MeanObservation({0, 0}).value);
}

TEST(WindowStore, RecordsOnlyDeclaredProbes) {
  WindowStore store({1min});
  probes::Outcome o;
  o.Record("total", 10ms);
  store.Record("api", o, kNow);  // not declared
  EXPECT_EQ(store.Window("api", "total", 1min, kNow).count, 0u);
  store.AddProbe("api");
  store.Record("api", o, kNow);
  store.AddProbe("api");  // declaring again keeps the series
  EXPECT_EQ(store.Window("api", "total", 1min, kNow).count, 1u);
  EXPECT_EQ(store.Window("api", "total", 5min, kNow).count, 0u);  // not a configured length
  store.RemoveProbe("api");
  EXPECT_EQ(store.Window("api", "total", 1min, kNow).count, 0u);
  EXPECT_TRUE(store.Snapshot(kNow).empty());
}

TEST(WindowStore, ErrorRateCountsRunsButNotSkippedOnes) {
  WindowStore store({1min, 5min});
  store.AddProbe("api");
  probes::Outcome ok, failed;
  ok.Record("total", 1ms);
  failed.Fail(clients::ErrorKind::kTimeout, "x");
  store.Record("api", ok, kNow);
  store.Record("api", failed, kNow);
  store.Record("api", probes::Outcome::Skipped("no key"), kNow);
  auto obs = store.Observe(Rule(config::NfrStat::kErrorRate, ""), kNow);
  EXPECT_EQ(obs.samples, 2u);
  EXPECT_DOUBLE_EQ(*obs.value, 0.5);
  obs = store.Observe(Rule(config::NfrStat::kErrorRate, "", 5min), kNow + 2min);
  EXPECT_EQ(obs.samples, 2u);
  EXPECT_FALSE(store.Observe(Rule(config::NfrStat::kErrorRate, ""), kNow + 2min).value);
  EXPECT_FALSE(store.Observe(Rule(config::NfrStat::kErrorRate, "", 1h), kNow).value);
}

TEST(WindowStore, FailedRunsKeepTheirLatencyAndWeightedSamplesCountEach) {
  WindowStore store({1min});
  store.AddProbe("kv");
  probes::Outcome o;
  o.Fail(clients::ErrorKind::kTimeout, "slow");
  o.Record("get", 2ms);
  o.RecordWeighted("get", 1ms, 3);
  store.Record("kv", o, kNow);
  config::NfrRule rule = Rule(config::NfrStat::kMax, "get");
  rule.probe = "kv";
  const auto obs = store.Observe(rule, kNow);
  EXPECT_EQ(obs.samples, 4u);
  EXPECT_NEAR(*obs.value, 0.002, 0.00002);
}

TEST(WindowStore, SnapshotIsOrderedByProbeThenPhase) {
  WindowStore store({1min, 5min});
  for (const char* name : {"b", "a"}) store.AddProbe(name);
  probes::Outcome o;
  o.Record("total", 5ms);
  o.Record("connect", 1ms);
  store.Record("b", o, kNow);
  store.Record("a", o, kNow);
  const auto snapshot = store.Snapshot(kNow);
  ASSERT_EQ(snapshot.size(), 4u);
  EXPECT_EQ(snapshot[0].probe + "/" + snapshot[0].phase, "a/connect");
  EXPECT_EQ(snapshot[1].probe + "/" + snapshot[1].phase, "a/total");
  EXPECT_EQ(snapshot[3].probe + "/" + snapshot[3].phase, "b/total");
  ASSERT_EQ(snapshot[3].windows.size(), 2u);
  EXPECT_EQ(snapshot[3].windows[1].count, 1u);
  EXPECT_EQ(store.Snapshot(kNow + 2min)[3].windows[0].count, 0u);  // 1m expired, 5m not
  EXPECT_EQ(store.Snapshot(kNow + 2min)[3].windows[1].count, 1u);
}

}  // namespace
}  // namespace reznet::telemetry
