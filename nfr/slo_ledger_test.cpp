#include "nfr/slo_ledger.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/metrics_registry.hpp"

namespace reznet::nfr {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const auto kT0 = std::chrono::steady_clock::time_point(100h);

config::NfrRule Rule(std::string name, std::string probe, config::NfrAlert alert,
                     double threshold = 1.0) {
  config::NfrRule r;
  r.name = std::move(name);
  r.probe = std::move(probe);
  r.phase = "total";
  r.stat = config::NfrStat::kP95;
  r.op = config::NfrOp::kLt;
  r.threshold = threshold;
  r.alert = alert;
  return r;
}

std::string Render(common::MetricsRegistry& registry) {
  std::string out;
  registry.Render(out, kT0);
  return out;
}

// Records `events` for every rule over `probe`, noting which rules were asked.
std::vector<std::string> Record(SloLedger& ledger, const std::string& probe,
                                std::chrono::steady_clock::time_point now, SloEvents events) {
  std::vector<std::string> asked;
  ledger.Record(probe, now, [&](const config::NfrRule& rule) {
    asked.push_back(rule.name);
    return events;
  });
  return asked;
}

TEST(SloLedger, CountsTheBurnRateRulesOfAProbeInItsCounters) {
  common::MetricsRegistry registry;
  SloLedger ledger(registry);
  EXPECT_TRUE(ledger.empty());
  ledger.SetRules({Rule("api_p95", "api", config::NfrAlert::kThreshold),
                   Rule("api_burn", "api", config::NfrAlert::kBurnRate),
                   Rule("db_burn", "db", config::NfrAlert::kBurnRate)});
  EXPECT_FALSE(ledger.empty());
  // Both counters exist at 0 before the first run, so rate() has a start.
  EXPECT_THAT(Render(registry), HasSubstr("reznet_perf_nfr_slo_samples_total{nfr=\"db_burn\"} 0"));
  EXPECT_THAT(Record(ledger, "api", kT0, {10, 3}), ::testing::ElementsAre("api_burn"));
  EXPECT_THAT(Record(ledger, "api", kT0 + 1s, {5, 0}), ::testing::ElementsAre("api_burn"));
  EXPECT_TRUE(Record(ledger, "web", kT0, {1, 1}).empty());
  const std::string text = Render(registry);
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_slo_samples_total{nfr=\"api_burn\"} 15"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_slo_bad_samples_total{nfr=\"api_burn\"} 3"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_slo_bad_samples_total{nfr=\"db_burn\"} 0"));
  EXPECT_THAT(text, Not(HasSubstr("nfr=\"api_p95\"")));
}

TEST(SloLedger, ObservesBurnRatesAtTheTimeGiven) {
  common::MetricsRegistry registry;
  SloLedger ledger(registry);
  const auto rule = Rule("api_burn", "api", config::NfrAlert::kBurnRate);
  ledger.SetRules({rule});
  EXPECT_FALSE(ledger.Observe(rule, kT0).burn->firing());
  EXPECT_EQ(ledger.Observe(rule, kT0).samples, 0u);
  for (int s = 0; s < 600; s += 10) Record(ledger, "api", kT0 + std::chrono::seconds(s), {1, 1});
  const Observation now = ledger.Observe(rule, kT0 + 599s);
  ASSERT_TRUE(now.burn);
  EXPECT_TRUE(now.burn->fast());
  EXPECT_DOUBLE_EQ(*now.value, 1.0);  // every sample bad
  EXPECT_EQ(now.samples, 30u);        // the 5 m window: minutes 5 to 9
  // Ten minutes on, without runs, the 5 m window is empty (no data, for the step) while the
  // 30 m one still holds the outage; thirty minutes on nothing burns.
  const Observation later = ledger.Observe(rule, kT0 + 20min);
  EXPECT_EQ(later.samples, 0u);
  EXPECT_FALSE(later.burn->fast());
  EXPECT_TRUE(later.burn->slow());
  EXPECT_FALSE(ledger.Observe(rule, kT0 + 40min).burn->firing());
  EXPECT_FALSE(ledger.Observe(Rule("other", "api", config::NfrAlert::kBurnRate), kT0).value);
}

TEST(SloLedger, AReloadKeepsCountsOfUnchangedRulesOnly) {
  common::MetricsRegistry registry;
  SloLedger ledger(registry);
  ledger.SetRules({Rule("a", "api", config::NfrAlert::kBurnRate),
                   Rule("b", "api", config::NfrAlert::kBurnRate),
                   Rule("c", "api", config::NfrAlert::kBurnRate)});
  Record(ledger, "api", kT0, {4, 2});
  auto a = Rule("a", "api", config::NfrAlert::kBurnRate);
  a.severity = "warning";                                       // not about counting: kept
  auto b = Rule("b", "api", config::NfrAlert::kBurnRate, 2.0);  // another threshold: anew
  ledger.SetRules({a, b});
  const std::string text = Render(registry);
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_slo_samples_total{nfr=\"a\"} 4"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_nfr_slo_samples_total{nfr=\"b\"} 0"));
  EXPECT_THAT(text, Not(HasSubstr("nfr=\"c\"")));
  EXPECT_EQ(ledger.Observe(a, kT0).samples, 4u);
  EXPECT_EQ(ledger.Observe(b, kT0).samples, 0u);
  ledger.SetRules({Rule("x", "api", config::NfrAlert::kThreshold)});
  EXPECT_TRUE(ledger.empty());
  EXPECT_THAT(Render(registry), Not(HasSubstr("nfr=\"a\"")));
}

}  // namespace
}  // namespace reznet::nfr
