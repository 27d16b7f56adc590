#include "nfr/step.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace reznet::nfr {
namespace {

using namespace std::chrono_literals;
using Kind = Notification::Kind;

const auto kT0 = std::chrono::steady_clock::time_point(100h);
const auto kW0 = std::chrono::system_clock::time_point(1'700'000'000s);

config::NfrRule P95Under1s(std::chrono::nanoseconds for_ = 1min,
                           std::optional<double> clear = std::nullopt) {
  config::NfrRule r;
  r.name = "api_p95";
  r.stat = config::NfrStat::kP95;
  r.op = config::NfrOp::kLt;
  r.threshold = 1.0;
  r.clear_threshold = clear;
  r.for_ = for_;
  r.min_samples = 5;
  return r;
}

// Drives a rule through (seconds since start, value) evaluations every 15 s by hand.
struct Driver {
  config::NfrRule rule;
  RuleState state;
  std::vector<std::pair<int, Kind>> notes;
  void At(int seconds, std::optional<double> value, std::uint64_t samples = 10) {
    auto r = Step(rule, state, {value, samples}, kT0 + std::chrono::seconds(seconds),
                  kW0 + std::chrono::seconds(seconds));
    state = r.state;
    if (r.notification) notes.emplace_back(seconds, r.notification->kind);
  }
};

TEST(NfrEval, NoDataBelowMinSamples) {
  Driver d{P95Under1s()};
  d.At(0, 5.0, 4);
  EXPECT_EQ(d.state.state, NfrState::kNoData);
  EXPECT_EQ(d.state.events, 0u);
  d.At(15, std::nullopt, 0);
  EXPECT_EQ(d.state.state, NfrState::kNoData);
  d.At(30, 0.2, 5);
  EXPECT_EQ(d.state.state, NfrState::kOk);
  EXPECT_EQ(d.state.events, 1u);
  EXPECT_EQ(d.state.good, 1u);
}

// The samples of each step stay with the state, for "collecting 4 of 5 samples".
TEST(NfrEval, KeepsTheWindowsSampleCount) {
  Driver d{P95Under1s()};
  d.At(0, 5.0, 4);
  EXPECT_EQ(d.state.samples, 4u);
  d.At(15, 0.2, 7);
  EXPECT_EQ(d.state.samples, 7u);
  d.At(30, std::nullopt, 0);
  EXPECT_EQ(d.state.samples, 0u);
}

// With an interval a breach is called only when the whole interval breaks the promise: a p95 of
// 1.2 s whose interval reaches down to 0.9 s is not yet evidence against "< 1 s" (issue #26).
TEST(NfrEval, ABreachNeedsTheWholeIntervalBeyondTheThreshold) {
  const config::NfrRule rule = P95Under1s(0s);
  const auto step = [&](const RuleState& st, double value, stats::Interval ci) {
    return Step(rule, st, Observation{value, 50, ci}, kT0, kW0).state;
  };
  EXPECT_EQ(step({}, 1.2, {0.9, 1.6}).state, NfrState::kOk);
  EXPECT_EQ(step({}, 1.2, {1.05, 1.6}).state, NfrState::kFiring);  // for: 0
  // An open lower side (too few samples to bound it) never establishes a breach.
  EXPECT_EQ(step({}, 3.0, {-std::numeric_limits<double>::infinity(), 4.0}).state, NfrState::kOk);
  // The SLO counters still judge the value itself.
  EXPECT_EQ(step({}, 1.2, {0.9, 1.6}).good, 0u);
  // Firing clears once the interval reaches back under the limit.
  RuleState firing = step({}, 1.2, {1.05, 1.6});
  EXPECT_EQ(step(firing, 1.1, {0.95, 1.3}).state, NfrState::kOk);
  EXPECT_EQ(step(firing, 1.1, {1.01, 1.3}).state, NfrState::kFiring);
}

// The same for a promise bounded from below (a ratio "> 60%") and with hysteresis: fired only on an
// interval wholly under the limit, cleared only once it reaches past the clear_threshold.
TEST(NfrEval, ABreachBelowALowerLimitNeedsTheWholeIntervalAndClearsPastHysteresis) {
  config::NfrRule rule;
  rule.name = "hits";
  rule.stat = config::NfrStat::kRatio;
  rule.op = config::NfrOp::kGt;
  rule.threshold = 0.6;
  rule.clear_threshold = 0.7;
  rule.min_samples = 1;
  const auto step = [&](const RuleState& st, double value, stats::Interval ci) {
    return Step(rule, st, Observation{value, 50, ci}, kT0, kW0).state;
  };
  EXPECT_EQ(step({}, 0.55, {0.5, 0.65}).state, NfrState::kOk);
  const RuleState firing = step({}, 0.5, {0.4, 0.59});
  EXPECT_EQ(firing.state, NfrState::kFiring);
  EXPECT_EQ(step({}, 0.5, {0.4, std::numeric_limits<double>::infinity()}).state, NfrState::kOk);
  EXPECT_EQ(step(firing, 0.62, {0.55, 0.69}).state, NfrState::kFiring);  // not past 70 %
  EXPECT_EQ(step(firing, 0.66, {0.6, 0.72}).state, NfrState::kOk);
}

TEST(NfrEval, PendingFiresOnlyAfterFor) {
  Driver d{P95Under1s(1min)};
  d.At(0, 0.5);
  d.At(15, 1.5);
  EXPECT_EQ(d.state.state, NfrState::kPending);
  d.At(30, 1.5);
  d.At(60, 1.5);
  EXPECT_EQ(d.state.state, NfrState::kPending);  // 45 s of violation so far
  EXPECT_TRUE(d.notes.empty());
  d.At(75, 1.5);  // 60 s
  EXPECT_EQ(d.state.state, NfrState::kFiring);
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0], std::make_pair(75, Kind::kFiring));
  EXPECT_EQ(d.state.active_since, kW0 + 15s);  // startsAt is when the violation began
  d.At(90, 1.5);
  EXPECT_EQ(d.notes.size(), 1u);  // no repeat: re-sending is the notifier's job
  d.At(105, 0.5);
  EXPECT_EQ(d.state.state, NfrState::kOk);
  ASSERT_EQ(d.notes.size(), 2u);
  EXPECT_EQ(d.notes[1], std::make_pair(105, Kind::kResolved));
  EXPECT_EQ(d.state.events, 7u);
  EXPECT_EQ(d.state.good, 2u);
}

TEST(NfrEval, ShortViolationReturnsToOkWithoutFiring) {
  Driver d{P95Under1s(1min)};
  d.At(0, 1.5);
  d.At(15, 0.9);
  EXPECT_EQ(d.state.state, NfrState::kOk);
  d.At(30, 1.5);
  EXPECT_EQ(d.state.pending_since, kT0 + 30s);  // a new pending period starts afresh
  EXPECT_TRUE(d.notes.empty());
}

TEST(NfrEval, ForZeroFiresAtOnce) {
  Driver d{P95Under1s(0s)};
  d.At(0, 2.0);
  EXPECT_EQ(d.state.state, NfrState::kFiring);
  ASSERT_EQ(d.notes.size(), 1u);
}

TEST(NfrEval, HysteresisStopsFlapping) {
  // A value hovering around the threshold: without clear_threshold it fires and resolves again
  // and again; with clear_threshold 0.8 s it fires once and stays firing.
  const std::vector<double> hover = {1.1, 0.95, 1.05, 0.97, 1.02, 0.96, 1.1, 0.99};
  Driver flappy{P95Under1s(0s)};
  Driver steady{P95Under1s(0s, 0.8)};
  int t = 0;
  for (double v : hover) {
    flappy.At(t, v);
    steady.At(t, v);
    t += 15;
  }
  EXPECT_EQ(flappy.notes.size(), 8u);
  ASSERT_EQ(steady.notes.size(), 1u);
  EXPECT_EQ(steady.state.state, NfrState::kFiring);
  steady.At(t, 0.7);
  EXPECT_EQ(steady.state.state, NfrState::kOk);
  EXPECT_EQ(steady.notes.back().second, Kind::kResolved);
}

TEST(NfrEval, FiringRuleThatLosesItsDataResolves) {
  Driver d{P95Under1s(0s)};
  d.At(0, 3.0);
  d.At(15, std::nullopt, 0);
  EXPECT_EQ(d.state.state, NfrState::kNoData);
  ASSERT_EQ(d.notes.size(), 2u);
  EXPECT_EQ(d.notes[1].second, Kind::kResolved);
}

TEST(NfrEval, RatioRulesPromiseAbove) {
  config::NfrRule r;
  r.stat = config::NfrStat::kRatio;
  r.op = config::NfrOp::kGt;
  r.threshold = 0.6;
  r.min_samples = 1;
  Driver d{r};
  d.At(0, 0.9, 1);
  EXPECT_EQ(d.state.state, NfrState::kOk);
  d.At(15, 0.3, 1);
  EXPECT_EQ(d.state.state, NfrState::kFiring);
}

// A burn-rate rule fires while a pair of windows burns, carries its rates into the alert, has no
// data while the 5 m window is short of min_samples, and resolves when the short windows clear.
TEST(NfrEval, BurnRateRulesFollowTheirPairsOfWindows) {
  config::NfrRule r = P95Under1s(0s);
  r.alert = config::NfrAlert::kBurnRate;
  r.min_samples = 10;
  RuleState st;
  const auto step = [&](int seconds, BurnRates b) {
    auto out = Step(r, st, {b.value(), b.events_5m, std::nullopt, b},
                    kT0 + std::chrono::seconds(seconds), kW0 + std::chrono::seconds(seconds));
    st = out.state;
    return out.notification;
  };
  BurnRates spike{.burn_5m = 20,
                  .burn_30m = 3,
                  .burn_1h = 1.7,
                  .burn_6h = 0.3,
                  .share_1h = 0.083,
                  .share_6h = 0.014,
                  .events_5m = 50};
  EXPECT_FALSE(step(0, spike));
  EXPECT_EQ(st.state, NfrState::kOk);
  BurnRates fast{.burn_5m = 20,
                 .burn_30m = 20,
                 .burn_1h = 15,
                 .burn_6h = 2.5,
                 .share_1h = 0.75,
                 .share_6h = 0.125,
                 .events_5m = 50};
  auto fired = step(15, fast);
  ASSERT_TRUE(fired);
  EXPECT_EQ(fired->kind, Kind::kFiring);
  EXPECT_DOUBLE_EQ(fired->value, 0.75);
  EXPECT_EQ(fired->burn, fast);
  EXPECT_EQ(st.state, NfrState::kFiring);
  EXPECT_EQ(st.good, 1u);
  EXPECT_EQ(st.events, 2u);
  BurnRates recovered = fast;
  recovered.burn_5m = 0;
  auto resolved = step(30, recovered);
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->kind, Kind::kResolved);
  EXPECT_EQ(st.state, NfrState::kOk);
  BurnRates slow{.burn_5m = 8,
                 .burn_30m = 8,
                 .burn_1h = 8,
                 .burn_6h = 8,
                 .share_1h = 0.4,
                 .share_6h = 0.4,
                 .events_5m = 9};
  EXPECT_FALSE(step(45, slow));  // 9 < min_samples
  EXPECT_EQ(st.state, NfrState::kNoData);
  EXPECT_EQ(st.samples, 9u);
  slow.events_5m = 10;
  ASSERT_TRUE(step(60, slow));
  EXPECT_EQ(st.state, NfrState::kFiring);
  // Without burn rates (the ledger has no such rule) a burn-rate rule has no data.
  auto gone = Step(r, st, {0.4, 10}, kT0 + 75s, kW0 + 75s);
  EXPECT_EQ(gone.state.state, NfrState::kNoData);
  ASSERT_TRUE(gone.notification);
  EXPECT_EQ(gone.notification->kind, Kind::kResolved);
}

}  // namespace
}  // namespace reznet::nfr
