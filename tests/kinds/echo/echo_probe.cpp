#include "tests/kinds/echo/echo_probe.hpp"

namespace reznet::probes::echo {
namespace {

std::shared_ptr<const config::KindSettings> Parse(config::MapReader& block,
                                                  const config::TargetConfig*,
                                                  const config::ProbeConfig&) {
  auto s = std::make_shared<EchoSettings>();
  block.ReadRatio("ratio", s->ratio);
  block.Read("took", s->took);
  return s;
}

}  // namespace

config::KindTraits EchoProbe::Traits() {
  return {.name = std::string(kKind),
          .phases = {"total"},
          .ratios = {{"echoed", "reznet_perf_echo_ratio"}},
          .chart_phase = "total",
          .default_samples = 7,
          .profiles = {"quick"},
          .parse = &Parse};
}

std::unique_ptr<Probe> EchoProbe::Create(const CreateArgs& args) {
  return std::make_unique<EchoProbe>(
      std::static_pointer_cast<const EchoSettings>(args.probe.settings));
}

boost::asio::awaitable<Outcome> EchoProbe::Run(RunContext) {
  Outcome o;
  o.Record("total", settings_->took);
  o.SetCounter("echoed", settings_->ratio);
  co_return o;
}

}  // namespace reznet::probes::echo
