// The `nfrs:` keys of config/nfr.cpp that config_test.cpp does not cover: `alert: burn_rate`.
#include "config/nfr.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace reznet::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A kind with one phase stands in for the probe kinds (probes/ is above config/).
KindTraitsMap Kinds() {
  KindTraits echo;
  echo.name = "echo";
  echo.parse = [](MapReader& r, const TargetConfig*, const ProbeConfig&) {
    r.Known("word");
    return std::make_shared<const KindSettings>();
  };
  echo.phases = {"total"};
  return {{"echo", echo}};
}

const char* kBase = R"(daemon: { windows: [1m, 5m] }
targets:
  t: { url: "http://127.0.0.1:1" }
probes:
  - { name: api, kind: echo, target: t, echo: { word: x } }
nfrs:
)";

std::vector<std::string> ErrorsOf(const std::string& rules) {
  try {
    LoadString(std::string(kBase) + rules, "t.yaml", Kinds());
  } catch (const ConfigError& e) {
    return e.errors();
  }
  return {};
}

TEST(NfrAlert, ThresholdIsTheDefaultAndBurnRateIsAccepted) {
  const auto cfg = LoadString(
      std::string(kBase) +
          R"(  - { name: p95, probe: api, phase: total, stat: p95, window: 5m, op: "<", threshold: 1s }
  - { name: p95_burn, alert: burn_rate, probe: api, phase: total, stat: p95, op: "<", threshold: 1s, min_samples: 10 }
  - { name: p99_burn, alert: burn_rate, probe: api, phase: total, stat: p99, op: "<=", threshold: 250ms }
  - { name: errors_burn, alert: burn_rate, probe: api, stat: error_rate, op: "<", threshold: 5% }
  - { name: p90_burn, alert: burn_rate, probe: api, phase: total, stat: p90, op: "<", threshold: 1s }
  - { name: p95_explicit, alert: threshold, probe: api, phase: total, stat: p95, window: 1m, op: "<", threshold: 1s }
)",
      "t.yaml", Kinds());
  ASSERT_EQ(cfg.nfrs.size(), 6u);
  EXPECT_FALSE(cfg.nfrs[0].burn_rate());
  EXPECT_TRUE(cfg.nfrs[1].burn_rate());
  EXPECT_EQ(cfg.nfrs[1].min_samples, 10);
  EXPECT_DOUBLE_EQ(cfg.nfrs[1].ErrorBudget(), 0.05);
  EXPECT_DOUBLE_EQ(cfg.nfrs[2].ErrorBudget(), 0.01);
  EXPECT_DOUBLE_EQ(cfg.nfrs[3].ErrorBudget(), 0.05);
  EXPECT_DOUBLE_EQ(cfg.nfrs[4].ErrorBudget(), 0.1);  // only the slow pair can fire (0.6 < 1)
  EXPECT_FALSE(cfg.nfrs[5].burn_rate());
  // A burn-rate rule reads no window gauge: its probe's export budget is untouched by it.
  EXPECT_THAT(cfg.probes[0].exported.stats,
              ElementsAre(NfrStat::kP50, NfrStat::kP95, NfrStat::kP99));
}

TEST(NfrAlert, ValuesOfBurnRateRulesAreShares) {
  NfrRule rule;
  rule.stat = NfrStat::kP95;
  rule.alert = NfrAlert::kBurnRate;
  EXPECT_EQ(FormatValue(rule, 0.8), "80%");
  rule.alert = NfrAlert::kThreshold;
  EXPECT_EQ(FormatValue(rule, 0.8), "800ms");
}

TEST(NfrAlert, RefusesWhatCannotBurnWithWhatToWriteInstead) {
  EXPECT_THAT(
      ErrorsOf(
          R"(  - { name: a, alert: burn_rate, probe: api, phase: total, stat: mean, op: "<", threshold: 1s }
  - { name: b, alert: burn_rate, probe: api, phase: total, stat: max, op: "<", threshold: 1s }
  - { name: c, alert: burn_rate, probe: api, phase: total, stat: p50, op: "<", threshold: 200ms }
  - { name: d, alert: burn_rate, probe: api, stat: error_rate, op: "<", threshold: 20% }
  - { name: e, alert: burn_rate, probe: api, phase: total, stat: p95, op: ">", threshold: 1s }
  - { name: f, alert: pager, probe: api, phase: total, stat: p95, window: 5m, op: "<", threshold: 1s }
)"),
      ElementsAre(
          "t.yaml:7:23: nfrs[0].alert: stat mean is not a share of samples, so it has no error "
          "budget to burn; burn_rate takes p90, p95, p99 or error_rate: write alert: threshold "
          "for mean",
          "t.yaml:8:23: nfrs[1].alert: stat max is not a share of samples, so it has no error "
          "budget to burn; burn_rate takes p90, p95, p99 or error_rate: write alert: threshold "
          "for max",
          "t.yaml:9:66: nfrs[2].stat: p50 < 200ms leaves an error budget of 50%: no burn rate "
          "can reach 6 (it would take more than 100% bad samples), so the rule could never fire; "
          "write alert: threshold, or a p90, p95 or p99 rule",
          "t.yaml:10:84: nfrs[3].threshold: error_rate < 20% leaves an error budget of 20%: no "
          "burn rate can reach 6 (it would take more than 100% bad runs), so the rule could "
          "never fire; write alert: threshold, or a threshold below 16.7%",
          "t.yaml:11:75: nfrs[4].op: burn_rate alerts on an upper limit (bad samples are those "
          "at or above it); write op: \"<\" or \"<=\", or alert: threshold for a lower limit",
          "t.yaml:12:23: nfrs[5].alert: \"pager\": write threshold (default: on the window's "
          "statistic) or burn_rate (on the error budget's burn rate)"));
}

TEST(NfrAlert, BurnRateRulesTakeNoWindowHysteresisOrBaseline) {
  EXPECT_THAT(
      ErrorsOf(
          R"(  - { name: a, alert: burn_rate, probe: api, phase: total, stat: p95, window: 5m, op: "<", threshold: 1s }
  - { name: b, alert: burn_rate, probe: api, phase: total, stat: p95, op: "<", threshold: 1s, clear_threshold: 800ms }
  - { name: c, kind: regression, alert: burn_rate, probe: api, phase: total, stat: p95, window: 5m, baseline: 200ms }
  - { name: d, alert: burn_rate, probe: api, stat: error_rate, op: "<", threshold: 0% }
)"),
      ElementsAre("t.yaml:7:79: nfrs[0].window: a burn_rate rule reads its own windows (5m, "
                  "30m, 1h, 6h); remove window:",
                  "t.yaml:8:112: nfrs[1].clear_threshold: a burn_rate rule needs no hysteresis "
                  "(its short windows clear it); remove clear_threshold:",
                  "t.yaml:9:41: nfrs[2].alert: burn_rate alerts on a fixed threshold; a "
                  "regression rule takes alert: threshold (default), or write kind: threshold "
                  "with op: and threshold:",
                  "t.yaml:10:84: nfrs[3].threshold: an error_rate of 0% leaves no error budget "
                  "to burn; write a threshold above 0%, or alert: threshold"));
  EXPECT_THAT(
      ErrorsOf(
          R"(  - { name: ok, alert: burn_rate, probe: api, phase: total, stat: p95, op: "<", threshold: 1s }
)"),
      IsEmpty());
}

}  // namespace
}  // namespace reznet::config
