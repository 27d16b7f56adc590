#include "probes/run_once.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include "config/units.hpp"

namespace reznet::probes {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

// `||` waits for the first branch that *succeeds*: an exception in the probe would otherwise be
// swallowed and the run would wait for the deadline. Turn it into an outcome here.
asio::awaitable<probes::Outcome> Guarded(probes::Probe& probe, probes::RunContext ctx) {
  probes::Outcome outcome;
  try {
    outcome = co_await probe.Run(ctx);
  } catch (const std::exception& e) {
    outcome.Fail(ErrorKind::kInternal, std::string("probe raised an exception: ") + e.what());
  }
  co_return outcome;
}

}  // namespace

asio::awaitable<probes::Outcome> RunOnce(probes::Probe& probe, probes::Duration timeout,
                                         int samples, common::Clock& clock) {
  const auto executor = co_await asio::this_coro::executor;
  probes::RunContext ctx;
  ctx.deadline = clock.Now() + timeout;
  ctx.samples = samples;
  const auto guard = clock.MakeTimer(executor);
  probes::Outcome outcome;
  try {
    auto result = co_await (Guarded(probe, ctx) ||
                            guard->WaitUntil(ctx.deadline + std::chrono::milliseconds(100)));
    if (result.index() == 0) co_return std::get<0>(std::move(result));
    outcome.Fail(ErrorKind::kTimeout,
                 "run did not finish within its timeout of " + config::FormatDuration(timeout));
  } catch (const std::exception& e) {
    outcome.Fail(ErrorKind::kInternal, std::string("probe raised an exception: ") + e.what());
  }
  co_return outcome;
}

}  // namespace reznet::probes
