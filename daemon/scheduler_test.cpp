// The Asio scheduler on a hand-moved clock (tests/support/manual_clock.hpp): nothing here waits
// for real time. The probes misbehave on purpose (tests/support/test_probes.hpp).
#include "daemon/scheduler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include "daemon/schedule.hpp"
#include "telemetry/telemetry.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/outcomes.hpp"
#include "tests/support/probe_runs.hpp"
#include "tests/support/test_probes.hpp"

namespace reznet::daemon {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using testing::ManualClock;

using testing::BusyProbe;
using testing::RunLog;

// One scheduler on a manual clock; everything it starts is stopped and drained at the end.
class SchedulerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    scheduler_.Stop();
    clock_.RunUntilIdle(io_);
  }
  void Add(std::string name, Duration interval, Duration timeout, Duration busy, RunLog* log) {
    std::vector<ScheduledProbe> probes;
    probes.push_back({nullptr, std::move(name), "test", interval, timeout,
                      std::make_unique<BusyProbe>(clock_, busy, log)});
    scheduler_.Start(std::move(probes));
  }
  std::string Metrics() { return sink_.RenderMetrics(clock_.Now()); }
  static std::string Runs(const std::string& probe, const std::string& result, int n) {
    return "reznet_perf_probe_runs_total\\{probe=\"" + probe + "\",result=\"" + result + "\"\\} " +
           std::to_string(n) + "\n";
  }

  ManualClock clock_;
  asio::io_context io_;
  common::MetricsRegistry registry_;
  telemetry::Telemetry sink_{registry_, {1min}};
  Scheduler scheduler_{io_, sink_, clock_};
};

TEST_F(SchedulerTest, RunsProbesAndCountsOverruns) {
  Add("quick", 1s, 1s, 1ms, nullptr);
  // Takes 2.5 s per run with a 1 s interval and a 3 s timeout: the next due always finds it busy.
  Add("slow", 1s, 3s, 2500ms, nullptr);
  clock_.Advance(io_, 3500ms);
  scheduler_.Stop();
  clock_.RunUntilIdle(io_);  // the loops stop and in-flight runs finish
  const std::string text = Metrics();
  EXPECT_EQ(scheduler_.InFlight(), 0);
  EXPECT_THAT(text,
              ::testing::ContainsRegex(
                  "reznet_perf_probe_runs_total\\{probe=\"quick\",result=\"success\"\\} [234]\n"));
  EXPECT_THAT(text,
              ::testing::ContainsRegex(
                  "reznet_perf_probe_runs_total\\{probe=\"slow\",result=\"overrun\"\\} [123]\n"));
  EXPECT_THAT(text,
              ::testing::ContainsRegex(
                  "reznet_perf_probe_runs_total\\{probe=\"slow\",result=\"success\"\\} [12]\n"));
}

TEST_F(SchedulerTest, FirstRunIsDueAtItsSpreadOffsetThenEveryIntervalWithJitter) {
  RunLog log;
  const auto start = clock_.Now();
  const auto offset = ProbeSchedule::FirstOffset("api", 10s);
  Add("api", 10s, 1s, 1ms, &log);
  clock_.Advance(io_, offset - 1ns);
  EXPECT_TRUE(log.starts.empty());
  clock_.Advance(io_, 1ns);
  ASSERT_EQ(log.starts.size(), 1u);
  EXPECT_EQ(log.starts[0], start + offset);
  clock_.Advance(io_, 1ms);
  EXPECT_THAT(Metrics(), ContainsRegex(Runs("api", "success", 1)));
  clock_.Advance(io_, 11s);
  ASSERT_EQ(log.starts.size(), 2u);
  EXPECT_GE(log.starts[1] - log.starts[0], 9s);  // 10 s ± 10 %
  EXPECT_LE(log.starts[1] - log.starts[0], 11s);
}

TEST_F(SchedulerTest, RunStillGoingWhenDueIsSkippedAndCountedAsOverrun) {
  RunLog log;
  const auto first = clock_.Now() + ProbeSchedule::FirstOffset("slow", 1s);
  Add("slow", 1s, 5s, 2500ms, &log);
  clock_.Advance(io_, first - clock_.Now());
  ASSERT_EQ(log.starts.size(), 1u);
  EXPECT_EQ(scheduler_.InFlight(), 1);
  // Due again at ~1 s and ~2 s (± 10 %) while the first run is going: both skipped, no overlap.
  clock_.Advance(io_, 2400ms);
  EXPECT_EQ(log.starts.size(), 1u);
  EXPECT_THAT(Metrics(), ContainsRegex(Runs("slow", "overrun", 2)));
  EXPECT_THAT(Metrics(), ContainsRegex(Runs("slow", "success", 0)));
  // It ends at 2.5 s; the due at ~3 s (2.7 s … 3.3 s) starts the next run.
  clock_.Advance(io_, 1000ms);
  EXPECT_THAT(Metrics(), ContainsRegex(Runs("slow", "success", 1)));
  ASSERT_EQ(log.starts.size(), 2u);
  EXPECT_GE(log.starts[1] - log.starts[0], 2500ms);
  EXPECT_THAT(Metrics(), ContainsRegex(Runs("slow", "overrun", 2)));
}

TEST_F(SchedulerTest, PerRunDeadlineEndsARunThatIgnoresIt) {
  RunLog log;
  Add("stuck", 10s, 1s, 1min, &log);
  clock_.Advance(io_, ProbeSchedule::FirstOffset("stuck", 10s));
  ASSERT_EQ(log.starts.size(), 1u);
  EXPECT_EQ(log.deadlines[0], log.starts[0] + 1s);  // what the probe is told
  clock_.Advance(io_, 1099ms);
  EXPECT_EQ(scheduler_.InFlight(), 1);  // 100 ms of slack for the probe's own timeout handling
  clock_.Advance(io_, 1ms);
  EXPECT_EQ(scheduler_.InFlight(), 0);
  const std::string text = Metrics();
  EXPECT_THAT(text, ContainsRegex(Runs("stuck", "failure", 1)));
  EXPECT_THAT(text,
              HasSubstr("reznet_perf_probe_errors_total{error=\"timeout\",probe=\"stuck\"} 1"));
}

TEST_F(SchedulerTest, RemoveLetsTheRunInFlightFinishAndStartAddsAProbe) {
  RunLog a, b, c;
  Add("a", 1s, 1s, 500ms, &a);
  Add("b", 1s, 1s, 1ms, &b);
  clock_.Advance(io_, ProbeSchedule::FirstOffset("a", 1s));
  ASSERT_EQ(a.starts.size(), 1u);
  scheduler_.Remove("a");
  clock_.Advance(io_, 5s);
  EXPECT_EQ(a.starts.size(), 1u);                                  // no new run of a
  EXPECT_GE(b.starts.size(), 4u);                                  // b goes on
  EXPECT_THAT(Metrics(), ContainsRegex(Runs("a", "success", 1)));  // the run in flight finished
  const auto added = clock_.Now();
  Add("c", 1s, 1s, 1ms, &c);
  clock_.Advance(io_, 1s);
  ASSERT_EQ(c.starts.size(), 1u);
  EXPECT_EQ(c.starts[0], added + ProbeSchedule::FirstOffset("c", 1s));
}

}  // namespace
}  // namespace reznet::daemon
