// A load test's statistics (probes/load/load_stats.hpp): merging histograms exactly, the mergeable
// JSON, and the outcome and results block made from them.
#include "probes/load/load_stats.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "probes/load/load_probe.hpp"

namespace reznet::probes::load {
namespace {

using ::testing::HasSubstr;

// The result, and why it was refused ("" when it was not), for the assertions below.
common::Result<LoadStats> ParseNoting(const std::string& text, std::string& why) {
  auto r = ParseLoadStats(text);
  why = r ? "" : r.error().detail;
  return r;
}

LoadStats Sample(std::string test, std::initializer_list<std::int64_t> ms, int failed) {
  LoadStats s;
  s.test = std::move(test);
  s.executor = "constant-arrival-rate";
  s.users = 5;
  s.rate = 10;
  s.seconds = 2;
  auto& st = s.Step("get");
  for (auto v : ms) {
    st.latency.Record(v * 1'000'000);
    st.raw.Record(v * 500'000);
    ++st.ok;
  }
  st.failed = failed;
  if (failed) st.errors["http_5xx"] = failed;
  s.lateness.Record(1000);
  s.iterations = ms.size() + failed;
  return s;
}

TEST(LoadStats, MergeAddsHistogramsExactly) {
  auto a = Sample("t", {10, 20, 30}, 1);
  auto b = Sample("t", {40, 50}, 0);
  a.Merge(b);
  EXPECT_EQ(a.Requests(), 6u);
  EXPECT_EQ(a.Failed(), 1u);
  EXPECT_EQ(a.users, 10);
  EXPECT_DOUBLE_EQ(a.rate, 20);
  const auto q = StatsOf(a.steps[0].latency);
  EXPECT_EQ(q.count, 5u);
  EXPECT_NEAR(q.p50, 0.030, 0.030 * 0.008);
  EXPECT_NEAR(q.max, 0.050, 1e-12);
  EXPECT_NEAR(q.min, 0.010, 1e-12);
}

TEST(LoadStats, JsonRoundTripKeepsWhatMergeNeeds) {
  auto a = Sample("t", {10, 20, 30}, 2);
  const std::string text = ToJson(a);
  EXPECT_THAT(text, HasSubstr("\"requests\": 5"));
  EXPECT_THAT(text, HasSubstr("\"error_rate\": 0.4"));
  auto back = ParseLoadStats(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(ToJson(*back), text);
  std::string why;
  EXPECT_FALSE(ParseNoting("{\"test\": 1}", why));
  EXPECT_FALSE(why.empty());
  // A histogram whose buckets do not add up is refused, not merged.
  std::string broken = text;
  broken.replace(broken.find("\"count\": 3, \"sum_ns\""), 10, "\"count\": 4");
  EXPECT_FALSE(ParseNoting(broken, why));
}

TEST(LoadStats, OutcomeCarriesBucketsNotSamples) {
  auto a = Sample("t", {10, 20, 30}, 1);
  const Outcome o = ToOutcome(a);
  ASSERT_NE(o.FindPhase("request"), nullptr);
  EXPECT_EQ(o.FindPhase("request")->Count(), 3u);
  EXPECT_TRUE(o.FindPhase("request")->samples.empty());
  ASSERT_NE(o.FindPhase("step:get"), nullptr);
  ASSERT_NE(o.FindPhase("request_raw"), nullptr);
  EXPECT_DOUBLE_EQ(*o.Counter("error_rate"), 0.25);
  EXPECT_DOUBLE_EQ(*o.Counter("requests"), 4);
  EXPECT_TRUE(o.ok());
  auto all_failed = Sample("t", {}, 3);
  all_failed.steps[0].last_error = "http_5xx: status 503";
  EXPECT_EQ(ToOutcome(all_failed).error->kind, clients::ErrorKind::kAllFailed);
  EXPECT_THAT(ResultsBlock(a), HasSubstr("LOAD TEST RESULTS"));
  EXPECT_THAT(ResultsBlock(a), HasSubstr("Raw latency"));
}

}  // namespace
}  // namespace reznet::probes::load
