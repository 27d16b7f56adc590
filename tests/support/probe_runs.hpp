#pragma once
// "Write a config, load it, run its probe once": the steps the probe tests share, plus running
// any coroutine to its end from a test.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "probes/outcome.hpp"
#include "probes/probe.hpp"
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

// The probe of `yaml` (its only one, of kind `Kind`), built as the daemon builds it: through the
// registry with the whole config (so its outcomes pass the config's redactor) and a blocking pool
// of its own; or, with `redacted` false, the kind's own probe without that safety net, to show
// what the kind itself lets out. Runs as often as asked.
template <class Kind>
class BuiltProbe {
 public:
  explicit BuiltProbe(const std::string& yaml, bool redacted = true)
      : config_(LoadConfig(yaml)), spec_(config_.probes.at(0)) {
    const probes::CreateArgs args{spec_, config_.FindTarget(spec_.target), io_.get_executor(),
                                  blocking_.get_executor(), &config_};
    probes::ProbeRegistry registry;
    probes::RegisterBuiltinProbes(registry);
    probe_ = redacted ? registry.Create(args) : Kind::Create(args);
  }
  ~BuiltProbe() { blocking_.join(); }
  BuiltProbe(const BuiltProbe&) = delete;
  BuiltProbe& operator=(const BuiltProbe&) = delete;

  // One run, its deadline now + the probe's timeout; `took` gets its wall time.
  probes::Outcome Run(std::chrono::steady_clock::duration* took = nullptr) {
    const auto start = std::chrono::steady_clock::now();
    probes::Outcome out = Await(io_, probe_->Run({start + spec_.timeout, 0}));
    if (took) *took = std::chrono::steady_clock::now() - start;
    return out;
  }
  std::string Json(const probes::Outcome& o) const {
    return probes::OutcomeToJson(spec_.name, spec_.kind, o);
  }
  std::chrono::nanoseconds timeout() const { return spec_.timeout; }

 private:
  config::Config config_;
  const config::ProbeConfig& spec_;
  boost::asio::io_context io_;
  boost::asio::thread_pool blocking_{1};
  std::unique_ptr<probes::Probe> probe_;
};

}  // namespace reznet::testing
