// Rules that can never gather the samples their statistic needs (nfr/sample_check.hpp).
#include "nfr/sample_check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace reznet::nfr {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct Several : config::KindSettings {
  std::int64_t n;
  explicit Several(std::int64_t v) : n(v) {}
  std::int64_t SamplesPerRun(std::string_view, int repeats) const override {
    return repeats > 0 ? repeats : n;
  }
};

config::Config WithRule(config::NfrStat stat, std::string stat_name, config::Duration window,
                        config::Duration interval, std::int64_t per_run = 1) {
  config::Config c;
  c.source = "perfd.yaml";
  config::ProbeConfig p;
  p.name = "redis";
  p.kind = "redis";
  p.interval = interval;
  p.settings = std::make_shared<Several>(per_run);
  p.traits.default_samples = 30;  // the default profile `full` runs it up to 300 times
  c.probes.push_back(p);
  config::NfrRule r;
  r.name = "redis_get";
  r.probe = "redis";
  r.phase = "get";
  r.stat = stat;
  r.stat_name = std::move(stat_name);
  r.window = window;
  r.threshold = 0.010;
  r.line = 42;
  c.nfrs.push_back(r);
  return c;
}

TEST(SamplesNeeded, PercentilesErrorRatesAndTheRest) {
  config::NfrRule r;
  r.stat = config::NfrStat::kP99;
  EXPECT_EQ(SamplesNeeded(r), 299u);
  r.stat = config::NfrStat::kP95;
  EXPECT_EQ(SamplesNeeded(r), 59u);
  r.stat = config::NfrStat::kP50;
  EXPECT_EQ(SamplesNeeded(r), 5u);
  r.op = config::NfrOp::kGt;  // a lower limit needs a lower bound: p50 is symmetric
  EXPECT_EQ(SamplesNeeded(r), 5u);
  r.stat = config::NfrStat::kP95;
  EXPECT_EQ(SamplesNeeded(r), 1u);  // p95's lower bound: any one sample, 95 % of the time
  r.op = config::NfrOp::kLt;
  r.stat = config::NfrStat::kErrorRate;
  r.threshold = 0.05;
  EXPECT_EQ(SamplesNeeded(r), 73u);  // 0 of 73 failed: Wilson's upper bound 4.99 %
  r.stat = config::NfrStat::kMax;
  EXPECT_EQ(SamplesNeeded(r), 0u);
  r.stat = config::NfrStat::kP99;  // showing a breach of "p99 <": its lower bound, 1 sample
  EXPECT_EQ(SamplesToBreach(r), 1u);
  r.stat = config::NfrStat::kP50;
  EXPECT_EQ(SamplesToBreach(r), 5u);
  r.stat = config::NfrStat::kP99;
  r.regression = true;
  EXPECT_EQ(SamplesNeeded(r), 0u);
}

// A p90 burn-rate rule has a 10 % budget: 14.4 times it is more than every sample, so only the
// slow pair can page. p95 (5 %) keeps both pairs.
TEST(SampleWarnings, ABurnRateRuleWhoseFastPairCanNeverFire) {
  const auto burn_warnings = [](config::NfrStat stat, std::string name) {
    auto c = WithRule(stat, std::move(name), 5min, 1s);
    c.nfrs[0].alert = config::NfrAlert::kBurnRate;
    c.nfrs[0].threshold = 0.5;
    std::vector<std::string> out;
    for (auto& w : SampleWarnings(c))
      if (w.find("burn rate") != std::string::npos) out.push_back(w);
    return out;
  };
  const auto w = burn_warnings(config::NfrStat::kP90, "p90");
  ASSERT_THAT(w, SizeIs(1));
  EXPECT_THAT(w[0], HasSubstr("perfd.yaml:42: nfrs.redis_get: warning: p90 < 500ms leaves an error "
                              "budget of 10%: no burn rate can reach 14.4, so only the slow pair "
                              "(6h/30m over 6) pages"));
  EXPECT_THAT(w[0], HasSubstr("For a fast page use a p95 or p99 rule"));
  EXPECT_THAT(burn_warnings(config::NfrStat::kP95, "p95"), IsEmpty());
}

TEST(SampleWarnings, AContinuousRuleThatCanNeverFireOrLeaveCollecting) {
  // A p99 needs few samples to show a breach (its lower bound): 30 are plenty, and the rule is
  // ok until a breach shows. A p50 over 3 samples cannot show one (it needs 5).
  EXPECT_THAT(SampleWarnings(WithRule(config::NfrStat::kP99, "p99", 5min, 10s)), IsEmpty());
  auto w = SampleWarnings(WithRule(config::NfrStat::kP50, "p50", 30s, 10s));
  ASSERT_THAT(w, SizeIs(1));
  EXPECT_THAT(w[0], HasSubstr("perfd.yaml:42: nfrs.redis_get: warning: p50 needs 5 samples before "
                              "its 95 % interval can show the promise < 10ms broken; window 30s at "
                              "probe redis's interval 10s gathers about 3, so the rule can never "
                              "fire. Use a window of at least 50s (one of daemon.windows), or "
                              "interval: 6s or less"));
  auto c = WithRule(config::NfrStat::kP95, "p95", 5min, 15s);
  c.nfrs[0].min_samples = 30;  // 20 gathered
  w = SampleWarnings(c);
  ASSERT_THAT(w, SizeIs(1));
  EXPECT_THAT(w[0], HasSubstr("min_samples: 30, but window 5m at probe redis's interval 15s "
                              "gathers about 20, so the rule never leaves collecting"));
}

TEST(SampleWarnings, EnoughSamplesNoWarning) {
  EXPECT_THAT(SampleWarnings(WithRule(config::NfrStat::kP99, "p99", 1h, 10s)), IsEmpty());
  EXPECT_THAT(SampleWarnings(WithRule(config::NfrStat::kP95, "p95", 5min, 5s)), IsEmpty());
  // Ten samples a run make 300 of 30 runs.
  EXPECT_THAT(SampleWarnings(WithRule(config::NfrStat::kP99, "p99", 5min, 10s, 10)), IsEmpty());
  // A phase whose count varies with the target: no claim either way.
  EXPECT_THAT(SampleWarnings(WithRule(config::NfrStat::kP99, "p99", 5min, 10s, 0)), IsEmpty());
}

TEST(SampleWarnings, SuiteProfilesThatStopShortOfTheStatistic) {
  auto c = WithRule(config::NfrStat::kP99, "p99", 1h, 10s);
  config::SuiteProfile quick;
  quick.name = "ci";
  quick.from_config = true;
  quick.probes.push_back({"redis", 20, 200, 60s});
  quick.nfrs = {"redis_get"};
  c.suites["ci"] = quick;
  const auto w = SampleWarnings(c);
  ASSERT_THAT(w, SizeIs(1));
  EXPECT_THAT(w[0], HasSubstr("perfd.yaml:42: nfrs.redis_get: warning: p99 needs 299 samples; in "
                              "suite profile ci (200) probe redis gathers at most that many"));
  EXPECT_THAT(w[0], HasSubstr("Set max_samples: 299 on the profile's entry"));
}

}  // namespace
}  // namespace reznet::nfr
