// Run comparisons with significance (issue #15): NFR and phase rows, regression rules.
#include "suite/compare.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "suite/judge.hpp"
#include "suite/report.hpp"
#include "suite/trend.hpp"

namespace reznet::suite {
namespace {

using ::testing::HasSubstr;

// A run whose probe "api" measured `n` evenly spread samples 100..120 ms (+ shift) in phase
// total, with api_p95 judged on them and a cache ratio `ratio`.
RunRecord MakeRun(std::string id, int n, double shift, Verdict verdict = Verdict::kPassed,
                  double ratio = 0.9, int failures = 0) {
  RunRecord r;
  r.id = std::move(id);
  r.state = RunState::kPassed;
  ProbeResult p;
  p.name = "api";
  p.runs = n;
  p.failures = failures;
  std::vector<double> samples;
  for (int i = 0; i < n; ++i) samples.push_back(0.100 + 0.020 * (i + 0.5) / n + shift);
  p.phases.push_back(Summarise("total", samples));
  std::vector<std::pair<double, std::uint64_t>> weighted;
  for (double v : samples) weighted.emplace_back(v, 1);
  KeepSamples(p.phases.back(), weighted);
  r.probes.push_back(p);
  auto nfr = [&](std::string name, std::string stat, double value, bool latency) {
    NfrVerdict v;
    v.nfr = std::move(name);
    v.probe = "api";
    v.phase = stat == "ratio" ? "reduction" : "total";
    v.stat = std::move(stat);
    v.value = value;
    v.latency = latency;
    v.verdict = verdict;
    return v;
  };
  r.nfrs = {nfr("api_p95", "p95", p.phases[0].p95, true),
            nfr("api_errors", "error_rate", n ? static_cast<double>(failures) / n : 0, false),
            nfr("cache", "ratio", ratio, false)};
  return r;
}

const stats::Criteria kCriteria{0.05, 0.05};

TEST(Compare, SignificantShiftBeyondToleranceIsRegressedWithItsInterval) {
  const RunRecord base = MakeRun("a", 30, 0), run = MakeRun("b", 30, 0.011);  // +10 %
  const auto rows = CompareNfrs(run, base, kCriteria);
  ASSERT_EQ(rows.size(), 3u);
  const ComparisonRow& p95 = rows[0];
  EXPECT_EQ(p95.nfr, "api_p95");
  EXPECT_EQ(p95.verdict, RowVerdict::kRegressed);
  EXPECT_EQ(p95.status, RowStatus::kWorse);
  ASSERT_TRUE(p95.p_value && p95.ci_low_pct && p95.ci_high_pct);
  EXPECT_LT(*p95.p_value, 0.001);
  EXPECT_LE(*p95.ci_low_pct, p95.change_pct);
  EXPECT_GE(*p95.ci_high_pct, p95.change_pct);
  EXPECT_EQ(p95.samples_before, 30u);
  EXPECT_EQ(p95.samples_run, 30u);
  EXPECT_EQ(rows[1].verdict, RowVerdict::kNoChange);  // no failures on either side
  EXPECT_EQ(rows[2].verdict, RowVerdict::kNotTested);
  EXPECT_EQ(rows[2].status, RowStatus::kOk);

  // The other way round: improved, not flagged.
  const auto back = CompareNfrs(base, run, kCriteria);
  EXPECT_EQ(back[0].verdict, RowVerdict::kImproved);
  EXPECT_EQ(back[0].status, RowStatus::kOk);
}

TEST(Compare, SameSamplesFewSamplesAndFailuresAreNotRegressions) {
  EXPECT_EQ(CompareNfrs(MakeRun("b", 30, 0), MakeRun("a", 30, 0), kCriteria)[0].verdict,
            RowVerdict::kNoChange);
  const auto few = CompareNfrs(MakeRun("b", 5, 0.011), MakeRun("a", 5, 0), kCriteria);
  EXPECT_EQ(few[0].verdict, RowVerdict::kTooFew);
  EXPECT_EQ(few[0].status, RowStatus::kOk);  // no guess: not flagged
  // A failing NFR is ✗ whatever the test says; a ratio that fell beyond the tolerance is ⚠.
  const auto failed =
      CompareNfrs(MakeRun("b", 30, 0, Verdict::kFailed), MakeRun("a", 30, 0), kCriteria);
  EXPECT_EQ(failed[0].status, RowStatus::kViolated);
  const auto ratio =
      CompareNfrs(MakeRun("b", 30, 0, Verdict::kPassed, 0.5), MakeRun("a", 30, 0), kCriteria);
  EXPECT_EQ(ratio[2].status, RowStatus::kWorse);
  // 0 of 30 failed, then 12 of 30: the proportion test.
  const auto errors =
      CompareNfrs(MakeRun("b", 30, 0, Verdict::kPassed, 0.9, 12), MakeRun("a", 30, 0), kCriteria);
  EXPECT_EQ(errors[1].verdict, RowVerdict::kRegressed);
  EXPECT_LT(*errors[1].p_value, 0.001);
}

TEST(Compare, OldRecordsWithoutSamplesSayTooFewSamples) {
  RunRecord old = MakeRun("a", 30, 0);
  old.probes[0].phases[0].samples.clear();
  const auto rows = CompareNfrs(MakeRun("b", 30, 0.05), old, kCriteria);
  EXPECT_EQ(rows[0].verdict, RowVerdict::kTooFew);
  EXPECT_EQ(rows[0].samples_before, 0u);
  EXPECT_FALSE(rows[0].p_value);
}

TEST(Compare, PhaseRowsAndTheirMarkdown) {
  const RunRecord base = MakeRun("a", 30, 0), run = MakeRun("b", 30, 0.011);
  const auto phases = ComparePhases(run, base, kCriteria);
  ASSERT_EQ(phases.size(), 1u);
  EXPECT_EQ(phases[0].probe, "api");
  EXPECT_EQ(phases[0].phase, "total");
  EXPECT_EQ(phases[0].stat, "p50");
  EXPECT_EQ(phases[0].verdict, RowVerdict::kRegressed);
  const std::string md =
      ComparisonMarkdown("a", 0.05, 0.05, CompareNfrs(run, base, kCriteria), phases);
  EXPECT_THAT(md, HasSubstr("| api_p95 | p95 | 119.0 ms | 130.0 ms | +9.2 % |"));
  EXPECT_THAT(md, HasSubstr("| 30 / 30 | regressed | ⚠ |"));
  EXPECT_THAT(md, HasSubstr("| api | total | 109.7 ms | 120.7 ms | +10.0 % |"));
  // Reproducible: the same comparison twice gives the same text.
  EXPECT_EQ(md, ComparisonMarkdown("a", 0.05, 0.05, CompareNfrs(run, base, kCriteria), phases));
}

config::NfrRule RegressionRule() {
  config::NfrRule r;
  r.name = "api_reg";
  r.regression = true;
  r.probe = "api";
  r.phase = "total";
  r.stat = config::NfrStat::kP50;
  r.stat_name = "p50";
  r.op = config::NfrOp::kLe;
  r.op_text = "<=";
  r.baseline_runs = 2;
  r.tolerance = 0.02;
  return r;
}

TEST(Judge, RegressionRulesFailOnlyWhenTheShiftIsSignificant) {
  // Two past runs around 110 ms; this run 3 % slower, on 30 samples (significant) or with only
  // its slowest sample beyond (not significant).
  const std::vector<RunRecord> past = {MakeRun("p2", 30, 0), MakeRun("p1", 30, 0)};
  auto rule = RegressionRule();
  const auto base = BaselineSamples(rule, past);
  EXPECT_EQ(base.size(), 60u);
  config::ApplyReference(rule, *MedianBaseline(rule, past));
  JudgeOptions options{0.05, {{"api_reg", base}}};

  auto v = Judge({rule}, {"api_reg"}, MakeRun("now", 30, 0.0033).probes, options);
  EXPECT_EQ(v[0].verdict, Verdict::kFailed);
  EXPECT_THAT(v[0].reason, HasSubstr("significantly worse than the baseline runs' samples"));

  RunRecord noisy = MakeRun("now", 30, 0);
  auto& s = noisy.probes[0].phases[0];
  for (int i = 14; i < 18; ++i) s.samples[i] = 0.1124 + i * 5e-5;  // four samples cross the median
  s.p50 = Summarise("total", s.samples).p50;
  ASSERT_GT(s.p50, rule.threshold);
  v = Judge({rule}, {"api_reg"}, noisy.probes, options);
  EXPECT_EQ(v[0].verdict, Verdict::kPassed) << v[0].reason;
  EXPECT_THAT(v[0].reason, HasSubstr("not significantly worse"));

  rule.significance = 0.9;  // the rule's own level wins over history.significance
  v = Judge({rule}, {"api_reg"}, noisy.probes, options);
  EXPECT_EQ(v[0].verdict, Verdict::kFailed);

  // Five samples: the threshold alone, and the reason says so.
  v = Judge({rule}, {"api_reg"}, MakeRun("now", 5, 0.0033).probes, options);
  EXPECT_EQ(v[0].verdict, Verdict::kFailed);
  EXPECT_THAT(v[0].reason, HasSubstr("too few samples for a rank test: 60 vs 5"));
}

}  // namespace
}  // namespace reznet::suite

namespace reznet::suite {
namespace {

TEST(Trend, RowsOldestFirstWithWorseAndFailedCells) {
  RunRecord c1 = MakeRun("r1", 30, 0), c2 = MakeRun("r2", 30, 0.011),
            c3 = MakeRun("r3", 30, 0.03, Verdict::kFailed), same = MakeRun("r4", 30, 0.03);
  c1.labels["commit"] = "abc123";
  c3.labels["commit"] = "fff000";
  const Trend t = BuildTrend({same, c3, c2, c1}, {"api_p95", "cache"}, 10, {0.05, 0.05});
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0].label, "abc123");
  EXPECT_EQ(t.rows[1].label, "r2");  // no commit label: the id
  EXPECT_EQ(TrendCellText(t.rows[0].cells[0]), "119.0 ms");
  EXPECT_EQ(TrendCellText(t.rows[1].cells[0]), "130.0 ms ⚠");
  EXPECT_EQ(TrendCellText(t.rows[2].cells[0]), "149.0 ms ⚠ ❌");
  EXPECT_EQ(TrendCellText(t.rows[3].cells[0]), "149.0 ms");  // same as the run before
  EXPECT_EQ(TrendCellText(t.rows[3].cells[1]), "90.0 %");
  // `last` rows, the run before the first still read for its ⚠.
  const Trend last = BuildTrend({same, c3, c2, c1}, {}, 3, {0.05, 0.05});
  EXPECT_EQ(last.nfrs, (std::vector<std::string>{"api_p95", "api_errors", "cache"}));
  ASSERT_EQ(last.rows.size(), 3u);
  EXPECT_TRUE(last.rows[0].cells[0].worse);
  const std::string md = TrendMarkdown(t);
  EXPECT_THAT(md, HasSubstr("| Commit | api_p95 | cache |\n|---|---:|---:|\n"));
  EXPECT_THAT(md, HasSubstr("| `fff000` | 149.0 ms ⚠ ❌ | 90.0 % ❌ |"));
  EXPECT_THAT(TrendCsv(t),
              HasSubstr("\"fff000\",\"r3\",\"passed\",0,0.149,worse failed,0.9,failed\n"));
  EXPECT_THAT(TrendJson(t), HasSubstr("\"text\": \"130.0 ms ⚠\""));
}

}  // namespace
}  // namespace reznet::suite
