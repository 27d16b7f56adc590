// Suite judgement (suite/judge.hpp): the summary of samples, the accumulator of runs, verdicts
// and regression baselines.
#include "suite/judge.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "suite/test_runs.hpp"
#include "tests/support/outcomes.hpp"

namespace reznet::suite {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace test_runs;

TEST(Summarise, NearestRankOverExactSamples) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i / 1000.0);
  auto s = Summarise("total", v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.min, 0.001);
  EXPECT_DOUBLE_EQ(s.max, 0.100);
  EXPECT_DOUBLE_EQ(s.p50, 0.050);
  EXPECT_DOUBLE_EQ(s.p95, 0.095);
  EXPECT_DOUBLE_EQ(s.p99, 0.099);
  EXPECT_NEAR(s.mean, 0.0505, 1e-12);
  auto one = Summarise("x", std::vector<double>{0.3});
  EXPECT_DOUBLE_EQ(one.p50, 0.3);
  EXPECT_DOUBLE_EQ(one.p99, 0.3);
}

TEST(Accumulator, CountsRunsErrorsCountersAndSkips) {
  ProbeAccumulator acc("api", "http", 4);
  acc.Add(testing::Totals({10ms}));
  acc.Add(testing::Failed(clients::ErrorKind::kHttpStatus, "status 500", {30ms}));
  auto with_counter = testing::Totals({20ms});
  with_counter.SetCounter("hit_ratio", 0.5);
  acc.Add(with_counter);
  auto c2 = testing::Totals({});
  c2.SetCounter("hit_ratio", 1.0);
  acc.Add(c2);
  auto r = acc.Finish(1.5);
  EXPECT_EQ(r.runs, 4);
  EXPECT_EQ(r.failures, 1);
  EXPECT_EQ(r.errors.at("http_status"), 1);
  EXPECT_EQ(r.last_error, "http_status: status 500");
  ASSERT_NE(r.Phase("total"), nullptr);
  EXPECT_EQ(r.Phase("total")->count, 3u);
  EXPECT_DOUBLE_EQ(*r.CounterMean("hit_ratio"), 0.75);
  EXPECT_FALSE(r.skipped);

  ProbeAccumulator skipped("llm", "llm", 5);
  skipped.Add(probes::Outcome::Skipped("no API key: ANTHROPIC_API_KEY is not set"));
  auto s = skipped.Finish(0);
  EXPECT_TRUE(s.skipped);
  EXPECT_EQ(s.runs, 0);
  EXPECT_EQ(s.skip_reason, "no API key: ANTHROPIC_API_KEY is not set");
}

TEST(Judge, PassFailSkipAndSilenceIsNotAPass) {
  using config::NfrOp;
  using config::NfrStat;
  std::vector<config::NfrRule> rules = {
      Rule("api_p95", "api", NfrStat::kP95, "p95", "<", NfrOp::kLt, 0.2),
      Rule("api_p50", "api", NfrStat::kP50, "p50", "<", NfrOp::kLt, 0.015),
      Rule("db_p95", "db", NfrStat::kP95, "p95", "<", NfrOp::kLt, 0.1, "query"),
      Rule("llm_ttfb", "llm", NfrStat::kMean, "mean", "<", NfrOp::kLt, 0.5, "ttfb"),
      Rule("db_errors", "db", NfrStat::kErrorRate, "error_rate", "<", NfrOp::kLt, 0.05, ""),
      Rule("not_judged", "api", NfrStat::kMax, "max", "<", NfrOp::kLt, 1)};
  auto v = Judge(rules, {"api_p95", "api_p50", "db_p95", "llm_ttfb", "db_errors"}, Results());
  ASSERT_EQ(v.size(), 5u);
  // p95 of 10 samples: the 10th, the maximum, with nothing above it to bound the p95.
  EXPECT_EQ(v[0].verdict, Verdict::kInconclusive);
  EXPECT_DOUBLE_EQ(*v[0].value, 0.1);
  EXPECT_EQ(v[0].samples, 10u);
  EXPECT_THAT(v[0].reason, HasSubstr("an upper bound needs 59 samples"));
  EXPECT_EQ(v[1].verdict, Verdict::kFailed);  // p50 50 ms, and all of its interval above 15 ms
  EXPECT_EQ(v[1].reason,
            "p50 50ms breaks the promise < 15ms (95 % interval [20ms, 90ms] over 10 samples)");
  EXPECT_EQ(v[2].verdict, Verdict::kFailed);  // every run failed: no sample
  EXPECT_THAT(v[2].reason, HasSubstr("no query sample in 3 run(s); last error connect"));
  EXPECT_EQ(v[3].verdict, Verdict::kSkipped);
  EXPECT_EQ(v[3].reason, "probe llm skipped: no API key");
  EXPECT_EQ(v[4].verdict, Verdict::kFailed);
  EXPECT_DOUBLE_EQ(*v[4].value, 1.0);
  RunRecord run;
  run.nfrs = v;
  EXPECT_EQ(FinalState(run), RunState::kFailed);
  run.nfrs = {v[0], v[3]};
  EXPECT_EQ(FinalState(run), RunState::kPassed);
}

TEST(Judge, RegressionBaselineIsTheMedianOfPastRuns) {
  using config::NfrOp;
  using config::NfrStat;
  auto rule = Rule("api_reg", "api", NfrStat::kP95, "p95", "<=", NfrOp::kLe, 0);
  rule.regression = true;
  rule.baseline_runs = 3;
  std::vector<RunRecord> past = {PastRun("d", 4, 100), PastRun("c", 3, 300), PastRun("b", 2, 200),
                                 PastRun("a", 1, 900)};
  // newest three: 100, 300, 200 → 200 ms; the fourth is beyond baseline_runs.
  auto b = MedianBaseline(rule, past);
  ASSERT_TRUE(b);
  EXPECT_DOUBLE_EQ(*b, 0.2);
  EXPECT_FALSE(MedianBaseline(rule, {}));
  // Without a baseline the rule is skipped and says why; with one it judges.
  auto v = Judge({rule}, {"api_reg"}, Results());
  EXPECT_EQ(v[0].verdict, Verdict::kSkipped);
  EXPECT_THAT(v[0].reason, HasSubstr("no baseline yet"));
  config::ApplyReference(rule, *b);
  v = Judge({rule}, {"api_reg"}, Results());
  EXPECT_EQ(v[0].verdict, Verdict::kPassed);  // 100 ms <= 220 ms
  EXPECT_DOUBLE_EQ(*v[0].reference, 0.2);
}

// A change beyond the tolerance but under the absolute floor is no regression, and says so with
// the numbers: 260 µs → 338 µs is +30 %, and +78 µs (issue #26).
TEST(Judge, ARegressionMustAlsoExceedMinChange) {
  using config::NfrOp;
  using config::NfrStat;
  auto rule = Rule("api_reg", "api", NfrStat::kP95, "p95", "<=", NfrOp::kLe, 0);
  rule.regression = true;
  config::ApplyReference(rule, 0.077);  // Results(): p95 100 ms, +23 ms (+30 %)
  EXPECT_DOUBLE_EQ(rule.threshold, 0.077 * 1.1);
  auto v = Judge({rule}, {"api_reg"}, Results());
  EXPECT_EQ(v[0].verdict, Verdict::kFailed);  // 1 ms floor: well beyond it
  rule.min_change = 0.050;
  config::ApplyReference(rule, 0.077);
  EXPECT_DOUBLE_EQ(rule.threshold, 0.127);
  v = Judge({rule}, {"api_reg"}, Results());
  EXPECT_EQ(v[0].verdict, Verdict::kPassed);
  EXPECT_EQ(v[0].reason,
            "changed, not a regression: p95 100ms vs baseline 77ms (+23ms, under min_change 50ms)");
}

}  // namespace
}  // namespace reznet::suite
