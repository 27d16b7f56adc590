#pragma once
// The `llm` probe kind: one chat request to a provider per run, streaming or not, measured per
// stream_meter.hpp. Error kinds: http_401, http_429, http_5xx, http_4xx (other 4xx), overloaded
// (HTTP 529 or an overloaded_error), each with the provider's error type and message;
// stream_error (`event: error` / an "error" payload inside a 200 stream); truncated (no end marker,
// or the connection closed mid-stream); no_first_token (the deadline passed before any content);
// timeout (stalled after content); bad_payload; plus the transport kinds of the http client
// (dns, connect, tls, io). Non-streaming runs record `total` only (and the tokens from usage).
// Runs without an API key, or past the daily token budget, are skipped with the reason.

#include <memory>
#include <string_view>

#include "clients/http_client.hpp"
#include "probes/llm/llm_config.hpp"
#include "probes/probe.hpp"

namespace reznet::probes::llm {

class LlmProbe final : public Probe {
 public:
  static constexpr std::string_view kKind = "llm";
  static config::KindTraits Traits();
  // The series its runs add (and the agent kind's, which streams the same way): token counters.
  static std::vector<config::KindMetric> Metrics();

  static std::shared_ptr<const config::KindSettings> ParseSettings(
      config::MapReader& block, const config::TargetConfig* target,
      const config::ProbeConfig& probe) {
    return ParseLlmSettings(block, target, probe);
  }
  static std::unique_ptr<Probe> Create(const CreateArgs& args);

  LlmProbe(std::shared_ptr<const LlmSettings> settings, const config::TargetConfig& target,
           std::unique_ptr<clients::HttpClient> client);
  boost::asio::awaitable<Outcome> Run(RunContext ctx) override;
  MetricLabels Labels() const override {
    return {{"provider", settings_->provider_name}, {"model", settings_->model}};
  }

 private:
  clients::HttpRequest BuildRequest() const;
  boost::asio::awaitable<Outcome> Measure(RunContext ctx);

  std::shared_ptr<const LlmSettings> settings_;
  std::string api_key_;
  std::string key_skip_reason_;
  std::unique_ptr<clients::HttpClient> client_;
  long budget_day_ = -1;
  long budget_spent_ = 0;
};

}  // namespace reznet::probes::llm
