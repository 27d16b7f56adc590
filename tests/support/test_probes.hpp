#pragma once
// Probes that misbehave on purpose, on a hand-moved clock: behaviour no real server can trigger
// in the probe code (ignoring the deadline, throwing), for the run-once and scheduler tests.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <stdexcept>
#include <vector>

#include "common/clock.hpp"
#include "probes/probe.hpp"
#include "tests/support/outcomes.hpp"

namespace reznet::testing {

// What a BusyProbe saw of its runs; owned by the test, so it outlives probes a scheduler drops.
struct RunLog {
  std::vector<common::SteadyTime> starts;
  std::vector<common::SteadyTime> deadlines;
};

// Takes `busy` of the clock's time regardless of its deadline, then succeeds.
class BusyProbe : public probes::Probe {
 public:
  BusyProbe(common::Clock& clock, probes::Duration busy, RunLog* log = nullptr)
      : clock_(clock), busy_(busy), log_(log) {}
  boost::asio::awaitable<probes::Outcome> Run(probes::RunContext ctx) override {
    if (log_) {
      log_->starts.push_back(clock_.Now());
      log_->deadlines.push_back(ctx.deadline);
    }
    const auto timer = clock_.MakeTimer(co_await boost::asio::this_coro::executor);
    co_await timer->WaitUntil(clock_.Now() + busy_);
    co_return Totals({busy_});
  }

 private:
  common::Clock& clock_;
  probes::Duration busy_;
  RunLog* log_;
};

class ThrowingProbe : public probes::Probe {
 public:
  boost::asio::awaitable<probes::Outcome> Run(probes::RunContext) override {
    throw std::runtime_error("bug in probe");
    co_return probes::Outcome{};
  }
};

}  // namespace reznet::testing
