#include "daemon/telemetry.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

namespace reznet::daemon {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const Clock::time_point kNow = Clock::time_point(500h);
const auto kWall = std::chrono::system_clock::time_point(1'700'000'000s);

probes::Outcome Ok(Duration total) {
  probes::Outcome o;
  o.Record("total", total);
  o.SetCounter("status", 200);
  return o;
}

TEST(Telemetry, ExportsRunsWindowsAndHistogram) {
  Telemetry t({1min, 5min}, {"1.2.3", "abc"});
  t.AddProbe("api", "http");
  t.Consume("api", Ok(50ms), kNow, kWall);
  t.Consume("api", Ok(70ms), kNow, kWall);
  probes::Outcome failed;
  failed.Fail("connect", "connect to 127.0.0.1:1: Connection refused");
  t.Consume("api", failed, kNow, kWall);
  t.CountOverruns("api", 2);
  const std::string text = t.RenderMetrics(kNow);
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_runs_total{probe=\"api\",result=\"success\"} 2"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_runs_total{probe=\"api\",result=\"failure\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_runs_total{probe=\"api\",result=\"overrun\"} 2"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_runs_total{probe=\"api\",result=\"skipped\"} 0"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_errors_total{error=\"connect\",probe=\"api\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_success{probe=\"api\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("reznet_perf_probe_last_run_timestamp_seconds{probe=\"api\"} 1700000000"));
  EXPECT_THAT(
      text,
      HasSubstr("reznet_perf_probe_window_samples{phase=\"total\",probe=\"api\",window=\"1m\"} 2"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_window_seconds{phase=\"total\",probe=\"api\",stat="
                              "\"mean\",window=\"5m\"} 0.06"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_duration_seconds_bucket{kind=\"http\",phase="
                              "\"total\",probe=\"api\",le=\"0.05\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_duration_seconds_bucket{kind=\"http\",phase="
                              "\"total\",probe=\"api\",le=\"+Inf\"} 2"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_duration_seconds_count{kind=\"http\",phase="
                              "\"total\",probe=\"api\"} 2"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_build_info{revision=\"abc\",version=\"1.2.3\"} 1"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_resident_memory_bytes gauge"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter"));
  // p50 of {50ms, 70ms} by nearest rank is 50 ms (within the histogram's 1 %).
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      text, m,
      std::regex(
          R"(reznet_perf_probe_window_seconds\{phase="total",probe="api",stat="p50",window="1m"\} ([0-9.e-]+))")));
  EXPECT_NEAR(std::stod(m[1]), 0.050, 0.0005);
}

TEST(Telemetry, WindowsExpireWithTime) {
  Telemetry t({1min}, {"v", "r"});
  t.AddProbe("api", "http");
  t.Consume("api", Ok(10ms), kNow, kWall);
  EXPECT_EQ(t.Window("api", "total", 1min, kNow).count, 1u);
  EXPECT_EQ(t.Window("api", "total", 1min, kNow + 2min).count, 0u);
  const std::string text = t.RenderMetrics(kNow + 2min);
  EXPECT_THAT(
      text,
      HasSubstr("reznet_perf_probe_window_samples{phase=\"total\",probe=\"api\",window=\"1m\"} 0"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_window_seconds{phase=\"total\",probe=\"api\",stat="
                              "\"p50\",window=\"1m\"} NaN"));
}

TEST(Telemetry, SkippedRunDoesNotChangeSuccessGauge) {
  Telemetry t({1min}, {"v", "r"});
  t.AddProbe("llm", "llm");
  t.Consume("llm", Ok(1ms), kNow, kWall);
  t.Consume("llm", probes::Outcome::Skipped("ANTHROPIC_API_KEY is not set"), kNow, kWall);
  const std::string text = t.RenderMetrics(kNow);
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_success{probe=\"llm\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_runs_total{probe=\"llm\",result=\"skipped\"} 1"));
}

TEST(Telemetry, StatusJsonCarriesLastOutcomeAndWindows) {
  Telemetry t({1min}, {"v", "r"});
  t.AddProbe("api", "http");
  t.Consume("api", Ok(50ms), kNow, kWall);
  const std::string json = t.StatusJson(kNow);
  EXPECT_THAT(json, HasSubstr("\"name\": \"api\""));
  EXPECT_THAT(json, HasSubstr("\"phases\": {\"total\": [0.05]}"));
  EXPECT_THAT(json, HasSubstr("\"1m\": {\"count\": 1, \"p50\": 0.05"));
}

}  // namespace
}  // namespace reznet::daemon
