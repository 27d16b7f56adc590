#pragma once
// A clock that stands still until the test moves it (STYLE 18: no sleeps in unit tests). Give it
// to the scheduler, RunOnce or the alert notifier in place of common::SystemClock(), then
// Advance(io, 2s): time moves to each pending timer's deadline in turn, wakes the timers due there
// and runs the io_context's ready handlers, so every wake-up happens at its exact time and in
// order. Real I/O (loopback sockets) does not complete inside Advance; use RunUntil for that.
//
// Not thread-safe: make timers, wait on them, Advance and poll from one thread (the test's, which
// also runs the io_context). Timers must not outlive the clock.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/clock.hpp"

namespace reznet::testing {

class ManualClock final : public common::Clock {
 public:
  static constexpr common::SteadyTime kStart{std::chrono::hours(1000)};
  // 2027-01-15T08:00:00Z
  static constexpr common::WallTime kWallStart{std::chrono::seconds(1'800'000'000)};

  explicit ManualClock(common::SteadyTime start = kStart, common::WallTime wall = kWallStart);
  ~ManualClock() override;

  common::SteadyTime Now() const override { return now_; }
  // Moves with Now(): kWallStart + (Now() - kStart).
  common::WallTime WallNow() const override;
  std::unique_ptr<common::Timer> MakeTimer(const boost::asio::any_io_executor& executor) override;

  // Moves both clocks forward by `d`, stopping at every deadline on the way (see above).
  void Advance(boost::asio::io_context& io, std::chrono::nanoseconds d);
  // Runs `io` until it has no work left, jumping to each next deadline. Throws std::runtime_error
  // when `io` still has work but no timer of this clock is waiting (real I/O pending), or when
  // that takes more than `limit` of manual time.
  void RunUntilIdle(boost::asio::io_context& io,
                    std::chrono::nanoseconds limit = std::chrono::hours(24));
  // The earliest deadline a timer of this clock waits for.
  std::optional<common::SteadyTime> NextDeadline() const;

  struct TimerState;  // one timer's wait; public for the timer class in the .cpp

 private:
  void WakeDue();

  common::SteadyTime start_;
  common::SteadyTime now_;
  common::WallTime wall_start_;
  std::vector<std::weak_ptr<TimerState>> timers_;
};

// Runs `io` (real time) until `done()` holds, for work that waits on real I/O. Returns false when
// `io` runs out of work first or `limit` of real time passes.
bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& done,
              std::chrono::nanoseconds limit = std::chrono::seconds(10));

}  // namespace reznet::testing
