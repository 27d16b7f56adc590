// Issue #24 (break 4): the pieces that keep basic auth from being starved — the fair queue of
// bcrypt checks, the client address grouping, and the bounded, expiring credential memory.
#include "api/auth_checks.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/credential_memory.hpp"
#include "api/fair_queue.hpp"

namespace reznet::api {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;
const auto t0 = std::chrono::steady_clock::time_point{} + 1h;

// 16 flooders each keep the most they may waiting; a scraper's first check arrives last.
TEST(FairQueue, NewSourceIsServedBeforeFloodingOnes) {
  FairQueue<std::string> q(2, 32);
  for (int round = 0; round < 2; ++round)
    for (int i = 2; i <= 17; ++i) q.Push("127.0.0." + std::to_string(i), "flood", t0);
  // The flood has been served for a while: every flooder once.
  for (int i = 0; i < 16; ++i) ASSERT_EQ(q.Pop(t0), "flood");
  for (int i = 2; i <= 17; ++i) q.Push("127.0.0." + std::to_string(i), "flood", t0);
  EXPECT_EQ(q.waiting(), 32u);
  EXPECT_THAT(q.Push("127.0.0.1", "scrape", t0),
              ElementsAre("flood"));  // full: a flooder makes room
  EXPECT_EQ(q.Pop(t0), "scrape");
}

// A flood from ever-new addresses: each is as light as a new scraper. Among equals the one waiting
// longest is served first and the one that came last is shed, so a queued scraper is served
// within `total` items. (Before, ties went to whichever address sorted first as text: from
// 127.0.0.99 a first login waited as long as the flood lasted.)
TEST(FairQueue, AFloodFromEverNewAddressesDelaysAQueuedScraperByAtMostTheQueue) {
  FairQueue<std::string> q(2, 32);
  int next = 2;
  const auto fresh = [&] {
    const int n = next++;
    return "10.0." + std::to_string(n / 250) + "." + std::to_string(n % 250);
  };
  for (int i = 0; i < 31; ++i) q.Push(fresh(), "flood", t0);
  EXPECT_TRUE(q.Push("127.0.0.99", "scrape", t0).empty());  // the 32nd: queued
  int served_before = 0;
  for (int i = 0; i < 200; ++i) {
    // Two new flood items for every check served: the queue stays full, the newest are shed.
    for (int k = 0; k < 2; ++k) q.Push(fresh(), "flood", t0);
    const auto item = q.Pop(t0);
    ASSERT_TRUE(item);
    if (*item == "scrape") break;
    ++served_before;
  }
  EXPECT_EQ(served_before, 31);
  // Full of equals, a newcomer is the one refused, at once (503), not left waiting.
  while (q.waiting() < 32) q.Push(fresh(), "flood", t0);
  EXPECT_THAT(q.Push("127.0.0.98", "scrape2", t0), ElementsAre("scrape2"));
}

TEST(FairQueue, SourcesUsingAlikeTakeTurns) {
  FairQueue<std::string> q(4, 64);
  for (const char* item : {"a1", "a2", "a3"}) q.Push("a", item, t0);
  for (const char* item : {"b1", "b2"}) q.Push("b", item, t0);
  q.Push("c", "c1", t0);
  std::vector<std::string> order;
  while (auto item = q.Pop(t0)) order.push_back(*item);
  EXPECT_THAT(order, ElementsAre("a1", "b1", "c1", "a2", "b2", "a3"));
}

TEST(FairQueue, FullSourceShedsItsOwnOldest) {
  FairQueue<int> q(2, 32);
  EXPECT_TRUE(q.Push("x", 1, t0).empty());
  EXPECT_TRUE(q.Push("x", 2, t0).empty());
  EXPECT_THAT(q.Push("x", 3, t0), ElementsAre(1));
  EXPECT_TRUE(q.Push("y", 10, t0).empty());  // another source is not touched
  EXPECT_EQ(q.waiting(), 3u);
  EXPECT_EQ(q.Pop(t0), 2);
  EXPECT_EQ(q.Pop(t0), 10);
  EXPECT_EQ(q.Pop(t0), 3);
  EXPECT_EQ(q.Pop(t0), std::nullopt);
}

TEST(FairQueue, FullQueueShedsFromTheBusiestSource) {
  FairQueue<int> q(3, 4);
  q.Push("x", 1, t0);
  q.Push("x", 2, t0);
  q.Push("x", 3, t0);
  q.Push("y", 10, t0);
  EXPECT_THAT(q.Push("z", 20, t0), ElementsAre(1));
  EXPECT_EQ(q.waiting(), 4u);
}

TEST(FairQueue, IdleSourcesAreRememberedWithinBounds) {
  FairQueue<int> q(1, 4);
  auto now = t0;
  for (std::size_t i = 0; i < FairQueue<int>::kRememberedSources + 10; ++i) {
    now += 1ms;
    q.Push("s" + std::to_string(i), 1, now);
    ASSERT_EQ(q.Pop(now), 1);
  }
  EXPECT_EQ(q.sources(), FairQueue<int>::kRememberedSources);
  // The last ones served are still remembered: a new source goes first.
  q.Push("s" + std::to_string(FairQueue<int>::kRememberedSources + 9), 2, now);
  q.Push("new", 3, now);
  EXPECT_EQ(q.Pop(now), 3);
}

// The scraper logged in a moment ago, after most flooders' last turn; still, having used one
// check where each flooder used many, it goes first.
TEST(FairQueue, LightUserGoesBeforeHeavyOnesEvenIfServedMoreRecently) {
  FairQueue<std::string> q(2, 64);
  auto now = t0;
  for (int second = 0; second < 5; ++second) {
    for (int i = 2; i <= 17; ++i) {
      now += 60ms;
      q.Push("127.0.0." + std::to_string(i), "flood", now);
      ASSERT_EQ(q.Pop(now), "flood");
    }
  }
  q.Push("127.0.0.1", "first login", now);
  ASSERT_EQ(q.Pop(now), "first login");
  for (int i = 2; i <= 17; ++i) q.Push("127.0.0." + std::to_string(i), "flood", now);
  q.Push("127.0.0.1", "second login", now + 1s);
  EXPECT_EQ(q.Pop(now + 1s), "second login");
}

// A source whose items are refunded (its logins succeed) stays ahead of one that keeps failing.
TEST(FairQueue, RefundedUseDoesNotCount) {
  FairQueue<std::string> q(4, 16);
  for (int i = 0; i < 3; ++i) {
    q.Push("scraper", "login", t0);
    q.Push("flooder", "guess", t0);
    ASSERT_TRUE(q.Pop(t0));
    ASSERT_TRUE(q.Pop(t0));
    q.Refund("scraper", t0);
  }
  q.Push("flooder", "guess", t0);
  q.Push("scraper", "login", t0);
  EXPECT_EQ(q.Pop(t0), "login");
  q.Refund("unknown", t0);  // no effect, no entry
  EXPECT_EQ(q.sources(), 2u);
}

// Usage halves every kHalfLife: a source that flooded a minute ago counts as a light user now.
TEST(FairQueue, UsageDecays) {
  FairQueue<std::string> q(1, 4);
  for (int i = 0; i < 20; ++i) {
    q.Push("old", "x", t0);
    ASSERT_EQ(q.Pop(t0), "x");
  }
  const auto later = t0 + 6 * FairQueue<std::string>::kHalfLife;  // 20 / 64 < 1
  q.Push("recent", "r", later - 1s);
  ASSERT_EQ(q.Pop(later - 1s), "r");
  q.Push("recent", "r2", later);
  q.Push("old", "o", later);
  EXPECT_EQ(q.Pop(later), "o");
}

TEST(AuthChecks, SourceGroupsIpv6By64AndUnmapsIpv4) {
  EXPECT_EQ(SourceOf("127.0.0.2"), "127.0.0.2");
  EXPECT_EQ(SourceOf("::ffff:10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(SourceOf("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(SourceOf("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
  EXPECT_EQ(SourceOf("::1"), "::/64");
}

Digest D(unsigned char n) {
  Digest d{};
  d[0] = n;
  d[31] = n;
  return d;
}

TEST(CredentialMemory, ForgetsAfterTtl) {
  CredentialMemory m(4, 60s);
  const CredentialMemory::SteadyClock::time_point t0{};
  m.Remember(D(1), t0);
  EXPECT_TRUE(m.Contains(D(1), t0 + 59s));
  EXPECT_FALSE(m.Contains(D(1), t0 + 60s));
  EXPECT_EQ(m.size(), 0u);
  EXPECT_FALSE(m.Contains(D(2), t0));
}

TEST(CredentialMemory, EvictsLeastRecentlyUsed) {
  CredentialMemory m(3, 1h);
  const CredentialMemory::SteadyClock::time_point t0{};
  for (unsigned char i = 1; i <= 3; ++i) m.Remember(D(i), t0);
  ASSERT_TRUE(m.Contains(D(1), t0));  // 1 used: 2 is now the least recent
  m.Remember(D(4), t0);
  EXPECT_TRUE(m.Contains(D(1), t0));
  EXPECT_FALSE(m.Contains(D(2), t0));
  EXPECT_TRUE(m.Contains(D(3), t0));
  EXPECT_TRUE(m.Contains(D(4), t0));
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.evictions(), 1u);
}

}  // namespace
}  // namespace reznet::api
