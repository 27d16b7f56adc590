#include "common/clock.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace reznet::common {
namespace {

namespace asio = boost::asio;

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(const asio::any_io_executor& executor) : timer_(executor) {}

  asio::awaitable<bool> WaitUntil(SteadyTime at) override {
    timer_.expires_at(at);
    auto [ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return !ec;
  }
  void Cancel() override { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

class RealClock final : public Clock {
 public:
  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
  std::unique_ptr<Timer> MakeTimer(const asio::any_io_executor& executor) override {
    return std::make_unique<AsioTimer>(executor);
  }
};

}  // namespace

Clock& SystemClock() {
  static RealClock clock;
  return clock;
}

}  // namespace reznet::common
