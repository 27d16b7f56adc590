#pragma once
// The `http` probe kind: `samples` sequential requests per run against the target URL + path,
// with assertions. Phases per sample: dns, connect, tls (when a connection was opened), ttfb,
// transfer, total (see clients/http_client.hpp). Counters: status (last), bytes (last body),
// http_version, content_length, and over https cert_expiry and verified_chain_expiry (README.md);
// notes: peer_address, tls_version.
// The first failing sample ends the run; its error says which sample failed.

#include <memory>
#include <string_view>

#include "clients/http_client.hpp"
#include "probes/http/http_config.hpp"
#include "probes/probe.hpp"

namespace reznet::probes {

class HttpProbe final : public Probe {
 public:
  static constexpr std::string_view kKind = "http";
  static config::KindTraits Traits();

  static std::shared_ptr<const config::KindSettings> ParseSettings(
      config::MapReader& block, const config::TargetConfig* target,
      const config::ProbeConfig& probe) {
    return ParseHttpSettings(block, target, probe);
  }
  static std::unique_ptr<Probe> Create(const CreateArgs& args);

  HttpProbe(std::shared_ptr<const HttpSettings> settings,
            std::unique_ptr<clients::HttpClient> client);
  boost::asio::awaitable<Outcome> Run(RunContext ctx) override;

 private:
  std::shared_ptr<const HttpSettings> settings_;
  std::unique_ptr<clients::HttpClient> client_;
};

// Checks one response against the expectations; returns the failure, if any.
std::optional<ProbeError> CheckExpectations(const HttpSettings& settings,
                                            const clients::HttpResponse& response);

}  // namespace reznet::probes
