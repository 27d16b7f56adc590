#pragma once
// The `agent` probe kind: POST a message to the backend's agent endpoint and time the answer.
// JSON mode: phases ttfb, total; the reply field must be a non-empty string (error "assertion").
// SSE mode: phases as the llm kind (ttfb, ttft, inter_chunk, tpot, total) via the shared stream
// measurement. Counters: status, output_tokens (usage when the backend reports it).

#include <memory>
#include <string_view>

#include "probes/agent/agent_config.hpp"
#include "probes/probe.hpp"

namespace reznet::probes::agent {

class AgentProbe final : public Probe {
 public:
  static constexpr std::string_view kKind = "agent";
  static config::KindTraits Traits();

  static std::shared_ptr<const config::KindSettings> ParseSettings(
      config::MapReader& block, const config::TargetConfig* target,
      const config::ProbeConfig& probe) {
    return ParseAgentSettings(block, target, probe);
  }
  static std::unique_ptr<Probe> Create(const CreateArgs& args);

  AgentProbe(std::shared_ptr<const AgentSettings> settings,
             std::unique_ptr<clients::HttpClient> client)
      : settings_(std::move(settings)), client_(std::move(client)) {}
  boost::asio::awaitable<Outcome> Run(RunContext ctx) override;
  MetricLabels Labels() const override {
    return {{"provider", "reznet-agent"}, {"model", settings_->path}};
  }

 private:
  std::shared_ptr<const AgentSettings> settings_;
  std::unique_ptr<clients::HttpClient> client_;
};

}  // namespace reznet::probes::agent
