#include "telemetry/exporter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "probes/live.hpp"

namespace reznet::telemetry {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Text(Exporter& e) {
  std::string out;
  e.Collect(out);
  return out;
}

TEST(Exporter, LoadCountersFollowTheLiveValuesUntilTheEnd) {
  Exporter e({"v", "r"});
  probes::LiveCounters live;
  live.requests = 10;
  live.active_users = 4;
  e.BeginLoad("flow", &live);
  EXPECT_THAT(Text(e), HasSubstr("reznet_perf_load_requests_total{test=\"flow\"} 10"));
  live.requests = 25;
  e.EndLoad("flow");
  live.requests = 99;  // after the end: no longer read
  const std::string text = Text(e);
  EXPECT_THAT(text, HasSubstr("reznet_perf_load_requests_total{test=\"flow\"} 25"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_load_active_users{test=\"flow\"} 0"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_load_running{test=\"flow\"} 0"));
}

TEST(Exporter, DiscoveryCountsFollowTheirProbe) {
  Exporter e({"v", "r"});
  e.RecordDiscovery("web", 1, {{"over_limit", 3}}, 2);
  e.RecordDiscovery("web", 1, {}, 0);
  std::string text = Text(e);
  EXPECT_THAT(text, HasSubstr("reznet_perf_discovery_targets{probe=\"web\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_discovery_skipped_targets{probe=\"web\","
                              "reason=\"over_limit\"} 0"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_discovery_errors_total{probe=\"web\"} 2"));
  e.RemoveDiscovery("web");
  text = Text(e);
  EXPECT_THAT(text, Not(HasSubstr("probe=\"web\"")));
}

}  // namespace
}  // namespace reznet::telemetry
