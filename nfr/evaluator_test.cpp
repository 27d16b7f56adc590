#include "nfr/evaluator.hpp"

#include <gtest/gtest.h>

namespace reznet::nfr {
namespace {

using namespace std::chrono_literals;

const auto kT0 = std::chrono::steady_clock::time_point(100h);
const auto kW0 = std::chrono::system_clock::time_point(1'700'000'000s);

config::NfrRule Rule(std::string name, double threshold) {
  config::NfrRule r;
  r.name = std::move(name);
  r.probe = "api";
  r.stat = config::NfrStat::kP95;
  r.op = config::NfrOp::kLt;
  r.threshold = threshold;
  r.for_ = 0s;
  r.min_samples = 1;
  return r;
}

// The ports, recorded: what the evaluator observed, published, retired and notified.
struct Ports {
  std::map<std::string, Observation> values;
  std::vector<std::string> observed;
  std::map<std::string, NfrState> published;
  std::vector<std::string> retired;
  std::vector<std::pair<std::string, Notification>> notified;
  std::vector<std::vector<std::string>> installed;

  EvaluatorPorts Wire() {
    return {[this](const config::NfrRule& r, std::chrono::steady_clock::time_point) {
              observed.push_back(r.name);
              return values[r.name];
            },
            [this](const config::NfrRule& r, const RuleState& s) { published[r.name] = s.state; },
            [this](const std::string& name) { retired.push_back(name); },
            [this](const config::NfrRule& r, const Notification& n) {
              notified.emplace_back(r.name, n);
            },
            [this](const std::vector<config::NfrRule>& rules) {
              installed.emplace_back();
              for (const auto& r : rules) installed.back().push_back(r.name);
            }};
  }
};

TEST(Evaluator, SetRulesPublishesEveryRuleAsNoData) {
  Ports ports;
  Evaluator e(ports.Wire());
  e.SetRules({Rule("a", 1.0), Rule("b", 2.0)}, kW0);
  EXPECT_EQ(ports.published.size(), 2u);
  EXPECT_EQ(ports.published["a"], NfrState::kNoData);
  EXPECT_TRUE(ports.observed.empty());
  // What counts for the rules (the burn-rate rules' SloLedger) learns them too.
  EXPECT_EQ(ports.installed, (std::vector<std::vector<std::string>>{{"a", "b"}}));
  e.SetRules({Rule("b", 2.0)}, kW0);
  EXPECT_EQ(ports.installed.back(), std::vector<std::string>{"b"});
}

TEST(Evaluator, FiresAndNotifiesThenResolvesWhenMet) {
  Ports ports;
  Evaluator e(ports.Wire());
  e.SetRules({Rule("a", 1.0)}, kW0);
  ports.values["a"] = {2.5, 10};
  e.Evaluate(kT0, kW0);
  EXPECT_EQ(ports.published["a"], NfrState::kFiring);
  ASSERT_EQ(ports.notified.size(), 1u);
  EXPECT_EQ(ports.notified[0].second.kind, Notification::Kind::kFiring);
  EXPECT_DOUBLE_EQ(ports.notified[0].second.value, 2.5);
  ports.values["a"] = {0.5, 10};
  e.Evaluate(kT0 + 15s, kW0 + 15s);
  EXPECT_EQ(ports.published["a"], NfrState::kOk);
  ASSERT_EQ(ports.notified.size(), 2u);
  EXPECT_EQ(ports.notified[1].second.kind, Notification::Kind::kResolved);
}

TEST(Evaluator, RuleThatLeavesWhileFiringIsResolvedAndRetired) {
  Ports ports;
  Evaluator e(ports.Wire());
  e.SetRules({Rule("a", 1.0), Rule("b", 1.0)}, kW0);
  ports.values["a"] = {3.0, 10};
  ports.values["b"] = {0.1, 10};
  e.Evaluate(kT0, kW0);
  ports.notified.clear();
  e.SetRules({Rule("b", 1.0)}, kW0 + 1min);
  ASSERT_EQ(ports.notified.size(), 1u);
  EXPECT_EQ(ports.notified[0].first, "a");
  EXPECT_EQ(ports.notified[0].second.kind, Notification::Kind::kResolved);
  EXPECT_EQ(ports.notified[0].second.ends_at, kW0 + 1min);
  EXPECT_EQ(ports.retired, std::vector<std::string>{"a"});
  EXPECT_EQ(e.states().count("a"), 0u);
  EXPECT_EQ(e.states().at("b").state, NfrState::kOk);  // kept rules keep their state
}

TEST(Evaluator, RegressionRuleWithoutBaselineHasNoData) {
  Ports ports;
  Evaluator e(ports.Wire());
  auto r = Rule("regress", 1.0);
  r.baseline_runs = 5;
  e.SetRules({r}, kW0);
  ports.values["regress"] = {9.0, 10};
  e.Evaluate(kT0, kW0);
  EXPECT_TRUE(ports.observed.empty());
  EXPECT_EQ(ports.published["regress"], NfrState::kNoData);
  e.rules()[0].reference = 1.0;  // a baseline refresh
  e.Evaluate(kT0 + 15s, kW0 + 15s);
  EXPECT_EQ(ports.observed, std::vector<std::string>{"regress"});
}

}  // namespace
}  // namespace reznet::nfr
