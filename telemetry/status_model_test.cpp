#include "telemetry/status_model.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <limits>

#include "common/json.hpp"

namespace reznet::telemetry {
namespace {

using namespace std::chrono_literals;

const auto kWall = std::chrono::system_clock::time_point(1'700'000'000s);

probes::Outcome Phases(std::initializer_list<const char*> names) {
  probes::Outcome o;
  for (const char* name : names) o.Record(name, 1ms);
  return o;
}

TEST(GuessChartPhase, PrefersWhatRulesReadThenTheFirstPhaseThatIsNotSetUp) {
  EXPECT_EQ(GuessChartPhase(Phases({"dns", "connect", "ttfb", "total"})), "total");
  EXPECT_EQ(GuessChartPhase(Phases({"connect", "query"})), "query");
  EXPECT_EQ(GuessChartPhase(Phases({"set", "get"})), "get");
  EXPECT_EQ(GuessChartPhase(Phases({"think", "request"})), "request");
  EXPECT_EQ(GuessChartPhase(Phases({"dns", "tls", "step_login", "step_chat"})), "step_login");
  EXPECT_EQ(GuessChartPhase(Phases({"connect"})), "");
  EXPECT_EQ(GuessChartPhase(probes::Outcome{}), "");
}

TEST(MeanSeconds, WeighsBucketedSamples) {
  probes::Outcome o;
  o.Record("get", 4ms);
  o.RecordWeighted("get", 1ms, 3);
  EXPECT_NEAR(*MeanSeconds(o.phases[0]), 0.00175, 1e-12);
  EXPECT_FALSE(MeanSeconds(probes::Phase{"empty", {}, {}}));
}

TEST(WindowJson, CountOnlyWithoutSamples) {
  EXPECT_EQ(common::WriteJson(WindowJson(stats::WindowStats{})), "{\"count\": 0}");
  stats::WindowStats s;
  s.count = 2;
  s.p50 = s.p90 = s.p95 = s.p99 = 51'200'000;
  s.max = 60'000'000;
  s.mean_ns = 55'600'000;
  EXPECT_EQ(common::WriteJson(WindowJson(s)),
            "{\"count\": 2, \"p50\": 0.0512, \"p90\": 0.0512, \"p95\": 0.0512, \"p99\": 0.0512, "
            "\"mean\": 0.0556, \"max\": 0.06}");
}

// With intervals (the status JSON asks for them): [low, high] in seconds, null where the samples
// cannot bound a side.
TEST(WindowJson, IntervalsInSecondsWithNullForAnOpenSide) {
  stats::WindowStats s;
  s.count = 20;
  s.p50 = s.p90 = s.p95 = s.p99 = 51'200'000;
  s.max = 60'000'000;
  s.mean_ns = 55'600'000;
  stats::WindowIntervals ci;
  ci.p50 = {50'000'000, 52'000'000};
  ci.p99 = {59'000'000, std::numeric_limits<double>::infinity()};
  ci.mean = {54'000'000, 57'000'000};
  s.intervals = ci;
  const std::string json = common::WriteJson(WindowJson(s));
  EXPECT_NE(json.find("\"p50_ci\": [0.05, 0.052]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"p99_ci\": [0.059, null]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"p90_ci\": [null, null]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"mean_ci\": [0.054, 0.057]"), std::string::npos) << json;
}

TEST(NfrJson, WritesTheRuleAndItsState) {
  config::NfrRule rule;
  rule.name = "hits";
  rule.probe = "cache";
  rule.phase = "hit_ratio";
  rule.stat = config::NfrStat::kRatio;
  rule.stat_name = "ratio";
  rule.op_text = ">";
  rule.threshold = 0.6;
  nfr::RuleState state;
  state.state = nfr::NfrState::kOk;
  state.value = 0.0512;
  state.good = 7;
  state.events = 9;
  rule.window = std::chrono::minutes(5);
  EXPECT_EQ(common::WriteJson(NfrJson(rule, state)),
            "{\"name\": \"hits\", \"probe\": \"cache\", \"stat\": \"ratio\", \"state\": \"ok\", "
            "\"value\": 0.0512, \"promise\": \"> 60%\", \"good\": 7, \"events\": 9, "
            "\"samples\": 0, \"evidence_seconds\": 300}");
  // With its 95 % interval (a Wilson interval here), in the value's unit; an open side is null.
  state.interval = stats::Interval{0.04, std::numeric_limits<double>::infinity()};
  EXPECT_NE(common::WriteJson(NfrJson(rule, state)).find("\"value\": 0.0512, \"ci\": [0.04, null]"),
            std::string::npos);
  state.interval.reset();
  state.value.reset();
  EXPECT_NE(common::WriteJson(NfrJson(rule, state)).find("\"value\": null"), std::string::npos);
  const auto row = NfrRow(rule, state);
  EXPECT_EQ(row.stat, "ratio(hit_ratio)");
  EXPECT_EQ(row.threshold_text, "60%");
  EXPECT_FALSE(row.latency);
  rule.baseline_runs = 5;  // a regression rule awaiting history has no threshold to show
  EXPECT_EQ(NfrRow(rule, state).threshold_text, "");
}

// A burn-rate rule's value is a share of bad samples, shown as one.
TEST(NfrJson, ABurnRateRuleShowsItsBadShare) {
  config::NfrRule rule;
  rule.name = "api_burn";
  rule.phase = "total";
  rule.threshold = 1.0;
  rule.alert = config::NfrAlert::kBurnRate;
  nfr::RuleState state;
  state.value = 0.8;
  const auto row = NfrRow(rule, state);
  EXPECT_EQ(row.stat, "p95(total) burn rate");
  EXPECT_FALSE(row.latency);
  EXPECT_EQ(row.threshold_text, "1s");
}

// Before a rule has its samples it says how far it is, not just no_data (issue #26).
TEST(NfrJson, ARuleStillCollectingSaysHowFarItIs) {
  config::NfrRule rule;
  rule.name = "api_p95";
  rule.min_samples = 30;
  nfr::RuleState state;
  state.samples = 12;
  const std::string json = common::WriteJson(NfrJson(rule, state));
  EXPECT_NE(json.find("\"state\": \"no_data\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"samples\": 12, \"collecting\": \"12 of 30 samples\""), std::string::npos)
      << json;
  EXPECT_EQ(NfrRow(rule, state).collecting, "12 of 30 samples");
  rule.baseline_runs = 5;  // a regression rule awaiting suite history waits for a baseline
  EXPECT_EQ(NfrRow(rule, state).collecting, "");
  rule.baseline_runs = 0;
  state.state = nfr::NfrState::kOk;
  state.samples = 31;
  EXPECT_EQ(common::WriteJson(NfrJson(rule, state)).find("collecting"), std::string::npos);
  EXPECT_EQ(NfrRow(rule, state).collecting, "");
}

TEST(StatusModel, ChartFollowsTheDeclaredPhase) {
  StatusModel model({1min});
  model.AddProbe("flow", "load", "step_chat");
  model.AddProbe("api", "http", "");
  probes::Outcome o;
  o.Record("total", 9ms);
  o.Record("step_chat", 2ms);
  o.Record("step_chat", 4ms);
  model.Record("flow", o, kWall);
  model.Record("api", o, kWall);
  model.Record("unknown", o, kWall);
  const auto page = model.StatusPage(kWall + 1s);
  ASSERT_EQ(page.probes.size(), 2u);
  EXPECT_EQ(page.probes[0].name, "api");
  EXPECT_EQ(page.probes[0].phase, "total");
  EXPECT_EQ(page.probes[1].phase, "step_chat");
  ASSERT_EQ(page.probes[1].points.size(), 1u);
  EXPECT_NEAR(page.probes[1].points[0].second, 0.003, 1e-12);
  EXPECT_DOUBLE_EQ(page.probes[1].points[0].first, 1'700'000'000);
}

TEST(StatusModel, KeepsTheNewestTwentyFailuresAndTheLast240Points) {
  StatusModel model({1min});
  model.AddProbe("api", "http", "");
  for (int i = 0; i < 300; ++i) {
    probes::Outcome o;
    o.Record("total", 1ms);
    if (i % 10 == 0) o.Fail(clients::ErrorKind::kTimeout, "run " + std::to_string(i));
    model.Record("api", o, kWall + std::chrono::seconds(i));
  }
  const auto page = model.StatusPage(kWall);
  ASSERT_EQ(page.failures.size(), 20u);
  EXPECT_EQ(page.failures.front().detail, "run 290");
  EXPECT_EQ(page.failures.back().detail, "run 100");
  ASSERT_EQ(page.probes[0].points.size(), 240u);
  EXPECT_DOUBLE_EQ(page.probes[0].points.front().first, 1'700'000'060);
}

TEST(StatusModel, StatusJsonJoinsLastOutcomeAndWindows) {
  StatusModel model({1min, 5min});
  model.AddProbe("api", "http", "");
  model.AddProbe("idle", "http", "");
  probes::Outcome o;
  o.Record("total", 50ms);
  model.Record("api", o, kWall);
  stats::WindowStats one;
  one.count = 1;
  one.p50 = one.p90 = one.p95 = one.p99 = one.max = 50'000'000;
  one.mean_ns = 50'000'000;
  const std::vector<SeriesStats> windows = {{"api", "total", {one, stats::WindowStats{}}},
                                            {"gone", "total", {one, one}}};
  const std::string json = common::WriteJson(model.StatusJson(windows));
  const auto doc = boost::json::parse(json).as_object();
  const auto& probes = doc.at("probes").as_array();
  ASSERT_EQ(probes.size(), 2u);
  EXPECT_EQ(probes[0].at("last").at("phases").at("total").as_array()[0].as_double(), 0.05);
  EXPECT_TRUE(probes[1].at("last").is_null());
  EXPECT_TRUE(probes[1].at("windows").as_object().empty());
  EXPECT_NE(json.find("\"windows\": {\"total\": {\"1m\": {\"count\": 1, \"p50\": 0.05, \"p90\": "
                      "0.05, \"p95\": 0.05, \"p99\": 0.05, \"mean\": 0.05, \"max\": 0.05}, "
                      "\"5m\": {\"count\": 0}}}"),
            std::string::npos)
      << json;
  EXPECT_EQ(json.find("gone"), std::string::npos);
}

}  // namespace
}  // namespace reznet::telemetry
