#include "tests/support/manual_clock.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

namespace reznet::testing {
namespace asio = boost::asio;

// A pending WaitUntil parks on `wake`, an Asio timer that never expires by itself: the clock
// cancels it when time reaches `deadline`, and the waiter looks at the clock again.
struct ManualClock::TimerState {
  explicit TimerState(const asio::any_io_executor& executor) : wake(executor) {}
  asio::steady_timer wake;
  std::optional<common::SteadyTime> deadline;
  bool cancelled = false;
};

namespace {

class ManualTimer final : public common::Timer {
 public:
  ManualTimer(const ManualClock& clock, std::shared_ptr<ManualClock::TimerState> state)
      : clock_(clock), state_(std::move(state)) {}

  asio::awaitable<bool> WaitUntil(common::SteadyTime at) override {
    const auto state = state_;
    state->cancelled = false;
    bool reached = true;
    state->deadline = at;
    while (clock_.Now() < at) {
      state->wake.expires_at(asio::steady_timer::time_point::max());
      co_await state->wake.async_wait(asio::as_tuple(asio::use_awaitable));
      const auto cs = co_await asio::this_coro::cancellation_state;
      if (state->cancelled || cs.cancelled() != asio::cancellation_type::none) {
        reached = false;
        break;
      }
    }
    state->deadline.reset();
    co_return reached;
  }

  void Cancel() override {
    state_->cancelled = true;
    state_->wake.cancel();
  }

 private:
  const ManualClock& clock_;
  std::shared_ptr<ManualClock::TimerState> state_;
};

// Runs every handler that is ready now, without waiting.
void Settle(asio::io_context& io) {
  io.restart();
  io.poll();
}

}  // namespace

ManualClock::ManualClock(common::SteadyTime start, common::WallTime wall)
    : start_(start), now_(start), wall_start_(wall) {}

ManualClock::~ManualClock() = default;

common::WallTime ManualClock::WallNow() const {
  return wall_start_ + std::chrono::duration_cast<common::WallTime::duration>(now_ - start_);
}

std::unique_ptr<common::Timer> ManualClock::MakeTimer(const asio::any_io_executor& executor) {
  auto state = std::make_shared<TimerState>(executor);
  std::erase_if(timers_, [](const auto& t) { return t.expired(); });
  timers_.push_back(state);
  return std::make_unique<ManualTimer>(*this, std::move(state));
}

std::optional<common::SteadyTime> ManualClock::NextDeadline() const {
  std::optional<common::SteadyTime> next;
  for (const auto& weak : timers_) {
    const auto t = weak.lock();
    if (t && t->deadline && (!next || *t->deadline < *next)) next = t->deadline;
  }
  return next;
}

void ManualClock::WakeDue() {
  for (const auto& weak : timers_) {
    const auto t = weak.lock();
    if (t && t->deadline && *t->deadline <= now_) t->wake.cancel();
  }
}

void ManualClock::Advance(asio::io_context& io, std::chrono::nanoseconds d) {
  const auto target = now_ + d;
  Settle(io);
  for (auto next = NextDeadline(); next && *next <= target; next = NextDeadline()) {
    now_ = std::max(now_, *next);
    WakeDue();
    Settle(io);
  }
  now_ = target;
}

void ManualClock::RunUntilIdle(asio::io_context& io, std::chrono::nanoseconds limit) {
  const auto end = now_ + limit;
  Settle(io);
  while (!io.stopped()) {
    const auto next = NextDeadline();
    if (!next) throw std::runtime_error("RunUntilIdle: work left but no manual timer waits");
    if (*next > end) throw std::runtime_error("RunUntilIdle: not idle within the limit");
    now_ = std::max(now_, *next);
    WakeDue();
    Settle(io);
  }
}

bool RunUntil(asio::io_context& io, const std::function<bool()>& done,
              std::chrono::nanoseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done()) {
    if (io.stopped() || std::chrono::steady_clock::now() >= end) return false;
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace reznet::testing
