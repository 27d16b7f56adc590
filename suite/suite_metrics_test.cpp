// The suite room's series (suite/suite_metrics.hpp): results per profile and the live counters of
// load tests run inside the daemon.
#include "suite/suite_metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "probes/live.hpp"

namespace reznet::suite {
namespace {

using ::testing::HasSubstr;

std::string Text(common::MetricsRegistry& registry) {
  std::string out;
  registry.Render(out, std::chrono::steady_clock::now());
  return out;
}

TEST(SuiteMetrics, LoadCountersFollowTheLiveValuesUntilTheEnd) {
  common::MetricsRegistry registry;
  SuiteMetrics e(registry);
  probes::LiveCounters live;
  live.requests = 10;
  live.active_users = 4;
  e.BeginLoad("flow", &live);
  EXPECT_TRUE(registry.Live());  // /metrics is rendered afresh while it runs
  EXPECT_THAT(Text(registry), HasSubstr("reznet_perf_load_requests_total{test=\"flow\"} 10"));
  live.requests = 25;
  e.EndLoad("flow");
  live.requests = 99;  // after the end: no longer read
  const std::string text = Text(registry);
  EXPECT_THAT(text, HasSubstr("reznet_perf_load_requests_total{test=\"flow\"} 25"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_load_active_users{test=\"flow\"} 0"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_load_running{test=\"flow\"} 0"));
  EXPECT_FALSE(registry.Live());
  // A second run of the same test adds to its counters.
  probes::LiveCounters again;
  again.requests = 5;
  e.BeginLoad("flow", &again);
  EXPECT_THAT(Text(registry), HasSubstr("reznet_perf_load_requests_total{test=\"flow\"} 30"));
}

TEST(SuiteMetrics, ProfilesAreDeclaredAtZeroAndRunsRecorded) {
  common::MetricsRegistry registry;
  SuiteMetrics e(registry);
  e.AddProfile("quick");
  EXPECT_THAT(Text(registry),
              HasSubstr("reznet_perf_suite_runs_total{profile=\"quick\",result=\"failed\"} 0"));
  EXPECT_THAT(Text(registry), HasSubstr("reznet_perf_history_write_failures_total 0"));
  e.RecordRun("quick", "passed", 12.5, 1700000000, 0);
  e.CountHistoryWriteFailure();
  const std::string text = Text(registry);
  EXPECT_THAT(text,
              HasSubstr("reznet_perf_suite_runs_total{profile=\"quick\",result=\"passed\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_suite_last_success{profile=\"quick\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_suite_last_duration_seconds{profile=\"quick\"} 12.5"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_history_write_failures_total 1"));
}

}  // namespace
}  // namespace reznet::suite
