// probes::RunOnce on a hand-moved clock (tests/support/manual_clock.hpp): the deadline it enforces
// on a probe that ignores it, and an exception turned into an error outcome.
#include "probes/run_once.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "tests/support/manual_clock.hpp"
#include "tests/support/probe_runs.hpp"
#include "tests/support/test_probes.hpp"

namespace reznet::probes {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::BusyProbe;
using ::testing::HasSubstr;
using testing::ManualClock;
using testing::ThrowingProbe;

Outcome RunSync(ManualClock& clock, Probe& p, Duration timeout) {
  asio::io_context io;
  return testing::Await(io, RunOnce(p, timeout, 0, clock), &clock);
}

TEST(RunOnce, CancelsAProbeThatIgnoresItsDeadline) {
  ManualClock clock;
  BusyProbe p(clock, 10s);
  const auto start = clock.Now();
  auto o = RunSync(clock, p, 200ms);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, clients::ErrorKind::kTimeout);
  EXPECT_EQ(o.error->detail, "run did not finish within its timeout of 200ms");
  EXPECT_LT(clock.Now() - start, 5s);     // did not wait the 10 s out
  EXPECT_EQ(clock.Now() - start, 300ms);  // the timeout and its 100 ms of slack
}

TEST(RunOnce, ExceptionBecomesInternalError) {
  ManualClock clock;
  ThrowingProbe p;
  auto o = RunSync(clock, p, 1s);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, clients::ErrorKind::kInternal);
  EXPECT_THAT(o.error->detail, HasSubstr("bug in probe"));
}

TEST(RunOnce, PassesOutcomeThrough) {
  ManualClock clock;
  BusyProbe p(clock, 1ms);
  auto o = RunSync(clock, p, 1s);
  EXPECT_TRUE(o.ok());
  EXPECT_EQ(o.FindPhase("total")->samples.size(), 1u);
}

}  // namespace
}  // namespace reznet::probes
