#pragma once
// A probe decorator that keeps secrets out of outcomes: the error detail, the skip reason and
// the notes of every run pass through a common::Redactor, so text relayed from upstream (a 401
// that echoes the API key) reaches no metric, log, report or history. Exceptions escaping the
// inner probe are turned into error "internal" here, scrubbed as well. ProbeRegistry::Create
// wraps every probe whose config has secrets; the Redactor is fixed for the probe's lifetime.

#include <memory>

#include "common/redact.hpp"
#include "probes/probe.hpp"

namespace reznet::probes {

// Scrubs the free-text parts of `outcome` (error detail, skip reason, note values) in place.
void ScrubOutcome(Outcome& outcome, const common::Redactor& redactor);

class RedactingProbe final : public Probe {
 public:
  // `redactor` is shared (one per config, config::SecretsOf) and must not be null.
  RedactingProbe(std::unique_ptr<Probe> inner, std::shared_ptr<const common::Redactor> redactor)
      : inner_(std::move(inner)), redactor_(std::move(redactor)) {}

  MetricLabels Labels() const override;
  std::chrono::nanoseconds RunTimeout(std::chrono::nanoseconds configured) const override {
    return inner_->RunTimeout(configured);
  }
  const LiveCounters* Live() const override { return inner_->Live(); }
  boost::asio::awaitable<Outcome> Run(RunContext ctx) override;

 private:
  std::unique_ptr<Probe> inner_;
  std::shared_ptr<const common::Redactor> redactor_;
};

}  // namespace reznet::probes
