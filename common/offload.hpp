#pragma once
// Runs a blocking call (libpq, hiredis) on the blocking pool and resumes the awaiting coroutine
// on its own executor afterwards. The call must bound its own time (connect/command timeouts):
// a blocking call cannot be cancelled from outside. `f` runs on a pool thread: it must not touch
// state that the probe io thread uses meanwhile (a probe's runs never overlap, so its own state
// is safe).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

namespace reznet::common {

template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> Offload(boost::asio::any_io_executor pool, F f) {
  using R = std::invoke_result_t<F&>;
  if (!pool) pool = co_await boost::asio::this_coro::executor;
  // The lambda itself is handed to co_spawn (it keeps `f` alive for the coroutine's life).
  co_return co_await boost::asio::co_spawn(
      pool, [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); },
      boost::asio::use_awaitable);
}

}  // namespace reznet::common
