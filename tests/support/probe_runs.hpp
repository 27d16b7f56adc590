#pragma once
// "Write a config, load it, run its probe once": the steps the probe tests share, plus running
// any coroutine to its end from a test.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "probes/outcome.hpp"
#include "tests/support/manual_clock.hpp"

namespace reznet::testing {

// `yaml` loaded with every built-in probe kind; errors name `file`. Throws config::ConfigError.
config::Config LoadConfig(const std::string& yaml, const std::string& file = "test.yaml");
// The errors loading `yaml` reports (file:line:col: path: message), empty when it loads.
std::vector<std::string> ConfigErrors(const std::string& yaml,
                                      const std::string& file = "test.yaml");

// Builds the config's first probe and awaits one Run on a fresh io_context, its RunContext
// deadline now + the probe's timeout. An exception from the probe propagates.
probes::Outcome RunProbeOnce(const config::Config& config);

// Runs `task` on `io` to its end and returns its result; rethrows its exception. With a clock,
// time jumps to each next deadline (ManualClock::RunUntilIdle); without, io.run().
template <class T>
T Await(boost::asio::io_context& io, boost::asio::awaitable<T> task, ManualClock* clock = nullptr) {
  std::optional<T> result;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    result = std::move(value);
  });
  if (clock) {
    clock->RunUntilIdle(io);
  } else {
    io.restart();
    io.run();
  }
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

}  // namespace reznet::testing
