// The cardinality budget (which window gauges a probe exports) and the /metrics cache.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "telemetry/telemetry.hpp"

namespace reznet::telemetry {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const SteadyClock::time_point kNow = SteadyClock::time_point(500h);
const auto kWall = std::chrono::system_clock::time_point(1'700'000'000s);

probes::Outcome Ok(Duration total) {
  probes::Outcome o;
  o.Record("total", total);
  o.Record("connect", total / 2);
  return o;
}

// The `window`/`stat` label pairs of one probe's window gauges, sorted, e.g. "5m/p95".
std::vector<std::string> WindowGauges(const std::string& text, const std::string& probe) {
  std::vector<std::string> out;
  const std::regex gauge("reznet_perf_probe_window_seconds\\{phase=\"total\",probe=\"" + probe +
                         "\",stat=\"([a-z0-9]+)\",window=\"([a-z0-9]+)\"\\}");
  for (std::sregex_iterator it(text.begin(), text.end(), gauge), end; it != end; ++it)
    out.push_back((*it)[2].str() + "/" + (*it)[1].str());
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

ProbeExport Budget(std::vector<Duration> windows, std::vector<config::NfrStat> stats) {
  ProbeExport how;
  how.budget = config::ExportBudget{std::move(windows), std::move(stats)};
  return how;
}

TEST(WindowGaugeBudget, OnlyTheChosenWindowsAndStatsBecomeGauges) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min, 5min, 1h});
  t.AddProbe("api", "http", {}, Budget({5min}, config::DefaultExportBudget({5min}).stats));
  t.Consume("api", Ok(50ms), kNow, kWall);
  const std::string text = t.RenderMetrics(kNow);
  EXPECT_EQ(WindowGauges(text, "api"), (std::vector<std::string>{"5m/p50", "5m/p95", "5m/p99"}));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_window_samples{phase=\"total\",probe=\"api\","
                              "window=\"5m\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("window=\"1m\"")));
  EXPECT_THAT(text, Not(HasSubstr("window=\"1h\"")));
  // Histograms stay: one per phase, whatever the budget.
  EXPECT_EQ(Count(text, "reznet_perf_probe_duration_seconds_count{"), 2u);
  EXPECT_EQ(Count(text, "reznet_perf_probe_window_seconds{"), 6u);  // 2 phases x 3
}

TEST(WindowGaugeBudget, PerProbeOverridesAndTheFullBudget) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min, 5min, 1h});
  t.AddProbe("small", "http", {}, Budget({5min}, {config::NfrStat::kP99}));
  t.AddProbe("wide", "http", {},
             Budget({1min, 1h}, {config::NfrStat::kMean, config::NfrStat::kMax}));
  t.AddProbe("full", "http");  // no budget: every window and stat
  for (const char* p : {"small", "wide", "full"}) t.Consume(p, Ok(50ms), kNow, kWall);
  const std::string text = t.RenderMetrics(kNow);
  EXPECT_EQ(WindowGauges(text, "small"), (std::vector<std::string>{"5m/p99"}));
  EXPECT_EQ(WindowGauges(text, "wide"),
            (std::vector<std::string>{"1h/max", "1h/mean", "1m/max", "1m/mean"}));
  EXPECT_EQ(WindowGauges(text, "full").size(), 18u);
}

TEST(WindowGaugeBudget, AReloadChangesTheGaugesOfADeclaredProbe) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min, 5min});
  t.AddProbe("api", "http", {}, Budget({5min}, {config::NfrStat::kP50}));
  t.Consume("api", Ok(50ms), kNow, kWall);
  EXPECT_EQ(WindowGauges(t.RenderMetrics(kNow), "api"), (std::vector<std::string>{"5m/p50"}));
  t.windows().SetBudget("api", config::ExportBudget{{1min}, {config::NfrStat::kMax}});
  const std::string text = t.RenderMetrics(kNow);
  EXPECT_EQ(WindowGauges(text, "api"), (std::vector<std::string>{"1m/max"}));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_window_seconds{phase=\"total\",probe=\"api\","
                              "stat=\"max\",window=\"1m\"} 0.05"));
}

TEST(WindowGaugeBudget, NfrRulesStillReadWindowsThatAreNotExported) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min, 5min, 1h});
  t.AddProbe("api", "http", {}, Budget({5min}, {config::NfrStat::kP50}));
  for (int i = 1; i <= 10; ++i)
    t.Consume("api", Ok(std::chrono::milliseconds(i * 10)), kNow, kWall);
  EXPECT_THAT(t.RenderMetrics(kNow), Not(HasSubstr("window=\"1h\"")));
  config::NfrRule rule;
  rule.probe = "api";
  rule.phase = "total";
  rule.stat = config::NfrStat::kMax;
  rule.window = 1h;
  const auto obs = t.windows().Observe(rule, kNow);
  EXPECT_EQ(obs.samples, 10u);
  EXPECT_NEAR(*obs.value, 0.100, 0.001);
}

TEST(MetricsCache, SameTextWhileNothingChangesNewTextAfterARecord) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min, 5min});
  t.AddProbe("api", "http");
  t.Consume("api", Ok(50ms), kNow, kWall);
  auto without_process = [](const std::string& text) {
    return text.substr(0, text.find("# HELP process_"));
  };
  const std::string first = without_process(t.RenderMetrics(kNow));
  EXPECT_EQ(without_process(t.RenderMetrics(kNow + 1s)), first);  // same slice of every window
  t.Consume("api", Ok(70ms), kNow + 1s, kWall);
  const std::string second = without_process(t.RenderMetrics(kNow + 1s));
  EXPECT_NE(second, first);
  EXPECT_THAT(second,
              HasSubstr("reznet_perf_probe_runs_total{probe=\"api\",result=\"success\"} 2"));
  EXPECT_THAT(second, HasSubstr("reznet_perf_probe_window_samples{phase=\"total\",probe=\"api\","
                                "window=\"1m\"} 2"));
}

TEST(MetricsCache, WindowsMovingOnRenderAgain) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min});
  t.AddProbe("api", "http");
  t.Consume("api", Ok(50ms), kNow, kWall);
  const auto samples =
      "reznet_perf_probe_window_samples{phase=\"total\",probe=\"api\","
      "window=\"1m\"} ";
  EXPECT_THAT(t.RenderMetrics(kNow), HasSubstr(samples + std::string("1")));
  // No record, but the window slid past the sample: the cached text would be stale.
  EXPECT_THAT(t.RenderMetrics(kNow + 2min), HasSubstr(samples + std::string("0")));
}

TEST(MetricsCache, OtherChangesRenderAgain) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min});
  t.AddProbe("api", "http");
  EXPECT_THAT(t.RenderMetrics(kNow), HasSubstr("result=\"overrun\"} 0"));
  t.probe_metrics().CountOverruns("api", 3);
  EXPECT_THAT(t.RenderMetrics(kNow), HasSubstr("result=\"overrun\"} 3"));
  t.probe_metrics().ObserveLateness(2ms);
  EXPECT_THAT(t.RenderMetrics(kNow),
              HasSubstr("reznet_perf_scheduler_lateness_seconds_bucket{le=\"0.0025\"} 1"));
  t.RemoveProbe("api");
  EXPECT_THAT(t.RenderMetrics(kNow), Not(HasSubstr("probe=\"api\"")));
}

}  // namespace
}  // namespace reznet::telemetry
