#include "probes/redacting_probe.hpp"

namespace reznet::probes {

void ScrubOutcome(Outcome& outcome, const common::Redactor& redactor) {
  if (redactor.Empty()) return;
  const auto scrub = [&](std::string& text) {
    if (redactor.Contains(text)) text = redactor.Scrub(text);
  };
  if (outcome.error) scrub(outcome.error->detail);
  scrub(outcome.skip_reason);
  for (auto& [name, value] : outcome.notes) scrub(value);
}

MetricLabels RedactingProbe::Labels() const {
  MetricLabels labels = inner_->Labels();
  for (auto& [name, value] : labels) {
    if (redactor_->Contains(value)) value = redactor_->Scrub(value);
  }
  return labels;
}

boost::asio::awaitable<Outcome> RedactingProbe::Run(RunContext ctx) {
  Outcome outcome;
  try {
    outcome = co_await inner_->Run(ctx);
  } catch (const std::exception& e) {
    // Caught here rather than by RunOnce so the message is scrubbed like any other detail.
    outcome.Fail(ErrorKind::kInternal, std::string("probe raised an exception: ") + e.what());
  }
  ScrubOutcome(outcome, *redactor_);
  co_return outcome;
}

}  // namespace reznet::probes
