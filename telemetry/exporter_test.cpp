#include "telemetry/exporter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "probes/live.hpp"

namespace reznet::telemetry {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const auto kWall = std::chrono::system_clock::time_point(1'700'000'000s);

probes::Outcome Ratios(double hit, double reduction) {
  probes::Outcome o;
  o.SetCounter("hit_ratio", hit);
  o.SetCounter("query_reduction", reduction);
  return o;
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

TEST(Exporter, DefaultRatioGaugesAreTheCacheRatios) {
  Exporter e({1min}, {"v", "r"});
  e.AddProbe("cache", "cache", {}, DefaultRatioGauges());
  e.Record("cache", Ratios(0.9, 0.0512), kWall);
  const std::string text = e.Render({});
  EXPECT_THAT(text, HasSubstr("# HELP reznet_perf_cache_hit_ratio Cache hits / (hits + misses) "
                              "seen by the last run (redis keyspace or cache probe)."));
  EXPECT_THAT(text, HasSubstr("reznet_perf_cache_hit_ratio{probe=\"cache\"} 0.9"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_cache_query_reduction_ratio{probe=\"cache\"} 0.0512"));
}

TEST(Exporter, RatioGaugesAreDataAndAnEmptyNameIsNotExported) {
  Exporter e({1min}, {"v", "r"});
  e.AddProbe("kv", "redis", {}, {{"hit_ratio", "reznet_perf_redis_hit_ratio"}});
  e.AddProbe("cache", "cache", {}, {{"hit_ratio", ""}, {"query_reduction", ""}});
  e.AddProbe("api", "http", {}, {});
  e.Record("kv", Ratios(0.75, 0.5), kWall);
  e.Record("cache", Ratios(0.9, 0.0512), kWall);
  e.Record("api", Ratios(0.1, 0.2), kWall);
  const std::string text = e.Render({});
  EXPECT_THAT(text, HasSubstr("# TYPE reznet_perf_redis_hit_ratio gauge"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_redis_hit_ratio{probe=\"kv\"} 0.75"));
  EXPECT_THAT(text, Not(HasSubstr("reznet_perf_cache_hit_ratio")));
  EXPECT_THAT(text, Not(HasSubstr("query_reduction")));
  e.RemoveProbe("kv");
  EXPECT_THAT(e.Render({}), Not(HasSubstr("reznet_perf_redis_hit_ratio{")));
}

TEST(Exporter, RefusesARatioGaugeNameThatIsTaken) {
  Exporter e({1min}, {"v", "r"});
  EXPECT_THROW(e.AddProbe("x", "http", {}, {{"status", "reznet_perf_probe_runs_total"}}),
               std::invalid_argument);
  EXPECT_THROW(e.AddProbe("y", "http", {}, {{"status", "not a metric name"}}),
               std::invalid_argument);
  EXPECT_THAT(e.Render({}), Not(HasSubstr("probe=\"x\"")));
}

TEST(Exporter, WindowGaugesComeFromTheSnapshot) {
  Exporter e({1min, 5min}, {"v", "r"});
  e.AddProbe("api", "http", {}, DefaultRatioGauges());
  probes::Outcome o;
  o.Record("total", 20ms);
  e.Record("api", o, kWall);
  stats::WindowStats s;
  s.count = 7;
  s.p50 = s.p90 = s.p95 = s.p99 = s.max = 20'000'000;
  s.mean_ns = 20'000'000;
  const std::string text =
      e.Render({{"api", "total", {s, stats::WindowStats{}}}, {"other", "total", {s, s}}});
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_window_samples{phase=\"total\",probe=\"api\","
                              "window=\"1m\"} 7"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_window_seconds{phase=\"total\",probe=\"api\","
                              "stat=\"p99\",window=\"1m\"} 0.02"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_window_seconds{phase=\"total\",probe=\"api\","
                              "stat=\"p99\",window=\"5m\"} NaN"));
  EXPECT_THAT(text, Not(HasSubstr("probe=\"other\"")));
}

TEST(Exporter, LoadCountersFollowTheLiveValuesUntilTheEnd) {
  Exporter e({1min}, {"v", "r"});
  probes::LiveCounters live;
  live.requests = 10;
  live.active_users = 4;
  e.BeginLoad("flow", &live);
  EXPECT_THAT(e.Render({}), HasSubstr("reznet_perf_load_requests_total{test=\"flow\"} 10"));
  live.requests = 25;
  e.EndLoad("flow");
  live.requests = 99;  // after the end: no longer read
  const std::string text = e.Render({});
  EXPECT_THAT(text, HasSubstr("reznet_perf_load_requests_total{test=\"flow\"} 25"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_load_active_users{test=\"flow\"} 0"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_load_running{test=\"flow\"} 0"));
}

TEST(Exporter, DiscoveryCountsAndTargetInfoFollowTheirProbe) {
  Exporter e({1min}, {"v", "r"});
  e.AddProbe("web/a:1", "http", {}, {});
  e.SetTargetInfo("web/a:1", "a:1", {{"team", "pay"}});
  e.RecordDiscovery("web", 1, {{"over_limit", 3}}, 2);
  e.RecordDiscovery("web", 1, {}, 0);
  std::string text = e.Render({});
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_target_info{probe=\"web/a:1\",target=\"a:1\","
                              "team=\"pay\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_discovery_targets{probe=\"web\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_discovery_skipped_targets{probe=\"web\","
                              "reason=\"over_limit\"} 0"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_discovery_errors_total{probe=\"web\"} 2"));
  const auto generation = e.Generation();
  e.SetTargetInfo("web/a:1", "a:1", {{"team", "pay"}});  // unchanged: /metrics holds
  EXPECT_EQ(e.Generation(), generation);
  e.SetTargetInfo("web/a:1", "a:1", {{"team", "payments"}});
  EXPECT_THAT(e.Render({}), Not(HasSubstr("team=\"pay\"")));
  e.RemoveProbe("web/a:1");
  e.RemoveDiscovery("web");
  text = e.Render({});
  EXPECT_THAT(text, Not(HasSubstr("target_info{")));
  EXPECT_THAT(text, Not(HasSubstr("probe=\"web\"")));
}

}  // namespace
}  // namespace reznet::telemetry
