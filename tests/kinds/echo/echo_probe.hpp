#pragma once
// The `echo` probe kind, for tests only: what adding a kind takes is this folder, its
// add_subdirectory and one registry.Add<EchoProbe>() line (echo_kind_test.cpp). A run measures
// nothing: it records what its block says.
//
//   - { name: e, kind: echo, echo: { ratio: 75%, took: 5ms } }
//
// Phase `total` (one sample: `took`, without waiting); counter `echoed` (`ratio`), exported as the
// gauge reznet_perf_echo_ratio. Its suites: quick (7 samples per probe) and full.

#include <memory>
#include <string_view>

#include "probes/probe.hpp"

namespace reznet::probes::echo {

struct EchoSettings : config::KindSettings {
  double ratio = 1;
  config::Duration took = std::chrono::milliseconds(1);
};

class EchoProbe final : public Probe {
 public:
  static constexpr std::string_view kKind = "echo";
  static config::KindTraits Traits();
  static std::unique_ptr<Probe> Create(const CreateArgs& args);

  explicit EchoProbe(std::shared_ptr<const EchoSettings> settings)
      : settings_(std::move(settings)) {}
  boost::asio::awaitable<Outcome> Run(RunContext ctx) override;

 private:
  std::shared_ptr<const EchoSettings> settings_;
};

}  // namespace reznet::probes::echo
