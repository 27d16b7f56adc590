#include "nfr/rules_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace reznet::nfr {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

config::NfrRule Burn(std::string name, config::NfrStat stat, std::string stat_name,
                     double threshold) {
  config::NfrRule r;
  r.name = std::move(name);
  r.probe = "api";
  r.phase = "total";
  r.stat = stat;
  r.stat_name = std::move(stat_name);
  r.threshold = threshold;
  r.alert = config::NfrAlert::kBurnRate;
  r.min_samples = 10;
  r.severity = "page";
  r.labels = {{"team", "web"}};
  return r;
}

config::Config WithRules(std::vector<config::NfrRule> rules) {
  config::Config cfg;
  cfg.source = "t.yaml";
  cfg.nfrs = std::move(rules);
  return cfg;
}

TEST(RulesFile, ABurnRateRuleReadsItsCountersOverBothPairsOfWindows) {
  auto rule = Burn("api_burn", config::NfrStat::kP95, "p95", 1.0);
  rule.for_ = 2min;
  const std::string text = PrometheusRules(WithRules({rule}));
  const std::string bad = "rate(reznet_perf_nfr_slo_bad_samples_total{nfr=\\\"api_burn\\\"}";
  const std::string all = "rate(reznet_perf_nfr_slo_samples_total{nfr=\\\"api_burn\\\"}";
  EXPECT_THAT(text, HasSubstr("      - alert: api_burn\n        expr: \"((" + bad + "[1h]) / " +
                              all + "[1h]) > 14.4 * 0.05 and " + bad + "[5m]) / " + all +
                              "[5m]) > 14.4 * 0.05) or (" + bad + "[6h]) / " + all +
                              "[6h]) > 6 * 0.05 and " + bad + "[30m]) / " + all +
                              "[30m]) > 6 * 0.05)) and increase(reznet_perf_nfr_slo_samples_"
                              "total{nfr=\\\"api_burn\\\"}[5m]) >= 10\"\n        for: 2m\n"));
  EXPECT_THAT(text, HasSubstr("        labels:\n          severity: \"page\"\n          nfr: "
                              "\"api_burn\"\n          probe: \"api\"\n          team: \"web\"\n"));
  EXPECT_THAT(text, HasSubstr("          summary: \"api_burn: p95 < 1s burns its error budget "
                              "(5%) too fast: {{ $value | humanizePercentage }} of samples bad "
                              "over 1h (or 6h)\"\n"));
}

TEST(RulesFile, AnErrorRateBurnsItsThresholdAsTheBudget) {
  auto rule = Burn("errors_burn", config::NfrStat::kErrorRate, "error_rate", 0.02);
  rule.annotations = {{"summary", "{{value}} of runs failed (promise < {{threshold}})"},
                      {"runbook_url", "https://runbooks.example/api"}};
  const std::string text = PrometheusRules(WithRules({rule}));
  EXPECT_THAT(text, HasSubstr("[1h]) > 14.4 * 0.02 and "));
  EXPECT_THAT(text, HasSubstr("[30m]) > 6 * 0.02)) and "));
  EXPECT_THAT(text, HasSubstr("summary: \"{{ $value | humanizePercentage }} of runs failed "
                              "(promise < 2%)\"\n          runbook_url: "
                              "\"https://runbooks.example/api\"\n"));
  EXPECT_THAT(text, HasSubstr("[5m]) >= 10\"\n        labels:\n"));  // no for: written
}

}  // namespace
}  // namespace reznet::nfr
