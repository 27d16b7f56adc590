#include "daemon/schedule.hpp"

#include <gtest/gtest.h>

#include <set>

namespace reznet::daemon {
namespace {

using namespace std::chrono_literals;
using SteadyClock = ProbeSchedule::SteadyClock;
const SteadyClock::time_point kStart = SteadyClock::time_point(100h);

TEST(ProbeSchedule, FirstRunSpreadInsideTheInterval) {
  std::set<std::int64_t> offsets;
  for (int i = 0; i < 50; ++i) {
    ProbeSchedule s("probe_" + std::to_string(i), 15s, kStart);
    const auto offset = s.due() - kStart;
    EXPECT_GE(offset, 0s);
    EXPECT_LT(offset, 15s);
    offsets.insert(std::chrono::duration_cast<std::chrono::seconds>(offset).count());
  }
  // 50 probes land in many different seconds of the interval, not all at once.
  EXPECT_GE(offsets.size(), 10u);
  // Stable: the same name gets the same offset.
  EXPECT_EQ(ProbeSchedule("api", 15s, kStart).due(), ProbeSchedule("api", 15s, kStart).due());
}

TEST(ProbeSchedule, JitterStaysWithinTenPercent) {
  ProbeSchedule s("api", 10s, kStart);
  auto due = s.due();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(s.OnDue(due), ProbeSchedule::Action::kStart);
    s.OnFinished();
    const auto step = s.due() - due;
    EXPECT_GE(step, 9s);
    EXPECT_LE(step, 11s);
    due = s.due();
  }
  EXPECT_EQ(s.overruns(), 0u);
}

TEST(ProbeSchedule, RunStillGoingAtNextDueIsSkippedAndCounted) {
  ProbeSchedule s("slow", 10s, kStart);
  auto t = s.due();
  EXPECT_EQ(s.OnDue(t), ProbeSchedule::Action::kStart);  // run 1 starts, never finishes in time
  t = s.due();
  EXPECT_EQ(s.OnDue(t), ProbeSchedule::Action::kSkipOverrun);
  EXPECT_EQ(s.overruns(), 1u);
  s.OnFinished();  // run 1 ends
  t = s.due();
  EXPECT_EQ(s.OnDue(t), ProbeSchedule::Action::kStart);
  EXPECT_EQ(s.overruns(), 1u);
}

TEST(ProbeSchedule, LongStallSkipsMissedRunsInsteadOfBursting) {
  ProbeSchedule s("api", 10s, kStart);
  auto t = s.due();
  s.OnDue(t);
  s.OnFinished();
  // The process was stopped for 100 s: the next decision happens far past due.
  const auto late = t + 100s;
  EXPECT_EQ(s.OnDue(late), ProbeSchedule::Action::kStart);
  EXPECT_GE(s.overruns(), 8u);
  EXPECT_GT(s.due(), late);
  EXPECT_LE(s.due(), late + 11s);
}

}  // namespace
}  // namespace reznet::daemon
