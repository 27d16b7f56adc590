// The per-probe series (telemetry/probe_metrics.hpp): run counters, kind series and target info.
#include "telemetry/probe_metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

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

std::string Text(ProbeMetrics& m) {
  std::string out;
  m.Collect(out, {});
  return out;
}

// The ratio gauges a kind declares (these: the cache kind's, probes/cache) with their HELP.
const std::vector<config::KindRatio> kCacheRatios = {
    {"hit_ratio", "reznet_perf_cache_hit_ratio",
     "Cache hits / (hits + misses) seen by the last run (redis keyspace or cache probe)."},
    {"query_reduction", "reznet_perf_cache_query_reduction_ratio",
     "1 - db_queries / requests of the last cache probe run."}};

TEST(ProbeMetrics, DeclaredRatioGaugesAreExportedWithTheirHelp) {
  ProbeMetrics e;
  e.Add("cache", {"cache", {}, kCacheRatios, {}});
  e.Record("cache", Ratios(0.9, 0.0512), kWall);
  const std::string text = Text(e);
  EXPECT_THAT(text, HasSubstr("# HELP reznet_perf_cache_hit_ratio Cache hits / (hits + misses) "
                              "seen by the last run (redis keyspace or cache probe)."));
  EXPECT_THAT(text, HasSubstr("reznet_perf_cache_hit_ratio{probe=\"cache\"} 0.9"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_cache_query_reduction_ratio{probe=\"cache\"} 0.0512"));
}

TEST(ProbeMetrics, RatioGaugesAreDataAndAnEmptyNameIsNotExported) {
  ProbeMetrics e;
  e.Add("kv", {"redis", {}, {{"hit_ratio", "reznet_perf_redis_hit_ratio"}}, {}});
  e.Add("cache", {"cache", {}, {{"hit_ratio", ""}, {"query_reduction", ""}}, {}});
  e.Add("api", {"http", {}, {}, {}});
  e.Record("kv", Ratios(0.75, 0.5), kWall);
  e.Record("cache", Ratios(0.9, 0.0512), kWall);
  e.Record("api", Ratios(0.1, 0.2), kWall);
  const std::string text = Text(e);
  EXPECT_THAT(text, HasSubstr("# TYPE reznet_perf_redis_hit_ratio gauge"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_redis_hit_ratio{probe=\"kv\"} 0.75"));
  EXPECT_THAT(text, Not(HasSubstr("reznet_perf_cache_hit_ratio")));
  EXPECT_THAT(text, Not(HasSubstr("query_reduction")));
  e.Remove("kv");
  EXPECT_THAT(Text(e), Not(HasSubstr("reznet_perf_redis_hit_ratio{")));
}

TEST(ProbeMetrics, RefusesARatioGaugeNameThatIsTaken) {
  ProbeMetrics e([] { return std::vector<std::string>{"reznet_perf_nfr_ok_ratio"}; });
  EXPECT_THROW(e.Add("x", {"http", {}, {{"status", "reznet_perf_probe_runs_total"}}, {}}),
               std::invalid_argument);
  EXPECT_THROW(e.Add("y", {"http", {}, {{"status", "not a metric name"}}, {}}),
               std::invalid_argument);
  // Kinds name their series reznet_perf_…: never process_* or another exporter's.
  EXPECT_THROW(e.Add("p", {"llm", {}, {}, {{"a", "process_open_fds", "", false}}}),
               std::invalid_argument);
  EXPECT_THROW(e.Add("z", {"http", {}, {{"status", "reznet_perf_nfr_ok_ratio"}}, {}}),
               std::invalid_argument);
  // A kind series of a fixed family's name, or a counter where another kind declared a gauge.
  EXPECT_THROW(e.Add("w", {"llm", {}, {}, {{"a", "reznet_perf_probe_errors_total", "", true}}}),
               std::invalid_argument);
  e.Add("v", {"llm", {}, {}, {{"a", "reznet_perf_x_tokens", "h", false}}});
  EXPECT_THROW(e.Add("u", {"llm", {}, {}, {{"a", "reznet_perf_x_tokens", "h", true}}}),
               std::invalid_argument);
  const std::string text = Text(e);
  for (const char* refused : {"x", "y", "p", "z", "w", "u"})
    EXPECT_THAT(text, Not(HasSubstr("probe=\"" + std::string(refused) + "\"")));
  EXPECT_THAT(text, HasSubstr("probe=\"v\""));
}

TEST(ProbeMetrics, KindSeriesCarryTheKindLabelsAndCountersSkipSkippedRuns) {
  ProbeMetrics e;
  const std::vector<config::KindMetric> llm = {
      {"output_tokens", "reznet_perf_llm_output_tokens_total", "Output tokens.", true, true},
      {"budget_spent_tokens", "reznet_perf_llm_budget_spent_tokens", "Spent.", false, false}};
  e.Add("chat", {"llm", {{"provider", "openai"}, {"model", "gpt"}}, {}, llm});
  probes::Outcome o;
  o.SetCounter("output_tokens", 40);
  o.SetCounter("budget_spent_tokens", 40);
  e.Record("chat", o, kWall);
  o.skipped = true;  // over budget: no tokens spent, the budget gauge still follows
  o.SetCounter("budget_spent_tokens", 41);
  e.Record("chat", o, kWall);
  const std::string text = Text(e);
  EXPECT_THAT(text, HasSubstr("# TYPE reznet_perf_llm_output_tokens_total counter"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_llm_output_tokens_total{model=\"gpt\",probe=\"chat\","
                              "provider=\"openai\"} 40\n"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_llm_budget_spent_tokens{probe=\"chat\"} 41\n"));
}

TEST(ProbeMetrics, RunsHistogramsAndErrorsOfEachRun) {
  ProbeMetrics e;
  e.Add("api", {"http", {}, {}, {}});
  EXPECT_THAT(Text(e),
              HasSubstr("reznet_perf_probe_runs_total{probe=\"api\",result=\"success\"} 0\n"));
  probes::Outcome ok;
  ok.Record("total", 20ms);
  e.Record("api", ok, kWall);
  probes::Outcome bad;
  bad.Record("total", 2s);
  bad.error = probes::ProbeError{clients::ErrorKind::kTimeout, "no answer"};
  e.Record("api", bad, kWall);
  e.CountOverruns("api", 2);
  const std::string text = Text(e);
  EXPECT_THAT(text,
              HasSubstr("reznet_perf_probe_runs_total{probe=\"api\",result=\"success\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("reznet_perf_probe_runs_total{probe=\"api\",result=\"failure\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("reznet_perf_probe_runs_total{probe=\"api\",result=\"overrun\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_probe_success{probe=\"api\"} 0\n"));
  EXPECT_THAT(
      text, HasSubstr("reznet_perf_probe_last_run_timestamp_seconds{probe=\"api\"} 1700000000\n"));
  EXPECT_THAT(text,
              HasSubstr("reznet_perf_probe_errors_total{error=\"timeout\",probe=\"api\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("reznet_perf_probe_duration_seconds_count{kind=\"http\",phase=\"total\","
                        "probe=\"api\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("reznet_perf_probe_duration_seconds_bucket{kind=\"http\",phase=\"total\","
                        "probe=\"api\",le=\"0.025\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("reznet_perf_probe_duration_seconds_bucket{kind=\"http\",phase=\"total\","
                        "probe=\"api\",le=\"2.5\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("reznet_perf_probe_duration_seconds_sum{kind=\"http\",phase=\"total\","
                        "probe=\"api\"} 2.02\n"));
}

TEST(ProbeMetrics, TargetInfoFollowsItsProbe) {
  ProbeMetrics e;
  e.Add("web/a:1", {"http", {}, {}, {}});
  e.SetTargetInfo("web/a:1", "a:1", {{"team", "pay"}});
  EXPECT_THAT(Text(e), HasSubstr("reznet_perf_probe_target_info{probe=\"web/a:1\",target=\"a:1\","
                                 "team=\"pay\"} 1"));
  const auto generation = e.Generation();
  e.SetTargetInfo("web/a:1", "a:1", {{"team", "pay"}});  // unchanged: /metrics holds
  EXPECT_EQ(e.Generation(), generation);
  e.SetTargetInfo("web/a:1", "a:1", {{"team", "payments"}});
  EXPECT_THAT(Text(e), Not(HasSubstr("team=\"pay\"")));
  e.Remove("web/a:1");
  EXPECT_THAT(Text(e), Not(HasSubstr("target_info{")));
}

}  // namespace
}  // namespace reznet::telemetry
