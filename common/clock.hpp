#pragma once
// Where the scheduler, RunOnce and the alert notifier read the time and wait for it, so tests can
// move time by hand (tests/support/manual_clock.hpp) instead of sleeping.
//
// SystemClock() reads std::chrono::steady_clock / system_clock and waits on asio::steady_timer.
// Code that takes a Clock& reads both clocks through it (Now for intervals and deadlines, WallNow
// for timestamps people see) and makes its timers with MakeTimer; nothing else changes.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>

namespace reznet::common {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

// One wake-up at a time, like asio::steady_timer. Not thread-safe: use it on the executor it was
// made for (a strand, for the scheduler).
class Timer {
 public:
  virtual ~Timer() = default;
  // Completes with true once the clock reads `at` or later (at once when it already does), with
  // false when Cancel() or the awaiting coroutine's cancellation ends the wait first.
  virtual boost::asio::awaitable<bool> WaitUntil(SteadyTime at) = 0;
  // Ends a pending WaitUntil (it completes with false); no effect when none is pending.
  virtual void Cancel() = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime Now() const = 0;
  virtual WallTime WallNow() const = 0;
  // A timer driven by this clock whose completions run on `executor`.
  virtual std::unique_ptr<Timer> MakeTimer(const boost::asio::any_io_executor& executor) = 0;
};

// The real clocks. Stateless, thread-safe, lives for the whole process.
Clock& SystemClock();

}  // namespace reznet::common
