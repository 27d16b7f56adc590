#include "nfr/burn_rate.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace reznet::nfr {
namespace {

using namespace std::chrono_literals;

const auto kT0 = std::chrono::steady_clock::time_point(100h);

config::NfrRule P95Under1s(config::NfrOp op = config::NfrOp::kLt) {
  config::NfrRule r;
  r.name = "api_p95_burn";
  r.stat = config::NfrStat::kP95;
  r.op = op;
  r.threshold = 1.0;
  r.alert = config::NfrAlert::kBurnRate;
  return r;
}

TEST(SampleEvents, EverySampleIsGoodOrBadAgainstTheThreshold) {
  const std::vector<std::chrono::nanoseconds> samples = {500ms, 1s, 2s};
  const std::vector<std::pair<std::chrono::nanoseconds, std::uint64_t>> weighted = {{100ms, 7},
                                                                                    {3s, 5}};
  // p95 < 1s: a sample of exactly 1 s breaks it.
  EXPECT_EQ(SampleEvents(P95Under1s(), samples, weighted), (SloEvents{15, 7}));
  EXPECT_EQ(SampleEvents(P95Under1s(config::NfrOp::kLe), samples, {}), (SloEvents{3, 1}));
  EXPECT_EQ(RunEvents(true), (SloEvents{1, 1}));
  EXPECT_EQ(RunEvents(false), (SloEvents{1, 0}));
}

// Feeds `per_minute` events a minute, `bad` of them bad, for the minutes [from, to) after kT0.
void Feed(BurnRing& ring, int from, int to, std::uint64_t per_minute, std::uint64_t bad) {
  for (int m = from; m < to; ++m) ring.Add(kT0 + std::chrono::minutes(m) + 30s, {per_minute, bad});
}

// At the end of minute `m` after kT0.
std::chrono::steady_clock::time_point At(int m) { return kT0 + std::chrono::minutes(m) + 59s; }

TEST(BurnRing, AWindowReadsTheCurrentMinuteAndThoseBeforeIt) {
  BurnRing ring;
  Feed(ring, 0, 10, 10, 1);
  EXPECT_EQ(ring.Sum(5min, At(9)), (SloEvents{50, 5}));
  EXPECT_EQ(ring.Sum(1h, At(9)), (SloEvents{100, 10}));
  EXPECT_EQ(ring.Sum(5min, At(12)), (SloEvents{20, 2}));  // minutes 8 and 9
  // After six hours the buckets are reused: nothing older than the window is counted.
  EXPECT_EQ(ring.Sum(6h, At(9 + 360)), (SloEvents{}));
  ring.Add(At(9 + 360), {4, 4});
  EXPECT_EQ(ring.Sum(6h, At(9 + 360)), (SloEvents{4, 4}));
}

// Five hours of good traffic (10 samples a minute, none bad) before each scenario, so the 6 h
// window is not ruled by its first hour.
BurnRing Quiet() {
  BurnRing ring;
  Feed(ring, 0, 300, 10, 0);
  return ring;
}

TEST(BurnRing, AFastBurnFires) {
  BurnRing ring = Quiet();
  Feed(ring, 300, 315, 10, 0);
  Feed(ring, 315, 360, 10, 10);  // an outage: 45 of the last 60 minutes all bad
  const BurnRates b = ring.Burn(0.05, At(359));
  EXPECT_DOUBLE_EQ(b.burn_1h, 0.75 / 0.05);  // 15 > 14.4
  EXPECT_DOUBLE_EQ(b.burn_5m, 20);
  EXPECT_TRUE(b.fast());
  EXPECT_FALSE(b.slow());  // 45 of 360 minutes: 2.5
  EXPECT_TRUE(b.firing());
  EXPECT_STREQ(b.pairs(), "1h/5m");
  EXPECT_DOUBLE_EQ(b.value(), 0.75);
  EXPECT_EQ(b.events_5m, 50u);
}

TEST(BurnRing, ASlowBurnFires) {
  BurnRing ring;
  Feed(ring, 0, 360, 10, 4);  // six hours with 40 % of the samples bad: 8 × the budget
  const BurnRates b = ring.Burn(0.05, At(359));
  EXPECT_DOUBLE_EQ(b.burn_6h, 8);
  EXPECT_DOUBLE_EQ(b.burn_30m, 8);
  EXPECT_FALSE(b.fast());  // 8 < 14.4
  EXPECT_TRUE(b.slow());
  EXPECT_STREQ(b.pairs(), "6h/30m");
  EXPECT_DOUBLE_EQ(b.value(), 0.4);  // the share over 6 h
}

TEST(BurnRing, AShortSpikeDoesNotFire) {
  BurnRing ring = Quiet();
  Feed(ring, 300, 355, 10, 0);
  Feed(ring, 355, 360, 10, 10);  // five minutes all bad, the hour fine
  const BurnRates b = ring.Burn(0.05, At(359));
  EXPECT_DOUBLE_EQ(b.burn_5m, 20);  // a 5 m window alone would page
  EXPECT_LT(b.burn_1h, 14.4);
  EXPECT_LT(b.burn_30m, 6);
  EXPECT_FALSE(b.firing());
  EXPECT_STREQ(b.pairs(), "");
}

TEST(BurnRing, RecoveryClearsWithinTheShortWindow) {
  BurnRing ring = Quiet();
  Feed(ring, 300, 315, 10, 0);
  Feed(ring, 315, 360, 10, 10);
  ASSERT_TRUE(ring.Burn(0.05, At(359)).fast());
  Feed(ring, 360, 365, 10, 0);  // fixed: five good minutes
  const BurnRates b = ring.Burn(0.05, At(364));
  EXPECT_GT(b.burn_1h, 6);         // the hour still remembers the outage …
  EXPECT_DOUBLE_EQ(b.burn_5m, 0);  // … the short window does not
  EXPECT_FALSE(b.firing());
}

TEST(BurnRing, NoEventsNoBurn) {
  BurnRing ring;
  const BurnRates b = ring.Burn(0.05, At(0));
  EXPECT_EQ(b.events_5m, 0u);
  EXPECT_DOUBLE_EQ(b.burn_1h, 0);
  EXPECT_FALSE(b.firing());
}

}  // namespace
}  // namespace reznet::nfr
