// probes::RunOnce and the Asio scheduler. The probes here misbehave on purpose (ignore their
// deadline, throw): behaviour no real server can trigger in the probe code, so small test probes do
// it.
#include "daemon/scheduler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "probes/run_once.hpp"
#include "telemetry/telemetry.hpp"

namespace reznet::daemon {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

// Sleeps `busy` regardless of the deadline, then succeeds.
class SleepyProbe : public probes::Probe {
 public:
  explicit SleepyProbe(Duration busy) : busy_(busy) {}
  asio::awaitable<probes::Outcome> Run(probes::RunContext) override {
    asio::steady_timer t(co_await asio::this_coro::executor, busy_);
    co_await t.async_wait(asio::use_awaitable);
    probes::Outcome o;
    o.Record("total", busy_);
    co_return o;
  }

 private:
  Duration busy_;
};

class ThrowingProbe : public probes::Probe {
 public:
  asio::awaitable<probes::Outcome> Run(probes::RunContext) override {
    throw std::runtime_error("bug in probe");
    co_return probes::Outcome{};
  }
};

probes::Outcome RunSync(probes::Probe& p, Duration timeout) {
  asio::io_context io;
  probes::Outcome out;
  asio::co_spawn(io, probes::RunOnce(p, timeout),
                 [&](std::exception_ptr, probes::Outcome o) { out = std::move(o); });
  io.run();
  return out;
}

TEST(RunOnce, CancelsAProbeThatIgnoresItsDeadline) {
  SleepyProbe p(10s);
  const auto start = std::chrono::steady_clock::now();
  auto o = RunSync(p, 200ms);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, "timeout");
  EXPECT_EQ(o.error->detail, "run did not finish within its timeout of 200ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // did not wait the 10 s out
}

TEST(RunOnce, ExceptionBecomesInternalError) {
  ThrowingProbe p;
  auto o = RunSync(p, 1s);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, "internal");
  EXPECT_THAT(o.error->detail, HasSubstr("bug in probe"));
}

TEST(RunOnce, PassesOutcomeThrough) {
  SleepyProbe p(1ms);
  auto o = RunSync(p, 1s);
  EXPECT_TRUE(o.ok());
  EXPECT_EQ(o.FindPhase("total")->samples.size(), 1u);
}

TEST(Scheduler, RunsProbesAndCountsOverruns) {
  asio::io_context io;
  telemetry::Telemetry sink({1min}, {"v", "r"});
  Scheduler scheduler(io, sink);
  std::vector<ScheduledProbe> probes;
  probes.push_back({"quick", "test", 1s, 1s, std::make_unique<SleepyProbe>(1ms)});
  // Takes 2.5 s per run with a 1 s interval and a 2.5 s timeout: the next due always finds it busy.
  probes.push_back({"slow", "test", 1s, 3s, std::make_unique<SleepyProbe>(2500ms)});
  scheduler.Start(std::move(probes));
  asio::steady_timer stop(io, 3500ms);
  stop.async_wait([&](auto) { scheduler.Stop(); });
  io.run();  // returns once the loops have stopped and in-flight runs have finished
  const std::string text = sink.RenderMetrics(std::chrono::steady_clock::now());
  EXPECT_EQ(scheduler.InFlight(), 0);
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

}  // namespace
}  // namespace reznet::daemon
