#include "telemetry/telemetry.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <cmath>
#include <regex>
#include <thread>

#include "nfr/nfr_metrics.hpp"
#include "stats/interval.hpp"

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
  o.SetCounter("status", 200);
  return o;
}

TEST(Telemetry, ExportsRunsWindowsAndHistogram) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min, 5min});
  t.AddProbe("api", "http");
  t.Consume("api", Ok(50ms), kNow, kWall);
  t.Consume("api", Ok(70ms), kNow, kWall);
  probes::Outcome failed;
  failed.Fail(clients::ErrorKind::kConnect, "connect to 127.0.0.1:1: Connection refused");
  t.Consume("api", failed, kNow, kWall);
  t.probe_metrics().CountOverruns("api", 2);
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
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min});
  t.AddProbe("api", "http");
  t.Consume("api", Ok(10ms), kNow, kWall);
  EXPECT_EQ(t.windows().Window("api", "total", 1min, kNow).count, 1u);
  EXPECT_EQ(t.windows().Window("api", "total", 1min, kNow + 2min).count, 0u);
  const std::string text = t.RenderMetrics(kNow + 2min);
  EXPECT_THAT(
      text,
      HasSubstr("reznet_perf_probe_window_samples{phase=\"total\",probe=\"api\",window=\"1m\"} 0"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_window_seconds{phase=\"total\",probe=\"api\",stat="
                              "\"p50\",window=\"1m\"} NaN"));
}

TEST(Telemetry, SkippedRunDoesNotChangeSuccessGauge) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min});
  t.AddProbe("llm", "llm");
  t.Consume("llm", Ok(1ms), kNow, kWall);
  t.Consume("llm", probes::Outcome::Skipped("ANTHROPIC_API_KEY is not set"), kNow, kWall);
  const std::string text = t.RenderMetrics(kNow);
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_success{probe=\"llm\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_runs_total{probe=\"llm\",result=\"skipped\"} 1"));
}

TEST(Telemetry, StatusJsonCarriesLastOutcomeAndWindows) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min});
  t.AddProbe("api", "http");
  t.Consume("api", Ok(50ms), kNow, kWall);
  const std::string json = t.StatusJson(kNow);
  EXPECT_THAT(json, HasSubstr("\"name\": \"api\""));
  EXPECT_THAT(json, HasSubstr("\"phases\": {\"total\": [0.05]}"));
  EXPECT_THAT(json, HasSubstr("\"1m\": {\"count\": 1, \"p50\": 0.05"));
}

// Probe "api": runs of 10, 20, … 100 ms, then one that timed out.
void TenRunsAndATimeout(Telemetry& t) {
  t.AddProbe("api", "http");
  for (int i = 1; i <= 10; ++i)
    t.Consume("api", Ok(std::chrono::milliseconds(i * 10)), kNow, kWall);
  probes::Outcome failed;
  failed.Fail(clients::ErrorKind::kTimeout, "x");
  t.Consume("api", failed, kNow, kWall);
}

// What a rule reads carries the interval of its statistic: in seconds for latency, Wilson for the
// error rate; a ratio of counters has none (issue #26).
TEST(Telemetry, ObservationsCarryTheirIntervals) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min});
  TenRunsAndATimeout(t);
  config::NfrRule p50;
  p50.probe = "api";
  p50.phase = "total";
  p50.stat = config::NfrStat::kP50;
  p50.window = 1min;
  const auto obs = t.windows().Observe(p50, kNow);
  ASSERT_TRUE(obs.interval.has_value());
  EXPECT_TRUE(obs.interval->Contains(*obs.value));
  EXPECT_GT(obs.interval->low, 0.005);  // seconds, not nanoseconds
  EXPECT_LT(obs.interval->high, 0.2);
  config::NfrRule p99 = p50;
  p99.stat = config::NfrStat::kP99;  // 10 samples cannot bound a p99 from above
  EXPECT_FALSE(std::isfinite(t.windows().Observe(p99, kNow).interval->high));
  config::NfrRule errors = p50;
  errors.stat = config::NfrStat::kErrorRate;
  const auto e = t.windows().Observe(errors, kNow);
  ASSERT_TRUE(e.interval.has_value());
  EXPECT_NEAR(e.interval->low, stats::WilsonInterval(1, 11).low, 1e-12);
  EXPECT_NEAR(e.interval->high, stats::WilsonInterval(1, 11).high, 1e-12);
  config::NfrRule hits = p50;
  hits.stat = config::NfrStat::kRatio;
  hits.phase = "hit_ratio";
  probes::Outcome ratio;
  ratio.SetCounter("hit_ratio", 0.5);
  t.Consume("api", ratio, kNow, kWall);
  EXPECT_FALSE(t.windows().Observe(hits, kNow).interval.has_value());
}

TEST(Telemetry, ObservationsForNfrRules) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min, 5min});
  nfr::NfrMetrics nfr_metrics(registry);  // the NFR room's series, on the same /metrics
  TenRunsAndATimeout(t);
  probes::Outcome ratio;
  ratio.SetCounter("hit_ratio", 0.5);
  t.Consume("api", ratio, kNow, kWall);
  ratio.SetCounter("hit_ratio", 0.9);
  t.Consume("api", ratio, kNow, kWall);

  config::NfrRule p95;
  p95.probe = "api";
  p95.phase = "total";
  p95.stat = config::NfrStat::kP95;
  p95.window = 1min;
  auto obs = t.windows().Observe(p95, kNow);
  EXPECT_EQ(obs.samples, 10u);
  EXPECT_NEAR(*obs.value, 0.100, 0.001);
  config::NfrRule errors = p95;
  errors.stat = config::NfrStat::kErrorRate;
  obs = t.windows().Observe(errors, kNow);
  EXPECT_EQ(obs.samples, 13u);
  EXPECT_DOUBLE_EQ(*obs.value, 1.0 / 13);
  config::NfrRule hits = p95;
  hits.stat = config::NfrStat::kRatio;
  hits.phase = "hit_ratio";
  obs = t.windows().Observe(hits, kNow);
  EXPECT_EQ(obs.samples, 2u);
  EXPECT_DOUBLE_EQ(*obs.value, 0.7);
  EXPECT_FALSE(t.windows().Observe(hits, kNow + 10min).value);  // expired out of the window

  config::NfrRule rule = p95;
  rule.name = "api_p95";
  rule.threshold = 0.05;
  nfr::RuleState st;
  st.state = nfr::NfrState::kFiring;
  st.value = 0.1;
  st.good = 3;
  st.events = 5;
  nfr_metrics.Publish(rule, st);
  t.status().PublishNfr(rule, st);
  const std::string text = t.RenderMetrics(kNow);
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_ok{nfr=\"api_p95\",severity=\"page\"} 0"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_state{nfr=\"api_p95\",state=\"firing\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_state{nfr=\"api_p95\",state=\"ok\"} 0"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_threshold{nfr=\"api_p95\"} 0.05"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_good_total{nfr=\"api_p95\"} 3"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_events_total{nfr=\"api_p95\"} 5"));
  EXPECT_THAT(t.StatusJson(kNow),
              HasSubstr("\"nfrs\": [{\"name\": \"api_p95\", \"probe\": \"api\", \"stat\": \"p95\", "
                        "\"state\": \"firing\", \"value\": 0.1, \"promise\": \"< 50ms\""));
}

// Every sample of a burn-rate rule's phase counts, good or bad against its threshold; an
// error_rate rule counts runs; skipped runs count for neither (nfr/slo_ledger.hpp).
TEST(Telemetry, OutcomesFeedTheBurnRateRulesOfTheirProbe) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min});
  t.AddProbe("api", "http");
  config::NfrRule p95;
  p95.name = "api_burn";
  p95.probe = "api";
  p95.phase = "total";
  p95.stat = config::NfrStat::kP95;
  p95.threshold = 0.1;
  p95.alert = config::NfrAlert::kBurnRate;
  config::NfrRule errors = p95;
  errors.name = "api_errors_burn";
  errors.stat = config::NfrStat::kErrorRate;
  errors.threshold = 0.05;
  t.slo().SetRules({p95, errors});
  probes::Outcome many;
  for (auto d : {50ms, 150ms, 100ms}) many.Record("total", d);
  many.RecordWeighted("total", 200ms, 4);
  many.Record("ttfb", 900ms);  // another phase: not the rule's
  t.Consume("api", many, kNow, kWall);
  probes::Outcome failed = Ok(20ms);
  failed.Fail(clients::ErrorKind::kHttpStatus, "503");
  t.Consume("api", failed, kNow, kWall);
  t.Consume("api", probes::Outcome::Skipped("no key"), kNow, kWall);
  EXPECT_EQ(SloEventsOf(p95, many), (nfr::SloEvents{7, 6}));
  // A run that timed out before any response: one bad event, not silence (a dead service must
  // not resolve a burn-rate page by going quiet); a successful run without the phase: nothing.
  probes::Outcome timed_out;
  timed_out.Fail(clients::ErrorKind::kTimeout, "no response in 5s");
  EXPECT_EQ(SloEventsOf(p95, timed_out), (nfr::SloEvents{1, 1}));
  EXPECT_EQ(SloEventsOf(p95, probes::Outcome{}), (nfr::SloEvents{}));
  const std::string text = t.RenderMetrics(kNow);
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_slo_samples_total{nfr=\"api_burn\"} 8"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_slo_bad_samples_total{nfr=\"api_burn\"} 6"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_slo_samples_total{nfr=\"api_errors_burn\"} 2"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_slo_bad_samples_total{nfr=\"api_errors_burn\"} 1"));
  const nfr::Observation obs = t.slo().Observe(p95, kNow);
  EXPECT_EQ(obs.samples, 8u);
  EXPECT_DOUBLE_EQ(*obs.value, 6.0 / 8);
}

TEST(Telemetry, StatusPageChartsThePhaseRulesRead) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min});
  t.AddProbe("db", "postgres");
  probes::Outcome first;  // a run that had to connect first
  first.Record("connect", 5ms);
  first.Record("query", 2ms);
  first.Record("query", 4ms);
  t.Consume("db", first, kNow, kWall);
  probes::Outcome second;  // reusing the connection
  second.Record("query", 1ms);
  t.Consume("db", second, kNow, kWall + 1s);
  probes::Outcome failed;
  failed.Fail(clients::ErrorKind::kTimeout, "statement timeout");
  t.Consume("db", failed, kNow, kWall + 2s);
  const auto page = t.status().StatusPage(kWall + 3s);
  ASSERT_EQ(page.probes.size(), 1u);
  const auto& db = page.probes[0];
  EXPECT_EQ(db.phase, "query");
  ASSERT_EQ(db.points.size(), 2u);
  EXPECT_NEAR(db.points[0].second, 0.003, 1e-9);  // the run's mean
  EXPECT_NEAR(db.points[1].second, 0.001, 1e-9);
  EXPECT_EQ(db.error_kind, "timeout");
  ASSERT_EQ(page.failures.size(), 1u);
  EXPECT_EQ(page.failures[0].detail, "statement timeout");
}

TEST(Telemetry, ProbeExportDeclaresRatioGaugesAndTheChartedPhase) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min});
  t.AddProbe(
      "kv", "redis", {},
      ProbeExport{.ratio_gauges =
                      std::vector<config::KindRatio>{{"hit_ratio", "reznet_perf_redis_hit_ratio"}},
                  .chart_phase = "set"});
  t.AddProbe("cache", "cache", {},  // the guessed chart phase
             ProbeExport{.ratio_gauges = std::vector<config::KindRatio>{
                             {"hit_ratio", "reznet_perf_cache_hit_ratio"}}});
  probes::Outcome o;
  o.Record("set", 2ms);
  o.Record("get", 1ms);
  o.SetCounter("hit_ratio", 0.5);
  t.Consume("kv", o, kNow, kWall);
  t.Consume("cache", o, kNow, kWall);
  const std::string text = t.RenderMetrics(kNow);
  EXPECT_THAT(text, HasSubstr("reznet_perf_redis_hit_ratio{probe=\"kv\"} 0.5"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_cache_hit_ratio{probe=\"cache\"} 0.5"));
  EXPECT_THAT(text, Not(HasSubstr("reznet_perf_cache_hit_ratio{probe=\"kv\"}")));
  const auto page = t.status().StatusPage(kWall);
  ASSERT_EQ(page.probes.size(), 2u);
  EXPECT_EQ(page.probes[0].name, "cache");
  EXPECT_EQ(page.probes[0].phase, "get");
  EXPECT_EQ(page.probes[1].phase, "set");
  EXPECT_NEAR(page.probes[1].points.at(0).second, 0.002, 1e-12);
}

// One thread records while another renders /metrics, the status JSON and page and observes
// rules, and a third changes probes and rules as a reload would. Run under ThreadSanitizer too.
TEST(Telemetry, RecordsWhileOthersRenderAndReload) {
  common::MetricsRegistry registry;
  Telemetry t(registry, {1min, 5min});
  t.AddProbe("api", "http");
  t.AddProbe("db", "postgres");
  constexpr int kRuns = 2000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kRuns; ++i) {
      probes::Outcome o = Ok(std::chrono::milliseconds(1 + i % 50));
      o.Record("phase_" + std::to_string(i % 7), 1ms);
      constexpr probes::ErrorKind kKinds[] = {probes::ErrorKind::kConnect,
                                              probes::ErrorKind::kTimeout, probes::ErrorKind::kIo};
      if (i % 5 == 0) o.Fail(kKinds[i % 3], "detail");
      o.SetCounter("hit_ratio", 0.5);
      t.Consume("api", o, kNow + std::chrono::milliseconds(i), kWall);
      t.Consume("db", o, kNow, kWall);
      t.status().SetNextRun("api", kWall + 1s);
    }
    done = true;
  });
  std::thread reloader([&] {
    config::NfrRule rule;
    rule.name = "api_p95";
    rule.probe = "api";
    rule.phase = "total";
    rule.window = 1min;
    for (int i = 0; !done; ++i) {
      t.status().PublishNfr(rule, nfr::RuleState{});
      t.RemoveProbe("db");
      t.AddProbe("db", "postgres");
      if (i % 2) t.status().RemoveNfr("api_p95");
      t.probe_metrics().CountOverruns("api", 1);
    }
  });
  config::NfrRule p95;
  p95.probe = "api";
  p95.phase = "total";
  p95.window = 1min;
  int reads = 0;
  while (!done || reads == 0) {
    EXPECT_THAT(t.RenderMetrics(kNow), HasSubstr("reznet_perf_probe_runs_total"));
    EXPECT_NO_THROW(boost::json::parse(t.StatusJson(kNow)));
    EXPECT_FALSE(t.status().StatusPage(kWall).probes.empty());
    t.windows().Observe(p95, kNow);
    ++reads;
  }
  writer.join();
  reloader.join();
  const std::string text = t.RenderMetrics(kNow + 10s);
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_runs_total{probe=\"api\",result=\"success\"} " +
                              std::to_string(kRuns - kRuns / 5)));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_duration_seconds_count{kind=\"http\",phase="
                              "\"total\",probe=\"api\"} " +
                              std::to_string(kRuns)));
  EXPECT_EQ(t.windows().Window("api", "total", 5min, kNow + 10s).count,
            static_cast<std::uint64_t>(kRuns));
}

}  // namespace
}  // namespace reznet::telemetry
