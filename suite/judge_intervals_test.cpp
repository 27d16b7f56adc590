// Three-valued suite verdicts (issue #26): a threshold rule is met when the 95 % interval of its
// statistic keeps the promise, breached when it breaks it, inconclusive when it straddles the
// threshold or lacks the side that would decide; and what a run makes of an inconclusive one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>

#include "suite/judge.hpp"
#include "suite/report.hpp"
#include "suite/test_runs.hpp"
#include "tests/support/outcomes.hpp"

namespace reznet::suite {
namespace {

using config::NfrOp;
using config::NfrStat;
using test_runs::Rule;
using ::testing::HasSubstr;

// A probe result of one successful run per sample (milliseconds) and `failed` failed runs.
ProbeResult RunsOf(const std::vector<double>& ms, int failed = 0) {
  ProbeAccumulator acc("api", "http", static_cast<int>(ms.size()) + failed);
  for (double m : ms) {
    acc.Add(testing::Totals(
        {std::chrono::duration_cast<probes::Duration>(std::chrono::duration<double>(m / 1000))}));
  }
  for (int i = 0; i < failed; ++i) acc.Add(testing::Failed(clients::ErrorKind::kTimeout, "slow"));
  return acc.Finish(1);
}

// n samples spread evenly over [lo, hi] ms, shuffled.
std::vector<double> Spread(int n, double lo, double hi) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(lo + (hi - lo) * i / std::max(1, n - 1));
  std::shuffle(v.begin(), v.end(), std::mt19937(7));
  return v;
}

NfrVerdict JudgeOne(const config::NfrRule& rule, const ProbeResult& result) {
  auto v = Judge({rule}, {rule.name}, {result});
  EXPECT_EQ(v.size(), 1u);
  return v.at(0);
}

TEST(JudgeIntervals, P99OfTwentySamplesIsTheirMaximumAndDecidesNothing) {
  // The first false alarm, turned round: 20 fast samples do not show a p99 under 10 ms
  // either; the verdict says how many samples would.
  const auto rule = Rule("redis_get_p99", "api", NfrStat::kP99, "p99", "<", NfrOp::kLt, 0.010);
  const auto v = JudgeOne(rule, RunsOf(Spread(20, 1, 3)));
  EXPECT_EQ(v.verdict, Verdict::kInconclusive);
  ASSERT_TRUE(v.interval);
  EXPECT_FALSE(v.interval->high);  // open: no sample lies far enough out
  EXPECT_THAT(v.reason, HasSubstr("an upper bound needs 299 samples"));
  EXPECT_THAT(v.reason, HasSubstr("straddles < 10ms"));

  // 400 such samples settle it.
  const auto settled = JudgeOne(rule, RunsOf(Spread(400, 1, 3)));
  EXPECT_EQ(settled.verdict, Verdict::kPassed);
  ASSERT_TRUE(settled.interval && settled.interval->low && settled.interval->high);
  EXPECT_LE(*settled.interval->low, *settled.value);
  EXPECT_GE(*settled.interval->high, *settled.value);
  EXPECT_LT(*settled.interval->high, 0.010);
}

TEST(JudgeIntervals, ABreachIsCalledOnlyWhenTheWholeIntervalBreaksThePromise) {
  const auto rule = Rule("api_p95", "api", NfrStat::kP95, "p95", "<", NfrOp::kLt, 0.100);
  const auto slow = JudgeOne(rule, RunsOf(Spread(200, 150, 300)));
  EXPECT_EQ(slow.verdict, Verdict::kFailed);
  EXPECT_THAT(slow.reason, HasSubstr("breaks the promise < 100ms (95 % interval ["));

  // A p95 near the threshold: samples 20..110 ms put the p95 at ~105 ms, but 60 samples cannot
  // tell it from 100 ms.
  const auto near = JudgeOne(rule, RunsOf(Spread(60, 20, 110)));
  EXPECT_GE(*near.value, 0.100);
  EXPECT_EQ(near.verdict, Verdict::kInconclusive);
  ASSERT_TRUE(near.interval && near.interval->low);
  EXPECT_LT(*near.interval->low, 0.100);
}

TEST(JudgeIntervals, LowerLimitsAreJudgedFromTheOtherSide) {
  // "p50 > 20 ms": met when even the interval's lower side is above 20 ms.
  const auto rule = Rule("warm", "api", NfrStat::kP50, "p50", ">", NfrOp::kGt, 0.020);
  EXPECT_EQ(JudgeOne(rule, RunsOf(Spread(50, 30, 40))).verdict, Verdict::kPassed);
  EXPECT_EQ(JudgeOne(rule, RunsOf(Spread(50, 5, 10))).verdict, Verdict::kFailed);
  EXPECT_EQ(JudgeOne(rule, RunsOf(Spread(50, 10, 30))).verdict, Verdict::kInconclusive);
}

TEST(JudgeIntervals, ErrorRatesUseWilson) {
  const auto rule =
      Rule("api_errors", "api", NfrStat::kErrorRate, "error_rate", "<", NfrOp::kLt, 0.05, "");
  // 0 of 20 failed: the rate could still be 16 %.
  const auto few = JudgeOne(rule, RunsOf(Spread(20, 1, 2)));
  EXPECT_EQ(few.verdict, Verdict::kInconclusive);
  ASSERT_TRUE(few.interval && few.interval->high);
  EXPECT_NEAR(*few.interval->high, 0.161, 0.001);
  EXPECT_EQ(JudgeOne(rule, RunsOf(Spread(100, 1, 2))).verdict, Verdict::kPassed);
  EXPECT_EQ(JudgeOne(rule, RunsOf(Spread(50, 1, 2), 50)).verdict, Verdict::kFailed);
}

TEST(JudgeIntervals, MeansUseStudentsT) {
  const auto rule = Rule("ttfb_mean", "api", NfrStat::kMean, "mean", "<", NfrOp::kLt, 0.5);
  EXPECT_EQ(JudgeOne(rule, RunsOf(Spread(30, 100, 200))).verdict, Verdict::kPassed);
  // Two samples, 100 ms and 800 ms: a mean of 450 ms whose interval reaches far past 500 ms.
  const auto two = JudgeOne(rule, RunsOf({100, 800}));
  EXPECT_EQ(two.verdict, Verdict::kInconclusive);
  // One sample: no spread to judge by.
  EXPECT_EQ(JudgeOne(rule, RunsOf({100})).verdict, Verdict::kInconclusive);
}

TEST(JudgeIntervals, MaxAndRatiosAreJudgedOnTheirValue) {
  const auto rule = Rule("api_max", "api", NfrStat::kMax, "max", "<", NfrOp::kLt, 0.5);
  const auto v = JudgeOne(rule, RunsOf({100, 200}));
  EXPECT_EQ(v.verdict, Verdict::kPassed);
  EXPECT_FALSE(v.interval);
}

TEST(JudgeIntervals, IntervalsReadTheKeptOrderStatisticsOfLargeRuns) {
  // 10,000 samples keep 2,000 evenly spaced order statistics; the interval of p95 is read at the
  // scaled ranks and still brackets the true p95 (9,500 ms of 1..10,000 ms here).
  std::vector<double> ms;
  for (int i = 1; i <= 10'000; ++i) ms.push_back(i);
  const auto result = RunsOf(ms);
  ASSERT_LT(result.Phase("total")->Kept(), 10'000u);
  const auto rule = Rule("api_p95", "api", NfrStat::kP95, "p95", "<", NfrOp::kLt, 20.0);
  const auto in = IntervalOf(result, rule);
  ASSERT_TRUE(in && in->low && in->high);
  EXPECT_LE(*in->low, 9.5);
  EXPECT_GE(*in->high, 9.5);
  EXPECT_GT(*in->low, 9.4);  // and is narrow: ±0.4 % of the ranks
  EXPECT_LT(*in->high, 9.6);
}

TEST(JudgeIntervals, OnInconclusiveDecidesTheRun) {
  RunRecord run;
  run.nfrs.resize(2);
  run.nfrs[0].verdict = Verdict::kPassed;
  run.nfrs[1].verdict = Verdict::kInconclusive;
  EXPECT_EQ(FinalState(run), RunState::kPassed);
  run.inconclusive_fails = true;
  EXPECT_EQ(FinalState(run), RunState::kFailed);
}

TEST(JudgeIntervals, RecordsKeepTheIntervalAndThePolicy) {
  auto run = test_runs::SampleRun();
  run.inconclusive_fails = true;
  run.cpu_pressure = 0.625;
  run.nfrs[0].verdict = Verdict::kInconclusive;
  run.nfrs[0].interval = NfrVerdict::Interval{0.004, std::nullopt};
  const auto back = ParseRun(ToJson(run));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(ToJson(*back), ToJson(run));
  EXPECT_EQ(back->nfrs, run.nfrs);
  EXPECT_TRUE(back->inconclusive_fails);
  EXPECT_EQ(back->cpu_pressure, 0.625);
  // The report puts the machine's noise beside the verdicts, and flags a busy machine.
  EXPECT_THAT(ToMarkdown(run), HasSubstr("| CPU pressure | 62 % of the run some task waited for a "
                                         "CPU — **a busy machine: the verdicts are suspect** |"));
  EXPECT_THAT(ToJUnit(run), HasSubstr("<property name=\"cpu_pressure\" value=\"0.625\"/>"));
  EXPECT_FALSE(ParseRun(ToJson(test_runs::SampleRun()))->cpu_pressure);
  EXPECT_THAT(ToJson(run), HasSubstr("\"ci\":[0.004,null]"));
  EXPECT_THAT(ToJson(run), HasSubstr("\"on_inconclusive\":\"fail\""));
}

}  // namespace
}  // namespace reznet::suite
